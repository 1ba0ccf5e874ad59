import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

import type { Architecture } from "../../stacks/config";

export const RELEASE_PARAMETERS_TYPE = "fedora-base:aws:ReleaseParameters";

export interface ReleaseRefs {
  /** `repository:<release>-<epoch>@sha256:...` of the multi-arch index. */
  index: pulumi.Input<string>;
  /** Per architecture: `repository@sha256:...` of the image. */
  images: Partial<Record<Architecture, pulumi.Input<string>>>;
}

export interface ReleaseParametersArgs {
  /** SSM path prefix, e.g. `/fedora-base`; parameters live under `<prefix>/releases/<n>/`. */
  prefix: string;
  /** Per release number (as a string, e.g. `"44"`), its current refs. */
  releases: Record<string, ReleaseRefs>;
}

/**
 * A stable discovery point per release: SSM String parameters holding the current refs, pinned
 * by digest (`<prefix>/releases/44/index`, `<prefix>/releases/44/x86_64`, ...). Consumers in
 * other stacks or accounts read them instead of tracking epochs.
 */
export class ReleaseParameters extends pulumi.ComponentResource {
  /** Parameter name to its ARN. */
  public readonly parameterArns: Record<string, pulumi.Output<string>>;

  constructor(name: string, args: ReleaseParametersArgs, opts?: pulumi.ComponentResourceOptions) {
    if (!/^(\/[A-Za-z0-9_.-]+)+$/.test(args.prefix)) {
      throw new Error(
        `ReleaseParameters ${JSON.stringify(name)}: prefix must be an SSM path like ` +
          `/fedora-base, got ${JSON.stringify(args.prefix)}`,
      );
    }
    super(RELEASE_PARAMETERS_TYPE, name, {}, opts);

    const arns: Record<string, pulumi.Output<string>> = {};
    const put = (id: string, path: string, value: pulumi.Input<string>, what: string) => {
      const p = new aws.ssm.Parameter(
        `${name}-${id}`,
        // Refs are not secrets: `insecureValue` keeps them readable in previews and diffs.
        { name: path, type: "String", tier: "Standard", insecureValue: value, description: what },
        { parent: this },
      );
      arns[path] = p.arn;
    };
    for (const release of Object.keys(args.releases).sort((a, b) => Number(a) - Number(b))) {
      const refs = args.releases[release];
      if (!refs) continue;
      const base = `${args.prefix}/releases/${release}`;
      put(`${release}-index`, `${base}/index`, refs.index, `fedora-base ${release} index`);
      for (const arch of Object.keys(refs.images).sort() as Architecture[]) {
        const ref = refs.images[arch];
        if (!ref) continue;
        put(`${release}-${arch}`, `${base}/${arch}`, ref, `fedora-base ${release} ${arch}`);
      }
    }
    this.parameterArns = arns;

    this.registerOutputs({ parameterArns: this.parameterArns });
  }
}
