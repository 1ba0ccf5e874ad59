/**
 * Reading what dnf (4 or 5) prints. dnf has no stable machine format across both majors, so
 * these parsers accept the table layouts of both and refuse to guess: callers cross-check the
 * parsed result with dnf's exit code, and a disagreement is an error, never "no updates".
 */
import { type Package, parseNevra } from "./rpm";

/** What `dnf check-update` (dnf5: `check-upgrade`) said, by its exit code alone (C22). */
export type CheckUpdateExit =
  | { kind: "none" }
  | { kind: "updates" }
  | { kind: "error"; exitCode: number };

/**
 * dnf's check-update exit codes: 0 no updates, 100 updates available, anything else (1 for a
 * failed refresh, a signal, a missing binary) an error. An error never counts as "no updates".
 */
export function checkUpdateExit(exitCode: number): CheckUpdateExit {
  if (exitCode === 0) return { kind: "none" };
  if (exitCode === 100) return { kind: "updates" };
  return { kind: "error", exitCode };
}

/** One available update, as check-update lists it. */
export interface AvailableUpdate {
  name: string;
  arch: string;
  /** `[epoch:]version-release` as dnf prints it. */
  evr: string;
  /** Repo id the update comes from. */
  repo: string;
}

const NAME_ARCH = /^([^\s]+)\.([A-Za-z0-9_]+)$/;
const EVR = /^(?:[0-9]+:)?[^\s:-]+-[^\s:-]+$/;

/**
 * Parses the update list of `dnf check-update` / `dnf5 check-upgrade`: `name.arch evr repo`
 * rows. dnf4 wraps a row whose name is wider than its column onto the next line, so a row may
 * span lines. The "Obsoleting packages" section that may follow is not an update list.
 */
export function parseCheckUpdate(text: string): AvailableUpdate[] {
  const out: AvailableUpdate[] = [];
  let pending: string[] = [];
  for (const line of text.split("\n")) {
    if (/^obsoleting packages/i.test(line.trim())) break;
    const tokens = line.trim().split(/\s+/).filter(Boolean);
    if (tokens.length === 0) {
      pending = [];
      continue;
    }
    const row = pending.length > 0 && /^\s/.test(line) ? [...pending, ...tokens] : tokens;
    pending = [];
    const [nameArch, version, repo] = row;
    const m = NAME_ARCH.exec(nameArch ?? "");
    if (row.length === 3 && m?.[1] && m[2] && EVR.test(version ?? "") && repo) {
      out.push({ name: m[1], arch: m[2], evr: version ?? "", repo });
    } else if (row.length < 3 && m && (row.length === 1 || EVR.test(version ?? ""))) {
      pending = row;
    }
  }
  return out;
}

/** One row of an advisory list: one package an advisory updates. */
export interface AdvisoryRow {
  id: string;
  /** `security`, `bugfix`, `enhancement`, `newpackage` or `unknown`. */
  type: string;
  /** `Critical`, `Important`, `Moderate`, `Low`, or empty when dnf shows none. */
  severity: string;
  package: Package;
  /** dnf4 `--all` marks advisories whose packages are installed with `i`. */
  installed: boolean;
}

const TYPES = ["security", "bugfix", "enhancement", "newpackage", "unknown"];
const SEVERITIES = ["critical", "important", "moderate", "low", "none"];

/**
 * Parses `dnf updateinfo list` (dnf4: `[i] ID Severity/Sec.|type NEVRA`) and
 * `dnf5 advisory list` (`ID type severity NEVRA issued`). Lines that are not advisory rows
 * (headers, "Last metadata expiration check") are skipped.
 */
export function parseAdvisories(text: string): AdvisoryRow[] {
  const out: AdvisoryRow[] = [];
  for (const line of text.split("\n")) {
    const tokens = line.trim().split(/\s+/).filter(Boolean);
    const installed = tokens[0] === "i";
    if (installed) tokens.shift();
    const at = tokens.findIndex((t, k) => k >= 2 && parseNevra(t) !== undefined);
    if (at < 0) continue;
    const pkg = parseNevra(tokens[at] ?? "");
    const [id] = tokens;
    if (!pkg || !id || !/^[A-Za-z0-9][A-Za-z0-9._:-]*$/.test(id)) continue;
    let type = "";
    let severity = "";
    for (const t of tokens.slice(1, at)) {
      const sec = /^([A-Za-z]+)\/Sec\.?$/.exec(t);
      if (sec?.[1]) {
        type = "security";
        severity = sec[1];
      } else if (TYPES.includes(t.toLowerCase())) {
        type = t.toLowerCase();
      } else if (SEVERITIES.includes(t.toLowerCase())) {
        severity = t;
      }
    }
    if (!type) continue;
    if (severity.toLowerCase() === "none") severity = "";
    out.push({ id, type, severity, package: pkg, installed });
  }
  return out;
}

/** Full URLs of `dnf repoquery --location`, one a line; other lines are skipped. */
export function parseLocations(text: string): string[] {
  return text.split("\n").map((l) => l.trim()).filter((l) => /^[a-z][a-z0-9+.-]*:\/\/\S+$/.test(l));
}

/** The package a download URL names (`.../name-version-release.arch.rpm`). */
export function packageOfUrl(url: string): Package | undefined {
  const file = decodeURIComponent(url.split("/").pop() ?? "");
  return file.endsWith(".rpm") ? parseNevra(file.slice(0, -".rpm".length)) : undefined;
}
