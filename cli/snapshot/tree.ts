import * as fs from "node:fs";
import * as path from "node:path";

export interface TreeEntry {
  /** Path inside the layer, `/`-separated; directories end in `/`. */
  path: string;
  /** Absolute path on disk. */
  source: string;
  type: "file" | "directory";
  /** Bytes; 0 for directories. */
  size: number;
}

function kindOf(stat: fs.Stats): string {
  if (stat.isSymbolicLink()) return "a symbolic link";
  if (stat.isBlockDevice() || stat.isCharacterDevice()) return "a device";
  if (stat.isFIFO()) return "a named pipe";
  if (stat.isSocket()) return "a socket";
  return "not a regular file";
}

/**
 * Every entry under `root/top`, `top` itself included, sorted by layer path in byte order.
 * Only what the metadata is made of is read: names, kinds and sizes; never times, modes or
 * owners, so the same metadata lists the same whatever the disk recorded about it.
 */
export function listTree(root: string, top: string): TreeEntry[] {
  const entries: TreeEntry[] = [];
  const walk = (source: string, layerPath: string): void => {
    const stat = fs.lstatSync(source);
    if (stat.isDirectory()) {
      entries.push({ path: `${layerPath}/`, source, type: "directory", size: 0 });
      for (const name of fs.readdirSync(source)) {
        walk(path.join(source, name), `${layerPath}/${name}`);
      }
    } else if (stat.isFile()) {
      entries.push({ path: layerPath, source, type: "file", size: stat.size });
    } else {
      throw new Error(
        `${source} is ${kindOf(stat)}; a DNF metadata snapshot holds only regular files ` +
          "and directories",
      );
    }
  };
  walk(path.resolve(root, top), top);
  return entries.sort((a, b) => Buffer.compare(Buffer.from(a.path), Buffer.from(b.path)));
}
