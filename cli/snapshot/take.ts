import * as path from "node:path";
import type { SnapshotMeta } from "./labels";
import { packSnapshot } from "./pack";
import type { ExportRequest, SnapshotBuilder, SnapshotDeps } from "./ports";
import { snapshotTag } from "./stack-config";

export interface TakenSnapshot {
  architecture: SnapshotMeta["architecture"];
  /** `repository:<release>-<arch>-<epoch>`. */
  tag: string;
  /** `repository@sha256:...`: what the stack config pins. */
  ref: string;
  manifestDigest: string;
  /** False when the tag already held exactly this snapshot, so nothing was pushed. */
  pushed: boolean;
  dnfMajor: string;
}

/**
 * Pushes the packed snapshot under its version tag and checks that the registry serves the
 * digest we computed. A version tag never moves: one that holds other bytes is an error.
 */
async function publish(
  deps: SnapshotDeps,
  layout: string,
  tag: string,
  repository: string,
  manifestDigest: string,
): Promise<{ ref: string; pushed: boolean }> {
  const target = `${repository}:${tag}`;
  const existing = await deps.registry.digest(target);
  if (existing !== undefined && existing !== manifestDigest) {
    throw new Error(`${target} already holds ${existing}, but this snapshot is ` +
      `${manifestDigest}; version tags never move (equal metadata at an equal epoch would ` +
      "give equal digests)");
  }
  if (existing === undefined) {
    await deps.registry.push(layout, tag, target);
    const pushed = await deps.registry.digest(target);
    if (pushed !== manifestDigest) {
      throw new Error(`${target} resolves to ${String(pushed)} after the push, ` +
        `expected ${manifestDigest}`);
    }
  } else {
    deps.log(`${target} already holds ${manifestDigest}; not pushing`);
  }
  return { ref: `${repository}@${manifestDigest}`, pushed: existing === undefined };
}

/** Exports the metadata on the builder, packs it canonically and publishes it. */
export async function takeSnapshot(
  deps: SnapshotDeps,
  builder: SnapshotBuilder,
  request: Omit<ExportRequest, "dest" | "architecture">,
  meta: SnapshotMeta,
  repository: string,
): Promise<TakenSnapshot> {
  const { architecture, release, epoch } = meta;
  const work = deps.tempDir();
  const exported = path.join(work, "export");
  const layout = path.join(work, "layout");
  const tag = snapshotTag(release, architecture, epoch);
  deps.log(`${architecture}: exporting DNF metadata (${request.target})`);
  await builder.export({ ...request, architecture, dest: exported });
  const packed = packSnapshot({ ...meta, source: exported, dest: layout, refName: tag });
  deps.log(`${architecture}: packed ${packed.manifestDigest} (dnf ${packed.dnfMajor})`);
  const { ref, pushed } = await publish(deps, layout, tag, repository, packed.manifestDigest);
  return {
    architecture,
    tag: `${repository}:${tag}`,
    ref,
    manifestDigest: packed.manifestDigest,
    pushed,
    dnfMajor: packed.dnfMajor,
  };
}
