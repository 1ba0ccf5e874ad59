import { ARCHITECTURES, type Architecture, parsePinnedRef } from "../../stacks/config";

/** What a snapshot is a snapshot of; all of it is recoverable from a published image's labels. */
export interface SnapshotMeta {
  /** Fedora release number, e.g. 44. */
  release: number;
  architecture: Architecture;
  /** The release's epoch, Unix seconds: the layer's mtimes and the config's `created`. */
  epoch: number;
  /** Base image pinned by digest, `name[:tag]@sha256:<64 hex>`. */
  baseImage: string;
  /** The `FEDORA_BASE_REPOS` string the metadata was fetched with; empty = the image's repos. */
  repos: string;
}

export const LABELS = {
  created: "org.opencontainers.image.created",
  version: "org.opencontainers.image.version",
  baseName: "org.opencontainers.image.base.name",
  baseDigest: "org.opencontainers.image.base.digest",
  release: "io.fedora-base.release",
  architecture: "io.fedora-base.architecture",
  epoch: "io.fedora-base.epoch",
  dnfMajor: "io.fedora-base.dnf.major",
  dnfRepos: "io.fedora-base.dnf.repos",
} as const;

/**
 * The label a fedora-base image carries with the digest of the snapshot it was built on (set
 * by components/fedora-base-image.ts, which the CLI does not load: it pulls in the providers).
 */
export const IMAGE_SNAPSHOT_DIGEST_LABEL = "io.fedora-base.snapshot.digest";

export const OCI_ARCHITECTURES: Record<Architecture, "amd64" | "arm64"> = {
  x86_64: "amd64",
  aarch64: "arm64",
};

export const DNF_MAJORS = ["4", "5"] as const;
export type DnfMajor = (typeof DNF_MAJORS)[number];

/** RFC 3339 in UTC with whole seconds, as OCI `created` fields are usually written. */
export function rfc3339(epoch: number): string {
  return new Date(epoch * 1000).toISOString().replace(/\.000Z$/, "Z");
}

export function snapshotLabels(meta: SnapshotMeta, dnfMajor: DnfMajor): Record<string, string> {
  const base = parsePinnedRef(meta.baseImage);
  if (!base) {
    throw new Error(`base image must be pinned by digest, got ${JSON.stringify(meta.baseImage)}`);
  }
  return {
    [LABELS.created]: rfc3339(meta.epoch),
    [LABELS.version]: String(meta.release),
    [LABELS.baseName]: base.tag === undefined ? base.name : `${base.name}:${base.tag}`,
    [LABELS.baseDigest]: base.digest,
    [LABELS.release]: String(meta.release),
    [LABELS.architecture]: meta.architecture,
    [LABELS.epoch]: String(meta.epoch),
    [LABELS.dnfMajor]: dnfMajor,
    [LABELS.dnfRepos]: meta.repos,
  };
}

/**
 * Reads a published image's snapshot inputs from its labels; one error names every label that
 * is missing or malformed, quoting the bad values.
 */
export function snapshotMetaFromLabels(
  image: string,
  labels: Readonly<Record<string, string>>,
): SnapshotMeta {
  const problems: string[] = [];
  const read = (key: string, test: (v: string) => boolean, what: string): string | undefined => {
    const value = labels[key];
    if (value === undefined) problems.push(`label ${key} is missing`);
    else if (test(value)) return value;
    else problems.push(`label ${key} must be ${what}, got ${JSON.stringify(value)}`);
    return undefined;
  };
  const release = read(LABELS.release, (v) => /^[1-9][0-9]{0,3}$/.test(v), "a release number");
  const architecture = read(
    LABELS.architecture,
    (v) => (ARCHITECTURES as readonly string[]).includes(v),
    `one of ${ARCHITECTURES.join(", ")}`,
  );
  const epoch = read(LABELS.epoch, (v) => /^[1-9][0-9]{0,11}$/.test(v), "whole Unix seconds");
  const baseName = read(LABELS.baseName, (v) => v.length > 0, "an image name");
  const baseDigest = read(LABELS.baseDigest, (v) => /^sha256:[0-9a-f]{64}$/.test(v), "a digest");
  const repos = read(LABELS.dnfRepos, () => true, "a repo string");
  const baseImage = `${baseName}@${baseDigest}`;
  if (baseName !== undefined && baseDigest !== undefined && !parsePinnedRef(baseImage)) {
    problems.push(`labels ${LABELS.baseName} and ${LABELS.baseDigest} do not form a pinned ` +
      `reference, got ${JSON.stringify(baseImage)}`);
  }
  if (problems.length > 0 || !release || !architecture || !epoch || repos === undefined) {
    throw new Error(`${image} cannot be a snapshot source:\n` +
      problems.map((p) => `  - ${p}`).join("\n"));
  }
  return {
    release: Number(release),
    architecture: architecture as Architecture,
    epoch: Number(epoch),
    baseImage,
    repos,
  };
}
