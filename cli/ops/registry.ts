import { Regctl } from "../regctl";
import type { ImageRegistry } from "./image";

/** Registry reads of the operations, through regclient's `regctl` found on PATH. */
export class OpsRegctl extends Regctl implements ImageRegistry {
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
