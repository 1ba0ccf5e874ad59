import * as pulumi from "@pulumi/pulumi";

import type { ImageBuilder } from "../components/builder";
import { DerivedImage } from "../components/derived-image";
import { DnfSnapshot } from "../components/dnf-snapshot";
import { FedoraBaseImage } from "../components/fedora-base-image";
import type { ImageRegistry } from "../components/registry";
import { ReleaseIndex } from "../components/release-index";
import type { Architecture, StackConfig } from "./config";

/** What a kind of stack (local, AWS) provides to the composition: builders and a registry. */
export interface StackParts {
  builderFor(architecture: Architecture): ImageBuilder;
  registry: ImageRegistry;
}

export interface ImageOutputs {
  ref: pulumi.Output<string>;
  digest: pulumi.Output<string>;
  tag: pulumi.Output<string>;
  epoch: pulumi.Output<number>;
  /** Installed packages, read from the pushed image. */
  packages: pulumi.Output<string>;
  snapshotRef?: pulumi.Output<string>;
}

export interface IndexOutputs {
  versionRef: pulumi.Output<string>;
  movingRef: pulumi.Output<string | undefined>;
}

export interface StackOutputs {
  /** Per release, per architecture. */
  images: Record<string, Partial<Record<Architecture, ImageOutputs>>>;
  /** Per release: the version and moving index refs. */
  indexes: Record<string, IndexOutputs>;
  /** Per derived image, per architecture; plus its index. */
  derivedImages: Record<string, Partial<Record<Architecture, ImageOutputs>>>;
  derivedIndexes: Record<string, { versionRef: pulumi.Output<string> }>;
}

function imageOutputs(i: FedoraBaseImage | DerivedImage): ImageOutputs {
  return {
    ref: i.ref,
    digest: i.digest,
    tag: i.tag,
    epoch: i.epoch,
    packages: i.packages,
    ...(i instanceof FedoraBaseImage ? { snapshotRef: i.snapshotRef } : {}),
  };
}

/**
 * Registers every image, index and snapshot of the stack. Resource names come from release,
 * architecture and derived image name only, so listing releases in another order changes
 * nothing.
 */
export function composeImages(config: StackConfig, parts: StackParts): StackOutputs {
  const out: StackOutputs = { images: {}, indexes: {}, derivedImages: {}, derivedIndexes: {} };
  const bases = new Map<string, FedoraBaseImage>();
  for (const rel of config.releases) {
    const perArch: FedoraBaseImage[] = [];
    for (const arch of config.architectures) {
      const snapshotRef = rel.snapshots[arch];
      if (!snapshotRef) continue;
      const snapshot = new DnfSnapshot(`dnf-snapshot-${rel.release}-${arch}`, {
        release: rel.release,
        architecture: arch,
        ref: snapshotRef,
      });
      const image = new FedoraBaseImage(
        `fedora-${rel.release}-${arch}`,
        {
          release: rel.release,
          architecture: arch,
          epoch: rel.epoch,
          baseImage: rel.baseImage,
          snapshot: snapshotRef,
          mirror: config.mirror,
          registry: parts.registry,
          builder: parts.builderFor(arch),
          exporter: config.exporter,
          labels: config.labels,
        },
        { dependsOn: [snapshot] },
      );
      bases.set(`${rel.release}/${arch}`, image);
      perArch.push(image);
      (out.images[String(rel.release)] ??= {})[arch] = imageOutputs(image);
    }
    const index = new ReleaseIndex(`fedora-${rel.release}`, {
      release: rel.release,
      epoch: rel.epoch,
      repositoryName: "fedora-base",
      registry: parts.registry,
      images: perArch,
      dependsOn: perArch,
    });
    out.indexes[String(rel.release)] = { versionRef: index.versionRef, movingRef: index.movingRef };
  }
  for (const d of config.derivedImages) {
    const perArch: DerivedImage[] = [];
    for (const arch of config.architectures) {
      const base = bases.get(`${d.release}/${arch}`);
      if (!base) continue;
      const image = new DerivedImage(`${d.name}-${d.release}-${arch}`, {
        base,
        imageName: d.name,
        packages: d.packages,
        steps: d.steps,
        registry: parts.registry,
        builder: parts.builderFor(arch),
        exporter: config.exporter,
        labels: { ...config.labels, ...d.labels },
      });
      perArch.push(image);
      (out.derivedImages[d.name] ??= {})[arch] = imageOutputs(image);
    }
    const epoch = config.releases.find((r) => r.release === d.release)?.epoch ?? 0;
    const index = new ReleaseIndex(`${d.name}-${d.release}`, {
      release: d.release,
      epoch,
      repositoryName: d.name,
      registry: parts.registry,
      images: perArch,
      dependsOn: perArch,
    });
    out.derivedIndexes[d.name] = { versionRef: index.versionRef };
  }
  return out;
}
