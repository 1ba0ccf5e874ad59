import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { Deflate } from "pako";
import { canonicalJson } from "../../components/canonical-json";
import {
  DNF_MAJORS,
  type DnfMajor,
  OCI_ARCHITECTURES,
  rfc3339,
  type SnapshotMeta,
  snapshotLabels,
} from "./labels";
import { tarHeader, tarPadding, tarTrailer } from "./tar";
import { listTree, type TreeEntry } from "./tree";

export const MEDIA_TYPES = {
  manifest: "application/vnd.oci.image.manifest.v1+json",
  index: "application/vnd.oci.image.index.v1+json",
  config: "application/vnd.oci.image.config.v1+json",
  layer: "application/vnd.oci.image.layer.v1.tar+gzip",
} as const;

/**
 * Deflate in pure JavaScript (pako, pinned exactly) rather than node:zlib: Node bundles
 * Chromium's zlib, which picks its match-finding hash by CPU feature at run time, so the same
 * tar could gzip to different bytes on another machine or Node release. The level is fixed;
 * pako writes no name and a zero mtime, and the OS byte is fixed at 3 (Unix).
 */
const GZIP_LEVEL = 9;
const READ_CHUNK = 1 << 20;

export interface PackOptions extends SnapshotMeta {
  /** Directory the snapshot recipe exported: `cache/<repo>-<hash>/...` and `info/dnf-major`. */
  source: string;
  /** OCI image layout directory to write; created, and must not hold anything yet. */
  dest: string;
  /** Name of the manifest in the layout's `index.json` (the tag it will be pushed under). */
  refName: string;
}

export interface PackResult {
  /** `sha256:<hex>` of the image manifest: the snapshot's identity. */
  manifestDigest: string;
  configDigest: string;
  /** Digest of the compressed layer. */
  layerDigest: string;
  /** Digest of the uncompressed layer (the config's `diff_id`). */
  diffId: string;
  dnfMajor: DnfMajor;
}

interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
}

function sha256(data: Uint8Array | string): string {
  return `sha256:${crypto.createHash("sha256").update(data).digest("hex")}`;
}

function writeBlob(dest: string, mediaType: string, data: Buffer): Descriptor {
  const digest = sha256(data);
  fs.writeFileSync(path.join(dest, "blobs", "sha256", digest.slice("sha256:".length)), data);
  return { mediaType, digest, size: data.length };
}

/** Checks the exported tree's top level and returns the dnf major version it recorded. */
function readExport(source: string): DnfMajor {
  const isDir = (p: string) => fs.lstatSync(p, { throwIfNoEntry: false })?.isDirectory() === true;
  for (const sub of ["cache", "info"]) {
    if (!isDir(path.join(source, sub))) {
      throw new Error(`${path.join(source, sub)} must be a directory ` +
        "(a snapshot export holds cache/ and info/dnf-major)");
    }
  }
  for (const name of fs.readdirSync(source).sort()) {
    if (name !== "cache" && name !== "info") {
      throw new Error(`${path.join(source, name)} is not part of a snapshot export ` +
        "(expected only cache/ and info/dnf-major)");
    }
  }
  for (const name of fs.readdirSync(path.join(source, "info")).sort()) {
    if (name !== "dnf-major") {
      throw new Error(`${path.join(source, "info", name)} is not part of a snapshot export`);
    }
  }
  const file = path.join(source, "info", "dnf-major");
  const major = fs.readFileSync(file, "utf8").trim();
  if (!(DNF_MAJORS as readonly string[]).includes(major)) {
    throw new Error(`${file} must hold ${DNF_MAJORS.join(" or ")}, got ${JSON.stringify(major)}`);
  }
  return major as DnfMajor;
}

/** What a canonical tar.gz was written as. */
export interface TarGzResult {
  /** `sha256:<hex>` of the compressed bytes. */
  digest: string;
  /** Compressed size in bytes. */
  size: number;
  /** `sha256:<hex>` of the uncompressed tar (a layer's `diff_id`). */
  diffId: string;
}

/**
 * Streams the canonical tar of `entries` (sorted, as `listTree` gives them) through gzip into
 * `file`, which must not exist yet. Every member gets `mtime`; owner, modes and the gzip header
 * are fixed (see tar.ts and GZIP_LEVEL), so equal entries give equal bytes.
 */
export function writeTarGz(
  entries: readonly TreeEntry[],
  mtime: number,
  file: string,
): TarGzResult {
  const fd = fs.openSync(file, "wx");
  const tarHash = crypto.createHash("sha256");
  const gzHash = crypto.createHash("sha256");
  let size = 0;
  const deflate = new Deflate({ level: GZIP_LEVEL, gzip: true });
  deflate.onData = (chunk) => {
    fs.writeSync(fd, chunk);
    gzHash.update(chunk);
    size += chunk.length;
  };
  const push = (data: Buffer, last = false) => {
    tarHash.update(data);
    if (!deflate.push(data, last)) throw new Error(`gzip failed: ${deflate.msg}`);
  };
  try {
    const buffer = Buffer.alloc(READ_CHUNK);
    for (const entry of entries) {
      push(tarHeader({ path: entry.path, type: entry.type, size: entry.size, mtime }));
      if (entry.type === "directory") continue;
      const input = fs.openSync(entry.source, "r");
      try {
        let done = 0;
        while (done < entry.size) {
          const n = fs.readSync(input, buffer, 0, Math.min(READ_CHUNK, entry.size - done), done);
          if (n === 0) break;
          push(buffer.subarray(0, n));
          done += n;
        }
        if (done !== entry.size || fs.readSync(input, buffer, 0, 1, done) !== 0) {
          throw new Error(`${entry.source} changed size while it was being packed`);
        }
      } finally {
        fs.closeSync(input);
      }
      push(tarPadding(entry.size));
    }
    push(tarTrailer(), true);
  } finally {
    fs.closeSync(fd);
  }
  return {
    digest: `sha256:${gzHash.digest("hex")}`,
    size,
    diffId: `sha256:${tarHash.digest("hex")}`,
  };
}

/** Streams the canonical tar of `source/cache` through gzip into a blob. */
function writeLayer(source: string, dest: string, epoch: number): TarGzResult {
  const blobs = path.join(dest, "blobs", "sha256");
  const partial = path.join(blobs, ".layer.partial");
  const layer = writeTarGz(listTree(source, "cache"), epoch, partial);
  fs.renameSync(partial, path.join(blobs, layer.digest.slice("sha256:".length)));
  return layer;
}

/**
 * Packs an exported metadata tree into an OCI image layout holding one image: one gzip layer
 * with `cache/...` and a fixed config carrying the snapshot labels. Equal metadata and equal
 * `meta` give equal bytes, whatever the order, times, modes and owners of the files on disk.
 */
export function packSnapshot(options: PackOptions): PackResult {
  const { source, dest, refName, ...meta } = options;
  if (!Number.isSafeInteger(meta.epoch) || meta.epoch <= 0) {
    throw new Error(`epoch must be whole Unix seconds, got ${JSON.stringify(meta.epoch)}`);
  }
  if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(refName)) {
    throw new Error(`ref name must be a tag, got ${JSON.stringify(refName)}`);
  }
  const dnfMajor = readExport(source);
  const labels = snapshotLabels(meta, dnfMajor);
  fs.mkdirSync(dest, { recursive: true });
  if (fs.readdirSync(dest).length > 0) throw new Error(`${dest} must be empty`);
  fs.mkdirSync(path.join(dest, "blobs", "sha256"), { recursive: true });

  const layer = writeLayer(source, dest, meta.epoch);
  const architecture = OCI_ARCHITECTURES[meta.architecture];
  const config = writeBlob(dest, MEDIA_TYPES.config, Buffer.from(canonicalJson({
    architecture,
    config: { Labels: labels },
    created: rfc3339(meta.epoch),
    os: "linux",
    rootfs: { type: "layers", diff_ids: [layer.diffId] },
  })));
  const manifest = writeBlob(dest, MEDIA_TYPES.manifest, Buffer.from(canonicalJson({
    schemaVersion: 2,
    mediaType: MEDIA_TYPES.manifest,
    config,
    layers: [{ mediaType: MEDIA_TYPES.layer, digest: layer.digest, size: layer.size }],
  })));

  // Only the blobs are pushed; index.json just lets a client find the manifest by name.
  fs.writeFileSync(path.join(dest, "index.json"), canonicalJson({
    schemaVersion: 2,
    mediaType: MEDIA_TYPES.index,
    manifests: [{
      ...manifest,
      platform: { architecture, os: "linux" },
      annotations: { "org.opencontainers.image.ref.name": refName },
    }],
  }));
  fs.writeFileSync(path.join(dest, "oci-layout"), canonicalJson({ imageLayoutVersion: "1.0.0" }));
  return {
    manifestDigest: manifest.digest,
    configDigest: config.digest,
    layerDigest: layer.digest,
    diffId: layer.diffId,
    dnfMajor,
  };
}
