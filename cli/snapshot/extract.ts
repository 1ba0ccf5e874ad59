import { mirrorString } from "../../stacks/config";
import { IMAGE_SNAPSHOT_DIGEST_LABEL, snapshotMetaFromLabels } from "./labels";
import type { SnapshotDeps } from "./ports";
import { recordInStack, releaseConfigValues, staleArchitectures } from "./record";
import type { SnapshotReport } from "./report";
import { configForSnapshot, SNAPSHOT_REPOSITORY, snapshotTag } from "./stack-config";
import { takeSnapshot } from "./take";

export interface SnapshotExtractOptions {
  /** A published fedora-base image, pinned by digest. */
  image: string;
  /** Validate and show the plan; build, push and write nothing. */
  dryRun: boolean;
}

/**
 * Recovers the DNF metadata snapshot a published image was built on: release, architecture,
 * epoch, base image and repos come from its labels, the metadata from its retained cache.
 * Pins it, with the image's epoch and base image, in the stack config ("reproduce mode").
 */
export async function snapshotExtract(
  deps: SnapshotDeps,
  options: SnapshotExtractOptions,
): Promise<SnapshotReport> {
  const { image, dryRun } = options;
  const labels = await deps.registry.labels(image);
  const meta = snapshotMetaFromLabels(image, labels);
  const { release, architecture, epoch, baseImage, repos } = meta;
  const raw = await deps.stack.readConfig();
  const config = configForSnapshot(raw, release, [architecture], baseImage);
  const repository = `${config.registry}/${SNAPSHOT_REPOSITORY}`;
  const warnings: string[] = [];
  if (mirrorString(config.mirror) !== repos) {
    warnings.push(`the image was built with FEDORA_BASE_REPOS ${JSON.stringify(repos)} but ` +
      `the stack's mirror gives ${JSON.stringify(mirrorString(config.mirror))}: the stack ` +
      "rebuilds this image only once fedora-base:mirror matches");
  }
  const stale = staleArchitectures(raw, { release, epoch, snapshots: { [architecture]: "" } },
    config.architectures);
  if (stale.length > 0) {
    warnings.push(`the snapshots of ${stale.join(", ")} were taken at another epoch than ` +
      `${epoch}; extract them from the release's other images too`);
  }
  const report = {
    command: "snapshot extract" as const,
    stack: deps.stack.name,
    dryRun,
    release,
    epoch,
    baseImage,
    repos,
    source: image,
    warnings,
  };
  if (dryRun) {
    const tag = `${repository}:${snapshotTag(release, architecture, epoch)}`;
    return {
      ...report,
      snapshots: [{ architecture, tag }],
      config: releaseConfigValues({
        release, epoch, baseImage, snapshots: { [architecture]: `${repository}@<digest>` },
      }),
    };
  }

  const taken = await takeSnapshot(
    deps,
    deps.builder(config.builder),
    { target: "export-extract", buildArgs: { IMAGE: image } },
    meta,
    repository,
  );
  const builtOn = labels[IMAGE_SNAPSHOT_DIGEST_LABEL];
  const sourceSnapshot = builtOn === undefined
    ? undefined
    : { digest: builtOn, matches: builtOn === taken.manifestDigest };
  if (sourceSnapshot && !sourceSnapshot.matches) {
    warnings.push(`the image was built on snapshot ${builtOn}, but its retained metadata packs ` +
      `to ${taken.manifestDigest}: the stack will not rebuild this image's bytes`);
  }

  const written = await recordInStack(deps, {
    release, epoch, baseImage, snapshots: { [architecture]: taken.ref },
  });
  for (const w of warnings) deps.log(`warning: ${w}`);
  return { ...report, snapshots: [taken], config: written, sourceSnapshot };
}
