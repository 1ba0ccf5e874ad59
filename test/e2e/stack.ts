// Drives the local stack through the real Pulumi engine with the Automation API.
import * as fs from "node:fs";
import * as path from "node:path";

import {
  LocalWorkspace,
  type EngineEvent,
  type OpType,
  type Stack,
} from "@pulumi/pulumi/automation";

import { run } from "../../cli/run";
import { REPO, type E2eEnv } from "./env";

/** Pulumi's path syntax for one leaf of a nested config object. */
function flatten(prefix: string, value: unknown, out: Record<string, string>): void {
  if (Array.isArray(value)) {
    value.forEach((v, i) => flatten(`${prefix}[${i}]`, v, out));
  } else if (value !== null && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) {
      const key = /^[A-Za-z_][A-Za-z0-9_]*$/.test(k) ? `${prefix}.${k}` : `${prefix}["${k}"]`;
      flatten(key, v, out);
    }
  } else {
    out[prefix] = String(value);
  }
}

/** The stand-in stack's configuration for this machine's services. */
export function standinConfig(env: E2eEnv, registrySuffix: string): Record<string, unknown> {
  return {
    registry: `${env.registry}/${registrySuffix}`,
    architectures: ["x86_64"],
    builder: { name: env.builder, buildkitVersion: env.buildkitVersion, network: "host" },
    mirror: {
      fedora: `${env.standinMirror}/fedora/$releasever/$basearch/`,
      updates: `${env.standinMirror}/updates/$releasever/$basearch/`,
    },
    releases: { [String(env.standinRelease)]: { baseImage: env.standinBaseImage } },
  };
}

export interface EngineStack {
  name: string;
  stack: Stack;
  /** Appends engine output to a log file instead of the console. */
  log: (line: string) => void;
}

function logTo(env: E2eEnv, name: string): (line: string) => void {
  const logFile = path.join(env.logs, `${name}.log`);
  return (line: string) => fs.appendFileSync(logFile, line.endsWith("\n") ? line : line + "\n");
}

/**
 * Opens an existing stack from another checkout of the project (its state is in the shared
 * backend; its config file must be in `workDir`), logging to `<name>@<label>.log`.
 */
export async function openStack(
  env: E2eEnv,
  name: string,
  workDir: string,
  label: string,
): Promise<EngineStack> {
  const stack = await LocalWorkspace.selectStack({ stackName: name, workDir });
  return { name, stack, log: logTo(env, `${name}@${label}`) };
}

/** Creates a new stack (its file is removed again by `removeStack`) and sets its config. */
export async function createStack(
  env: E2eEnv,
  name: string,
  config: Record<string, unknown>,
): Promise<EngineStack> {
  const log = logTo(env, name);
  const stack = await LocalWorkspace.createStack({ stackName: name, workDir: REPO });
  const flat: Record<string, string> = {};
  for (const [k, v] of Object.entries(config)) flatten(`fedora-base:${k}`, v, flat);
  for (const [key, value] of Object.entries(flat)) {
    await stack.setConfig(key, { value }, true);
  }
  return { name, stack, log };
}

export async function setConfig(s: EngineStack, key: string, value: unknown): Promise<void> {
  const flat: Record<string, string> = {};
  flatten(`fedora-base:${key}`, value, flat);
  for (const [k, v] of Object.entries(flat)) await s.stack.setConfig(k, { value: v }, true);
}

export async function removeStack(s: EngineStack): Promise<void> {
  await s.stack.workspace.removeStack(s.name, { force: true });
}

/** Runs the project's CLI, as an operator would; its progress goes to the stack's log. */
export async function cli(s: EngineStack, args: string[]): Promise<string> {
  return run(s.log, "npx", ["tsx", path.join(REPO, "cli", "main.ts"), ...args]);
}

export interface Plan {
  /** Resource URN suffix (type::name) to the operation the engine planned. */
  steps: Map<string, OpType>;
  changed: string[];
}

/** `type::name` of a step's URN: urn:pulumi:<stack>::<project>::<parent type>$<type>::<name> */
function urnKey(urn: string): string {
  const parts = urn.split("::");
  const type = (parts[parts.length - 2] ?? "").split("$").pop() ?? "";
  return `${type}::${parts[parts.length - 1] ?? ""}`;
}

// With `refresh`, each resource first has a `refresh` step, then its planned one (kept last).
// The engine reports a refresh as `same` when the provider's Diff sees no change, even if the
// refresh read other outputs: docker-build's Index following a moved tag is such a case.
function collect(steps: Map<string, OpType>) {
  return (event: EngineEvent) => {
    const meta = event.resourcePreEvent?.metadata;
    if (meta) steps.set(urnKey(meta.urn), meta.op);
  };
}

const QUIET_OPS: OpType[] = ["same", "read", "refresh"];

export async function preview(
  s: EngineStack,
  opts: { refresh?: boolean; expectNoChanges?: boolean } = {},
): Promise<Plan> {
  const steps = new Map<string, OpType>();
  await s.stack.preview({
    refresh: opts.refresh,
    expectNoChanges: opts.expectNoChanges,
    onOutput: s.log,
    onEvent: collect(steps),
    color: "never",
  });
  // Provider resources are not counted by the engine's own summary either: a dynamic
  // resource's update shows its default provider as updated, with nothing to change.
  const changed = [...steps]
    .filter(([urn, op]) => !QUIET_OPS.includes(op) && !urn.startsWith("pulumi:providers:"))
    .map(([urn, op]) => `${op} ${urn}`);
  return { steps, changed: changed.sort() };
}

export async function up(s: EngineStack, opts: { refresh?: boolean; replace?: string[] } = {}) {
  return s.stack.up({ onOutput: s.log, color: "never", ...opts });
}

export async function destroy(s: EngineStack) {
  return s.stack.destroy({ onOutput: s.log, color: "never" });
}
