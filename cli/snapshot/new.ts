import { type Architecture, mirrorString } from "../../stacks/config";
import type { SnapshotDeps } from "./ports";
import { recordInStack, releaseConfigValues, staleArchitectures } from "./record";
import type { SnapshotReport } from "./report";
import {
  configForSnapshot,
  SNAPSHOT_REPOSITORY,
  snapshotTag,
} from "./stack-config";
import { type TakenSnapshot, takeSnapshot } from "./take";

export interface SnapshotNewOptions {
  /** Fedora release; its pinned base image comes from the stack config. */
  release: number;
  /** Architectures to snapshot; default: every architecture of the stack. */
  architectures?: Architecture[];
  /** Validate and show the plan; build, push and write nothing. */
  dryRun: boolean;
}

/**
 * Takes a new DNF metadata snapshot of one release: fetched now in the pinned base image, one
 * epoch (now) for every architecture, pushed, then pinned in the stack config.
 */
export async function snapshotNew(
  deps: SnapshotDeps,
  options: SnapshotNewOptions,
): Promise<SnapshotReport> {
  const { release, dryRun } = options;
  const raw = await deps.stack.readConfig();
  const config = configForSnapshot(raw, release, options.architectures);
  const baseImage = config.releases.find((r) => r.release === release)?.baseImage ?? "";
  const architectures = options.architectures ?? config.architectures;
  const epoch = deps.now();
  const repos = mirrorString(config.mirror);
  const repository = `${config.registry}/${SNAPSHOT_REPOSITORY}`;
  const stale = staleArchitectures(
    raw,
    { release, epoch, snapshots: Object.fromEntries(architectures.map((a) => [a, ""])) },
    config.architectures,
  );
  const warnings = stale.length === 0 ? [] : [
    `the snapshots of ${stale.join(", ")} keep an older epoch than release ${release}'s new ` +
      `one (${epoch}); run snapshot new without --arch to take every architecture at one epoch`,
  ];
  const report = {
    command: "snapshot new" as const,
    stack: deps.stack.name,
    dryRun,
    release,
    epoch,
    baseImage,
    repos,
    warnings,
  };
  if (dryRun) {
    const planned = Object.fromEntries(architectures.map((a) => [a, `${repository}@<digest>`]));
    return {
      ...report,
      snapshots: architectures.map((architecture) => ({
        architecture,
        tag: `${repository}:${snapshotTag(release, architecture, epoch)}`,
      })),
      config: releaseConfigValues({ release, epoch, snapshots: planned }),
    };
  }

  const builder = deps.builder(config.builder);
  const taken: TakenSnapshot[] = [];
  for (const architecture of architectures) {
    taken.push(await takeSnapshot(
      deps,
      builder,
      { target: "export-new", buildArgs: { BASE_IMAGE: baseImage, FEDORA_BASE_REPOS: repos } },
      { release, architecture, epoch, baseImage, repos },
      repository,
    ));
  }

  const snapshots = Object.fromEntries(taken.map((t) => [t.architecture, t.ref]));
  const written = await recordInStack(deps, { release, epoch, snapshots });
  for (const w of warnings) deps.log(`warning: ${w}`);
  return { ...report, snapshots: taken, config: written };
}
