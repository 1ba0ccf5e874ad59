/**
 * `fedora-base ami --stack <stack> [--arch ...]`: looks up the newest Amazon Linux 2023 AMI per
 * architecture and pins it in the stack's config. The program never looks AMIs up itself, so a
 * new AMI reaches the builders only through this command and a reviewed `pulumi up`.
 */
import { Command, Option } from "commander";

import { ARCHITECTURES, type Architecture } from "../stacks/config";
import { run, type Log } from "./run";
import { openStack } from "./stack";
import type { StackAccess } from "./snapshot/ports";

/** AWS's public SSM parameters that always name the newest AL2023 AMI per architecture. */
export const AMI_PARAMETERS: Record<Architecture, string> = {
  x86_64: "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64",
  aarch64: "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64",
};

const AMI = /^ami-[0-9a-f]{8,17}$/;

export interface AmiDeps {
  /** Runs a tool and returns its stdout; fails with the tool's stderr. */
  run(file: string, args: string[]): Promise<string>;
  /** Opens a stack of the project through the Automation API. */
  openStack(stackName: string, workDir: string): Promise<StackAccess>;
  /** Where results go (one line per architecture). */
  out(line: string): void;
}

export interface AmiOptions {
  stack: string;
  cwd: string;
  /** Default: the stack's architectures. */
  arch?: Architecture[];
  /** Print what would be pinned; write nothing. */
  dryRun?: boolean;
}

export interface AmiPin {
  architecture: Architecture;
  /** Config path key, without the namespace: `aws.builders.<arch>.ami`. */
  key: string;
  previous?: string;
  ami: string;
}

/** Asks SSM for the newest AMI of an architecture in a region, with the `aws` CLI. */
export async function newestAmi(
  runTool: AmiDeps["run"],
  region: string,
  architecture: Architecture,
): Promise<string> {
  const out = await runTool("aws", [
    "ssm", "get-parameter",
    "--region", region,
    "--name", AMI_PARAMETERS[architecture],
    "--query", "Parameter.Value",
    "--output", "text",
  ]);
  const ami = out.trim();
  if (!AMI.test(ami)) {
    throw new Error(`aws ssm get-parameter ${AMI_PARAMETERS[architecture]} did not return an ` +
      `AMI id, got ${JSON.stringify(ami)}`);
  }
  return ami;
}

/**
 * Looks up and pins the newest AMI for each architecture asked (default: the stack's). Writes
 * only the AMIs that changed; with `dryRun`, writes nothing.
 */
export async function pinAmis(
  deps: AmiDeps,
  opts: AmiOptions,
): Promise<AmiPin[]> {
  const stack = await deps.openStack(opts.stack, opts.cwd);
  const config = await stack.readConfig();
  const aws = (config.aws ?? {}) as {
    region?: unknown;
    builders?: Record<string, { ami?: string }>;
  };
  if (typeof aws.region !== "string" || !aws.region) {
    throw new Error(`fedora-base:aws.region is required in stack ${opts.stack}, got ` +
      `${JSON.stringify(aws.region ?? null)}`);
  }
  const stackArchs = Array.isArray(config.architectures)
    ? (config.architectures as Architecture[])
    : [...ARCHITECTURES];
  const archs = opts.arch && opts.arch.length > 0 ? opts.arch : stackArchs;
  const pins: AmiPin[] = [];
  for (const architecture of archs) {
    const ami = await newestAmi((file, args) => deps.run(file, args), aws.region, architecture);
    const previous = aws.builders?.[architecture]?.ami;
    pins.push({ architecture, key: `aws.builders.${architecture}.ami`, ami, previous });
  }
  const changed = pins.filter((p) => p.previous !== p.ami);
  if (!opts.dryRun && changed.length > 0) {
    await stack.writeConfig(Object.fromEntries(changed.map((p) => [p.key, p.ami])));
  }
  for (const p of pins) {
    const what = p.previous === p.ami ? "unchanged" : opts.dryRun ? "would pin" : "pinned";
    deps.out(`${p.architecture}: ${p.ami} (${what}; was ${p.previous ?? "unset"})`);
  }
  return pins;
}

/** The `ami` command; the caller adds it to the program (`program.addCommand(amiCommand())`). */
export function amiCommand(deps?: Partial<AmiDeps>, log: Log = () => undefined): Command {
  const all: AmiDeps = {
    run: (file, args) => run(log, file, args),
    openStack,
    out: (line) => void process.stdout.write(`${line}\n`),
    ...deps,
  };
  return new Command("ami")
    .description(
      "Pin the newest Amazon Linux 2023 AMI per architecture in the stack config " +
        "(aws.builders.<arch>.ami); review with pulumi preview, apply with pulumi up",
    )
    .requiredOption("--stack <stack>", "the stack to update, e.g. prod")
    .addOption(
      new Option("--arch <arch...>", "architectures (default: the stack's)").choices([
        ...ARCHITECTURES,
      ]),
    )
    .option("--cwd <dir>", "project directory", process.cwd())
    .option("--dry-run", "print the newest AMIs without writing the pin", false)
    .action(async (opts: AmiOptions) => {
      await pinAmis(all, opts);
    });
}
