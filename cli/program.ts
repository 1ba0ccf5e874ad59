import { Command, CommanderError, Option } from "commander";
import { type Architecture, ConfigError } from "../stacks/config";
import { EXIT, EXIT_CODES_HELP } from "./exit-codes";
import { REGISTRY_TLS_MODES, type RegistryTls } from "./regctl";
import { amiCommand } from "./ami";
import { addOpsCommands, type OpsActions } from "./ops/commands";
import { collectArchitecture, parsePinnedImage, parseRelease, parseStackName } from "./options";
import type { SnapshotExtractOptions } from "./snapshot/extract";
import type { SnapshotNewOptions } from "./snapshot/new";
import { formatReport, type SnapshotReport } from "./snapshot/report";

/** Where the CLI writes: results to `out` (stdout), help, errors and progress to `err`. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
}

/** Where a command works: the stack, and how to reach its registry. */
export interface Target {
  stack: string;
  /** TLS mode of the registries; default: regctl's own configuration. */
  registryTls?: RegistryTls;
}

/** What the commands do once their arguments are valid; tests replace them. */
export interface CliActions {
  snapshotNew(target: Target, options: SnapshotNewOptions): Promise<SnapshotReport>;
  snapshotExtract(target: Target, options: SnapshotExtractOptions): Promise<SnapshotReport>;
  /** The operations commands (cli/ops); without them those commands fail when run. */
  ops?: OpsActions;
}

interface CommonOptions extends Target {
  dryRun?: boolean;
  json?: boolean;
}

function target(opts: CommonOptions): Target {
  return opts.registryTls === undefined
    ? { stack: opts.stack }
    : { stack: opts.stack, registryTls: opts.registryTls };
}

function stackOption(): Option {
  return new Option("--stack <stack>", "Pulumi stack whose config pins the snapshots")
    .argParser(parseStackName)
    .makeOptionMandatory();
}

function registryTlsOption(): Option {
  return new Option("--registry-tls <mode>", "TLS towards the registries, for this run only " +
    "(default: regctl's configuration, e.g. REGCTL_CONFIG)").choices(REGISTRY_TLS_MODES);
}

function print(io: CliIo, report: SnapshotReport, json: boolean | undefined): void {
  io.out(json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report));
}

/** The exit code a command that completed asks for (the operations commands set 10-13). */
export interface ExitStatus {
  code: number;
}

export function buildProgram(
  actions: CliActions,
  io: CliIo,
  status: ExitStatus = { code: EXIT.ok },
): Command {
  const program = new Command("fedora-base")
    .description("Tools for the fedora-base Pulumi project. Run as: npx tsx cli/main.ts ...")
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.out(s),
      writeErr: (s) => io.err(s),
    })
    .showHelpAfterError("(add --help for usage)")
    .addHelpText("after", EXIT_CODES_HELP);

  const snapshot = program
    .command("snapshot")
    .description("make DNF metadata snapshots and pin them in a stack's config")
    .addHelpText("after", EXIT_CODES_HELP);

  snapshot
    .command("new")
    .summary("take a new snapshot of a release's metadata, fetched now")
    .description(
      "fetch the release's DNF metadata now in its pinned base image, for each architecture " +
        "of the stack, at one epoch (now); push each snapshot to <registry>/dnf-snapshot and " +
        'write releases["<r>"].epoch and .snapshots.<arch> into the stack config',
    )
    .addOption(stackOption())
    .addOption(new Option("--release <release>", "Fedora release number, e.g. 44")
      .argParser(parseRelease)
      .makeOptionMandatory())
    .addOption(new Option("--arch <arch>", "architecture to snapshot (repeatable; default: all " +
      "of the stack's): x86_64 or aarch64").argParser(collectArchitecture))
    .addOption(registryTlsOption())
    .option("--dry-run", "validate and show the plan; build, push and write nothing")
    .option("--json", "print the result as JSON on stdout")
    .addHelpText("after", EXIT_CODES_HELP)
    .action(async (opts: CommonOptions & { release: number; arch?: Architecture[] }) => {
      const report = await actions.snapshotNew(target(opts), {
        release: opts.release,
        architectures: opts.arch,
        dryRun: opts.dryRun === true,
      });
      print(io, report, opts.json);
    });

  snapshot
    .command("extract")
    .summary("recover the snapshot a published image was built on")
    .description(
      "recover the snapshot a published image was built on: release, architecture, epoch, " +
        "base image and repos from its labels, metadata from its retained cache; push it and " +
        "pin it, with the image's epoch and base image, in the stack config",
    )
    .addOption(stackOption())
    .addOption(new Option("--image <ref>", "published image, pinned by digest " +
      "(<registry>/fedora-base-<arch>@sha256:...)").argParser(parsePinnedImage)
      .makeOptionMandatory())
    .addOption(registryTlsOption())
    .option("--dry-run", "validate and show the plan; build, push and write nothing")
    .option("--json", "print the result as JSON on stdout")
    .addHelpText("after", EXIT_CODES_HELP)
    .action(async (opts: CommonOptions & { image: string }) => {
      const report = await actions.snapshotExtract(target(opts), {
        image: opts.image,
        dryRun: opts.dryRun === true,
      });
      print(io, report, opts.json);
    });

  addOpsCommands(program, actions.ops, {
    out: (text) => io.out(text),
    exit: (code) => (status.code = code),
  });
  program.addCommand(amiCommand(undefined, (line) => io.err(`${line}\n`)));

  return program;
}

/**
 * Runs one command line (without `node` and the script) and returns its exit code. Usage
 * errors are reported before any action runs.
 */
export async function runCli(
  argv: readonly string[],
  actions: CliActions,
  io: CliIo,
): Promise<number> {
  const json = argv.includes("--json");
  const status: ExitStatus = { code: EXIT.ok };
  try {
    await buildProgram(actions, io, status).parseAsync([...argv], { from: "user" });
    return status.code;
  } catch (error) {
    let code: number = error instanceof ConfigError ? EXIT.config : EXIT.failed;
    let message = error instanceof Error ? error.message : String(error);
    if (error instanceof CommanderError) {
      if (error.exitCode === 0) return EXIT.ok;
      code = EXIT.usage;
      message = message.replace(/^error: /, "");
    } else {
      io.err(`fedora-base: error: ${message}\n`);
    }
    if (json) io.out(`${JSON.stringify({ error: message, exitCode: code }, null, 2)}\n`);
    return code;
  }
}
