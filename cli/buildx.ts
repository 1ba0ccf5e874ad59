import * as path from "node:path";
import { PLATFORMS } from "../stacks/config";
import { type Log, run } from "./run";
import type { ExportRequest, SnapshotBuilder } from "./snapshot/ports";

export interface BuildxBuilder {
  /** buildx builder name from the stack config. */
  name: string;
  network: "default" | "host";
}

/**
 * The `docker buildx build` arguments that run one target of recipe/snapshot/Containerfile.
 * Never cached (metadata fetched now must not come from an earlier run) and without
 * attestations, which the local exporter would write beside the metadata.
 */
export function buildxArgs(builder: BuildxBuilder, recipeDir: string, req: ExportRequest) {
  if (/[,"]/.test(req.dest)) {
    throw new Error(`export directory ${req.dest} must not contain a comma or a quote`);
  }
  const buildArgs = Object.keys(req.buildArgs)
    .sort()
    .flatMap((k) => ["--build-arg", `${k}=${req.buildArgs[k]}`]);
  return [
    "buildx", "build",
    "--builder", builder.name,
    "--platform", PLATFORMS[req.architecture],
    "--no-cache",
    "--network", builder.network,
    ...(builder.network === "host" ? ["--allow", "network.host"] : []),
    "--provenance=false",
    "--sbom=false",
    "--progress", "plain",
    ...buildArgs,
    "--file", path.join(recipeDir, "snapshot", "Containerfile"),
    "--target", req.target,
    "--output", `type=local,dest=${req.dest}`,
    recipeDir,
  ];
}

/** Runs the snapshot recipe through `docker buildx` on the stack's builder. */
export class Buildx implements SnapshotBuilder {
  constructor(
    private readonly log: Log,
    private readonly builder: BuildxBuilder,
    private readonly recipeDir: string,
  ) {}

  async export(request: ExportRequest): Promise<void> {
    await run(this.log, "docker", buildxArgs(this.builder, this.recipeDir, request), {
      stream: true,
      env: { BUILDX_NO_DEFAULT_ATTESTATIONS: "1" },
    });
  }
}
