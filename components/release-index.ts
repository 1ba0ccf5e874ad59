import * as dockerbuild from "@pulumi/docker-build";
import * as pulumi from "@pulumi/pulumi";

import type { ImageRegistry } from "./registry";
import { RegistryTag } from "./registry-tag";

export const RELEASE_INDEX_TYPE = "fedora-base:index:ReleaseIndex";

/** What the index needs of each per-architecture image. */
export interface IndexSource {
  /** `repository@sha256:...` of one architecture's image. */
  ref: pulumi.Input<string>;
}

export interface ReleaseIndexArgs {
  /** Fedora release number; the moving tag. */
  release: number;
  /** The release's epoch, Unix seconds; the version tag is `<release>-<epoch>`. */
  epoch: number;
  /** Repository name in the registry, e.g. `fedora-base`. */
  repositoryName: string;
  registry: ImageRegistry;
  /** Every architecture of the release; the index waits for all of them. */
  images: IndexSource[];
  /** Resources the index must wait for (the images themselves). */
  dependsOn: pulumi.Resource[];
  /** Whether to publish the moving `<release>` tag. Default true. */
  movingTag?: boolean;
}

/**
 * The multi-arch index of one release: an immutable `<release>-<epoch>` tag and the moving
 * `<release>` tag. Both are built only after every architecture's image exists, so a failed
 * architecture never moves the tag.
 */
export class ReleaseIndex extends pulumi.ComponentResource {
  /** `repository:<release>-<epoch>@sha256:...` */
  public readonly versionRef: pulumi.Output<string>;
  /** `repository:<release>@sha256:...`, or undefined without a moving tag. */
  public readonly movingRef: pulumi.Output<string | undefined>;

  constructor(name: string, args: ReleaseIndexArgs, opts?: pulumi.ComponentResourceOptions) {
    if (args.images.length === 0) {
      throw new Error(`ReleaseIndex ${JSON.stringify(name)}: images must not be empty, got []`);
    }
    super(RELEASE_INDEX_TYPE, name, {}, opts);

    const repository = pulumi.output(args.registry.repository(args.repositoryName));
    const sources = args.images.map((i) => i.ref);
    // An Index whose tag changes is replaced, and replacement deletes: keep published indexes.
    const childOpts = { parent: this, retainOnDelete: true, dependsOn: args.dependsOn };

    const version = new dockerbuild.Index(
      `${name}-version`,
      {
        tag: pulumi.interpolate`${repository}:${args.release}-${args.epoch}`,
        sources,
        push: true,
        registry: args.registry.credentials,
      },
      childOpts,
    );
    const moving =
      args.movingTag === false
        ? undefined
        : new dockerbuild.Index(
            `${name}-moving`,
            {
              tag: pulumi.interpolate`${repository}:${args.release}`,
              sources,
              push: true,
              registry: args.registry.credentials,
            },
            { ...childOpts, dependsOn: [...args.dependsOn, version] },
          );
    // docker-build's Index refresh updates only its `ref` output: guard each tag so that a
    // moved or deleted tag shows as a change in `pulumi preview --refresh`. That `ref` follows
    // a moved tag, so the guard also gets the sources, and keeps its digest while they stay.
    const guard = (index: dockerbuild.Index, suffix: string) =>
      new RegistryTag(
        `${name}-${suffix}-tag`,
        { tag: index.tag, digest: index.ref.apply((ref) => ref.split("@")[1] ?? ""), sources },
        { parent: this, retainOnDelete: true },
      );
    guard(version, "version");
    if (moving) guard(moving, "moving");
    this.versionRef = version.ref;
    this.movingRef = moving ? moving.ref : pulumi.output(undefined);

    this.registerOutputs({ versionRef: this.versionRef, movingRef: this.movingRef });
  }
}
