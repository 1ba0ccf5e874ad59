import { CONFIG_NAMESPACE } from "../stacks/config";
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
 * Opens a stack of the project in `workDir` through the Automation API, which runs the
 * `pulumi` CLI: config is read and written the way `pulumi config` does, never by editing YAML.
 */
export async function openStack(stackName: string, workDir: string): Promise<StackAccess> {
  // Loaded on demand: the Automation API takes a second to load, and usage errors need none.
  const { LocalWorkspace } = await import("@pulumi/pulumi/automation/index.js");
  const stack = await LocalWorkspace.selectStack({ stackName, workDir }).catch((e: unknown) => {
    const message = e instanceof Error ? e.message : String(e);
    throw new Error(/ENOENT/.test(message)
      ? "pulumi is not on PATH (`eval \"$(scripts/toolchain.sh env)\"` puts the pinned CLI there)"
      : `cannot select stack ${stackName} in ${workDir}: ${message.trim()}`);
  });
  return {
    name: stackName,
    async readConfig() {
      return namespaceValues(await stack.getAllConfig());
    },
    async writeConfig(values) {
      const config = Object.fromEntries(Object.keys(values).sort().map((key) => [
        `${CONFIG_NAMESPACE}:${key}`,
        { value: values[key] ?? "", secret: false },
      ]));
      // Path keys (releases["44"].epoch) edit one leaf of a map; Pulumi stores a value that
      // reads as an integer as an integer, so the epoch stays a number in the stack file.
      await stack.setAllConfig(config, true);
    },
  };
}
