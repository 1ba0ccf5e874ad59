/**
 * Exit codes of the operations commands, on top of the CLI's own (cli/exit-codes.ts: 0 done,
 * 1 failed, 2 usage, 3 configuration). A scheduler can act on them without parsing output.
 */
export const OPS_EXIT = {
  ok: 0,
  /** An error, or (reproduce) a rebuild that differs from the published image. */
  failed: 1,
  usage: 2,
  config: 3,
  /** check-updates: at least one image has security updates. */
  securityUpdates: 10,
  /** check-updates: updates exist, none of them security. */
  otherUpdates: 11,
  /** check-rebuildable: a package the rebuild downloads is gone from the mirror. */
  notRebuildable: 12,
  /** check-rebuildable: only packages that came with the base image are gone. */
  baseOnlyMissing: 13,
} as const;

const COMMON = `
  1  error: a step failed, nothing was concluded
  2  bad usage: unknown command or option, missing option, invalid option value
  3  the stack configuration is invalid or lacks what the command needs`;

export const CHECK_UPDATES_EXIT_HELP = `
Exit codes (an error is never reported as "no updates"):
  0  no updates for any published image${COMMON}
  10 security updates for at least one image
  11 updates, none of them security`;

export const REPRODUCE_EXIT_HELP = `
Exit codes:
  0  the rebuild has the published digest (match)
  1  the rebuild differs (mismatch, with the layers and files that differ), or an error
  2  bad usage: unknown command or option, missing option, invalid option value
  3  the stack configuration is invalid or lacks what the command needs`;

export const CHECK_REBUILDABLE_EXIT_HELP = `
Exit codes:
  0  every installed package is still on the mirror at its exact version${COMMON}
  12 a package the rebuild downloads is gone: no bit-for-bit rebuild from this mirror
  13 only packages that came with the base image are gone: the image still rebuilds (the
     base image carries them), but they cannot be installed at that version any more`;

export const PLAIN_EXIT_HELP = `
Exit codes:
  0  done${COMMON}`;
