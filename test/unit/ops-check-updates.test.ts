import * as assert from "node:assert/strict";
import {
  checkUpdates,
  interpretCheck,
  overallResult,
  publishedImages,
} from "../../cli/ops/check-updates";
import type { SnapshotReport } from "../../cli/snapshot/report";
import { D, FakeBuilder, FakeRegistry, FakeStack, fakeDeps } from "./ops-fakes";

const NONE = {
  "makecache.rc": "0\n", "check.rc": "0\n", "check.out": "", "security.rc": "0\n",
  "security.out": "", "advisories.rc": "0\n", "advisories.out": "",
};
const SECURITY = {
  ...NONE,
  "check.rc": "100\n",
  "check.out": "\nhello.noarch   1.1-1.fc44   updates\nzlib.x86_64   1.3-2.fc44   updates\n",
  "security.rc": "100\n",
  "security.out": "\nhello.noarch   1.1-1.fc44   updates\n",
  "advisories.out": "Last metadata expiration check: 0:00:01 ago.\n" +
    "FEDORA-STANDIN-2026-0001 Important/Sec. hello-1.1-1.fc44.noarch\n",
};
const OTHER = {
  ...NONE,
  "check.rc": "100\n",
  "check.out": "\nzlib.x86_64   1.3-2.fc44   updates\n",
};

describe("check-updates: reading one image's probe", () => {
  it("reports no updates when every dnf query exits 0", () => {
    assert.deepEqual(interpretCheck(NONE), { status: "none", updates: [], advisories: [] });
  });

  it("reports security updates with their advisory ids, others beside them", () => {
    const r = interpretCheck(SECURITY);
    assert.equal(r.status, "security");
    assert.deepEqual(r.updates.map((u) => [u.name, u.security, u.advisories]), [
      ["hello", true, ["FEDORA-STANDIN-2026-0001"]],
      ["zlib", false, []],
    ]);
    assert.deepEqual(r.advisories, [{ id: "FEDORA-STANDIN-2026-0001", severity: "Important",
      packages: ["hello-0:1.1-1.fc44.noarch"] }]);
  });

  it("reports other updates only when none is security", () => {
    assert.equal(interpretCheck(OTHER).status, "updates");
  });

  it("reports a failed refresh as an error, never as no updates", () => {
    const r = interpretCheck({ "makecache.rc": "1\n",
      "makecache.err": "Curl error (7): Couldn't connect to server\n" });
    assert.equal(r.status, "error");
    assert.match(r.error ?? "", /makecache --refresh failed with exit code 1.*Couldn't connect/);
  });

  it("reports check-update's exit code 1 as an error, with an empty list", () => {
    const r = interpretCheck({ ...NONE, "check.rc": "1\n", "check.err": "Error: boom\n" });
    assert.equal(r.status, "error");
    assert.match(r.error ?? "", /check-update failed with exit code 1: Error: boom/);
  });

  it("reports an error when dnf says 100 but lists nothing this tool can read", () => {
    const r = interpretCheck({ ...NONE, "check.rc": "100\n", "check.out": "something new\n" });
    assert.equal(r.status, "error");
  });

  it("reports an error when security updates come without a readable advisory", () => {
    const r = interpretCheck({ ...SECURITY, "advisories.out": "" });
    assert.equal(r.status, "error");
    assert.match(r.error ?? "", /no security advisory/);
  });

  it("reports an error when the probe recorded nothing", () => {
    assert.equal(interpretCheck({}).status, "error");
  });
});

describe("check-updates: exit codes", () => {
  it("maps the most urgent status: error 1, security 10, other 11, none 0", () => {
    assert.deepEqual(overallResult(["none", "security", "error"]), { result: "error",
      exitCode: 1 });
    assert.deepEqual(overallResult(["updates", "security"]), { result: "security",
      exitCode: 10 });
    assert.deepEqual(overallResult(["none", "updates"]), { result: "updates", exitCode: 11 });
    assert.deepEqual(overallResult(["none", "none"]), { result: "none", exitCode: 0 });
  });
});

const REF44 = `registry.example/fb/fedora-base-x86_64@${D("4")}`;
const REF45 = `registry.example/fb/fedora-base-x86_64@${D("5")}`;
const REF45A = `registry.example/fb/fedora-base-aarch64@${D("6")}`;

function stackConfig(): Record<string, unknown> {
  const release = (r: string) => ({
    epoch: 1_700_000_000,
    baseImage: `registry.example/fedora:${r}@${D("a")}`,
    snapshots: { x86_64: `registry.example/fb/dnf-snapshot@${D("b")}`,
      aarch64: `registry.example/fb/dnf-snapshot@${D("c")}` },
  });
  return {
    registry: "registry.example/fb",
    architectures: ["x86_64", "aarch64"],
    builder: { name: "fedora-base-local", buildkitVersion: "v0.34.2", network: "host" },
    releases: { "44": release("44"), "45": release("45") },
  };
}

const OUTPUTS = {
  images: {
    "45": { x86_64: { ref: REF45 }, aarch64: { ref: REF45A } },
    "44": { x86_64: { ref: REF44 } },
  },
};

describe("check-updates: a stack", () => {
  let f: ReturnType<typeof fakeDeps>;
  let builder: FakeBuilder;
  const bumped: number[] = [];
  const bump = (release: number) => {
    bumped.push(release);
    return Promise.resolve({ release, epoch: 1_800_000_000, config: {
      [`releases["${release}"].epoch`]: "1800000000" } } as unknown as SnapshotReport);
  };

  beforeEach(() => {
    builder = new FakeBuilder();
    f = fakeDeps(new FakeRegistry(), builder);
    bumped.length = 0;
  });

  afterEach(() => f.cleanup());

  it("lists the published images in release and architecture order", () => {
    assert.deepEqual(publishedImages(OUTPUTS, "s").map((i) => `${i.release} ${i.architecture}`),
      ["44 x86_64", "45 x86_64", "45 aarch64"]);
  });

  it("fails plainly when the stack has published nothing", () => {
    assert.throws(() => publishedImages({}, "s"), /stack s has no images output: run pulumi up/);
  });

  it("refreshes inside each image anew, on each image's platform, with the builder's network",
    async () => {
      for (const ref of [REF44, REF45, REF45A]) builder.answers.set(ref, NONE);
      const r = await checkUpdates(f.deps, new FakeStack(stackConfig(), OUTPUTS),
        { bump: false, bumpOn: "security" }, bump);
      assert.equal(r.exitCode, 0);
      assert.deepEqual(builder.probes.map((p) => [p.image, p.platform, p.fresh, p.network]), [
        [REF44, "linux/amd64", true, "host"],
        [REF45, "linux/amd64", true, "host"],
        [REF45A, "linux/arm64", true, "host"],
      ]);
    });

  it("bumps only the releases with security updates, all their architectures at once",
    async () => {
      builder.answers.set(REF44, OTHER);
      builder.answers.set(REF45, NONE);
      builder.answers.set(REF45A, SECURITY);
      const r = await checkUpdates(f.deps, new FakeStack(stackConfig(), OUTPUTS),
        { bump: true, bumpOn: "security" }, bump);
      assert.equal(r.exitCode, 10);
      assert.deepEqual(bumped, [45]);
    });

  it("bumps releases with any update when asked to", async () => {
    builder.answers.set(REF44, OTHER);
    builder.answers.set(REF45, NONE);
    builder.answers.set(REF45A, NONE);
    const r = await checkUpdates(f.deps, new FakeStack(stackConfig(), OUTPUTS),
      { bump: true, bumpOn: "any" }, bump);
    assert.equal(r.exitCode, 11);
    assert.deepEqual(bumped, [44]);
  });

  it("bumps nothing when a check failed, and exits 1", async () => {
    builder.answers.set(REF44, SECURITY);
    builder.answers.set(REF45, NONE);
    const r = await checkUpdates(f.deps, new FakeStack(stackConfig(), OUTPUTS),
      { bump: true, bumpOn: "security" }, bump);
    assert.equal(r.exitCode, 1);
    assert.equal(r.images.find((i) => i.ref === REF45A)?.status, "error");
    assert.match(r.images.find((i) => i.ref === REF45A)?.error ?? "", /cannot pull/);
    assert.deepEqual(bumped, []);
    assert.match(r.bumpSkipped ?? "", /incomplete check/);
  });
});
