import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Buildx } from "./buildx";
import type { CliActions, Target } from "./program";
import { Regctl } from "./regctl";
import { realOpsActions } from "./ops/actions";
import type { Log } from "./run";
import { snapshotExtract } from "./snapshot/extract";
import { snapshotNew } from "./snapshot/new";
import type { SnapshotDeps } from "./snapshot/ports";
import { openStack } from "./stack";

/** Runs `fn` with the real tools; every temporary directory it made is removed afterwards. */
async function withDeps<T>(
  projectDir: string,
  target: Target,
  log: Log,
  fn: (deps: SnapshotDeps) => Promise<T>,
): Promise<T> {
  const temps: string[] = [];
  const deps: SnapshotDeps = {
    registry: new Regctl(log, target.registryTls),
    builder: (builder) => new Buildx(log, builder, path.join(projectDir, "recipe")),
    stack: await openStack(target.stack, projectDir),
    log,
    now: () => Math.floor(Date.now() / 1000),
    tempDir: () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fedora-base-snapshot-"));
      temps.push(dir);
      return dir;
    },
  };
  try {
    return await fn(deps);
  } finally {
    for (const dir of temps) fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The commands as they run for real, on the project in `projectDir` (Pulumi.yaml, recipe/). */
export function realActions(projectDir: string, log: Log): CliActions {
  return {
    snapshotNew: (target, options) =>
      withDeps(projectDir, target, log, (deps) => snapshotNew(deps, options)),
    snapshotExtract: (target, options) =>
      withDeps(projectDir, target, log, (deps) => snapshotExtract(deps, options)),
    ops: realOpsActions(projectDir, log),
  };
}
