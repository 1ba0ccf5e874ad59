/**
 * `packages` and `diff`: the exact package list every image carries, and what changed between
 * two images, with the advisories the newer image's retained metadata says were fixed.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { type AdvisoryRow, parseAdvisories } from "./dnf-output";
import { IMAGE_LABELS, resolveManifest } from "./image";
import { publishedImages } from "./check-updates";
import type { OpsDeps, StackReader } from "./ports";
import {
  compareEvr,
  evr,
  formatPackageList,
  nameArch,
  nevra,
  type Package,
  PACKAGE_LIST_PATH,
  parsePackageList,
} from "./rpm";

export interface ImagePackages {
  /** Set when the image comes from a stack's outputs. */
  release?: number;
  architecture?: string;
  image: string;
  packages: Package[];
}

export interface PackagesReport {
  command: "packages";
  /** Set when the lists are those of a stack's published images. */
  stack?: string;
  images: ImagePackages[];
}

/** Reads the list the recipe wrote into the image (no builder needed: regctl reads layers). */
export async function readPackages(
  deps: OpsDeps,
  image: string,
  platform?: string,
): Promise<{ ref: string; packages: Package[] }> {
  const ref = await resolveManifest(deps.registry, image, platform);
  const text = await deps.registry.getFile(ref, PACKAGE_LIST_PATH).catch((e: unknown) => {
    const message = e instanceof Error ? e.message : String(e);
    throw new Error(`${ref} has no readable ${PACKAGE_LIST_PATH} (is it a fedora-base image ` +
      `built by a recipe that writes the list?): ${message}`);
  });
  return { ref, packages: parsePackageList(text, `${ref}:${PACKAGE_LIST_PATH}`) };
}

export interface PackagesOptions {
  /** One image; or, without it, every published image of `stack`. */
  image?: string;
  platform?: string;
}

/**
 * The package list of one image, or of every image a stack published (its `images` output):
 * each list is fixed by its image's digest, so reading it from the image when asked gives what
 * a stack output would hold, without making `pulumi up` read registries itself.
 */
export async function packagesOf(
  deps: OpsDeps,
  options: PackagesOptions,
  stack?: StackReader,
): Promise<PackagesReport> {
  if (options.image !== undefined) {
    const { ref, packages } = await readPackages(deps, options.image, options.platform);
    return { command: "packages", images: [{ image: ref, packages }] };
  }
  if (!stack) throw new Error("packages needs an image reference or --stack");
  const images: ImagePackages[] = [];
  for (const i of publishedImages(await stack.readOutputs(), stack.name)) {
    const { ref, packages } = await readPackages(deps, i.ref);
    images.push({ release: i.release, architecture: i.architecture, image: ref, packages });
  }
  return { command: "packages", stack: stack.name, images };
}

export interface PackageChange {
  name: string;
  arch: string;
  from: string;
  to: string;
}

export interface AdvisoryFixed {
  id: string;
  type: string;
  severity: string;
  /** The changed packages (NEVRA, in the newer image's version) the advisory covers. */
  packages: string[];
}

export interface DiffReport {
  command: "diff";
  a: string;
  b: string;
  added: string[];
  removed: string[];
  updated: PackageChange[];
  downgraded: PackageChange[];
  /** Advisories of the newer image's metadata for the versions that changed; omitted if skipped. */
  advisories?: AdvisoryFixed[];
  /** Which image's retained metadata the advisories come from. */
  advisorySource?: string;
  warnings: string[];
}

/** What changed from `a` to `b`; packages are the same package when name and arch agree. */
export function diffPackages(a: readonly Package[], b: readonly Package[]) {
  const group = (list: readonly Package[]) => {
    const m = new Map<string, Package[]>();
    for (const p of list) m.set(nameArch(p), [...(m.get(nameArch(p)) ?? []), p]);
    return m;
  };
  const ga = group(a);
  const gb = group(b);
  const added: string[] = [];
  const removed: string[] = [];
  const updated: PackageChange[] = [];
  const downgraded: PackageChange[] = [];
  const keys = [...new Set([...ga.keys(), ...gb.keys()])].sort();
  for (const key of keys) {
    const pa = ga.get(key) ?? [];
    const pb = gb.get(key) ?? [];
    // Several versions of one name.arch (installonly packages such as kernels) change as sets.
    if (pa.length === 1 && pb.length === 1 && pa[0] && pb[0]) {
      const order = compareEvr(pa[0], pb[0]);
      const change = { name: pa[0].name, arch: pa[0].arch, from: evr(pa[0]), to: evr(pb[0]) };
      if (order < 0) updated.push(change);
      else if (order > 0) downgraded.push(change);
      continue;
    }
    const inA = new Set(pa.map(nevra));
    const inB = new Set(pb.map(nevra));
    removed.push(...[...inA].filter((n) => !inB.has(n)));
    added.push(...[...inB].filter((n) => !inA.has(n)));
  }
  return { added: added.sort(), removed: removed.sort(), updated, downgraded };
}

/**
 * The advisories that fixed something between the two package lists: an advisory row counts
 * when its package is one that changed, at a version newer than the older list's and not newer
 * than the newer list's.
 */
export function advisoriesFixed(
  rows: readonly AdvisoryRow[],
  older: readonly Package[],
  newer: readonly Package[],
): AdvisoryFixed[] {
  const before = new Map(older.map((p) => [nameArch(p), p]));
  const after = new Map(newer.map((p) => [nameArch(p), p]));
  const out = new Map<string, AdvisoryFixed>();
  for (const row of rows) {
    const key = nameArch(row.package);
    const was = before.get(key);
    const now = after.get(key);
    if (!now || (was && compareEvr(was, now) === 0)) continue;
    if (was && compareEvr(row.package, was) <= 0) continue;
    if (compareEvr(row.package, now) > 0) continue;
    const a = out.get(row.id) ?? { id: row.id, type: row.type, severity: row.severity,
      packages: [] };
    if (!a.packages.includes(nevra(now))) a.packages.push(nevra(now));
    out.set(row.id, a);
  }
  return [...out.values()].sort((x, y) => (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
}

/** Lists every advisory in the image's retained metadata, offline: nothing is refreshed. */
export const ADVISORIES_SCRIPT = `set -u
export LC_ALL=C
mkdir -p /out
if command -v dnf5 >/dev/null 2>&1; then
  dnf5 -C advisory list --all >/out/advisories.out 2>/out/advisories.err
else
  dnf -C updateinfo list --all >/out/advisories.out 2>/out/advisories.err
fi
echo $? >/out/advisories.rc
`;

async function advisoryRows(deps: OpsDeps, ref: string, platform: string) {
  const builder = await deps.builder();
  const dest = path.join(deps.tempDir(), "out");
  await builder.probe({ image: ref, platform, script: ADVISORIES_SCRIPT, network: "none",
    fresh: false, dest });
  const read = (f: string) => fs.readFileSync(path.join(dest, f), "utf8");
  const rc = read("advisories.rc").trim();
  if (rc !== "0") {
    throw new Error(`dnf updateinfo list --all failed in ${ref} with exit code ${rc}: ` +
      read("advisories.err").trim().split("\n").slice(-5).join(" | "));
  }
  return parseAdvisories(read("advisories.out"));
}

export interface DiffOptions {
  a: string;
  b: string;
  platform?: string;
  /** Skip the advisory lookup (it runs dnf inside the newer image on a builder). */
  advisories: boolean;
}

export async function diffImages(deps: OpsDeps, options: DiffOptions): Promise<DiffReport> {
  const a = await readPackages(deps, options.a, options.platform);
  const b = await readPackages(deps, options.b, options.platform);
  const changes = diffPackages(a.packages, b.packages);
  const report: DiffReport = { command: "diff", a: a.ref, b: b.ref, ...changes, warnings: [] };
  if (!options.advisories) return report;

  const la = await deps.registry.labels(a.ref);
  const lb = await deps.registry.labels(b.ref);
  const ea = Number(la[IMAGE_LABELS.epoch] ?? NaN);
  const eb = Number(lb[IMAGE_LABELS.epoch] ?? NaN);
  if (Number.isNaN(ea) || Number.isNaN(eb)) {
    report.warnings.push("an image has no io.fedora-base.epoch label; taking the second one " +
      "as the newer");
  }
  const bNewer = !(ea > eb);
  const newer = bNewer ? b : a;
  const older = bNewer ? a : b;
  const arch = (bNewer ? lb : la)[IMAGE_LABELS.architecture];
  const platform = options.platform ?? (arch === "aarch64" ? "linux/arm64" : "linux/amd64");
  deps.log(`reading the advisories in the metadata ${newer.ref} retained`);
  const rows = await advisoryRows(deps, newer.ref, platform);
  report.advisories = advisoriesFixed(rows, older.packages, newer.packages);
  report.advisorySource = newer.ref;
  return report;
}

/**
 * The list in the image's own format (name, epoch, version, release, arch; tab-separated). For a
 * stack, each image's list follows a `# <release> <arch> <ref>` line.
 */
export function formatPackages(r: PackagesReport): string {
  return r.images.map((i) => {
    const head = r.stack === undefined ? "" : `# ${i.release ?? "?"} ${i.architecture ?? "?"} ` +
      `${i.image}\n`;
    return head + formatPackageList(i.packages);
  }).join("");
}

export function formatDiff(r: DiffReport): string {
  const lines = [`diff: ${r.a}`, `   -> ${r.b}`];
  for (const n of r.added) lines.push(`  added      ${n}`);
  for (const n of r.removed) lines.push(`  removed    ${n}`);
  for (const c of r.updated) lines.push(`  updated    ${c.name}.${c.arch} ${c.from} -> ${c.to}`);
  for (const c of r.downgraded) {
    lines.push(`  downgraded ${c.name}.${c.arch} ${c.from} -> ${c.to}`);
  }
  if (r.added.length + r.removed.length + r.updated.length + r.downgraded.length === 0) {
    lines.push("  the same packages");
  }
  if (r.advisories) {
    lines.push(`advisories fixed (from the metadata of ${r.advisorySource ?? "?"}):`);
    for (const a of r.advisories) {
      lines.push(`  ${a.id} ${a.type}${a.severity ? `/${a.severity}` : ""}: ` +
        a.packages.join(", "));
    }
    if (r.advisories.length === 0) lines.push("  none");
  }
  for (const w of r.warnings) lines.push(`warning: ${w}`);
  return `${lines.join("\n")}\n`;
}
