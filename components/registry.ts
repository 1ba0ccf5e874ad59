import type * as pulumi from "@pulumi/pulumi";
import type * as dockerbuild from "@pulumi/docker-build";

/** Where images are pushed. The local stack uses any OCI registry; prod uses ECR. */
export interface ImageRegistry {
  /** Full repository reference (no tag) for a repository name such as `fedora-base-x86_64`. */
  repository(name: string): pulumi.Input<string>;
  /**
   * The reference builders pull that repository by, when it differs from the push target: an
   * alias keeps the account and region out of a derived image's build arguments. Default: the
   * push target.
   */
  pullRepository?(name: string): pulumi.Input<string>;
  /**
   * Credentials for pushes, if the builder has none of its own. Keep short-lived tokens out of
   * diffed inputs (C17): prefer a credential helper on the builder.
   */
  readonly credentials?: pulumi.Input<dockerbuild.types.input.RegistryArgs>;
  /** Resources that must exist before a push (repositories, policies). */
  readonly ready: pulumi.Resource[];
}

/** A plain OCI registry addressed by a repository prefix, e.g. `127.0.0.1:5000/fedora-base`. */
export class PrefixRegistry implements ImageRegistry {
  readonly ready: pulumi.Resource[] = [];

  constructor(readonly prefix: string) {}

  repository(name: string): string {
    return `${this.prefix}/${name}`;
  }
}
