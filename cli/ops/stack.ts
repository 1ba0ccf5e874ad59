import { namespaceValues } from "../stack";
import type { StackReader } from "./ports";

/**
 * Opens a stack of the project in `workDir` for reading, through the Automation API: config the
 * way `pulumi config` shows it, outputs the way `pulumi stack output` does.
 */
export async function openStackReader(stackName: string, workDir: string): Promise<StackReader> {
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
    async readOutputs() {
      const outputs = await stack.outputs();
      return Object.fromEntries(Object.entries(outputs).map(([k, v]) => [k, v.value as unknown]));
    },
  };
}
