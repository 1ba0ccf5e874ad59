import * as pulumi from "@pulumi/pulumi";

/**
 * Inputs of a registry tag. `digest` is what the tag must point at; a refresh replaces it with
 * what the registry says, so a moved or deleted tag shows as an update in preview.
 */
interface TagInputs {
  /** `repository:tag` */
  tag: string;
  /** `sha256:<64 hex>`, or empty when the registry has no such tag. */
  digest: string;
  /**
   * For a tag whose digest comes from a docker-build `Index`: the images the index holds. That
   * Index's refresh follows a moved tag, so `digest` would follow the drift too; while `sources`
   * stay the same, the tag must keep the digest this resource pinned.
   */
  sources?: string[];
}

interface TagState extends TagInputs {
  /** The digest this resource last pointed the tag at (`digest` is what a refresh read). */
  pinned?: string;
}

/**
 * Points tags at digests with regctl (an OCI client), and reads them back. The functions are
 * serialised into the Pulumi state and run in the engine's provider process, so they capture
 * nothing and load what they use themselves.
 */
/* eslint-disable @typescript-eslint/no-require-imports */
async function pointTag(tag: string, digest: string): Promise<void> {
  const { promisify } = require("node:util") as typeof import("node:util");
  const { execFile } = require("node:child_process") as typeof import("node:child_process");
  const run = promisify(execFile);
  // A tag that already holds the digest is left alone: registries with immutable tags (ECR)
  // refuse even an identical push.
  const current = await run("regctl", ["image", "digest", tag]).then(
    (r) => r.stdout.trim(),
    () => "",
  );
  if (current === digest) return;
  const repo = tag.slice(0, tag.lastIndexOf(":"));
  await run("regctl", ["image", "copy", `${repo}@${digest}`, tag]);
}

const tagProvider: pulumi.dynamic.ResourceProvider<TagInputs, TagState> = {
  async create(inputs) {
    await pointTag(inputs.tag, inputs.digest);
    return { id: inputs.tag, outs: { ...inputs, pinned: inputs.digest } };
  },

  async read(id, props) {
    const { promisify } = require("node:util") as typeof import("node:util");
    const { execFile } = require("node:child_process") as typeof import("node:child_process");
    const tag = props?.tag ?? id;
    let digest = "";
    try {
      digest = (await promisify(execFile)("regctl", ["image", "digest", tag])).stdout.trim();
    } catch (err) {
      // Only "no such tag" is drift; anything else (registry down) must not pass for one.
      const stderr = String((err as { stderr?: unknown }).stderr ?? err);
      // A bare "404" inside the tag itself (44-1764040400) must not count.
      if (!/not found|manifest unknown|\b404\b/i.test(stderr)) throw err;
    }
    return { id, props: { ...props, tag, digest } };
  },

  diff(_id, olds, news) {
    const pinned = olds.pinned ?? olds.digest;
    const sameSources = JSON.stringify(olds.sources) === JSON.stringify(news.sources);
    // With sources, a new digest alone is the Index following a moved tag, not a new index.
    const wanted = news.sources !== undefined && sameSources ? pinned : news.digest;
    return Promise.resolve({
      changes: olds.tag !== news.tag || !sameSources || olds.digest !== pinned ||
        wanted !== pinned,
      replaces: olds.tag === news.tag ? [] : ["tag"],
    });
  },

  async update(_id, olds, news) {
    const sameSources = JSON.stringify(olds.sources) === JSON.stringify(news.sources);
    const digest = news.sources !== undefined && sameSources
      ? (olds.pinned ?? olds.digest)
      : news.digest;
    await pointTag(news.tag, digest);
    return { outs: { ...news, digest, pinned: digest } };
  },

  // Deleting the resource never deletes the tag or what it points at: published images stay.
  delete() {
    return Promise.resolve();
  },
};
/* eslint-enable @typescript-eslint/no-require-imports */

export interface RegistryTagArgs {
  /** `repository:tag`, e.g. `registry.example.com/fedora-base-x86_64:44-1764720000`. */
  tag: pulumi.Input<string>;
  /** The digest the tag points at: `sha256:<64 hex>`. */
  digest: pulumi.Input<string>;
  /**
   * When `digest` comes from a resource whose refresh follows the tag (docker-build's `Index`):
   * what that index is made of. The tag then keeps its digest until these change.
   */
  sources?: pulumi.Input<pulumi.Input<string>[]>;
}

/**
 * A tag in an OCI registry, held so that `pulumi preview --refresh` sees it moved or deleted
 * (docker-build's `Image` does not look at tags on refresh, and its `Index` refresh changes
 * only an output). `pulumi up` points it back. Never deleted from the registry. Needs `regctl`
 * on PATH, with access to the registry.
 */
export class RegistryTag extends pulumi.dynamic.Resource {
  public declare readonly tag: pulumi.Output<string>;
  public declare readonly digest: pulumi.Output<string>;

  constructor(name: string, args: RegistryTagArgs, opts?: pulumi.CustomResourceOptions) {
    super(tagProvider, name, args, opts, "fedora-base", "RegistryTag");
  }
}
