import type { Log } from "../run";
import type { OpsBuilder } from "./buildkit";
import type { ImageRegistry } from "./image";

/** What the operations commands need from the outside world; tests replace every part. */
export interface OpsDeps {
  registry: ImageRegistry;
  /** The buildx builder to run in images with (resolved once, on first use). */
  builder(): Promise<OpsBuilder>;
  log: Log;
  /** Makes a fresh temporary directory; the command removes it when done. */
  tempDir(): string;
  /** HTTP status of a URL, by HEAD (or a one-byte GET where HEAD is refused). */
  fetchStatus(url: string): Promise<number>;
  /**
   * `diffoci diff` of two images: its report and exit code, or undefined when diffoci is not
   * installed (the comparison then stops at layers).
   */
  diffoci(a: string, b: string, platform: string): Promise<DiffociResult | undefined>;
}

export interface DiffociResult {
  exitCode: number;
  output: string;
}

/** A published image of a stack, as its outputs list it. */
export interface PublishedImage {
  release: number;
  architecture: "x86_64" | "aarch64";
  /** `repository@sha256:...` of the per-platform manifest. */
  ref: string;
}

/** A stack's configuration and outputs, through the Automation API. */
export interface StackReader {
  readonly name: string;
  /** Values of the `fedora-base` namespace, keys without the prefix, objects parsed. */
  readConfig(): Promise<Record<string, unknown>>;
  /** The stack's outputs, by name, values as the engine recorded them. */
  readOutputs(): Promise<Record<string, unknown>>;
}
