// Shared test harness: records every resource registration made under Pulumi mocks.
import * as crypto from "node:crypto";
import * as pulumi from "@pulumi/pulumi";

import type { StackConfig } from "../../stacks/config";

export const PROJECT = "fedora-base";
export const TAG_TYPE = "pulumi-nodejs:dynamic/fedora-base:RegistryTag";
export const NOW = 1_790_000_000;
export const BUILDKIT = "v0.34.2";

export interface Registration {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
  retainOnDelete: boolean;
  parent: string;
}

/** The digest the mocks give an image: a function of its inputs, as a reproducible build's. */
export function digestOf(value: unknown): string {
  return `sha256:${crypto.createHash("sha256").update(JSON.stringify(value)).digest("hex")}`;
}

/**
 * Mocks that record every registration. In update mode an Image gets a digest derived from its
 * inputs, as a reproducible build would; in preview mode it gets none (unknown), as a real
 * preview of a pending build does.
 */
export class Recorder implements pulumi.runtime.Mocks {
  registrations: Registration[] = [];
  private options = new Map<string, { retainOnDelete: boolean; parent: string }>();
  constructor(private readonly preview: boolean) {}

  newResource(args: pulumi.runtime.MockResourceArgs): pulumi.runtime.MockResourceResult {
    const opts = this.options.get(`${args.type}::${args.name}`);
    this.registrations.push({
      type: args.type,
      name: args.name,
      inputs: args.inputs as Record<string, unknown>,
      retainOnDelete: opts?.retainOnDelete ?? false,
      parent: opts?.parent ?? "",
    });
    const state: Record<string, unknown> = { ...(args.inputs as Record<string, unknown>) };
    if (args.type === "docker-build:index:Image" && !this.preview) {
      state.digest = digestOf(args.inputs);
    }
    if (args.type === "docker-build:index:Index" && !this.preview) {
      state.ref = `${String(state.tag)}@${digestOf(args.inputs)}`;
    }
    return { id: this.preview ? undefined : `${args.name}-id`, state };
  }

  call(args: pulumi.runtime.MockCallArgs): pulumi.runtime.MockCallResult {
    throw new Error(`unexpected call to ${args.token}`);
  }

  /** Resource options are not passed to mocks: read them off the monitor's requests. */
  captureOptions(): void {
    const monitor = pulumi.runtime.getMonitor() as unknown as {
      registerResource(req: RegisterRequest, cb: unknown): unknown;
    };
    const original = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req: RegisterRequest, cb: unknown) => {
      this.options.set(`${req.getType()}::${req.getName()}`, {
        retainOnDelete: req.getRetainondelete(),
        parent: req.getParent(),
      });
      return original(req, cb);
    };
  }

  of(type: string): Registration[] {
    return this.registrations.filter((r) => r.type === type);
  }

  named(name: string): Registration {
    const found = this.registrations.find((r) => r.name === name);
    if (!found) {
      const names = this.registrations.map((r) => r.name).join(", ");
      throw new Error(`no resource named ${name}; registered: ${names}`);
    }
    return found;
  }
}

interface RegisterRequest {
  getType(): string;
  getName(): string;
  getRetainondelete(): boolean;
  getParent(): string;
}

/** Waits until every registration the program started has reached the mocks. */
export async function settle(): Promise<void> {
  // Not in the public typings: the SDK's own way to drain outstanding RPCs.
  const settings = (await import("@pulumi/pulumi/runtime/settings.js")) as unknown as {
    waitForRPCs(): Promise<void>;
  };
  await settings.waitForRPCs();
}

export const BASE_DIGEST = `sha256:${"a".repeat(64)}`;
export const SNAP_X86 = `127.0.0.1:5000/fedora-base/dnf-snapshot@sha256:${"b".repeat(64)}`;
export const SNAP_ARM = `127.0.0.1:5000/fedora-base/dnf-snapshot@sha256:${"c".repeat(64)}`;

/** A valid local stack configuration, as YAML would give it. */
export function localConfig(): Record<string, unknown> {
  return {
    registry: "127.0.0.1:5000/fedora-base",
    architectures: ["x86_64", "aarch64"],
    builder: { name: "fedora-base-local", buildkitVersion: BUILDKIT, network: "host" },
    mirror: {
      updates: "http://127.0.0.1:8080/updates/$releasever/$basearch/",
      fedora: "http://127.0.0.1:8080/fedora/$releasever/$basearch/",
    },
    releases: {
      "44": {
        epoch: 1_764_720_000,
        baseImage: `registry.fedoraproject.org/fedora:44@${BASE_DIGEST}`,
        snapshots: { x86_64: SNAP_X86, aarch64: SNAP_ARM },
      },
      "45": {
        epoch: 1_764_800_000,
        baseImage: `registry.fedoraproject.org/fedora:45@sha256:${"d".repeat(64)}`,
        snapshots: {
          x86_64: `127.0.0.1:5000/fedora-base/dnf-snapshot@sha256:${"e".repeat(64)}`,
          aarch64: `127.0.0.1:5000/fedora-base/dnf-snapshot@sha256:${"f".repeat(64)}`,
        },
      },
    },
    derivedImages: {
      toolbox: { release: 44, packages: ["git", "make"], steps: ["git --version"] },
    },
  };
}

/** Runs the local stack composition under fresh mocks and returns what it registered. */
export async function runLocalStack(
  raw: Record<string, unknown>,
  opts: { preview?: boolean; reported?: string[] } = {},
): Promise<Recorder> {
  const recorder = new Recorder(opts.preview ?? false);
  await pulumi.runtime.setMocks(recorder, PROJECT, "test", opts.preview ?? false);
  recorder.captureOptions();
  const { parseStackConfig } = await import("../../stacks/config.js");
  const { composeLocalStack } = await import("../../stacks/local.js");
  const config: StackConfig = parseStackConfig(raw, NOW).config;
  // By default the builder reports what the stack declares, as a correctly set up one does.
  const reported = opts.reported ?? [config.builder.buildkitVersion];
  composeLocalStack(config, { inspect: () => reported });
  await settle();
  return recorder;
}
