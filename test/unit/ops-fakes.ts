// Fakes of what the operations commands need (cli/ops/ports.ts): they record every call and
// answer from tables the tests fill in.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type {
  BuildRequest,
  CopyRequest,
  OpsBuilder,
  ProbeRequest,
} from "../../cli/ops/buildkit";
import type { ImageRegistry } from "../../cli/ops/image";
import type { DiffociResult, OpsDeps, StackReader } from "../../cli/ops/ports";

export const D = (c: string) => `sha256:${c.repeat(64)}`;
export const REPO = "registry.example/fb/fedora-base-x86_64";
export const BASE = `registry.example/standin/fedora:44@${D("a")}`;
export const SNAPSHOT = `registry.example/fb/dnf-snapshot@${D("b")}`;
export const REPOS = "fedora=http://mirror.example/fedora/$releasever/$basearch/;" +
  "updates=http://mirror.example/updates/$releasever/$basearch/";

/** Labels of a fedora-base image, as the component writes them. */
export function imageLabels(epoch = 1_790_000_000): Record<string, string> {
  return {
    "org.opencontainers.image.base.name": "registry.example/standin/fedora:44",
    "org.opencontainers.image.base.digest": D("a"),
    "io.fedora-base.release": "44",
    "io.fedora-base.architecture": "x86_64",
    "io.fedora-base.epoch": String(epoch),
    "io.fedora-base.snapshot": SNAPSHOT,
    "io.fedora-base.snapshot.digest": D("b"),
    "io.fedora-base.dnf.repos": REPOS,
    "io.fedora-base.buildkit.version": "v0.34.2",
  };
}

export class FakeRegistry implements ImageRegistry {
  labelsOf = new Map<string, Record<string, string>>();
  manifests = new Map<string, { digest: string; body: Record<string, unknown> }>();
  files = new Map<string, string>();
  calls: string[] = [];

  /** Registers a single-platform image manifest at `repo@digest`. */
  image(ref: string, labels: Record<string, string>, layers: string[] = [D("1")]): void {
    const digest = ref.split("@")[1] ?? "";
    this.labelsOf.set(ref, labels);
    this.manifests.set(ref, { digest, body: {
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      config: { digest: D("c") },
      layers: layers.map((d) => ({ digest: d })),
    } });
  }

  labels(ref: string): Promise<Record<string, string>> {
    this.calls.push(`labels ${ref}`);
    const l = this.labelsOf.get(ref);
    return l ? Promise.resolve(l) : Promise.reject(new Error(`no image ${ref}`));
  }

  manifest(ref: string) {
    this.calls.push(`manifest ${ref}`);
    const m = this.manifests.get(ref);
    return m ? Promise.resolve(m) : Promise.reject(new Error(`manifest unknown: ${ref}`));
  }

  getFile(ref: string, file: string): Promise<string> {
    this.calls.push(`get-file ${ref} ${file}`);
    const f = this.files.get(`${ref} ${file}`);
    return f !== undefined ? Promise.resolve(f) : Promise.reject(new Error(`no ${file}`));
  }
}

/** A builder whose probes write the files a table holds for (image, script) pairs. */
export class FakeBuilder implements OpsBuilder {
  readonly name = "fake-builder";
  network: "default" | "host" = "host";
  probes: ProbeRequest[] = [];
  builds: BuildRequest[] = [];
  /** Files a probe in an image writes, by image ref. */
  answers = new Map<string, Record<string, string>>();
  recipe: Record<string, string> = {};
  buildDigest = D("e");
  buildkit = ["v0.34.2"];

  probe(request: ProbeRequest): Promise<void> {
    this.probes.push(request);
    const answer = this.answers.get(request.image);
    if (!answer) return Promise.reject(new Error(`buildx: cannot pull ${request.image}`));
    fs.mkdirSync(request.dest, { recursive: true });
    for (const [name, content] of Object.entries(answer)) {
      fs.writeFileSync(path.join(request.dest, name), content);
    }
    return Promise.resolve();
  }

  copyOut(request: CopyRequest): Promise<void> {
    fs.mkdirSync(request.dest, { recursive: true });
    for (const [name, content] of Object.entries(this.recipe)) {
      fs.writeFileSync(path.join(request.dest, name), content);
    }
    return Promise.resolve();
  }

  build(request: BuildRequest): Promise<string> {
    this.builds.push(request);
    return Promise.resolve(this.buildDigest);
  }

  versions(): Promise<string[]> {
    return Promise.resolve(this.buildkit);
  }
}

export function fakeDeps(registry: FakeRegistry, builder: FakeBuilder) {
  const temps: string[] = [];
  const fetched: string[] = [];
  const statuses = new Map<string, number>();
  let diffoci: DiffociResult | undefined;
  const deps: OpsDeps = {
    registry,
    builder: () => Promise.resolve(builder),
    log: () => undefined,
    tempDir: () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fedora-base-ops-test-"));
      temps.push(dir);
      return dir;
    },
    fetchStatus: (url) => {
      fetched.push(url);
      return Promise.resolve(statuses.get(url) ?? 200);
    },
    diffoci: () => Promise.resolve(diffoci),
  };
  return {
    deps,
    fetched,
    statuses,
    setDiffoci: (d: DiffociResult | undefined) => void (diffoci = d),
    cleanup: () => temps.forEach((d) => fs.rmSync(d, { recursive: true, force: true })),
  };
}

export class FakeStack implements StackReader {
  readonly name = "test-stack";
  constructor(public config: Record<string, unknown>, public outputs: Record<string, unknown>) {}

  readConfig() {
    return Promise.resolve(structuredClone(this.config));
  }

  readOutputs() {
    return Promise.resolve(structuredClone(this.outputs));
  }
}
