/**
 * `check-rebuildable`: can the mirror still serve every package the image has installed, at its
 * exact version? Mirrors drop old versions, and a rebuild needs the very packages the build
 * downloaded; the download URLs come from the metadata the image retained.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { packageOfUrl, parseLocations } from "./dnf-output";
import { OPS_EXIT } from "./exit-codes";
import { parseRepos, readImageFacts } from "./image";
import { readPackages } from "./packages";
import type { OpsDeps } from "./ports";
import { nevra, type Package, parsePackageList } from "./rpm";

export interface CheckRebuildableOptions {
  /** A published fedora-base image, pinned by digest. */
  image: string;
}

/** Where a package of the image came from. */
export type PackageSource = "build" | "base";

export interface UrlStatus {
  url: string;
  /** HTTP status; 0 when the request failed (no connection, timeout). */
  status: number;
}

export interface PackageCheck {
  package: string;
  /** `build`: the rebuild downloads it; `base`: the base image carries it. */
  source: PackageSource;
  urls: UrlStatus[];
}

export interface RebuildableReport {
  command: "check-rebuildable";
  image: string;
  baseImage: string;
  /** The repos the image's metadata points at. */
  repos: { id: string; baseurl: string }[];
  /** Packages whose download was checked. */
  checked: number;
  /** Gone from the mirror: every URL answered 404 or 410. */
  missing: PackageCheck[];
  /** Could not be checked: a URL answered something else, or nothing. */
  unknown: PackageCheck[];
  /** Installed, but the retained metadata offers no download for them. */
  notInMetadata: { package: string; source: PackageSource }[];
  rebuildable: boolean;
  exitCode: number;
  verdict: string;
}

const RPM_QUERY = "rpm -qa --qf '%{NAME}\\t%{EPOCHNUM}\\t%{VERSION}\\t%{RELEASE}\\t%{ARCH}\\n'";

/** Lists the base image's packages, in the format of the image's own list. */
export const BASE_PACKAGES_SCRIPT = `set -u
mkdir -p /out
${RPM_QUERY} >/out/packages.out 2>/out/packages.err
echo $? >/out/packages.rc
`;

/** Resolves download URLs of exact package versions from the retained metadata, offline. */
export function locationsScript(specs: readonly string[]): string {
  for (const s of specs) {
    if (!/^[A-Za-z0-9._+:~^-]+$/.test(s)) throw new Error(`not a package spec: ${s}`);
  }
  return `set -u
export LC_ALL=C
mkdir -p /out
cat >/tmp/fedora-base-specs <<'SPECS'
${specs.join("\n")}
SPECS
if command -v dnf5 >/dev/null 2>&1; then dnf=(dnf5); else dnf=(dnf); fi
xargs -a /tmp/fedora-base-specs "\${dnf[@]}" -C repoquery --location \\
  >/out/locations.out 2>/out/locations.err
echo $? >/out/locations.rc
`;
}

/** Keys a package by the file name its download URL has: `name-version-release.arch`. */
function fileKey(p: Package): string {
  return `${p.name}-${p.version}-${p.release}.${p.arch}`;
}

/** rpm's imported signing keys look like packages but come from no repository. */
function isPseudoPackage(p: Package): boolean {
  return p.name === "gpg-pubkey" || p.name === "gpg-pubkey-release";
}

/**
 * The verdict over the checked packages: a missing package the rebuild downloads means no
 * bit-for-bit rebuild from this mirror; missing base-image packages only mean these versions
 * cannot be installed again; anything unanswered means no conclusion.
 */
export function verdictOf(
  missing: readonly PackageCheck[],
  unknown: readonly PackageCheck[],
  mirror: string,
): { exitCode: number; rebuildable: boolean; verdict: string } {
  const fromBuild = missing.filter((m) => m.source === "build").map((m) => m.package);
  const fromBase = missing.filter((m) => m.source === "base").map((m) => m.package);
  if (fromBuild.length > 0) {
    return {
      exitCode: OPS_EXIT.notRebuildable,
      rebuildable: false,
      verdict: `The image can no longer be rebuilt bit for bit from ${mirror}: the rebuild ` +
        `downloads ${fromBuild.join(", ")}, which the mirror no longer has` +
        (fromBase.length > 0 ? ` (also gone, from the base image: ${fromBase.join(", ")})` : "") +
        ". Rebuild it from a mirror that keeps old versions.",
    };
  }
  if (unknown.length > 0) {
    return {
      exitCode: OPS_EXIT.failed,
      rebuildable: false,
      verdict: `Could not check ${unknown.map((u) => u.package).join(", ")}: the mirror gave ` +
        "no clear answer, so nothing is concluded.",
    };
  }
  if (fromBase.length > 0) {
    const one = fromBase.length === 1;
    const download = one ? "the rebuild does not download it"
      : "the rebuild downloads none of them";
    return {
      exitCode: OPS_EXIT.baseOnlyMissing,
      rebuildable: true,
      verdict: `${fromBase.join(", ")} ${one ? "is" : "are"} gone from ${mirror}. The image ` +
        `still rebuilds bit for bit: ${one ? "it" : "they"} came with the base image, which is ` +
        `pinned by digest, and ${download}. But ${one ? "this exact version" : "these exact " +
        "versions"} can no longer be installed from the mirror (dnf reinstall, a host following ` +
        "this image's DNF cache).",
    };
  }
  return {
    exitCode: OPS_EXIT.ok,
    rebuildable: true,
    verdict: `Every package of the image is still on ${mirror} at its exact version.`,
  };
}

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (t: T) => Promise<R>) {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

function readProbe(dest: string, step: string, what: string): string {
  const read = (f: string) => fs.readFileSync(path.join(dest, `${step}.${f}`), "utf8");
  const rc = read("rc").trim();
  if (rc !== "0") {
    throw new Error(`${what} failed with exit code ${rc}: ` +
      read("err").trim().split("\n").slice(-5).join(" | "));
  }
  return read("out");
}

export async function checkRebuildable(
  deps: OpsDeps,
  options: CheckRebuildableOptions,
): Promise<RebuildableReport> {
  const facts = await readImageFacts(deps.registry, options.image);
  const { packages } = await readPackages(deps, facts.ref);
  const builder = await deps.builder();

  deps.log(`listing the packages of the base image ${facts.baseImage}`);
  const baseOut = path.join(deps.tempDir(), "base");
  await builder.probe({ image: facts.baseImage, platform: facts.platform,
    script: BASE_PACKAGES_SCRIPT, network: "none", fresh: false, dest: baseOut });
  const basePackages = parsePackageList(readProbe(baseOut, "packages", "rpm -qa in the base image"),
    `rpm -qa of ${facts.baseImage}`);
  const inBase = new Set(basePackages.map(nevra));

  const real = packages.filter((p) => !isPseudoPackage(p));
  deps.log(`resolving the download URLs of ${real.length} packages from the retained metadata`);
  const locOut = path.join(deps.tempDir(), "locations");
  await builder.probe({ image: facts.ref, platform: facts.platform,
    script: locationsScript(real.map(nevra)), network: "none", fresh: false, dest: locOut });
  const urls = parseLocations(readProbe(locOut, "locations", "dnf repoquery --location"));
  const byFile = new Map<string, string[]>();
  for (const url of urls) {
    const p = packageOfUrl(url);
    if (p) byFile.set(fileKey(p), [...(byFile.get(fileKey(p)) ?? []), url]);
  }

  const sourceOf = (p: Package): PackageSource => (inBase.has(nevra(p)) ? "base" : "build");
  const notInMetadata = real.filter((p) => !byFile.has(fileKey(p)))
    .map((p) => ({ package: nevra(p), source: sourceOf(p) }));
  const located = real.filter((p) => byFile.has(fileKey(p)));
  const unique = [...new Set(located.flatMap((p) => byFile.get(fileKey(p)) ?? []))].sort();
  deps.log(`asking the mirror for ${unique.length} package files`);
  const statuses = new Map<string, number>();
  const answers = await mapLimit(unique, 8, (u) => deps.fetchStatus(u));
  unique.forEach((u, i) => statuses.set(u, answers[i] ?? 0));

  const missing: PackageCheck[] = [];
  const unknown: PackageCheck[] = [];
  for (const p of located) {
    const checks = (byFile.get(fileKey(p)) ?? []).map((url) => ({ url,
      status: statuses.get(url) ?? 0 }));
    const entry = { package: nevra(p), source: sourceOf(p), urls: checks };
    if (checks.some((c) => c.status >= 200 && c.status < 300)) continue;
    if (checks.every((c) => c.status === 404 || c.status === 410)) missing.push(entry);
    else unknown.push(entry);
  }
  const repos = parseRepos(facts.repos);
  const mirror = repos.length > 0 ? repos.map((r) => r.baseurl).join(" and ")
    : "the image's repositories";
  // A package the build installed but the metadata it was built from does not offer cannot be
  // downloaded for a rebuild either.
  const buildUnlisted = notInMetadata.filter((n) => n.source === "build")
    .map((n) => ({ ...n, urls: [] }));
  const verdict = verdictOf([...missing, ...buildUnlisted], unknown, mirror);
  return {
    command: "check-rebuildable",
    image: facts.ref,
    baseImage: facts.baseImage,
    repos,
    checked: located.length,
    missing,
    unknown,
    notInMetadata,
    ...verdict,
  };
}

export function formatRebuildable(r: RebuildableReport): string {
  const lines = [
    `check-rebuildable: ${r.image}`,
    `  base image ${r.baseImage}`,
    `  checked ${r.checked} package files on ${r.repos.map((x) => x.baseurl).join(", ") ||
      "the image's repositories"}`,
  ];
  for (const m of r.missing) {
    lines.push(`  MISSING ${m.package} (${m.source === "build" ? "the rebuild downloads it"
      : "came with the base image"})`);
    for (const u of m.urls) lines.push(`    ${u.status} ${u.url}`);
  }
  for (const m of r.unknown) {
    lines.push(`  UNKNOWN ${m.package}`);
    for (const u of m.urls) lines.push(`    ${u.status || "no answer"} ${u.url}`);
  }
  for (const n of r.notInMetadata) {
    lines.push(`  not offered by the retained metadata: ${n.package} (${n.source === "build"
      ? "the rebuild would need it" : "came with the base image"})`);
  }
  lines.push(r.verdict);
  return `${lines.join("\n")}\n`;
}
