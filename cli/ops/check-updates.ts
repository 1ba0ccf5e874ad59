/**
 * `check-updates`: are there updates for the published images of a stack? The metadata inside
 * each published image is refreshed (in a throwaway build on the stack's builder) and dnf is
 * asked, so the answer is about exactly the packages the image has.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { ARCHITECTURES, type Architecture, parseStackConfig, PLATFORMS } from "../../stacks/config";
import type { SnapshotReport } from "../snapshot/report";
import { type AvailableUpdate, checkUpdateExit, parseAdvisories, parseCheckUpdate } from
  "./dnf-output";
import { OPS_EXIT } from "./exit-codes";
import type { OpsDeps, PublishedImage, StackReader } from "./ports";
import { nameArch } from "./rpm";

export interface CheckUpdatesOptions {
  /** Take new snapshots of the releases that are due, and pin them in the stack config. */
  bump: boolean;
  /** What makes a release due for `bump`: security updates only (default), or any update. */
  bumpOn: "security" | "any";
}

export interface SecurityAdvisory {
  id: string;
  severity: string;
  /** The packages (NEVRA) the advisory updates to. */
  packages: string[];
}

export interface UpdateFound extends AvailableUpdate {
  security: boolean;
  /** Ids of the security advisories that name this package. */
  advisories: string[];
}

export type CheckStatus = "security" | "updates" | "none" | "error";

/** The answer for one published image. */
export interface ImageCheck {
  release: number;
  architecture: Architecture;
  ref: string;
  status: CheckStatus;
  updates: UpdateFound[];
  advisories: SecurityAdvisory[];
  /** Why there is no answer (status `error`). */
  error?: string;
}

export interface CheckUpdatesReport {
  command: "check-updates";
  stack: string;
  images: ImageCheck[];
  /** The most urgent status over all images; any error makes it `error`. */
  result: CheckStatus;
  exitCode: number;
  /** Releases `--bump` snapshotted anew, with what it wrote. */
  bumped: SnapshotReport[];
  /** Set when `--bump` was asked for but did not run, and why. */
  bumpSkipped?: string;
}

/**
 * The probe: refresh the image's metadata now, then ask dnf three questions from that one
 * refreshed cache. Exit codes are recorded, never acted on: 100 ("updates") must not fail the
 * build step, and the CLI decides what every code means (C22).
 */
export const CHECK_SCRIPT = `set -u
export LC_ALL=C
out=/out
mkdir -p "$out"
if command -v dnf5 >/dev/null 2>&1; then
  dnf=(dnf5); check=check-upgrade; advisories=(advisory list --security)
else
  dnf=(dnf); check=check-update; advisories=(updateinfo list --security)
fi
step() {
  local name=$1
  shift
  "$@" >"$out/$name.out" 2>"$out/$name.err"
  echo $? >"$out/$name.rc"
}
step makecache "\${dnf[@]}" makecache --refresh
if [ "$(cat "$out/makecache.rc")" = 0 ]; then
  step check "\${dnf[@]}" -C "$check"
  step security "\${dnf[@]}" -C "$check" --security
  step advisories "\${dnf[@]}" -C "\${advisories[@]}"
fi
`;

/** What the probe wrote: file name to content. */
export type ProbeFiles = Readonly<Record<string, string>>;

function tail(text: string | undefined): string {
  const lines = (text ?? "").trim().split("\n").filter(Boolean);
  return lines.length === 0 ? "" : `: ${lines.slice(-5).join(" | ")}`;
}

function exitOf(files: ProbeFiles, step: string): number | undefined {
  const rc = files[`${step}.rc`]?.trim();
  return rc !== undefined && /^[0-9]+$/.test(rc) ? Number(rc) : undefined;
}

/**
 * Turns the probe's files into an answer. Every exit code other than 0 or 100 is an error, and
 * so is any disagreement between an exit code and the list dnf printed: a list this tool cannot
 * read must not pass for "no updates".
 */
export function interpretCheck(
  files: ProbeFiles,
): Pick<ImageCheck, "status" | "updates" | "advisories" | "error"> {
  const fail = (error: string) =>
    ({ status: "error" as const, updates: [], advisories: [], error });
  const makecache = exitOf(files, "makecache");
  if (makecache === undefined) return fail("the probe recorded no result for dnf makecache");
  if (makecache !== 0) {
    return fail(`dnf makecache --refresh failed with exit code ${makecache}` +
      tail(files["makecache.err"]));
  }
  const steps = ["check", "security", "advisories"].map((s) => exitOf(files, s));
  const [checkRc, securityRc, advisoriesRc] = steps;
  if (checkRc === undefined || securityRc === undefined || advisoriesRc === undefined) {
    return fail("the probe recorded no result for one of the dnf queries");
  }
  const all = checkUpdateExit(checkRc);
  const security = checkUpdateExit(securityRc);
  if (all.kind === "error") {
    return fail(`dnf check-update failed with exit code ${all.exitCode}` +
      tail(files["check.err"]));
  }
  if (security.kind === "error") {
    return fail(`dnf check-update --security failed with exit code ${security.exitCode}` +
      tail(files["security.err"]));
  }
  if (advisoriesRc !== 0) {
    return fail(`dnf updateinfo list --security failed with exit code ${advisoriesRc}` +
      tail(files["advisories.err"]));
  }
  const updates = parseCheckUpdate(files["check.out"] ?? "");
  const securityUpdates = new Set(parseCheckUpdate(files["security.out"] ?? "").map(nameArch));
  const rows = parseAdvisories(files["advisories.out"] ?? "").filter((r) => r.type === "security");
  if ((all.kind === "updates") !== (updates.length > 0)) {
    return fail(`dnf check-update exited ${checkRc} but listed ${updates.length} update(s) ` +
      "this tool could read");
  }
  if ((security.kind === "updates") !== (securityUpdates.size > 0)) {
    return fail(`dnf check-update --security exited ${securityRc} but listed ` +
      `${securityUpdates.size} update(s) this tool could read`);
  }
  if (security.kind === "updates" && rows.length === 0) {
    return fail("dnf reports security updates but lists no security advisory this tool could read");
  }
  if (all.kind === "none" && security.kind === "updates") {
    return fail("dnf reports security updates but no updates at all");
  }
  const advisories = new Map<string, SecurityAdvisory>();
  for (const row of rows) {
    const a = advisories.get(row.id) ?? { id: row.id, severity: row.severity, packages: [] };
    const p = row.package;
    a.packages.push(`${p.name}-${p.epoch}:${p.version}-${p.release}.${p.arch}`);
    advisories.set(row.id, a);
  }
  const found: UpdateFound[] = updates.map((u) => ({
    ...u,
    security: securityUpdates.has(nameArch(u)),
    advisories: rows.filter((r) => nameArch(r.package) === nameArch(u)).map((r) => r.id)
      .filter((id, i, list) => list.indexOf(id) === i).sort(),
  }));
  const status = security.kind === "updates" ? "security" : all.kind === "updates" ? "updates"
    : "none";
  return {
    status,
    updates: found,
    advisories: [...advisories.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)),
  };
}

/** The overall status and exit code: an error outranks everything, then security, then any. */
export function overallResult(statuses: readonly CheckStatus[]): {
  result: CheckStatus;
  exitCode: number;
} {
  if (statuses.includes("error")) return { result: "error", exitCode: OPS_EXIT.failed };
  if (statuses.includes("security")) {
    return { result: "security", exitCode: OPS_EXIT.securityUpdates };
  }
  if (statuses.includes("updates")) return { result: "updates", exitCode: OPS_EXIT.otherUpdates };
  return { result: "none", exitCode: OPS_EXIT.ok };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The per-architecture images of the stack's `images` output, in release and arch order. */
export function publishedImages(outputs: Record<string, unknown>, stack: string): PublishedImage[] {
  const images = outputs.images;
  if (!isRecord(images)) {
    throw new Error(`stack ${stack} has no images output: run pulumi up first`);
  }
  const out: PublishedImage[] = [];
  for (const release of Object.keys(images).sort((a, b) => Number(a) - Number(b))) {
    const perArch = images[release];
    if (!isRecord(perArch)) continue;
    for (const architecture of ARCHITECTURES) {
      const entry = perArch[architecture];
      if (!isRecord(entry)) continue;
      if (typeof entry.ref !== "string" || !/@sha256:[0-9a-f]{64}$/.test(entry.ref)) {
        throw new Error(`stack ${stack}: images["${release}"].${architecture}.ref is not ` +
          `pinned by digest, got ${JSON.stringify(entry.ref)}`);
      }
      out.push({ release: Number(release), architecture, ref: entry.ref });
    }
  }
  if (out.length === 0) throw new Error(`stack ${stack} has published no image yet`);
  return out;
}

async function checkImage(deps: OpsDeps, image: PublishedImage): Promise<ImageCheck> {
  const { release, architecture, ref } = image;
  deps.log(`${release} ${architecture}: refreshing the DNF metadata inside ${ref}`);
  try {
    const builder = await deps.builder();
    const dest = path.join(deps.tempDir(), "out");
    await builder.probe({
      image: ref,
      platform: PLATFORMS[architecture],
      script: CHECK_SCRIPT,
      network: builder.network,
      fresh: true,
      dest,
    });
    const files: Record<string, string> = {};
    for (const name of fs.existsSync(dest) ? fs.readdirSync(dest) : []) {
      files[name] = fs.readFileSync(path.join(dest, name), "utf8");
    }
    return { release, architecture, ref, ...interpretCheck(files) };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { release, architecture, ref, status: "error", updates: [], advisories: [],
      error: message };
  }
}

/**
 * Checks every published image of the stack, then, with `bump`, takes new snapshots of the
 * releases that are due (all their architectures, one new epoch) through `bumpRelease`, so that
 * the next `pulumi up` rebuilds exactly those releases.
 */
export async function checkUpdates(
  deps: OpsDeps,
  stack: StackReader,
  options: CheckUpdatesOptions,
  bumpRelease: (release: number) => Promise<SnapshotReport>,
): Promise<CheckUpdatesReport> {
  const raw = await stack.readConfig();
  const config = parseStackConfig(raw).config;
  const images = publishedImages(await stack.readOutputs(), stack.name);
  const checks: ImageCheck[] = [];
  for (const image of images) checks.push(await checkImage(deps, image));
  const { result, exitCode } = overallResult(checks.map((c) => c.status));
  const report: CheckUpdatesReport = {
    command: "check-updates",
    stack: stack.name,
    images: checks,
    result,
    exitCode,
    bumped: [],
  };
  if (!options.bump) return report;

  if (result === "error") {
    report.bumpSkipped = "a check failed, and an incomplete check changes no configuration";
    return report;
  }
  const due = new Set(checks.filter((c) => c.status === "security" ||
    (options.bumpOn === "any" && c.status === "updates")).map((c) => c.release));
  const configured = new Set(config.releases.map((r) => r.release));
  for (const release of [...due].sort((a, b) => a - b)) {
    if (!configured.has(release)) {
      deps.log(`warning: release ${release} has updates but is no longer in the stack config`);
      continue;
    }
    deps.log(`release ${release}: taking new snapshots`);
    report.bumped.push(await bumpRelease(release));
  }
  if (report.bumped.length === 0) report.bumpSkipped = "no release is due";
  return report;
}

const STATUS_TEXT: Record<CheckStatus, string> = {
  security: "security updates available",
  updates: "updates available, none of them security",
  none: "no updates",
  error: "ERROR: could not check",
};

/** The report for a person reading a terminal. */
export function formatCheckUpdates(report: CheckUpdatesReport): string {
  const lines = [`check-updates: stack ${report.stack}`];
  for (const c of report.images) {
    lines.push(`  ${c.release} ${c.architecture}  ${c.ref}`, `    ${STATUS_TEXT[c.status]}`);
    if (c.error) lines.push(...c.error.split("\n").map((l) => `      ${l}`));
    for (const u of c.updates) {
      const tag = u.security ? `security: ${u.advisories.join(", ") || "(no advisory id)"}` : "";
      lines.push(`      ${u.name}.${u.arch} ${u.evr} from ${u.repo}${tag ? `  ${tag}` : ""}`);
    }
    for (const a of c.advisories) {
      lines.push(`      advisory ${a.id}${a.severity ? ` (${a.severity})` : ""}: ` +
        a.packages.join(", "));
    }
  }
  lines.push(`result: ${STATUS_TEXT[report.result]} (exit ${report.exitCode})`);
  for (const b of report.bumped) {
    lines.push(`bumped release ${b.release} to epoch ${b.epoch}:`);
    for (const [key, value] of Object.entries(b.config)) lines.push(`  set ${key} = ${value}`);
    lines.push("  run pulumi up to rebuild this release");
  }
  if (report.bumpSkipped) lines.push(`bump: nothing taken (${report.bumpSkipped})`);
  return `${lines.join("\n")}\n`;
}
