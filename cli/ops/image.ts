/**
 * What a published fedora-base image says about itself: its labels, read through regctl, and
 * the per-platform manifest a reference stands for.
 */
import { LABELS } from "../../components/labels";
import { PLATFORMS, parsePinnedRef } from "../../stacks/config";
import { snapshotMetaFromLabels, type SnapshotMeta } from "../snapshot/labels";

/** Label keys the image component sets. */
export const IMAGE_LABELS = LABELS;

/** Where the image keeps the recipe that built it. */
export const RECIPE_PATH = "/usr/share/fedora-base/recipe/";

/** Everything the labels of a fedora-base image pin, checked. */
export interface ImageFacts extends SnapshotMeta {
  /** `repository@sha256:...` of the per-platform manifest. */
  ref: string;
  /** The repository part of `ref`. */
  repository: string;
  digest: string;
  platform: string;
  /** The snapshot the image was built on, pinned by digest. */
  snapshot: string;
  buildkitVersion?: string;
  buildDefinition?: string;
  /** Every label of the image's config, inherited ones included. */
  labels: Record<string, string>;
}

/** The registry reads the operations need; regctl implements them. */
export interface ImageRegistry {
  /** Labels of the config of the image `ref` names. */
  labels(ref: string): Promise<Record<string, string>>;
  /** The raw manifest (or index) `ref` resolves to, and its digest. */
  manifest(ref: string): Promise<{ digest: string; body: Record<string, unknown> }>;
  /** Content of one file in the image's layers (the top-most occurrence). */
  getFile(ref: string, file: string, platform?: string): Promise<string>;
}

interface IndexEntry {
  digest?: string;
  platform?: { architecture?: string; os?: string; variant?: string };
}

const INDEX_TYPES = [
  "application/vnd.oci.image.index.v1+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
];

/** Repository of a reference: without tag and digest. */
export function repositoryOf(ref: string): string {
  const noDigest = ref.split("@")[0] ?? ref;
  const slash = noDigest.lastIndexOf("/");
  const colon = noDigest.lastIndexOf(":");
  return colon > slash ? noDigest.slice(0, colon) : noDigest;
}

/**
 * The per-platform manifest `ref` stands for, as `repository@sha256:...`. A stack's tags hold
 * an index over one manifest; an index over several needs `platform` (`linux/amd64`).
 */
export async function resolveManifest(
  registry: ImageRegistry,
  ref: string,
  platform?: string,
): Promise<string> {
  const { digest, body } = await registry.manifest(ref);
  const repository = repositoryOf(ref);
  const mediaType = typeof body.mediaType === "string" ? body.mediaType : "";
  if (!INDEX_TYPES.includes(mediaType) && !Array.isArray(body.manifests)) {
    return `${repository}@${digest}`;
  }
  const entries = (body.manifests as IndexEntry[]).filter((m) =>
    m.platform?.os !== "unknown" && m.platform?.architecture !== "unknown");
  const wanted = platform === undefined ? entries : entries.filter((m) =>
    `${m.platform?.os ?? ""}/${m.platform?.architecture ?? ""}` === platform);
  if (wanted.length === 1 && wanted[0]?.digest) return `${repository}@${wanted[0].digest}`;
  const have = entries.map((m) => `${m.platform?.os ?? "?"}/${m.platform?.architecture ?? "?"}`);
  throw new Error(`${ref} is an index over ${have.join(", ") || "nothing"}; ` +
    (platform === undefined
      ? "name one image by its manifest digest (the stack output `ref`) or pass --arch"
      : `it has no single image for ${platform}`));
}

/**
 * Reads a fedora-base image's labels and checks the ones the operations rely on; one error names
 * every label that is missing or malformed.
 */
export async function readImageFacts(
  registry: ImageRegistry,
  ref: string,
  platform?: string,
): Promise<ImageFacts> {
  const manifestRef = await resolveManifest(registry, ref, platform);
  const labels = await registry.labels(manifestRef);
  const meta = snapshotMetaFromLabels(manifestRef, labels);
  const snapshot = labels[IMAGE_LABELS.snapshot] ?? "";
  if (!parsePinnedRef(snapshot)) {
    throw new Error(`${manifestRef} is not a fedora-base image: label ${IMAGE_LABELS.snapshot} ` +
      `must name the snapshot pinned by digest, got ${JSON.stringify(snapshot)}`);
  }
  const pinned = parsePinnedRef(manifestRef);
  return {
    ...meta,
    ref: manifestRef,
    repository: pinned?.name ?? repositoryOf(manifestRef),
    digest: pinned?.digest ?? "",
    platform: PLATFORMS[meta.architecture],
    snapshot,
    buildkitVersion: labels[IMAGE_LABELS.buildkitVersion],
    buildDefinition: labels[IMAGE_LABELS.buildDefinition],
    labels,
  };
}

/** The repos the image pinned (`id=url;...`), as pairs; empty when it kept its own repo files. */
export function parseRepos(repos: string): { id: string; baseurl: string }[] {
  return repos.split(";").filter(Boolean).map((entry) => {
    const at = entry.indexOf("=");
    return { id: entry.slice(0, at), baseurl: entry.slice(at + 1) };
  });
}
