import { CommandError, type Log, run } from "./run";
import type { SnapshotRegistry } from "./snapshot/ports";

/** Registry host of a reference: its first component, when that looks like a host. */
export function registryHost(ref: string): string | undefined {
  const first = ref.split("/")[0] ?? "";
  if (ref.includes("://") || !ref.includes("/")) return undefined;
  return /[.:]|^localhost$/.test(first) ? first : undefined;
}

export const REGISTRY_TLS_MODES = ["enabled", "insecure", "disabled"] as const;
export type RegistryTls = (typeof REGISTRY_TLS_MODES)[number];

/**
 * Global flags that set the TLS mode of the registries `refs` name, for this call only: the
 * operator's regctl configuration is never written. Without a mode, none: regctl's own
 * configuration decides (REGCTL_CONFIG, e.g. the local services' CA), and a loopback address
 * is not assumed to be plain HTTP, since the local registry may well speak TLS.
 */
export function regctlHostFlags(tls: RegistryTls | undefined, ...refs: string[]): string[] {
  if (tls === undefined) return [];
  const hosts = new Set(refs.map(registryHost).filter((h): h is string => h !== undefined));
  return [...hosts].sort().flatMap((h) => ["--host", `reg=${h},tls=${tls}`]);
}

const NOT_FOUND = /not found|manifest unknown/i;

/** Registry access through regclient's `regctl`, found on PATH. */
export class Regctl implements SnapshotRegistry {
  constructor(
    private readonly log: Log,
    /** TLS mode for every registry this instance talks to; default: regctl's configuration. */
    private readonly tls?: RegistryTls,
  ) {}

  protected regctl(ref: string, args: string[]): Promise<string> {
    return run(this.log, "regctl", [...regctlHostFlags(this.tls, ref), ...args]);
  }

  async labels(ref: string): Promise<Record<string, string>> {
    const out = await this.regctl(ref, ["image", "config", ref, "--format",
      "{{json .Config.Labels}}"]);
    const labels = JSON.parse(out || "null") as unknown;
    if (labels === null) return {};
    if (typeof labels !== "object" || Array.isArray(labels)) {
      throw new Error(`regctl gave labels of ${ref} as ${out}`);
    }
    return Object.fromEntries(Object.entries(labels).map(([k, v]) => [k, String(v)]));
  }

  async digest(ref: string): Promise<string | undefined> {
    try {
      return (await this.regctl(ref, ["image", "digest", ref])).trim();
    } catch (error) {
      if (error instanceof CommandError && NOT_FOUND.test(error.stderr)) return undefined;
      throw error;
    }
  }

  async push(layout: string, refName: string, target: string): Promise<void> {
    await this.regctl(target, ["image", "copy", `ocidir://${layout}:${refName}`, target]);
  }
}
