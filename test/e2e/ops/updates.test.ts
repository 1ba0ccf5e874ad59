// Issue 6: check-updates (with --bump), packages and diff, and check-rebuildable for a package
// the build installed, against the stand-in Fedora through the real engine and BuildKit.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

import { OpsBuildx } from "../../../cli/ops/buildkit";
import { checkUpdates, type CheckUpdatesReport } from "../../../cli/ops/check-updates";
import type { OpsDeps } from "../../../cli/ops/ports";
import { OpsRegctl } from "../../../cli/ops/registry";
import { openStackReader } from "../../../cli/ops/stack";
import type { DiffReport, PackagesReport } from "../../../cli/ops/packages";
import type { RebuildableReport } from "../../../cli/ops/rebuildable";
import { e2eEnv, REPO, type E2eEnv } from "../env";
import { preview, up } from "../stack";
import { dropStack, json, type OpsStack, opsCli, probe, publishedStack } from "./helpers";

const ADVISORY = "FEDORA-STANDIN-2026-0001";

describe("operations: updates, package lists and diff", function () {
  this.timeout(30 * 60 * 1000);
  let env: E2eEnv;
  let st: OpsStack;
  let updated = "";

  before(async () => {
    env = e2eEnv();
    st = await publishedStack(env, "ops-upd");
  });

  after(async () => {
    await dropStack(st);
  });

  it("reports no updates while the mirror has none, and exits 0", async () => {
    const r = await opsCli(st.s, ["check-updates", "--stack", st.s.name, "--json"]);
    const report = json<CheckUpdatesReport>(r);
    assert.equal(r.exitCode, 0, r.stderr.slice(-2000));
    assert.equal(report.result, "none");
    assert.deepEqual(report.images.map((i) => [i.release, i.architecture, i.ref, i.status]),
      [[Number(st.release), "x86_64", st.image, "none"]]);
  });

  it("reports an error, never no updates, when the network is blocked (C22)", async () => {
    // This machine's BuildKit runs every step on the host network unless told `none`, and the
    // CLI offers no `none` (a check without network is pointless), so the command's code runs
    // here with a builder whose steps have no network.
    const temps: string[] = [];
    const tempDir = () => {
      temps.push(fs.mkdtempSync(path.join(os.tmpdir(), "fedora-base-e2e-c22-")));
      return temps[temps.length - 1] ?? "";
    };
    const builder = new OpsBuildx(st.s.log, { name: env.builder, network: "none" }, tempDir);
    const deps: OpsDeps = {
      registry: new OpsRegctl(st.s.log),
      builder: () => Promise.resolve(builder),
      log: st.s.log,
      tempDir,
      fetchStatus: () => Promise.reject(new Error("not used")),
      diffoci: () => Promise.reject(new Error("not used")),
    };
    try {
      const report = await checkUpdates(deps, await openStackReader(st.s.name, REPO),
        { bump: true, bumpOn: "any" }, () => Promise.reject(new Error("no bump expected")));
      assert.equal(report.exitCode, 1);
      assert.equal(report.result, "error");
      assert.equal(report.images[0]?.status, "error");
      assert.match(report.images[0]?.error ?? "", /makecache --refresh failed with exit code 1/);
      assert.match(report.bumpSkipped ?? "", /incomplete check/);
    } finally {
      for (const dir of temps) fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("reports the stand-in's advisory once the mirror has the fix, and exits 10", async () => {
    await st.mirror.standin("publish-update");
    const r = await opsCli(st.s, ["check-updates", "--stack", st.s.name]);
    assert.equal(r.exitCode, 10, r.stdout + r.stderr.slice(-2000));
    assert.match(r.stdout, new RegExp(`hello\\.noarch 1\\.1-1\\.fc${st.release} from updates ` +
      `+security: ${ADVISORY}`));
    assert.match(r.stdout, /result: security updates available \(exit 10\)/);
  });

  it("--bump pins new snapshots of the release and changes nothing else", async () => {
    const before = await st.s.stack.getAllConfig();
    const r = await opsCli(st.s, ["check-updates", "--stack", st.s.name, "--bump", "--json"]);
    const report = json<CheckUpdatesReport>(r);
    assert.equal(r.exitCode, 10, r.stderr.slice(-2000));
    assert.deepEqual(report.bumped.map((b) => b.release), [Number(st.release)]);
    const after = await st.s.stack.getAllConfig();
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])];
    assert.deepEqual(keys.filter((k) => k !== "fedora-base:releases")
      .filter((k) => JSON.stringify(before[k]) !== JSON.stringify(after[k])), []);
    type Releases = Record<string, { epoch: number; baseImage: string; snapshots: object }>;
    const was = JSON.parse(before["fedora-base:releases"]?.value ?? "{}") as Releases;
    const now = JSON.parse(after["fedora-base:releases"]?.value ?? "{}") as Releases;
    assert.deepEqual(Object.keys(now), Object.keys(was));
    assert.equal(now[st.release]?.baseImage, was[st.release]?.baseImage);
    assert.ok((now[st.release]?.epoch ?? 0) > (was[st.release]?.epoch ?? 0));
    assert.notDeepEqual(now[st.release]?.snapshots, was[st.release]?.snapshots);
  });

  it("makes the next up rebuild the bumped release, which has hello 1.1", async () => {
    const plan = await preview(st.s);
    assert.equal(plan.steps.get(`docker-build:index:Image::fedora-${st.release}-x86_64-image`),
      "update", plan.changed.join("\n"));
    const result = await up(st.s);
    const images = result.outputs.images?.value as Record<string, Record<string, {
      ref: string }>>;
    updated = images[st.release]?.x86_64?.ref ?? "";
    assert.notEqual(updated, st.image);
    const again = await opsCli(st.s, ["check-updates", "--stack", st.s.name, "--json"]);
    assert.equal(again.exitCode, 0, again.stdout);
  });

  it("lists exactly the packages rpm knows in the image", async () => {
    const r = await opsCli(st.s, ["packages", st.image, "--json"]);
    assert.equal(r.exitCode, 0, r.stderr.slice(-2000));
    const listed = json<PackagesReport>(r).images[0]?.packages ?? [];
    const rpm = await probe(env, st.s, st.image,
      "rpm -qa --qf '%{NAME} %{VERSION}-%{RELEASE}.%{ARCH}\\n' | LC_ALL=C sort >/out/rpm-qa\n");
    assert.deepEqual(listed.map((p) => `${p.name} ${p.version}-${p.release}.${p.arch}`),
      (rpm["rpm-qa"] ?? "").trim().split("\n"));
    assert.deepEqual(listed.map((p) => p.name).filter((n) => n !== "gpg-pubkey"),
      ["fedora-release-standin", "hello", "stamped"]);
    assert.equal(listed.find((p) => p.name === "hello")?.version, "1.0");
  });

  it("lists the packages of every image the stack published", async () => {
    const r = await opsCli(st.s, ["packages", "--stack", st.s.name]);
    assert.equal(r.exitCode, 0, r.stderr.slice(-2000));
    assert.match(r.stdout, new RegExp(`^# ${st.release} x86_64 ${updated.replace(/[.]/g, "\\.")}`
      + `\\n(.*\\n)*hello\\t0\\t1\\.1\\t1\\.fc${st.release}\\tnoarch\\n`));
  });

  it("diffs the two images: hello 1.0 -> 1.1, fixed by the stand-in's advisory", async () => {
    const r = await opsCli(st.s, ["diff", st.image, updated, "--stack", st.s.name, "--json"]);
    assert.equal(r.exitCode, 0, r.stderr.slice(-2000));
    const d = json<DiffReport>(r);
    assert.deepEqual(d.updated, [{ name: "hello", arch: "noarch", from: `0:1.0-1.fc${st.release}`,
      to: `0:1.1-1.fc${st.release}` }]);
    assert.deepEqual([d.added, d.removed, d.downgraded], [[], [], []]);
    assert.deepEqual(d.advisories?.map((a) => [a.id, a.type, a.packages]),
      [[ADVISORY, "security", [`hello-0:1.1-1.fc${st.release}.noarch`]]]);
    assert.equal(d.advisorySource, updated);
  });

  it("says the image cannot be rebuilt once the mirror drops the hello its build installed",
    async () => {
      const ok = await opsCli(st.s, ["check-rebuildable", "--image", updated, "--stack",
        st.s.name]);
      assert.equal(ok.exitCode, 0, ok.stdout + ok.stderr.slice(-2000));
      await st.mirror.standin("drop-package", "hello-1.1");
      const r = await opsCli(st.s, ["check-rebuildable", "--image", updated, "--stack",
        st.s.name, "--json"]);
      const report = json<RebuildableReport>(r);
      assert.equal(r.exitCode, 12, r.stdout);
      assert.deepEqual(report.missing.map((m) => [m.package, m.source, m.urls[0]?.status]),
        [[`hello-0:1.1-1.fc${st.release}.noarch`, "build", 404]]);
      assert.match(report.verdict, /can no longer be rebuilt bit for bit from http:/);
    });
});
