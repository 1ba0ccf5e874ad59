import { namespaceValues, openWorkspace } from "../stack";
import type { StackReader } from "./ports";

/**
 * Opens a stack of the project in `workDir` for reading, through the Automation API: config the
 * way `pulumi config` shows it, outputs the way `pulumi stack output` does.
 */
export async function openStackReader(stackName: string, workDir: string): Promise<StackReader> {
  const workspace = await openWorkspace(stackName, workDir);
  return {
    name: stackName,
    async readConfig() {
      return namespaceValues(await workspace.getAllConfig(stackName));
    },
    async readOutputs() {
      const outputs = await workspace.stackOutputs(stackName);
      return Object.fromEntries(Object.entries(outputs).map(([k, v]) => [k, v.value as unknown]));
    },
  };
}
