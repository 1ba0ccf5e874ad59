/**
 * Runs things inside published images through BuildKit (`docker buildx build` of a generated
 * Dockerfile), never through a container engine: the builders the stack provisions are the only
 * machines guaranteed to run each architecture's images.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { type Log, run } from "../run";

export type ProbeNetwork = "default" | "host" | "none";

/** Which buildx builder to use, and how its build steps reach the network. */
export interface BuilderChoice {
  /** buildx builder name. */
  name: string;
  /**
   * Network of steps that need the mirror; `host` when only the host can reach it, `none` to
   * prove that an unreachable mirror is reported as such.
   */
  network: ProbeNetwork;
}

export interface ProbeRequest {
  /** Image to run in (`FROM`), best pinned by digest. */
  image: string;
  /** `linux/amd64` or `linux/arm64`. */
  platform: string;
  /** A bash script run as root inside the image; what it writes under /out is the result. */
  script: string;
  network: ProbeNetwork;
  /** Run anew even if BuildKit has the result cached: for answers that depend on "now". */
  fresh: boolean;
  /** Empty directory that receives /out. */
  dest: string;
}

export interface CopyRequest {
  image: string;
  platform: string;
  /** Absolute directory inside the image, e.g. `/usr/share/fedora-base/recipe/`. */
  from: string;
  /** Empty directory that receives the directory's content, file times as in the image. */
  dest: string;
}

export interface BuildRequest {
  /** Build context directory; the Dockerfile is `file` inside it. */
  context: string;
  file: string;
  platform: string;
  buildArgs: Record<string, string>;
  labels: Record<string, string>;
  network: ProbeNetwork;
  /** The exporter, as `--output` takes it (`type=image,...`). */
  output: string;
}

/** What the operations ask of BuildKit; buildx implements it, tests fake it. */
export interface OpsBuilder {
  readonly name: string;
  readonly network: ProbeNetwork;
  probe(request: ProbeRequest): Promise<void>;
  copyOut(request: CopyRequest): Promise<void>;
  /** Builds with `--no-cache` and returns the pushed manifest's digest. */
  build(request: BuildRequest): Promise<string>;
  /** BuildKit version of the builder's nodes, e.g. `["v0.34.2"]`. */
  versions(): Promise<string[]>;
}

/** The lines of `buildx inspect` that name a node's BuildKit (`BuildKit version:`, `Buildkit:`). */
export function parseBuildkitVersions(inspect: string): string[] {
  return [...inspect.matchAll(/^\s*Build[kK]it(?: version)?:\s*(\S+)\s*$/gm)]
    .map((m) => m[1] ?? "");
}

/** The name of buildx's current builder (what `docker buildx build` uses without --builder). */
export async function currentBuilder(log: Log): Promise<string> {
  const out = await run(log, "docker", ["buildx", "inspect"]);
  const name = /^Name:\s*(\S+)/m.exec(out)?.[1];
  if (!name) throw new Error("docker buildx inspect names no current builder; pass --builder");
  return name;
}

/**
 * A default for the image argument that is never pulled: BuildKit rejects an empty base name
 * even before the argument is applied, and this one names what is missing if it ever is.
 */
const IMAGE_ARG = "ARG IMAGE=build-arg.invalid/image-is-required";

/** The Dockerfile of a probe: the script runs in the image, only /out leaves it. */
export const PROBE_DOCKERFILE = `${IMAGE_ARG}
FROM \${IMAGE} AS probe
RUN --mount=type=bind,source=probe.sh,target=/run/fedora-base-probe/probe.sh \\
    bash /run/fedora-base-probe/probe.sh
FROM scratch
COPY --from=probe /out/ /
`;

/** The Dockerfile that copies a directory out of an image without running anything in it. */
export function copyDockerfile(from: string): string {
  if (!/^\/[A-Za-z0-9._/-]*\/$/.test(from)) {
    throw new Error(`copy source must be an absolute directory ending in /, got ${from}`);
  }
  return `${IMAGE_ARG}\nFROM \${IMAGE} AS image\nFROM scratch\nCOPY --from=image ${from} /\n`;
}

/** `--output` values may not carry a comma or quote inside a path. */
function localOutput(dest: string): string {
  if (/[,"]/.test(dest)) throw new Error(`directory ${dest} must not contain a comma or a quote`);
  return `type=local,dest=${dest}`;
}

export class OpsBuildx implements OpsBuilder {
  constructor(
    private readonly log: Log,
    private readonly builder: BuilderChoice,
    /** Makes a fresh temporary directory; the caller removes it. */
    private readonly tempDir: () => string,
  ) {}

  get name(): string {
    return this.builder.name;
  }

  get network(): ProbeNetwork {
    return this.builder.network;
  }

  private common(platform: string, network: ProbeNetwork, fresh: boolean): string[] {
    return [
      "buildx", "build",
      "--builder", this.builder.name,
      "--platform", platform,
      ...(fresh ? ["--no-cache"] : []),
      "--network", network,
      ...(network === "host" ? ["--allow", "network.host"] : []),
      // Attestations would land beside the results of a local export.
      "--provenance=false",
      "--sbom=false",
      "--progress", "plain",
    ];
  }

  private async buildx(args: string[]): Promise<string> {
    return run(this.log, "docker", args, {
      stream: true,
      env: { BUILDX_NO_DEFAULT_ATTESTATIONS: "1" },
    });
  }

  async probe(request: ProbeRequest): Promise<void> {
    const context = this.tempDir();
    fs.writeFileSync(path.join(context, "Dockerfile"), PROBE_DOCKERFILE);
    fs.writeFileSync(path.join(context, "probe.sh"), request.script);
    await this.buildx([
      ...this.common(request.platform, request.network, request.fresh),
      "--build-arg", `IMAGE=${request.image}`,
      "--file", path.join(context, "Dockerfile"),
      "--output", localOutput(request.dest),
      context,
    ]);
  }

  async copyOut(request: CopyRequest): Promise<void> {
    const context = this.tempDir();
    fs.writeFileSync(path.join(context, "Dockerfile"), copyDockerfile(request.from));
    await this.buildx([
      ...this.common(request.platform, "none", false),
      "--build-arg", `IMAGE=${request.image}`,
      "--file", path.join(context, "Dockerfile"),
      "--output", localOutput(request.dest),
      context,
    ]);
  }

  async build(request: BuildRequest): Promise<string> {
    const metadata = path.join(this.tempDir(), "metadata.json");
    const sorted = (o: Record<string, string>) => Object.keys(o).sort().map((k) => `${k}=${o[k]}`);
    await this.buildx([
      ...this.common(request.platform, request.network, true),
      ...sorted(request.buildArgs).flatMap((a) => ["--build-arg", a]),
      ...sorted(request.labels).flatMap((l) => ["--label", l]),
      "--file", path.join(request.context, request.file),
      "--output", request.output,
      "--metadata-file", metadata,
      request.context,
    ]);
    const meta = JSON.parse(fs.readFileSync(metadata, "utf8")) as Record<string, unknown>;
    const digest = meta["containerimage.digest"];
    if (typeof digest !== "string" || !/^sha256:[0-9a-f]{64}$/.test(digest)) {
      throw new Error(`buildx reported no image digest in ${metadata}`);
    }
    return digest;
  }

  async versions(): Promise<string[]> {
    return parseBuildkitVersions(await run(this.log, "docker",
      ["buildx", "inspect", "--bootstrap", this.builder.name]));
  }
}
