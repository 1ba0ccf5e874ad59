import type { ExporterConfig } from "../stacks/config";

/** What fedora-base uses when a stack says nothing: OCI media types, gzip at level 9. */
export const DEFAULT_EXPORTER: ExporterConfig = {
  ociMediaTypes: true,
  compression: "gzip",
  compressionLevel: 9,
};

/**
 * Exporter options that decide the bytes of a pushed image. Media types and compression are
 * explicit so a builder upgrade cannot change them silently (C11, C13); `force-compression`
 * recompresses base layers the same way; `rewrite-timestamp` clamps file times to
 * SOURCE_DATE_EPOCH (docker-build has no typed field for it).
 */
export function exporterOptions(e: ExporterConfig): string {
  const compression =
    e.compression === "uncompressed"
      ? ["compression=uncompressed"]
      : [`compression=${e.compression}`, `compression-level=${e.compressionLevel}`];
  return [
    `oci-mediatypes=${e.ociMediaTypes}`,
    ...compression,
    "force-compression=true",
    "rewrite-timestamp=true",
  ].join(",");
}

/**
 * A raw image export that pushes by digest only. Tags are held by docker-build `Index`
 * resources instead, because only their refresh resolves the tag in the registry (drift).
 */
export function pushByDigestExport(repository: string, e: ExporterConfig): string {
  return `type=image,name=${repository},push-by-digest=true,push=true,${exporterOptions(e)}`;
}
