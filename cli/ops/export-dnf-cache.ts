/**
 * `export-dnf-cache`: the DNF metadata a published image retained, as a tarball for ordinary
 * (non-container) hosts, so that `dnf upgrade` there installs exactly the image's versions.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { Architecture } from "../../stacks/config";
import { rfc3339 } from "../snapshot/labels";
import { writeTarGz } from "../snapshot/pack";
import type { SnapshotBuilder } from "../snapshot/ports";
import { listTree, type TreeEntry } from "../snapshot/tree";
import { parseRepos, readImageFacts } from "./image";
import type { OpsDeps } from "./ports";

export interface ExportDnfCacheOptions {
  /** A published fedora-base image, pinned by digest. */
  image: string;
  /** Directory to write the tarball into; created if missing. */
  outputDir: string;
}

export interface HostVariant {
  /** Where this dnf keeps system metadata: the tarball unpacks there. */
  cacheDir: string;
  /** Shell commands (run as root, in the tarball's directory) that set a host up. */
  script: string;
}

export interface ExportDnfCacheReport {
  command: "export-dnf-cache";
  image: string;
  release: number;
  architecture: Architecture;
  epoch: number;
  /** The dnf major version of the image (and of hosts of its release). */
  dnfMajor: "4" | "5";
  file: string;
  sha256: string;
  size: number;
  /** The repos the image pinned; a host must use the same URLs to find the cache. */
  repos: { id: string; baseurl: string }[];
  instructions: { dnf4: HostVariant; dnf5: HostVariant };
}

export const CACHE_DIRS = { dnf4: "/var/cache/dnf", dnf5: "/var/cache/libdnf5" } as const;

/** `fedora-<release>-<arch>.tar.gz`, the name the original pipeline used. */
export function tarballName(release: number, architecture: Architecture): string {
  return `fedora-${release}-${architecture}.tar.gz`;
}

/** Quotes a string for a POSIX shell when it needs it. */
function sh(value: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, "'\\''")}'`;
}

/** A basic regular expression matching `text` literally. */
function bre(text: string): string {
  return text.replace(/[.[\]\\*^$/]/g, "\\$&");
}

/**
 * The commands that set a host up for deterministic updates from the cache: unpack it where
 * this dnf looks, never refresh metadata on its own (main config, and no repo overriding it),
 * and point each repo at the URL the image used, since dnf finds a repo's cache directory by a
 * hash of that URL.
 */
export function hostScript(
  variant: keyof typeof CACHE_DIRS,
  file: string,
  repos: readonly { id: string; baseurl: string }[],
): string {
  const cache = CACHE_DIRS[variant];
  const lines = [
    "set -e",
    `mkdir -p ${cache}`,
    `tar -xzf ${sh(file)} -C ${cache}`,
    "conf=/etc/dnf/dnf.conf",
    "touch \"$conf\"",
    "grep -q '^\\[main\\]' \"$conf\" || printf '[main]\\n' >>\"$conf\"",
    "sed -i -e '/^[[:space:]]*\\(metadata_expire\\|check_config_file_age\\)[[:space:]]*=/d' \\",
    "  -e '/^\\[main\\]/a metadata_expire=-1\\ncheck_config_file_age=False' \"$conf\"",
    "sed -i 's/^[[:space:]]*metadata_expire[[:space:]]*=/#&/' /etc/yum.repos.d/*.repo",
  ];
  for (const { id, baseurl } of repos) {
    const header = `^\\[${bre(id)}\\]`;
    lines.push(
      `sed -i -e '/${header}/,/^\\[/{/^[[:space:]]*\\(baseurl\\|metalink\\|mirrorlist\\)` +
        "[[:space:]]*=/d;}' \\",
      `  -e ${sh(`/${header}/a baseurl=${baseurl}`)} /etc/yum.repos.d/*.repo`,
    );
  }
  lines.push(variant === "dnf5" ? "dnf5 upgrade" : "dnf upgrade");
  return `${lines.join("\n")}\n`;
}

/** Every file and directory under the cache's repo directories, sorted by path in byte order. */
function cacheEntries(cacheDir: string): TreeEntry[] {
  const entries = fs.readdirSync(cacheDir).flatMap((name) => listTree(cacheDir, name));
  return entries.sort((a, b) => Buffer.compare(Buffer.from(a.path), Buffer.from(b.path)));
}

/**
 * Exports the image's retained metadata with the snapshot recipe's `export-extract` target (the
 * same export `snapshot extract` packs), then writes it as a canonical tar.gz: sorted names,
 * times at the image's epoch, owner 0, fixed modes, no gzip name or time.
 */
export async function exportDnfCache(
  deps: OpsDeps,
  snapshotBuilder: () => Promise<SnapshotBuilder>,
  options: ExportDnfCacheOptions,
): Promise<ExportDnfCacheReport> {
  const facts = await readImageFacts(deps.registry, options.image);
  const { release, architecture, epoch } = facts;
  const work = deps.tempDir();
  const exported = path.join(work, "export");
  deps.log(`exporting the DNF metadata ${facts.ref} retained`);
  await (await snapshotBuilder()).export({
    target: "export-extract",
    architecture,
    buildArgs: { IMAGE: facts.ref },
    dest: exported,
  });
  const major = fs.readFileSync(path.join(exported, "info", "dnf-major"), "utf8").trim();
  if (major !== "4" && major !== "5") {
    throw new Error(`the export of ${facts.ref} names dnf ${JSON.stringify(major)}`);
  }
  const name = tarballName(release, architecture);
  fs.mkdirSync(options.outputDir, { recursive: true });
  const file = path.resolve(options.outputDir, name);
  const partial = path.join(path.dirname(file), `.${name}.partial`);
  fs.rmSync(partial, { force: true });
  const written = writeTarGz(cacheEntries(path.join(exported, "cache")), epoch, partial);
  fs.renameSync(partial, file);
  deps.log(`wrote ${file}`);
  const repos = parseRepos(facts.repos);
  return {
    command: "export-dnf-cache",
    image: facts.ref,
    release,
    architecture,
    epoch,
    dnfMajor: major,
    file,
    sha256: written.digest,
    size: written.size,
    repos,
    instructions: {
      dnf4: { cacheDir: CACHE_DIRS.dnf4, script: hostScript("dnf4", name, repos) },
      dnf5: { cacheDir: CACHE_DIRS.dnf5, script: hostScript("dnf5", name, repos) },
    },
  };
}

function indent(text: string): string[] {
  return text.trimEnd().split("\n").map((l) => `    ${l}`);
}

/** The report and the host instructions, for a person reading a terminal. */
export function formatExportDnfCache(r: ExportDnfCacheReport): string {
  const mine = r.dnfMajor === "5" ? "dnf5" : "dnf4";
  const other = mine === "dnf5" ? "dnf4" : "dnf5";
  const label = { dnf4: "dnf4 (Fedora 40 and older)", dnf5: "dnf5 (Fedora 41 and later)" };
  const repoNote = r.repos.length > 0
    ? [`The repos (${r.repos.map((x) => x.id).join(", ")}) are pointed at the URLs the image ` +
      "used: dnf finds",
    "a repo's cache by a hash of its URL, so a metalink or another mirror would ignore the",
    "unpacked cache and fetch anew."]
    : ["The image kept the release's own repo files, so the host keeps its own (they must be the",
      "release's unchanged files for dnf to find the cache)."];
  const lines = [
    `export-dnf-cache: ${r.image}`,
    `  release ${r.release}, ${r.architecture}, epoch ${r.epoch} (${rfc3339(r.epoch)}), ` +
      `dnf ${r.dnfMajor}`,
    `  wrote ${r.file}`,
    `  ${r.sha256}, ${r.size} bytes (the same bytes on every run)`,
    "",
    `Deterministic updates of a Fedora ${r.release} ${r.architecture} host: with this cache,`,
    "`dnf upgrade` installs exactly the package versions of the image, however much later it",
    `runs. As root, in the directory holding ${path.basename(r.file)}:`,
    "",
    `  ${label[mine]}: this image's dnf, and that of every host of its release`,
    ...indent(r.instructions[mine].script),
    "",
    `  ${label[other]}: the same steps with its cache directory, ${r.instructions[other].cacheDir}`,
    ...indent(r.instructions[other].script),
    "",
    "dnf.conf gets metadata_expire=-1 and check_config_file_age=False in [main], and every",
    "metadata_expire in the repo files is commented out (a repo's own value would win).",
    ...repoNote,
    "Never run `dnf makecache` or `--refresh` on the host: that replaces the pinned metadata.",
    "To learn whether updates exist, refresh elsewhere: check-updates on the stack answers for",
    "the image; for a host with more packages, do the same in a build FROM the image with those",
    "packages installed.",
  ];
  return `${lines.join("\n")}\n`;
}
