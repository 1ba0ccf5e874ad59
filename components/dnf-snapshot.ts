import * as pulumi from "@pulumi/pulumi";

import { parsePinnedRef, type Architecture } from "../stacks/config";
import { ArgsChecker } from "./validate";

export const DNF_SNAPSHOT_TYPE = "fedora-base:index:DnfSnapshot";

export interface DnfSnapshotArgs {
  /** Fedora release number the metadata belongs to. */
  release: number;
  /** Architecture the metadata belongs to. */
  architecture: Architecture;
  /** The snapshot image, pinned by digest. Made by `fedora-base snapshot`, never by Pulumi. */
  ref: string;
}

/**
 * A pinned DNF metadata snapshot. The program never takes a snapshot itself: the CLI makes and
 * pushes one and pins its digest in the stack configuration, so an empty state with the same
 * configuration rebuilds the same bytes.
 */
export class DnfSnapshot extends pulumi.ComponentResource {
  public readonly ref: pulumi.Output<string>;
  public readonly digest: pulumi.Output<string>;
  public readonly repository: pulumi.Output<string>;

  constructor(name: string, args: DnfSnapshotArgs, opts?: pulumi.ComponentResourceOptions) {
    const check = new ArgsChecker("DnfSnapshot");
    check.release(args.release);
    check.architecture(args.architecture);
    const ref = check.pinned("ref", args.ref);
    check.done(name);
    super(DNF_SNAPSHOT_TYPE, name, {}, opts);

    const parsed = parsePinnedRef(ref);
    this.ref = pulumi.output(ref);
    this.digest = pulumi.output(parsed?.digest ?? "");
    this.repository = pulumi.output(parsed?.name ?? "");

    this.registerOutputs({ ref: this.ref, digest: this.digest, repository: this.repository });
  }
}
