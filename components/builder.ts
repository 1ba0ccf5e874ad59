import { execFileSync } from "node:child_process";
import * as pulumi from "@pulumi/pulumi";

import type { Architecture, BuildNetwork } from "../stacks/config";

/**
 * What an image needs of the BuildKit builder it is built on. AWS and local builders both
 * implement it; nothing here is a determinant except `buildkitVersion` and `network`.
 */
export interface ImageBuilder {
  /** buildx builder name the provider loads; one node per platform. */
  readonly builderName: string;
  /** BuildKit version the builder runs (declared, and checked against the builder). */
  readonly buildkitVersion: string;
  readonly network: BuildNetwork;
  readonly architectures: readonly Architecture[];
  /** Resources that must exist before anything builds (readiness, registration, checks). */
  readonly ready: pulumi.Resource[];
}

export const LOCAL_BUILDER_TYPE = "fedora-base:index:LocalBuilder";

/** Reports the BuildKit version of each node of a buildx builder. */
export type BuilderInspector = (builderName: string) => string[];

/** Asks `docker buildx inspect --bootstrap` which BuildKit each node runs. */
export const inspectWithBuildx: BuilderInspector = (builderName) => {
  let out: string;
  try {
    out = execFileSync("docker", ["buildx", "inspect", "--bootstrap", builderName], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
      timeout: 120_000,
    });
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr ?? String(err);
    throw new Error(
      `builder.name: cannot inspect buildx builder ${JSON.stringify(builderName)}: ` +
        stderr.trim(),
      { cause: err },
    );
  }
  return parseBuildkitVersions(out);
};

/** Reads the `BuildKit version:` (older buildx: `Buildkit:`) lines of `buildx inspect`. */
export function parseBuildkitVersions(inspectOutput: string): string[] {
  const versions: string[] = [];
  for (const line of inspectOutput.split("\n")) {
    const m = /^\s*Build[kK]it(?: version)?:\s*(\S+)/.exec(line);
    if (m?.[1]) versions.push(m[1]);
  }
  return versions;
}

/**
 * Fails unless every node reports the declared version: an image built by another BuildKit
 * may differ in bytes (C11), so a silent upgrade must never pass for a reproduction.
 */
export function checkBuildkitVersion(
  builderName: string,
  declared: string,
  reported: string[],
): void {
  if (reported.length === 0) {
    throw new Error(
      `builder.buildkitVersion: buildx builder ${JSON.stringify(builderName)} reported no ` +
        `BuildKit version (declared ${declared})`,
    );
  }
  const other = reported.find((v) => v !== declared);
  if (other !== undefined) {
    throw new Error(
      `builder.buildkitVersion: declared ${declared}, but buildx builder ` +
        `${JSON.stringify(builderName)} runs BuildKit ${other}`,
    );
  }
}

export interface LocalBuilderArgs {
  /** buildx builder name, e.g. `fedora-base-local` (a remote or docker-container builder). */
  builderName: string;
  /** Declared BuildKit version, e.g. `v0.34.2`; the builder must report exactly this. */
  buildkitVersion: string;
  /** Network mode for build steps. Default `default`. */
  network?: BuildNetwork;
  /** Platforms the builder serves. */
  architectures: readonly Architecture[];
  /** How to ask the builder its version. Default: `docker buildx inspect --bootstrap`. */
  inspect?: BuilderInspector;
}

/**
 * A buildx builder that already runs on the operator's machine (local BuildKit). Its version is
 * checked while the program runs, so a plain `pulumi preview` fails on a mismatch before
 * anything builds.
 */
export class LocalBuilder extends pulumi.ComponentResource implements ImageBuilder {
  public readonly builderName: string;
  public readonly buildkitVersion: string;
  public readonly network: BuildNetwork;
  public readonly architectures: readonly Architecture[];
  public readonly ready: pulumi.Resource[];
  public readonly reportedVersions: pulumi.Output<string[]>;

  constructor(name: string, args: LocalBuilderArgs, opts?: pulumi.ComponentResourceOptions) {
    const reported = (args.inspect ?? inspectWithBuildx)(args.builderName);
    checkBuildkitVersion(args.builderName, args.buildkitVersion, reported);
    super(LOCAL_BUILDER_TYPE, name, {}, opts);

    this.builderName = args.builderName;
    this.buildkitVersion = args.buildkitVersion;
    this.network = args.network ?? "default";
    this.architectures = [...args.architectures];
    this.ready = [this];
    this.reportedVersions = pulumi.output(reported);

    this.registerOutputs({ reportedVersions: this.reportedVersions });
  }
}
