import * as dockerbuild from "@pulumi/docker-build";
import * as pulumi from "@pulumi/pulumi";

import { PLATFORMS, type ExporterConfig } from "../stacks/config";
import type { ImageBuilder } from "./builder";
import { DEFAULT_EXPORTER, exporterOptions, pushByDigestExport } from "./exporter";
import type { FedoraBaseImage } from "./fedora-base-image";
import { LABELS } from "./labels";
import {
  buildDefinitionHash,
  canonicalJson,
  derivedRecipe,
  sha256,
  stageContext,
} from "./recipe";
import type { ImageRegistry } from "./registry";
import { PackageList } from "./package-list";
import { RegistryTag } from "./registry-tag";
import { ArgsChecker, rfc3339 } from "./validate";

export const DERIVED_IMAGE_TYPE = "fedora-base:index:DerivedImage";

export interface DerivedImageArgs {
  /** The fedora-base image it extends; used by digest, with the same epoch. */
  base: FedoraBaseImage;
  /** Name of the derived image; the repository is `<name>-<architecture>`. Kebab-case. */
  imageName: string;
  /** Packages installed from the base's retained metadata (never refreshed). */
  packages: string[];
  /** Extra shell commands run after the install, in the same build step. Default none. */
  steps?: string[];
  registry: ImageRegistry;
  builder: ImageBuilder;
  /** Media types and compression. Default: OCI media types, gzip level 9. */
  exporter?: ExporterConfig;
  /** Extra labels; the `io.fedora-base.` and `org.opencontainers.image.` keys are reserved. */
  labels?: Record<string, string>;
}

/**
 * An image built FROM a fedora-base image by digest, installing packages from the metadata the
 * base retained: as reproducible as the base, because nothing it reads moves.
 */
export class DerivedImage extends pulumi.ComponentResource {
  public readonly ref: pulumi.Output<string>;
  public readonly digest: pulumi.Output<string>;
  public readonly tag: pulumi.Output<string>;
  public readonly epoch: pulumi.Output<number>;
  /** Installed packages (name, epoch, version, release, arch; tab-separated, sorted). */
  public readonly packages: pulumi.Output<string>;
  public readonly baseRef: pulumi.Output<string>;

  constructor(name: string, args: DerivedImageArgs, opts?: pulumi.ComponentResourceOptions) {
    const check = new ArgsChecker("DerivedImage");
    const packages = check.packages(args.packages);
    const extraLabels = check.labels(args.labels);
    if (!/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/.test(args.imageName ?? "")) {
      check.pinned("imageName (must be kebab-case)", args.imageName);
    }
    check.done(name);
    super(DERIVED_IMAGE_TYPE, name, {}, opts);

    const base = args.base;
    const epoch = base.epochValue;
    const exporter = args.exporter ?? DEFAULT_EXPORTER;
    const platform = PLATFORMS[base.architecture];
    const files = derivedRecipe(args.steps ?? []);
    // Named by content: two stacks of one checkout with other steps never share a context.
    const context = stageContext(
      `derived-${args.imageName}-${sha256(canonicalJson(files)).slice(0, 12)}`,
      files,
    );
    const repository = pulumi.output(
      args.registry.repository(`${args.imageName}-${base.architecture}`),
    );
    const baseName = `fedora-base-${base.architecture}`;
    const pullFrom = args.registry.pullRepository?.(baseName) ?? args.registry.repository(baseName);
    const buildArgs = pulumi.all([pullFrom, base.digest]).apply(
      ([repo, digest]): Record<string, string> => ({
      BASE_IMAGE: `${repo}@${digest}`,
      DERIVED_NAME: args.imageName,
      DERIVED_PACKAGES: [...packages].sort().join(" "),
      SOURCE_DATE_EPOCH: String(epoch),
    }),
    );
    const labels = pulumi.all([buildArgs, base.digest]).apply(([ba, baseDigest]) => ({
      ...extraLabels,
      "org.opencontainers.image.created": rfc3339(epoch),
      "org.opencontainers.image.version": `${base.release}-${epoch}`,
      "org.opencontainers.image.title": args.imageName,
      "org.opencontainers.image.base.name": (ba.BASE_IMAGE ?? "").split("@")[0] ?? "",
      "org.opencontainers.image.base.digest": baseDigest,
      [LABELS.epoch]: String(epoch),
      [LABELS.release]: String(base.release),
      [LABELS.architecture]: base.architecture,
      [LABELS.buildkitVersion]: args.builder.buildkitVersion,
      [LABELS.buildDefinition]: buildDefinitionHash({
        files,
        buildArgs: ba,
        exporter: exporterOptions(exporter),
        platform,
      }),
    }));

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
        retainOnDelete: true,
        dependsOn: [...args.builder.ready, ...args.registry.ready, base],
      },
    );
    this.digest = image.digest;
    this.ref = pulumi.interpolate`${repository}@${image.digest}`;
    const tag = new RegistryTag(
      `${name}-tag`,
      { tag: pulumi.interpolate`${repository}:${base.release}-${epoch}`, digest: image.digest },
      { parent: this, retainOnDelete: true },
    );
    this.tag = tag.tag;
    this.packages = new PackageList(`${name}-packages`, { ref: this.ref }, { parent: this })
      .packages;
    this.epoch = pulumi.output(epoch);
    this.baseRef = base.ref;

    this.registerOutputs({
      ref: this.ref,
      digest: this.digest,
      tag: this.tag,
      epoch: this.epoch,
      baseRef: this.baseRef,
      packages: this.packages,
    });
  }
}
