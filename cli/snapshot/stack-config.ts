import {
  ARCHITECTURES,
  type Architecture,
  CONFIG_NAMESPACE,
  ConfigError,
  parseStackConfig,
  type StackConfig,
} from "../../stacks/config";

/** Repository of the snapshots, under the stack's registry prefix. */
export const SNAPSHOT_REPOSITORY = "dnf-snapshot";

/** Version tag of one snapshot; never moved once pushed. */
export function snapshotTag(release: number, architecture: Architecture, epoch: number): string {
  return `${release}-${architecture}-${epoch}`;
}

/** A path key of the release's config, as `pulumi config set --path` reads it. */
export function releaseKey(release: number, leaf: string): string {
  return `releases["${release}"].${leaf}`;
}

/** Stands in for values the command is about to write, so that their absence is no problem. */
const PLACEHOLDER_EPOCH = 1;
const PLACEHOLDER_SNAPSHOT = `placeholder.invalid/${SNAPSHOT_REPOSITORY}@sha256:${"0".repeat(64)}`;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Validates the stack config as the program will, except for what the snapshot command is
 * about to write: the release's epoch, the snapshots of the `written` architectures (default:
 * all) and, when `baseImage` is given, the base image. Missing snapshots of other architectures
 * are no obstacle either, so a release's first snapshot can be taken one architecture at a
 * time. Throws `ConfigError` listing every other problem.
 */
export function configForSnapshot(
  raw: Readonly<Record<string, unknown>>,
  release: number,
  written?: readonly Architecture[],
  baseImage?: string,
): StackConfig {
  const releases = isRecord(raw.releases) ? raw.releases : {};
  const current = releases[String(release)];
  const entry = isRecord(current) ? current : {};
  if (baseImage === undefined && (typeof entry.baseImage !== "string" || !entry.baseImage.trim())) {
    throw new ConfigError([
      `${CONFIG_NAMESPACE}:${releaseKey(release, "baseImage")} is required to take a snapshot ` +
        `of release ${release}: set it to the base image pinned by digest with ` +
        `pulumi config set --path '${CONFIG_NAMESPACE}:${releaseKey(release, "baseImage")}' ` +
        "<name@sha256:...>",
    ]);
  }
  const existing = isRecord(entry.snapshots) ? entry.snapshots : {};
  const snapshots: Record<string, unknown> = { ...existing };
  for (const arch of ARCHITECTURES) {
    const blank = typeof existing[arch] !== "string" || !String(existing[arch]).trim();
    if (blank || !written || written.includes(arch)) snapshots[arch] = PLACEHOLDER_SNAPSHOT;
  }
  const overlaid = {
    ...raw,
    releases: {
      ...releases,
      [String(release)]: {
        ...entry,
        epoch: PLACEHOLDER_EPOCH,
        snapshots,
        ...(baseImage === undefined ? {} : { baseImage }),
      },
    },
  };
  return parseStackConfig(overlaid).config;
}
