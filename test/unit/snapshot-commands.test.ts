import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { snapshotExtract } from "../../cli/snapshot/extract";
import { snapshotLabels } from "../../cli/snapshot/labels";
import { snapshotNew } from "../../cli/snapshot/new";
import type {
  ExportRequest,
  SnapshotDeps,
  SnapshotRegistry,
  StackAccess,
} from "../../cli/snapshot/ports";
import { ConfigError } from "../../stacks/config";

const NOW = 1764720000;
const BASE = `registry.fedoraproject.org/fedora:44@sha256:${"a".repeat(64)}`;
const SNAPSHOTS = "127.0.0.1:5000/fedora-base/dnf-snapshot";
const MIRROR = {
  updates: "http://127.0.0.1:8080/updates/$releasever/$basearch/",
  fedora: "http://127.0.0.1:8080/fedora/$releasever/$basearch/",
};
const REPOS = `fedora=${MIRROR.fedora};updates=${MIRROR.updates}`;

function rawConfig(releases: Record<string, unknown>): Record<string, unknown> {
  return {
    registry: "127.0.0.1:5000/fedora-base",
    architectures: ["x86_64", "aarch64"],
    builder: { name: "fedora-base-local", buildkitVersion: "v0.34.2", network: "host" },
    mirror: MIRROR,
    releases,
  };
}

/** Applies path keys as `pulumi config set --path` does: integer-looking values become numbers. */
class FakeStack implements StackAccess {
  readonly name = "local";
  writes: Record<string, string>[] = [];
  constructor(public raw: Record<string, unknown>) {}

  readConfig() {
    return Promise.resolve(structuredClone(this.raw));
  }

  writeConfig(values: Record<string, string>) {
    this.writes.push(values);
    for (const [key, value] of Object.entries(values)) {
      const m = /^releases\["([0-9]+)"\]\.(.+)$/.exec(key);
      assert.ok(m, `unexpected config key ${key}`);
      let node = ((this.raw.releases ??= {}) as Record<string, unknown>);
      const parts = [m[1] ?? "", ...(m[2] ?? "").split(".")];
      for (const part of parts.slice(0, -1)) {
        node = (node[part] ??= {}) as Record<string, unknown>;
      }
      node[parts[parts.length - 1] ?? ""] = /^[1-9][0-9]*$/.test(value) ? Number(value) : value;
    }
    return Promise.resolve();
  }
}

/** A registry in memory: tag to digest, and image labels by ref. */
class FakeRegistry implements SnapshotRegistry {
  tags = new Map<string, string>();
  pushes: string[] = [];
  constructor(private readonly images: Record<string, Record<string, string>> = {}) {}

  labels(ref: string) {
    const labels = this.images[ref];
    return labels ? Promise.resolve(labels) : Promise.reject(new Error(`${ref}: not found`));
  }

  digest(ref: string) {
    return Promise.resolve(this.tags.get(ref));
  }

  push(layout: string, refName: string, target: string) {
    const index = JSON.parse(fs.readFileSync(path.join(layout, "index.json"), "utf8")) as {
      manifests: { digest: string; annotations: Record<string, string> }[];
    };
    const entry = index.manifests.find(
      (m) => m.annotations["org.opencontainers.image.ref.name"] === refName,
    );
    assert.ok(entry, `no ${refName} in ${layout}`);
    this.pushes.push(target);
    this.tags.set(target, entry.digest);
    return Promise.resolve();
  }
}

let scratch: string;

function deps(stack: FakeStack, registry: FakeRegistry, builds: ExportRequest[]): SnapshotDeps {
  return {
    registry,
    builder: (config) => ({
      export(request: ExportRequest) {
        assert.deepEqual(config, { name: "fedora-base-local", buildkitVersion: "v0.34.2",
          network: "host" });
        builds.push(request);
        // The same metadata whichever way it is exported, as the recipe guarantees.
        const repo = path.join(request.dest, "cache", "fedora-0123456789abcdef", "repodata");
        fs.mkdirSync(repo, { recursive: true });
        fs.writeFileSync(path.join(repo, "repomd.xml"), `<repomd ${request.architecture}/>\n`);
        fs.mkdirSync(path.join(request.dest, "info"));
        fs.writeFileSync(path.join(request.dest, "info", "dnf-major"), "5\n");
        return Promise.resolve();
      },
    }),
    stack,
    log: () => undefined,
    now: () => NOW,
    tempDir: () => fs.mkdtempSync(path.join(scratch, "work-")),
  };
}

describe("snapshot commands", () => {
  before(() => {
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), "fedora-base-commands-test-"));
  });

  after(() => {
    fs.rmSync(scratch, { recursive: true, force: true });
  });

  describe("snapshot new", () => {
    it("takes every architecture of the stack at one epoch and pins them with path keys",
      async () => {
        const stack = new FakeStack(rawConfig({ "44": { baseImage: BASE } }));
        const registry = new FakeRegistry();
        const builds: ExportRequest[] = [];
        const report = await snapshotNew(deps(stack, registry, builds), {
          release: 44, dryRun: false,
        });
        assert.deepEqual(builds.map((b) => [b.target, b.architecture, b.buildArgs]), [
          ["export-new", "x86_64", { BASE_IMAGE: BASE, FEDORA_BASE_REPOS: REPOS }],
          ["export-new", "aarch64", { BASE_IMAGE: BASE, FEDORA_BASE_REPOS: REPOS }],
        ]);
        assert.deepEqual(registry.pushes, [
          `${SNAPSHOTS}:44-x86_64-${NOW}`,
          `${SNAPSHOTS}:44-aarch64-${NOW}`,
        ]);
        const x86 = registry.tags.get(`${SNAPSHOTS}:44-x86_64-${NOW}`) ?? "";
        const arm = registry.tags.get(`${SNAPSHOTS}:44-aarch64-${NOW}`) ?? "";
        assert.deepEqual(stack.writes, [{
          'releases["44"].epoch': String(NOW),
          'releases["44"].snapshots.aarch64': `${SNAPSHOTS}@${arm}`,
          'releases["44"].snapshots.x86_64': `${SNAPSHOTS}@${x86}`,
        }]);
        assert.deepEqual(stack.raw.releases, { "44": {
          baseImage: BASE,
          epoch: NOW,
          snapshots: { x86_64: `${SNAPSHOTS}@${x86}`, aarch64: `${SNAPSHOTS}@${arm}` },
        } });
        assert.deepEqual(report.warnings, []);
      });

    it("builds, pushes and writes nothing in a dry run", async () => {
      const stack = new FakeStack(rawConfig({ "44": { baseImage: BASE } }));
      const registry = new FakeRegistry();
      const builds: ExportRequest[] = [];
      const report = await snapshotNew(deps(stack, registry, builds), {
        release: 44, architectures: ["aarch64"], dryRun: true,
      });
      assert.deepEqual([builds, registry.pushes, stack.writes], [[], [], []]);
      assert.deepEqual(report.config, {
        'releases["44"].epoch': String(NOW),
        'releases["44"].snapshots.aarch64': `${SNAPSHOTS}@<digest>`,
      });
    });

    it("names the missing key when the release has no base image", async () => {
      const stack = new FakeStack(rawConfig({ "44": { baseImage: BASE }, "45": {} }));
      await assert.rejects(
        snapshotNew(deps(stack, new FakeRegistry(), []), { release: 45, dryRun: false }),
        (e: Error) => e instanceof ConfigError &&
          e.message.includes('fedora-base:releases["45"].baseImage is required'),
      );
    });

    it("reports every other problem of the stack config before building", async () => {
      const raw = { ...rawConfig({ "44": { baseImage: BASE } }), architectures: ["i686"] };
      const builds: ExportRequest[] = [];
      await assert.rejects(
        snapshotNew(deps(new FakeStack(raw), new FakeRegistry(), builds), {
          release: 44, dryRun: false,
        }),
        /fedora-base:architectures must hold only x86_64, aarch64, got "i686"/,
      );
      assert.deepEqual(builds, []);
    });

    it("warns when other architectures keep a snapshot of an older epoch", async () => {
      const old = `${SNAPSHOTS}@sha256:${"b".repeat(64)}`;
      const stack = new FakeStack(rawConfig({
        "44": { baseImage: BASE, epoch: NOW - 100, snapshots: { x86_64: old, aarch64: old } },
      }));
      const report = await snapshotNew(deps(stack, new FakeRegistry(), []), {
        release: 44, architectures: ["x86_64"], dryRun: false,
      });
      assert.equal(report.warnings.length, 1);
      assert.match(report.warnings[0] ?? "", /snapshots of aarch64 keep an older epoch/);
    });

    it("refuses to move a version tag that already holds other bytes", async () => {
      const registry = new FakeRegistry();
      const other = `sha256:${"d".repeat(64)}`;
      registry.tags.set(`${SNAPSHOTS}:44-x86_64-${NOW}`, other);
      const stack = new FakeStack(rawConfig({ "44": { baseImage: BASE } }));
      await assert.rejects(
        snapshotNew(deps(stack, registry, []), {
          release: 44, architectures: ["x86_64"], dryRun: false,
        }),
        new RegExp(`:44-x86_64-${NOW} already holds ${other}`),
      );
      assert.deepEqual([registry.pushes, stack.writes], [[], []]);
    });
  });

  describe("snapshot extract", () => {
    it("gives back the digest of the snapshot the image was built on", async () => {
      const registry = new FakeRegistry();
      const made = await snapshotNew(
        deps(new FakeStack(rawConfig({ "44": { baseImage: BASE } })), registry, []),
        { release: 44, architectures: ["x86_64"], dryRun: false },
      );
      const snapshot = made.snapshots[0];
      assert.ok(snapshot && "manifestDigest" in snapshot);
      const image = `127.0.0.1:5000/fedora-base/fedora-base-x86_64@sha256:${"e".repeat(64)}`;
      const imageRegistry = new FakeRegistry({ [image]: {
        ...snapshotLabels({ release: 44, architecture: "x86_64", epoch: NOW, baseImage: BASE,
          repos: REPOS }, "5"),
        "org.opencontainers.image.version": `44-${NOW}`,
        "io.fedora-base.snapshot.digest": snapshot.manifestDigest,
      } });
      // A fresh stack that has never heard of release 44: reproduce mode.
      const stack = new FakeStack(rawConfig({}));
      const builds: ExportRequest[] = [];
      const report = await snapshotExtract(deps(stack, imageRegistry, builds), {
        image, dryRun: false,
      });
      assert.deepEqual(builds.map((b) => [b.target, b.architecture, b.buildArgs]),
        [["export-extract", "x86_64", { IMAGE: image }]]);
      assert.deepEqual(report.sourceSnapshot, { digest: snapshot.manifestDigest, matches: true });
      assert.deepEqual(stack.raw.releases, { "44": {
        baseImage: BASE,
        epoch: NOW,
        snapshots: { x86_64: `${SNAPSHOTS}@${snapshot.manifestDigest}` },
      } });
      assert.deepEqual(report.warnings, []);
    });

    it("names every label the image lacks", async () => {
      const image = `127.0.0.1:5000/other@sha256:${"f".repeat(64)}`;
      const registry = new FakeRegistry({ [image]: { "io.fedora-base.release": "44" } });
      await assert.rejects(
        snapshotExtract(deps(new FakeStack(rawConfig({})), registry, []), {
          image, dryRun: false,
        }),
        (e: Error) => [
          "label io.fedora-base.architecture is missing",
          "label io.fedora-base.epoch is missing",
          "label org.opencontainers.image.base.name is missing",
          "label org.opencontainers.image.base.digest is missing",
          "label io.fedora-base.dnf.repos is missing",
        ].every((p) => e.message.includes(p)) && e.message.startsWith(image),
      );
    });

    it("warns when the stack's mirror differs from the repos the image was built with",
      async () => {
        const image = `127.0.0.1:5000/fedora-base/fedora-base-x86_64@sha256:${"e".repeat(64)}`;
        const registry = new FakeRegistry({ [image]: snapshotLabels({
          release: 44, architecture: "x86_64", epoch: NOW, baseImage: BASE, repos: "",
        }, "5") });
        const report = await snapshotExtract(
          deps(new FakeStack(rawConfig({})), registry, []), { image, dryRun: true },
        );
        assert.equal(report.warnings.length, 1);
        assert.match(report.warnings[0] ?? "", /built with FEDORA_BASE_REPOS "" but the stack's/);
      });
  });
});
