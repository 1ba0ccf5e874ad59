/** Exit codes of every command; `--help` lists them, scripts may rely on them. */
export const EXIT = {
  ok: 0,
  /** A step failed: build, pack, push or stack config write. */
  failed: 1,
  /** Bad usage: unknown command or option, missing option, invalid option value. */
  usage: 2,
  /** The stack configuration is invalid or lacks what the command needs. */
  config: 3,
} as const;

export const EXIT_CODES_HELP = `
Exit codes:
  0  done (or help shown)
  1  a step failed: build, pack, push or stack config write
  2  bad usage: unknown command or option, missing option, invalid option value
  3  the stack configuration is invalid or lacks what the command needs`;
