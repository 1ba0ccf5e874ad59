import { CONFIG_NAMESPACE, ConfigError } from "../stacks/config";
import type { StackAccess } from "./snapshot/ports";

/** One entry of `pulumi config --json`: structured values also come parsed, as objectValue. */
interface ConfigEntry {
  value?: string;
  objectValue?: unknown;
  secret?: boolean;
}

/**
 * The `fedora-base:` keys of a stack's config, without the prefix, with maps and lists parsed
 * (the shape `parseStackConfig` reads). Scalars stay the strings Pulumi stores.
 */
export function namespaceValues(all: Record<string, ConfigEntry>): Record<string, unknown> {
  const prefix = `${CONFIG_NAMESPACE}:`;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(all).sort()) {
    if (!key.startsWith(prefix)) continue;
    const entry = all[key] ?? {};
    let value: unknown = entry.objectValue ?? entry.value;
    if (entry.objectValue === undefined && typeof value === "string" && /^[[{]/.test(value)) {
      value = JSON.parse(value) as unknown;
    }
    out[key.slice(prefix.length)] = value;
  }
  return out;
}

/**
 * The project's workspace, after checking that `stackName` exists (a configuration error,
 * exit 3, when it does not).
 */
export async function openWorkspace(stackName: string, workDir: string) {
  // Loaded on demand: the Automation API takes a second to load, and usage errors need none.
  const { LocalWorkspace } = await import("@pulumi/pulumi/automation/index.js");
  // A workspace, not `selectStack`: every call names the stack (`--stack`), so the operator's
  // selected stack stays what it was, whatever this command does.
  const workspace = await LocalWorkspace.create({ workDir });
  const stacks = await workspace.listStacks().catch((e: unknown) => {
    const message = e instanceof Error ? e.message : String(e);
    throw new Error(/ENOENT/.test(message)
      ? "pulumi is not on PATH (`eval \"$(scripts/services/env.sh)\"` puts the pinned CLI there)"
      : `cannot list the stacks in ${workDir}: ${message.trim()}`);
  });
  if (!stacks.some((s) => s.name === stackName || s.name.endsWith(`/${stackName}`))) {
    throw new ConfigError([
      `--stack: no stack ${JSON.stringify(stackName)} in ${workDir} (see: pulumi stack ls)`,
    ]);
  }
  return workspace;
}

/**
 * Opens a stack of the project in `workDir` through the Automation API, which runs the
 * `pulumi` CLI: config is read and written the way `pulumi config` does, never by editing YAML.
 */
export async function openStack(stackName: string, workDir: string): Promise<StackAccess> {
  const workspace = await openWorkspace(stackName, workDir);
  return {
    name: stackName,
    async readConfig() {
      return namespaceValues(await workspace.getAllConfig(stackName));
    },
    async writeConfig(values) {
      const config = Object.fromEntries(Object.keys(values).sort().map((key) => [
        `${CONFIG_NAMESPACE}:${key}`,
        { value: values[key] ?? "", secret: false },
      ]));
      // Path keys (releases["44"].epoch) edit one leaf of a map; Pulumi stores a value that
      // reads as an integer as an integer, so the epoch stays a number in the stack file.
      await workspace.setAllConfig(stackName, config, true);
    },
  };
}
