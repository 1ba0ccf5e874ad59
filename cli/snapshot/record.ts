import type { Architecture } from "../../stacks/config";
import type { SnapshotDeps } from "./ports";
import { releaseKey } from "./stack-config";

export interface ReleaseUpdate {
  release: number;
  epoch: number;
  /** Snapshot ref per architecture taken. */
  snapshots: Partial<Record<Architecture, string>>;
  /** Set when the base image comes from the command (extraction), not from the config. */
  baseImage?: string;
}

/** The path keys and values that pin the snapshots of `update` in the stack config. */
export function releaseConfigValues(update: ReleaseUpdate): Record<string, string> {
  const values: Record<string, string> = {
    [releaseKey(update.release, "epoch")]: String(update.epoch),
  };
  if (update.baseImage !== undefined) {
    values[releaseKey(update.release, "baseImage")] = update.baseImage;
  }
  for (const arch of Object.keys(update.snapshots).sort() as Architecture[]) {
    values[releaseKey(update.release, `snapshots.${arch}`)] = update.snapshots[arch] ?? "";
  }
  return values;
}

function lookup(raw: Record<string, unknown>, release: number): Record<string, unknown> {
  const releases = raw.releases as Record<string, unknown> | undefined;
  const entry = releases?.[String(release)];
  return typeof entry === "object" && entry !== null ? (entry as Record<string, unknown>) : {};
}

/**
 * Architectures of the stack whose pinned snapshot this update leaves at another epoch than the
 * release's new one: one epoch per release is the rule, so the operator hears about it.
 */
export function staleArchitectures(
  raw: Record<string, unknown>,
  update: ReleaseUpdate,
  stackArchitectures: readonly Architecture[],
): Architecture[] {
  const before = lookup(raw, update.release);
  const snapshots = (before.snapshots ?? {}) as Record<string, unknown>;
  const epochChanges = String(before.epoch) !== String(update.epoch);
  return stackArchitectures.filter((a) => !(a in update.snapshots) && epochChanges &&
    typeof snapshots[a] === "string");
}

/**
 * Writes the release's epoch and snapshot refs into the stack config, then reads them back:
 * the epoch must come back as the same number and every ref unchanged.
 */
export async function recordInStack(
  deps: SnapshotDeps,
  update: ReleaseUpdate,
): Promise<Record<string, string>> {
  const values = releaseConfigValues(update);
  await deps.stack.writeConfig(values);
  const entry = lookup(await deps.stack.readConfig(), update.release);
  const snapshots = (entry.snapshots ?? {}) as Record<string, unknown>;
  const wrong: string[] = [];
  if (Number(entry.epoch) !== update.epoch) wrong.push(`epoch is ${JSON.stringify(entry.epoch)}`);
  for (const [arch, ref] of Object.entries(update.snapshots)) {
    const got = snapshots[arch];
    if (got !== ref) wrong.push(`snapshots.${arch} is ${JSON.stringify(got)}`);
  }
  if (update.baseImage !== undefined && entry.baseImage !== update.baseImage) {
    wrong.push(`baseImage is ${JSON.stringify(entry.baseImage)}`);
  }
  if (wrong.length > 0) {
    throw new Error(`stack ${deps.stack.name}: release ${update.release} reads back wrong after ` +
      `the write: ${wrong.join("; ")}`);
  }
  for (const key of Object.keys(values)) deps.log(`stack ${deps.stack.name}: set ${key}`);
  return values;
}
