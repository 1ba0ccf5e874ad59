import * as dockerbuild from "@pulumi/docker-build";
import * as pulumi from "@pulumi/pulumi";

import { mirrorString, parsePinnedRef, PLATFORMS, type Architecture } from "../stacks/config";
import type { ExporterConfig } from "../stacks/config";
import type { ImageBuilder } from "./builder";
import { DEFAULT_EXPORTER, exporterOptions, pushByDigestExport } from "./exporter";
import { baseRecipe, buildDefinitionHash, stageContext } from "./recipe";
import { LABELS } from "./labels";
import type { ImageRegistry } from "./registry";
import { PackageList } from "./package-list";
import { RegistryTag } from "./registry-tag";
import { ArgsChecker, rfc3339, warnOldRelease } from "./validate";

export const FEDORA_BASE_IMAGE_TYPE = "fedora-base:index:FedoraBaseImage";

export { LABELS };

export interface FedoraBaseImageArgs {
  /** Fedora release number, e.g. 44. Releases before 37 build, with a warning. */
  release: number;
  /** `x86_64` or `aarch64`; built natively on the builder node for that platform. */
  architecture: Architecture;
  /** SOURCE_DATE_EPOCH of the release, Unix epoch seconds, not in the future. Also the tag. */
  epoch: number;
  /** Base image pinned by digest: `registry.fedoraproject.org/fedora:44@sha256:<64 hex>`. */
  baseImage: string;
  /** DNF metadata snapshot for this architecture, pinned by digest. */
  snapshot: string;
  /** Repo id to fixed baseurl, written into the repo files instead of metalinks. Default none. */
  mirror?: Record<string, string>;
  /** Where the image is pushed; the repository is `fedora-base-<architecture>`. */
  registry: ImageRegistry;
  /** The BuildKit builder to build on. */
  builder: ImageBuilder;
  /** Media types and compression. Default: OCI media types, gzip level 9. */
  exporter?: ExporterConfig;
  /** Extra labels; the `io.fedora-base.` and `org.opencontainers.image.` keys are reserved. */
  labels?: Record<string, string>;
  /** Upper bound for `epoch`, Unix seconds. Default: now. */
  now?: number;
}

/** One Fedora release on one architecture, rebuilt bit for bit from its pinned inputs. */
export class FedoraBaseImage extends pulumi.ComponentResource {
  /** `repository@sha256:...` of the pushed image manifest. */
  public readonly ref: pulumi.Output<string>;
  public readonly digest: pulumi.Output<string>;
  /** `repository:<release>-<epoch>`, held by a `RegistryTag` so that refresh sees it move. */
  public readonly tag: pulumi.Output<string>;
  public readonly epoch: pulumi.Output<number>;
  /** Installed packages (name, epoch, version, release, arch; tab-separated, sorted). */
  public readonly packages: pulumi.Output<string>;
  public readonly snapshotRef: pulumi.Output<string>;
  public readonly release: number;
  public readonly architecture: Architecture;
  public readonly epochValue: number;

  constructor(name: string, args: FedoraBaseImageArgs, opts?: pulumi.ComponentResourceOptions) {
    const check = new ArgsChecker("FedoraBaseImage");
    const release = check.release(args.release);
    const architecture = check.architecture(args.architecture);
    const epoch = check.epoch(args.epoch, args.now ?? Math.floor(Date.now() / 1000));
    const baseImage = check.pinned("baseImage", args.baseImage);
    const snapshot = check.pinned("snapshot", args.snapshot);
    const extraLabels = check.labels(args.labels);
    if (!args.builder.architectures.includes(architecture)) {
      check.architecture(`${architecture} (builder ${args.builder.builderName} has no node)`);
    }
    check.done(name);
    super(FEDORA_BASE_IMAGE_TYPE, name, {}, opts);

    const warning = warnOldRelease(release);
    if (warning) void pulumi.log.warn(warning, this);
    const exporter = args.exporter ?? DEFAULT_EXPORTER;
    const platform = PLATFORMS[architecture];
    const files = baseRecipe();
    const context = stageContext("base", files);
    const buildArgs = {
      BASE_IMAGE: baseImage,
      FEDORA_BASE_REPOS: mirrorString(args.mirror ?? {}),
      FEDORA_RELEASE: String(release),
      SNAPSHOT_IMAGE: snapshot,
      SOURCE_DATE_EPOCH: String(epoch),
    };
    const base = parsePinnedRef(baseImage);
    const labels: Record<string, string> = {
      ...extraLabels,
      "org.opencontainers.image.created": rfc3339(epoch),
      "org.opencontainers.image.version": `${release}-${epoch}`,
      "org.opencontainers.image.title": "fedora-base",
      "org.opencontainers.image.base.name": base?.tag
        ? `${base.name}:${base.tag}`
        : (base?.name ?? ""),
      "org.opencontainers.image.base.digest": base?.digest ?? "",
      [LABELS.epoch]: String(epoch),
      [LABELS.release]: String(release),
      [LABELS.architecture]: architecture,
      [LABELS.snapshot]: snapshot,
      [LABELS.snapshotDigest]: parsePinnedRef(snapshot)?.digest ?? "",
      [LABELS.repos]: buildArgs.FEDORA_BASE_REPOS,
      [LABELS.buildkitVersion]: args.builder.buildkitVersion,
      [LABELS.buildDefinition]: buildDefinitionHash({
        files,
        buildArgs,
        exporter: exporterOptions(exporter),
        platform,
      }),
    };
    const repository = pulumi.output(args.registry.repository(`fedora-base-${architecture}`));
    const tagName = `${release}-${epoch}`;

    const image = new dockerbuild.Image(
      `${name}-image`,
      {
        context: { location: context.location },
        dockerfile: { location: context.dockerfile },
        platforms: [platform],
        buildArgs,
        labels,
        builder: { name: args.builder.builderName },
        network: args.builder.network === "host" ? "host" : "default",
        exports: [{ raw: repository.apply((repo) => pushByDigestExport(repo, exporter)) }],
        push: false,
        buildOnPreview: false,
        registries: args.registry.credentials ? [args.registry.credentials] : undefined,
      },
      {
        parent: this,
        // Reproducible builds make equal digests normal: a delete by digest could remove bytes
        // another tag or index still uses (C15). Old images are cleaned up by registry rules.
        retainOnDelete: true,
        dependsOn: [...args.builder.ready, ...args.registry.ready],
      },
    );
    this.digest = image.digest;
    this.ref = pulumi.interpolate`${repository}@${image.digest}`;

    const tag = new RegistryTag(
      `${name}-tag`,
      { tag: pulumi.interpolate`${repository}:${tagName}`, digest: image.digest },
      { parent: this, retainOnDelete: true },
    );
    this.tag = tag.tag;
    this.packages = new PackageList(`${name}-packages`, { ref: this.ref }, { parent: this })
      .packages;
    this.epoch = pulumi.output(epoch);
    this.snapshotRef = pulumi.output(snapshot);
    this.release = release;
    this.architecture = architecture;
    this.epochValue = epoch;

    this.registerOutputs({
      ref: this.ref,
      digest: this.digest,
      tag: this.tag,
      epoch: this.epoch,
      snapshotRef: this.snapshotRef,
      packages: this.packages,
    });
  }
}
