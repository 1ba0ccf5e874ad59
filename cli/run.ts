/** Writes one progress line; the CLI sends these to stderr so that `--json` keeps stdout clean. */
export type Log = (line: string) => void;

export interface RunOptions {
  /** Show the command's stderr live (long builds); otherwise keep it for the error message. */
  stream?: boolean;
  /** Extra environment variables, on top of the CLI's own. */
  env?: Record<string, string>;
}

/** A tool exited non-zero; `stderr` is what it said, for callers that tell failures apart. */
export class CommandError extends Error {
  constructor(message: string, readonly stderr: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "CommandError";
  }
}

/** Which lines of a failed command's stderr an error message keeps. */
const STDERR_TAIL = 20;

/**
 * Runs a tool and returns its stdout. Every command is logged before it runs, and a failure
 * becomes an error that names the command, its exit code and the end of its stderr.
 */
export async function run(
  log: Log,
  file: string,
  args: readonly string[],
  options: RunOptions = {},
): Promise<string> {
  log(`$ ${[file, ...args].map(quote).join(" ")}`);
  // execa is ESM only, and so are its dependencies' exports: a dynamic import loads them
  // through Node's ESM loader even from this CommonJS module.
  const { ExecaError, execa } = await import("execa");
  try {
    const result = await execa(file, args, {
      stdin: "ignore",
      stdout: "pipe",
      stderr: options.stream ? ["pipe", "inherit"] : "pipe",
      env: options.env,
    });
    return result.stdout;
  } catch (error) {
    if (!(error instanceof ExecaError)) throw error;
    if (error.code === "ENOENT") {
      throw new Error(`${file} is not on PATH (\`eval "$(scripts/services/env.sh)"\` puts ` +
        "the pinned tools there)", { cause: error });
    }
    const stderr = String(error.stderr ?? "").trim();
    // A streamed command's stderr is already on the terminal.
    const tail = options.stream ? "" : stderr.split("\n").slice(-STDERR_TAIL).join("\n");
    const message = tail ? `${error.shortMessage}\n${tail}` : error.shortMessage;
    throw new CommandError(message, stderr, { cause: error });
  }
}

/** Quotes an argument for a log line that can be pasted into a POSIX shell. */
function quote(arg: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, "'\\''")}'`;
}
