import * as pulumi from "@pulumi/pulumi";

/** Where every fedora-base image keeps its installed packages (written by the recipe). */
export const PACKAGE_LIST_PATH = "/usr/share/fedora-base/packages.tsv";

interface ListInputs {
  /** `repository@sha256:...` of the image. */
  ref: string;
}

interface ListState extends ListInputs {
  /** name, epoch, version, release, arch; tab-separated, one package a line, sorted. */
  packages: string;
}

/**
 * Reads the list from the pushed image with regctl. The list is fixed by the image's digest, so
 * it is read once per digest and never refreshed. The functions are serialised into the Pulumi
 * state, so they capture nothing and load what they use themselves.
 */
/* eslint-disable @typescript-eslint/no-require-imports */
const listProvider: pulumi.dynamic.ResourceProvider<ListInputs, ListState> = {
  async create(inputs) {
    const { promisify } = require("node:util") as typeof import("node:util");
    const { execFile } = require("node:child_process") as typeof import("node:child_process");
    const { stdout } = await promisify(execFile)(
      "regctl",
      ["image", "get-file", inputs.ref, "/usr/share/fedora-base/packages.tsv"],
      { maxBuffer: 16 * 1024 * 1024 },
    );
    return { id: inputs.ref, outs: { ref: inputs.ref, packages: stdout } };
  },

  diff(_id, olds, news) {
    const changed = olds.ref !== news.ref;
    return Promise.resolve({ changes: changed, replaces: changed ? ["ref"] : [] });
  },

  delete() {
    return Promise.resolve();
  },
};
/* eslint-enable @typescript-eslint/no-require-imports */

export interface PackageListArgs {
  /** The image, pinned by digest: `repository@sha256:<64 hex>`. */
  ref: pulumi.Input<string>;
}

/** The exact list of packages installed in a published image, as a stack output. */
export class PackageList extends pulumi.dynamic.Resource {
  public declare readonly ref: pulumi.Output<string>;
  public declare readonly packages: pulumi.Output<string>;

  constructor(name: string, args: PackageListArgs, opts?: pulumi.CustomResourceOptions) {
    super(listProvider, name, { ...args, packages: undefined }, opts, "fedora-base", "PackageList");
  }
}
