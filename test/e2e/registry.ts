// What the registry itself says, read with regctl: manifests, tags, layers and their entries.
// The scenarios check these facts rather than what the program reports about itself.
import { CommandError, run, type Log } from "../../cli/run";

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: { architecture: string; os: string; variant?: string };
  annotations?: Record<string, string>;
}

export interface Manifest {
  schemaVersion: number;
  mediaType?: string;
  config?: Descriptor;
  layers?: Descriptor[];
  manifests?: Descriptor[];
}

/** One entry of a layer tarball, as Python's tarfile reads it. */
export interface TarEntry {
  path: string;
  /** Modification time, Unix seconds. */
  mtime: number;
  /** `file`, `dir`, `symlink`, `hardlink` or `other`. */
  type: string;
  mode: number;
  size: number;
}

const NOT_FOUND = /not found|manifest unknown|unknown manifest|404/i;

// Streams a gzip layer and prints one JSON line per entry: no file content touches the disk.
const LIST_TAR = `
import json, sys, tarfile
kinds = {tarfile.REGTYPE: "file", tarfile.AREGTYPE: "file", tarfile.DIRTYPE: "dir",
         tarfile.SYMTYPE: "symlink", tarfile.LNKTYPE: "hardlink"}
with tarfile.open(fileobj=sys.stdin.buffer, mode="r|*") as t:
    for m in t:
        print(json.dumps({"path": m.name, "mtime": int(m.mtime), "type": kinds.get(m.type, "other"),
                          "mode": m.mode, "size": m.size}))
`;

/** `repo@sha256:...` or `repo:tag` to the repository part. */
export function repositoryOf(ref: string): string {
  const at = ref.indexOf("@");
  const name = at >= 0 ? ref.slice(0, at) : ref;
  const slash = name.lastIndexOf("/");
  const colon = name.lastIndexOf(":");
  return colon > slash ? name.slice(0, colon) : name;
}

/** `repo@sha256:...` to the digest. */
export function digestOf(ref: string): string {
  const digest = ref.split("@")[1];
  if (!digest) throw new Error(`${ref} is not pinned by digest`);
  return digest;
}

export class RegistryProbe {
  constructor(private readonly log: Log) {}

  private regctl(args: string[]): Promise<string> {
    return run(this.log, "regctl", args);
  }

  /** The digest a tag or digest reference resolves to, or undefined when there is none. */
  async digest(ref: string): Promise<string | undefined> {
    try {
      return (await this.regctl(["manifest", "head", ref])).trim();
    } catch (error) {
      if (error instanceof CommandError && NOT_FOUND.test(error.stderr)) return undefined;
      throw error;
    }
  }

  async manifest(ref: string): Promise<Manifest> {
    return JSON.parse(await this.regctl(["manifest", "get", ref, "--format", "raw-body"])) as
      Manifest;
  }

  /**
   * The image manifests a tag or digest stands for: the children of an index, or the manifest
   * itself. Empty when the reference does not resolve.
   */
  async images(ref: string): Promise<string[]> {
    const digest = await this.digest(ref);
    if (!digest) return [];
    const m = await this.manifest(`${repositoryOf(ref)}@${digest}`);
    return m.manifests ? m.manifests.map((c) => c.digest) : [digest];
  }

  async tags(repository: string): Promise<string[]> {
    try {
      const out = await this.regctl(["tag", "ls", repository]);
      return out.split("\n").filter((t) => t !== "").sort();
    } catch (error) {
      if (error instanceof CommandError && NOT_FOUND.test(error.stderr)) return [];
      throw error;
    }
  }

  /** Every repository of the registry whose name starts with `prefix/`. */
  async repositories(host: string, prefix: string): Promise<string[]> {
    const out = await this.regctl(["repo", "ls", host]);
    return out.split("\n").filter((r) => r.startsWith(`${prefix}/`)).sort();
  }

  async deleteTag(ref: string): Promise<void> {
    await this.regctl(["tag", "delete", ref]);
  }

  async deleteManifest(ref: string): Promise<void> {
    await this.regctl(["manifest", "delete", ref]);
  }

  /** Copies an image (by tag or digest) to another reference, e.g. to move a tag. */
  async copy(from: string, to: string): Promise<void> {
    await this.regctl(["image", "copy", from, to]);
  }

  /** The entries of one layer blob, in tar order. */
  async layerEntries(repository: string, digest: string): Promise<TarEntry[]> {
    const out = await run(this.log, "bash", [
      "-o", "pipefail", "-c", 'regctl blob get "$1" "$2" | python3 -c "$3"', "list-layer",
      repository, digest, LIST_TAR,
    ]);
    return out.split("\n").filter((l) => l !== "").map((l) => JSON.parse(l) as TarEntry);
  }
}
