import type { Architecture } from "../../stacks/config";
import type { Log } from "../run";

/** Registry operations a snapshot command needs; regctl implements them. */
export interface SnapshotRegistry {
  /** Labels of an image's config (`ref` by tag or digest). */
  labels(ref: string): Promise<Record<string, string>>;
  /** The manifest digest `ref` resolves to now; undefined when it does not exist. */
  digest(ref: string): Promise<string | undefined>;
  /** Copies the image an OCI layout lists as `refName` to `target` (`repository:tag`). */
  push(layout: string, refName: string, target: string): Promise<void>;
}

export interface ExportRequest {
  /** Stage of recipe/snapshot/Containerfile: `export-new` or `export-extract`. */
  target: "export-new" | "export-extract";
  architecture: Architecture;
  buildArgs: Record<string, string>;
  /** Empty directory the build writes `cache/` and `info/dnf-major` into. */
  dest: string;
}

/** Runs the snapshot recipe on the stack's BuildKit builder; buildx implements it. */
export interface SnapshotBuilder {
  export(request: ExportRequest): Promise<void>;
}

/** The stack's configuration; the Pulumi Automation API implements it. */
export interface StackAccess {
  readonly name: string;
  /** Values of the `fedora-base` namespace, keys without the prefix, objects parsed. */
  readConfig(): Promise<Record<string, unknown>>;
  /** Sets path keys such as `releases["44"].epoch` (no namespace) in the stack's config. */
  writeConfig(values: Record<string, string>): Promise<void>;
}

export interface SnapshotDeps {
  registry: SnapshotRegistry;
  /** Builds with the builder named in the stack config. */
  builder(config: { name: string; network: "default" | "host" }): SnapshotBuilder;
  stack: StackAccess;
  log: Log;
  /** Unix seconds; the epoch of a new snapshot. */
  now(): number;
  /** Makes a fresh temporary directory; the command removes it when done. */
  tempDir(): string;
}
