import { regctlHostFlags, type RegistryTls } from "../regctl";
import { type Log, run } from "../run";
import type { ImageRegistry } from "./image";

/** Registry reads of the operations, through regclient's `regctl` found on PATH. */
export class OpsRegctl implements ImageRegistry {
  constructor(
    private readonly log: Log,
    /** TLS mode for every registry; default: regctl's own configuration (REGCTL_CONFIG). */
    private readonly tls?: RegistryTls,
  ) {}

  private regctl(ref: string, args: string[]): Promise<string> {
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

  async manifest(ref: string): Promise<{ digest: string; body: Record<string, unknown> }> {
    const digest = (await this.regctl(ref, ["image", "digest", ref])).trim();
    const raw = await this.regctl(ref, ["manifest", "get", `${ref.split("@")[0] ?? ref}@${digest}`,
      "--format", "raw-body"]);
    const body = JSON.parse(raw) as unknown;
    if (typeof body !== "object" || body === null || Array.isArray(body)) {
      throw new Error(`regctl gave the manifest of ${ref} as ${raw.slice(0, 200)}`);
    }
    return { digest, body: body as Record<string, unknown> };
  }

  async getFile(ref: string, file: string, platform?: string): Promise<string> {
    return this.regctl(ref, ["image", "get-file", ...(platform ? ["--platform", platform] : []),
      ref, file]);
  }
}
