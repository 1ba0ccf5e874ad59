/**
 * The operations commands of the CLI: check-updates, export-dnf-cache, reproduce, packages,
 * diff and check-rebuildable. Each prints its result on stdout (`--json`: one JSON document),
 * progress on stderr, and ends with an exit code a scheduler can act on.
 */
import { type Command, InvalidArgumentError, Option } from "commander";
import { ARCHITECTURES, type Architecture, parsePinnedRef, parseRepository, PLATFORMS } from
  "../../stacks/config";
import { parsePinnedImage, parseStackName } from "../options";
import { REGISTRY_TLS_MODES, type RegistryTls } from "../regctl";
import {
  type CheckUpdatesOptions,
  type CheckUpdatesReport,
  formatCheckUpdates,
} from "./check-updates";
import {
  CHECK_REBUILDABLE_EXIT_HELP,
  CHECK_UPDATES_EXIT_HELP,
  PLAIN_EXIT_HELP,
  REPRODUCE_EXIT_HELP,
} from "./exit-codes";
import {
  type ExportDnfCacheOptions,
  type ExportDnfCacheReport,
  formatExportDnfCache,
} from "./export-dnf-cache";
import {
  type DiffOptions,
  type DiffReport,
  formatDiff,
  formatPackages,
  type PackagesOptions,
  type PackagesReport,
} from "./packages";
import {
  type CheckRebuildableOptions,
  formatRebuildable,
  type RebuildableReport,
} from "./rebuildable";
import { formatReproduce, type ReproduceOptions, type ReproduceReport } from "./reproduce";

/** Where an operation runs: which stack, builder and registry TLS. */
export interface OpsTarget {
  /** Stack whose config names the builder (and, for check-updates, whose images to check). */
  stack?: string;
  /** buildx builder; default: the stack's `builder.name`, else buildx's current builder. */
  builder?: string;
  /** Network of steps that reach the mirror; default: the stack's, else `default`. */
  network?: "default" | "host";
  registryTls?: RegistryTls;
}

/** What the commands do once their arguments are valid; tests replace them. */
export interface OpsActions {
  checkUpdates(target: OpsTarget, options: CheckUpdatesOptions): Promise<CheckUpdatesReport>;
  exportDnfCache(target: OpsTarget, options: ExportDnfCacheOptions):
    Promise<ExportDnfCacheReport>;
  reproduce(target: OpsTarget, options: ReproduceOptions): Promise<ReproduceReport>;
  packages(target: OpsTarget, options: PackagesOptions): Promise<PackagesReport>;
  diff(target: OpsTarget, options: DiffOptions): Promise<DiffReport>;
  checkRebuildable(target: OpsTarget, options: CheckRebuildableOptions):
    Promise<RebuildableReport>;
}

/** Where the commands write, and the exit code the last one asked for. */
export interface OpsIo {
  out(text: string): void;
  /** Sets the process exit code of a command that completed (0, 1, 10-13). */
  exit(code: number): void;
}

interface TargetOptions {
  stack?: string;
  builder?: string;
  network?: "default" | "host";
  registryTls?: RegistryTls;
  json?: boolean;
}

function targetOf(opts: TargetOptions): OpsTarget {
  const t: OpsTarget = {};
  if (opts.stack !== undefined) t.stack = opts.stack;
  if (opts.builder !== undefined) t.builder = opts.builder;
  if (opts.network !== undefined) t.network = opts.network;
  if (opts.registryTls !== undefined) t.registryTls = opts.registryTls;
  return t;
}

function parseImageRef(value: string): string {
  const ref = value.trim();
  if (!parsePinnedRef(ref) && !parseRepository(ref)) {
    throw new InvalidArgumentError("must be an image reference like " +
      "registry/fedora-base-x86_64@sha256:<64 hex> or registry/fedora-base-x86_64:44-<epoch>.");
  }
  return ref;
}

function parseScratch(value: string): string {
  if (!parseRepository(value.trim())) {
    throw new InvalidArgumentError("must be a repository, optionally with a tag: " +
      "registry/scratch or registry/scratch:reproduce.");
  }
  return value.trim();
}

function parseBuilderName(value: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(value.trim())) {
    throw new InvalidArgumentError("must be a buildx builder name.");
  }
  return value.trim();
}

function addTargetOptions(command: Command, stack: "optional" | "mandatory", network: boolean) {
  const stackOption = new Option("--stack <stack>", stack === "mandatory"
    ? "Pulumi stack whose published images to check"
    : "Pulumi stack whose config names the builder (builder.name, builder.network)")
    .argParser(parseStackName);
  command.addOption(stack === "mandatory" ? stackOption.makeOptionMandatory() : stackOption)
    .addOption(new Option("--builder <name>", "buildx builder to run in images with " +
      "(default: the stack's, else buildx's current builder)").argParser(parseBuilderName));
  if (network) {
    command.addOption(new Option("--network <mode>", "network of the build steps that reach " +
      "the mirror (default: the stack's builder.network, else default)")
      .choices(["default", "host"]));
  }
  command.addOption(new Option("--registry-tls <mode>", "TLS towards the registries, for this " +
    "run only (default: regctl's configuration)").choices(REGISTRY_TLS_MODES))
    .option("--json", "print the result as JSON on stdout");
  return command;
}

function imageOption(): Option {
  return new Option("--image <ref>", "published image, pinned by digest " +
    "(<registry>/fedora-base-<arch>@sha256:...)").argParser(parsePinnedImage)
    .makeOptionMandatory();
}

function archOption(): Option {
  return new Option("--arch <arch>", "architecture to pick when a reference names a " +
    "multi-arch index").choices(ARCHITECTURES);
}

function show<R extends object>(io: OpsIo, report: R, json: boolean | undefined,
  format: (r: R) => string): void {
  io.out(json ? `${JSON.stringify(report, null, 2)}\n` : format(report));
  const code = (report as { exitCode?: unknown }).exitCode;
  io.exit(typeof code === "number" ? code : 0);
}

function missing(): never {
  throw new Error("the operations commands are not available in this build of the CLI");
}

/** Adds the operations commands to `program`. */
export function addOpsCommands(program: Command, actions: OpsActions | undefined, io: OpsIo) {
  const act = () => actions ?? missing();

  addTargetOptions(program.command("check-updates")
    .summary("report updates for a stack's published images; --bump takes new snapshots")
    .description("for each published image of the stack (its `images` output), refresh the DNF " +
      "metadata inside the image on the stack's builder and ask dnf for updates; security " +
      "updates are reported with their advisory ids. With --bump, take new snapshots of the " +
      "releases that are due and pin them in the stack config, so that the next `pulumi up` " +
      "rebuilds exactly those releases"), "mandatory", false)
    .option("--bump", "take new snapshots of the releases that are due (see --bump-on)")
    .addOption(new Option("--bump-on <kind>", "what makes a release due").choices(
      ["security", "any"]).default("security"))
    .addHelpText("after", CHECK_UPDATES_EXIT_HELP)
    .action(async (opts: TargetOptions & { bump?: boolean; bumpOn: "security" | "any" }) => {
      const report = await act().checkUpdates(targetOf(opts),
        { bump: opts.bump === true, bumpOn: opts.bumpOn });
      show(io, report, opts.json, formatCheckUpdates);
    });

  addTargetOptions(program.command("export-dnf-cache")
    .summary("write an image's DNF metadata as fedora-<release>-<arch>.tar.gz for hosts")
    .description("export the DNF metadata a published image retained as " +
      "fedora-<release>-<arch>.tar.gz (the same bytes on every run: sorted, times at the " +
      "image's epoch, owner 0, no gzip time) and print how to set a host up so that " +
      "`dnf upgrade` installs exactly the image's package versions (dnf4 and dnf5)")
    .addOption(imageOption())
    .option("--output <dir>", "directory to write the tarball into", "."), "optional", false)
    .addHelpText("after", PLAIN_EXIT_HELP)
    .action(async (opts: TargetOptions & { image: string; output: string }) => {
      const report = await act().exportDnfCache(targetOf(opts),
        { image: opts.image, outputDir: opts.output });
      show(io, report, opts.json, formatExportDnfCache);
    });

  addTargetOptions(program.command("reproduce")
    .summary("rebuild a published image from what it carries and compare digests")
    .description("read the image's labels and the recipe it carries, rebuild it with the same " +
      "base image, snapshot, epoch, repos, build arguments, labels and exporter options on a " +
      "clean BuildKit cache (--no-cache), push the rebuild by digest and compare; on a " +
      "mismatch, show which layers and files differ (diffoci)")
    .addOption(imageOption())
    .addOption(new Option("--scratch <repository>", "where to push the rebuild: repository " +
      "(by digest) or repository:tag (default: the image's repository, by digest, no tag)")
      .argParser(parseScratch)), "optional", true)
    .addHelpText("after", REPRODUCE_EXIT_HELP)
    .action(async (opts: TargetOptions & { image: string; scratch?: string }) => {
      const options: ReproduceOptions = { image: opts.image };
      if (opts.scratch !== undefined) options.scratch = opts.scratch;
      show(io, await act().reproduce(targetOf(opts), options), opts.json, formatReproduce);
    });

  program.command("packages")
    .summary("print the package list of an image, or of every image a stack published")
    .description("print /usr/share/fedora-base/packages.tsv of the image: one installed " +
      "package a line, name, epoch, version, release and arch separated by tabs, sorted; read " +
      "from the registry, no builder needed. With --stack instead of <ref>: the list of every " +
      "image in the stack's `images` output, each after a `# <release> <arch> <ref>` line")
    .argument("[ref]", "image reference (by digest or tag)", parseImageRef)
    .addOption(new Option("--stack <stack>", "list every image the stack published")
      .argParser(parseStackName))
    .addOption(archOption())
    .addOption(new Option("--registry-tls <mode>", "TLS towards the registry, for this run " +
      "only").choices(REGISTRY_TLS_MODES))
    .option("--json", "print the result as JSON on stdout")
    .addHelpText("after", PLAIN_EXIT_HELP)
    .action(async (ref: string | undefined, opts: TargetOptions & { arch?: Architecture },
      command: Command) => {
      if ((ref === undefined) === (opts.stack === undefined)) {
        command.error("error: packages takes either an image reference or --stack, not both " +
          "and not neither", { exitCode: 2, code: "fedora-base.usage" });
      }
      const options: PackagesOptions = {};
      if (ref !== undefined) options.image = ref;
      if (opts.arch) options.platform = PLATFORMS[opts.arch];
      show(io, await act().packages(targetOf(opts), options), opts.json, formatPackages);
    });

  addTargetOptions(program.command("diff")
    .summary("packages added, removed and updated between two images, and advisories fixed")
    .description("compare the package lists of two images (<ref-a> the older), and list the " +
      "advisories of the newer image's retained updateinfo metadata that cover a version " +
      "that changed (dnf runs inside the newer image, offline, on the builder)")
    .argument("<ref-a>", "image reference", parseImageRef)
    .argument("<ref-b>", "image reference", parseImageRef)
    .addOption(archOption())
    .option("--no-advisories", "only compare package lists (no builder needed)"),
  "optional", false)
    .addHelpText("after", PLAIN_EXIT_HELP)
    .action(async (a: string, b: string,
      opts: TargetOptions & { arch?: Architecture; advisories: boolean }) => {
      const options: DiffOptions = { a, b, advisories: opts.advisories };
      if (opts.arch) options.platform = PLATFORMS[opts.arch];
      show(io, await act().diff(targetOf(opts), options), opts.json, formatDiff);
    });

  addTargetOptions(program.command("check-rebuildable")
    .summary("check that the mirror still has every installed package at its exact version")
    .description("resolve the download URL of every package the image has installed from the " +
      "metadata it retained, ask the mirror for each, and report what is gone; says plainly " +
      "whether the image can still be rebuilt bit for bit from that mirror")
    .addOption(imageOption()), "optional", false)
    .addHelpText("after", CHECK_REBUILDABLE_EXIT_HELP)
    .action(async (opts: TargetOptions & { image: string }) => {
      show(io, await act().checkRebuildable(targetOf(opts), { image: opts.image }), opts.json,
        formatRebuildable);
    });
}
