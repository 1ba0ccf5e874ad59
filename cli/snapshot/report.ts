import type { Architecture } from "../../stacks/config";
import type { TakenSnapshot } from "./take";

/** A snapshot a dry run would take. */
export interface PlannedSnapshot {
  architecture: Architecture;
  tag: string;
}

/** What a snapshot command did (or, in a dry run, would do); `--json` prints it as is. */
export interface SnapshotReport {
  command: "snapshot new" | "snapshot extract";
  stack: string;
  dryRun: boolean;
  release: number;
  epoch: number;
  baseImage: string;
  /** The `FEDORA_BASE_REPOS` string the metadata belongs to. */
  repos: string;
  /** The published image the metadata was extracted from (extract only). */
  source?: string;
  snapshots: (TakenSnapshot | PlannedSnapshot)[];
  /** Stack config path keys written, or to be written in a dry run. */
  config: Record<string, string>;
  /** Extract only: the snapshot the image says it was built on, and whether ours equals it. */
  sourceSnapshot?: { digest: string; matches: boolean };
  warnings: string[];
}

/** The report for a person reading a terminal. */
export function formatReport(report: SnapshotReport): string {
  const lines = [
    `${report.command}${report.dryRun ? " (dry run: nothing built, pushed or written)" : ""}`,
    `  stack     ${report.stack}`,
    `  release   ${report.release}, epoch ${report.epoch}`,
    `  base      ${report.baseImage}`,
  ];
  if (report.source) lines.push(`  source    ${report.source}`);
  for (const s of report.snapshots) {
    const detail = "ref" in s ? `${s.ref}${s.pushed ? "" : " (already pushed)"}` : s.tag;
    lines.push(`  ${s.architecture.padEnd(9)} ${detail}`);
  }
  if (report.sourceSnapshot) {
    lines.push(`  the image was built on ${report.sourceSnapshot.digest}: ` +
      (report.sourceSnapshot.matches ? "same digest" : "DIFFERENT digest"));
  }
  const verb = report.dryRun ? "would set" : "set";
  for (const [key, value] of Object.entries(report.config)) {
    lines.push(`  ${verb} ${key} = ${value}`);
  }
  for (const w of report.warnings) lines.push(`  warning: ${w}`);
  return `${lines.join("\n")}\n`;
}
