/**
 * RPM package identities: parsing NEVRAs and package lists, and ordering versions the way rpm
 * does, so that "updated" and "downgraded" mean what they mean to dnf.
 */

/** One installed or available package. `epoch` is 0 when the package has none. */
export interface Package {
  name: string;
  epoch: number;
  version: string;
  release: string;
  /** `x86_64`, `noarch`, ...; `(none)` for rpm's gpg-pubkey pseudo packages. */
  arch: string;
}

/** Where the recipe writes the installed package list inside every image. */
export const PACKAGE_LIST_PATH = "/usr/share/fedora-base/packages.tsv";

/** `name-epoch:version-release.arch`: the form dnf accepts as an exact package spec. */
export function nevra(p: Package): string {
  return `${p.name}-${p.epoch}:${p.version}-${p.release}.${p.arch}`;
}

/** `epoch:version-release`, as dnf prints versions. */
export function evr(p: Pick<Package, "epoch" | "version" | "release">): string {
  return `${p.epoch}:${p.version}-${p.release}`;
}

/** `name.arch`: what identifies "the same package" across two versions. */
export function nameArch(p: Pick<Package, "name" | "arch">): string {
  return `${p.name}.${p.arch}`;
}

const NEVRA = /^(.+)-(?:([0-9]+):)?([^-:\s]+)-([^-:\s]+)\.([A-Za-z0-9_()]+)$/;

/** Parses `name-[epoch:]version-release.arch`; undefined when the text is not of that shape. */
export function parseNevra(text: string): Package | undefined {
  const m = NEVRA.exec(text.trim());
  if (!m?.[1] || !m[3] || !m[4] || !m[5]) return undefined;
  return { name: m[1], epoch: Number(m[2] ?? 0), version: m[3], release: m[4], arch: m[5] };
}

/**
 * Parses the package list the recipe writes (`rpm -qa` as name, epoch, version, release, arch,
 * tab-separated, one package a line). `source` names the list in errors.
 */
export function parsePackageList(text: string, source: string): Package[] {
  const out: Package[] = [];
  text.split("\n").forEach((line, i) => {
    if (!line.trim()) return;
    const fields = line.split("\t");
    const [name, epoch, version, release, arch] = fields;
    if (fields.length !== 5 || !name || !/^[0-9]+$/.test(epoch ?? "") || !version || !release ||
      !arch) {
      throw new Error(`${source} line ${i + 1} is not "name<TAB>epoch<TAB>version<TAB>release` +
        `<TAB>arch": ${JSON.stringify(line)}`);
    }
    out.push({ name, epoch: Number(epoch), version, release, arch });
  });
  return out;
}

/** The list in the recipe's own format and order (byte order of the lines, as `LC_ALL=C sort`). */
export function formatPackageList(packages: readonly Package[]): string {
  const lines = packages.map((p) => [p.name, p.epoch, p.version, p.release, p.arch].join("\t"));
  lines.sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  return lines.map((l) => `${l}\n`).join("");
}

const isDigit = (c: string | undefined) => c !== undefined && c >= "0" && c <= "9";
const isAlpha = (c: string | undefined) =>
  c !== undefined && ((c >= "a" && c <= "z") || (c >= "A" && c <= "Z"));

/**
 * Compares two version (or release) strings as rpm orders them: -1, 0 or 1. Segments of digits
 * compare as numbers, segments of letters as strings, a digit segment is newer than a letter
 * one, `~` sorts before anything (even the end: 1.0~rc1 < 1.0) and `^` after the end but before
 * anything else (1.0 < 1.0^post1 < 1.0.1). Other characters only separate segments.
 */
export function compareVersions(a: string, b: string): -1 | 0 | 1 {
  if (a === b) return 0;
  let i = 0;
  let j = 0;
  const separator = (c: string | undefined) =>
    c !== undefined && !isDigit(c) && !isAlpha(c) && c !== "~" && c !== "^";
  while (i < a.length || j < b.length) {
    while (separator(a[i])) i++;
    while (separator(b[j])) j++;
    if (a[i] === "~" || b[j] === "~") {
      if (a[i] !== "~") return 1;
      if (b[j] !== "~") return -1;
      i++;
      j++;
      continue;
    }
    if (a[i] === "^" || b[j] === "^") {
      if (i >= a.length) return -1;
      if (j >= b.length) return 1;
      if (a[i] !== "^") return 1;
      if (b[j] !== "^") return -1;
      i++;
      j++;
      continue;
    }
    if (i >= a.length || j >= b.length) break;
    const numeric = isDigit(a[i]);
    const take = (s: string, k: number) => {
      let end = k;
      while (end < s.length && (numeric ? isDigit(s[end]) : isAlpha(s[end]))) end++;
      return end;
    };
    const ai = take(a, i);
    const bj = take(b, j);
    let sa = a.slice(i, ai);
    let sb = b.slice(j, bj);
    i = ai;
    j = bj;
    if (!sb) return numeric ? 1 : -1;
    if (numeric) {
      sa = sa.replace(/^0+/, "");
      sb = sb.replace(/^0+/, "");
      if (sa.length !== sb.length) return sa.length > sb.length ? 1 : -1;
    }
    if (sa !== sb) return sa > sb ? 1 : -1;
  }
  if (i >= a.length && j >= b.length) return 0;
  return i >= a.length ? -1 : 1;
}

/** Orders epoch, then version, then release, as rpm does. */
export function compareEvr(
  a: Pick<Package, "epoch" | "version" | "release">,
  b: Pick<Package, "epoch" | "version" | "release">,
): -1 | 0 | 1 {
  if (a.epoch !== b.epoch) return a.epoch > b.epoch ? 1 : -1;
  return compareVersions(a.version, b.version) || compareVersions(a.release, b.release);
}
