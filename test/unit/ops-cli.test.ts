import * as assert from "node:assert/strict";
import type { CheckUpdatesReport } from "../../cli/ops/check-updates";
import type { OpsActions, OpsTarget } from "../../cli/ops/commands";
import { type CliActions, runCli } from "../../cli/program";

const IMAGE = `127.0.0.1:5000/fedora-base/fedora-base-x86_64@sha256:${"c".repeat(64)}`;

function checkReport(exitCode: number): CheckUpdatesReport {
  return { command: "check-updates", stack: "local", images: [], result: "none", exitCode,
    bumped: [] };
}

/** Records every operations call and answers with a report carrying `exitCode`. */
function fakeActions(exitCode = 0) {
  const calls: { action: string; target: OpsTarget; options: unknown }[] = [];
  const act = (action: string, report: object) => (target: OpsTarget, options: unknown) => {
    calls.push({ action, target, options });
    return Promise.resolve({ ...report, exitCode });
  };
  const ops = {
    checkUpdates: act("check-updates", checkReport(exitCode)),
    exportDnfCache: act("export-dnf-cache", {}),
    reproduce: act("reproduce", {}),
    packages: act("packages", { command: "packages", images: [] }),
    diff: act("diff", {}),
    checkRebuildable: act("check-rebuildable", {}),
  } as unknown as OpsActions;
  const reject = () => Promise.reject(new Error("not in this test"));
  const actions: CliActions = { snapshotNew: reject, snapshotExtract: reject, ops };
  return { actions, calls };
}

async function cli(argv: string[], exitCode = 0) {
  const { actions, calls } = fakeActions(exitCode);
  let out = "";
  let err = "";
  const code = await runCli(argv, actions, {
    out: (s) => void (out += s),
    err: (s) => void (err += s),
  });
  return { code, out, err, calls };
}

describe("fedora-base CLI: operations commands", () => {
  for (const code of [0, 10, 11, 1]) {
    it(`exits with check-updates' own code ${code}`, async () => {
      const r = await cli(["check-updates", "--stack", "local", "--json"], code);
      assert.equal(r.code, code);
      assert.equal((JSON.parse(r.out) as { exitCode: number }).exitCode, code);
    });
  }

  it("passes --bump and what makes a release due on", async () => {
    const r = await cli(["check-updates", "--stack", "local", "--bump", "--bump-on", "any"]);
    assert.deepEqual(r.calls, [{ action: "check-updates", target: { stack: "local" },
      options: { bump: true, bumpOn: "any" } }]);
  });

  it("requires a stack for check-updates before anything runs", async () => {
    const r = await cli(["check-updates"]);
    assert.equal(r.code, 2);
    assert.match(r.err, /required option '--stack <stack>' not specified/);
    assert.deepEqual(r.calls, []);
  });

  for (const command of ["export-dnf-cache", "reproduce", "check-rebuildable"]) {
    it(`rejects an image not pinned by digest in ${command}`, async () => {
      const r = await cli([command, "--image", "reg.example/fedora-base-x86_64:44"]);
      assert.equal(r.code, 2);
      assert.match(r.err, /option '--image <ref>' argument .* is invalid/);
      assert.deepEqual(r.calls, []);
    });
  }

  it("passes builder, network and scratch repository of reproduce on", async () => {
    const r = await cli(["reproduce", "--image", IMAGE, "--builder", "b1", "--network", "host",
      "--scratch", "reg.example/scratch:try", "--json"]);
    assert.equal(r.code, 0);
    assert.deepEqual(r.calls, [{ action: "reproduce", target: { builder: "b1", network: "host" },
      options: { image: IMAGE, scratch: "reg.example/scratch:try" } }]);
  });

  it("exits with check-rebuildable's code 12 when the image is no longer rebuildable",
    async () => {
      const r = await cli(["check-rebuildable", "--image", IMAGE, "--json"], 12);
      assert.equal(r.code, 12);
    });

  it("takes either an image or a stack for packages, not both", async () => {
    const r = await cli(["packages", IMAGE, "--stack", "local"]);
    assert.equal(r.code, 2);
    assert.match(r.err, /either an image reference or --stack/);
    assert.deepEqual(r.calls, []);
  });

  it("turns advisories off in diff with --no-advisories", async () => {
    await cli(["diff", IMAGE, IMAGE, "--no-advisories"]);
    const { calls } = await cli(["diff", IMAGE, IMAGE, "--no-advisories", "--arch", "aarch64"]);
    assert.deepEqual(calls[0]?.options, { a: IMAGE, b: IMAGE, advisories: false,
      platform: "linux/arm64" });
  });

  const helps: [string[], RegExp][] = [
    [["check-updates"], /\n {2}10 security updates.*\n {2}11 updates, none of them security/s],
    [["reproduce"], /\n {2}0 {2}the rebuild has the published digest.*\n {2}1 {2}the rebuild differs/s],
    [["check-rebuildable"], /\n {2}12 a package the rebuild downloads is gone.*\n {2}13 only/s],
    [["export-dnf-cache"], /Exit codes:\n {2}0 {2}done\n {2}1 /],
    [["packages"], /Exit codes:\n {2}0 {2}done\n {2}1 /],
    [["diff"], /Exit codes:\n {2}0 {2}done\n {2}1 /],
  ];
  for (const [argv, pattern] of helps) {
    it(`documents the exit codes in ${argv.join(" ")} --help`, async () => {
      const r = await cli([...argv, "--help"]);
      assert.equal(r.code, 0);
      assert.match(r.out, pattern);
    });
  }
});
