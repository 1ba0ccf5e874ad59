import * as assert from "node:assert/strict";
import { type CliActions, runCli, type Target } from "../../cli/program";
import type { SnapshotReport } from "../../cli/snapshot/report";
import { ConfigError } from "../../stacks/config";

const IMAGE = `127.0.0.1:5000/fedora-base/fedora-base-x86_64@sha256:${"c".repeat(64)}`;

const REPORT: SnapshotReport = {
  command: "snapshot new",
  stack: "local",
  dryRun: false,
  release: 44,
  epoch: 1764720000,
  baseImage: `registry.fedoraproject.org/fedora:44@sha256:${"a".repeat(64)}`,
  repos: "",
  snapshots: [],
  config: { 'releases["44"].epoch': "1764720000" },
  warnings: [],
};

/** Records every action call; `fail` makes the actions throw it instead. */
function fakeActions(fail?: Error) {
  const calls: { action: string; target: Target; options: unknown }[] = [];
  const act = (action: string) => (target: Target, options: unknown) => {
    calls.push({ action, target, options });
    return fail ? Promise.reject(fail) : Promise.resolve(REPORT);
  };
  const actions: CliActions = { snapshotNew: act("new"), snapshotExtract: act("extract") };
  return { actions, calls };
}

async function cli(argv: string[], fail?: Error) {
  const { actions, calls } = fakeActions(fail);
  let out = "";
  let err = "";
  const code = await runCli(argv, actions, {
    out: (s) => void (out += s),
    err: (s) => void (err += s),
  });
  return { code, out, err, calls };
}

describe("fedora-base CLI", () => {
  it("rejects a release that is not a number, naming the option and the value", async () => {
    const r = await cli(["snapshot", "new", "--stack", "local", "--release", "abc"]);
    assert.equal(r.code, 2);
    assert.match(r.err, /option '--release <release>' argument 'abc' is invalid/);
    assert.deepEqual(r.calls, []);
  });

  it("rejects an architecture it does not know, naming the option and the value", async () => {
    const r = await cli(["snapshot", "new", "--stack", "local", "--release", "44",
      "--arch", "x86_64", "--arch", "i686"]);
    assert.equal(r.code, 2);
    assert.match(r.err,
      /option '--arch <arch>' argument 'i686' is invalid\. must be one of x86_64, aarch64/);
    assert.deepEqual(r.calls, []);
  });

  it("rejects an image that is not pinned by digest, naming the option and the value", async () => {
    const tagged = "127.0.0.1:5000/fedora-base/fedora-base-x86_64:44-1764720000";
    const r = await cli(["snapshot", "extract", "--stack", "local", "--image", tagged]);
    assert.equal(r.code, 2);
    assert.ok(r.err.includes(`option '--image <ref>' argument '${tagged}' is invalid`), r.err);
    assert.deepEqual(r.calls, []);
  });

  it("requires a stack before anything runs", async () => {
    const r = await cli(["snapshot", "new", "--release", "44"]);
    assert.equal(r.code, 2);
    assert.match(r.err, /required option '--stack <stack>' not specified/);
    assert.deepEqual(r.calls, []);
  });

  it("reports a usage error as JSON on stdout when asked for JSON", async () => {
    const r = await cli(["snapshot", "new", "--stack", "local", "--release", "4x", "--json"]);
    assert.equal(r.code, 2);
    const parsed = JSON.parse(r.out) as { error: string; exitCode: number };
    assert.equal(parsed.exitCode, 2);
    assert.match(parsed.error, /'--release <release>' argument '4x'/);
  });

  for (const argv of [[], ["snapshot"], ["snapshot", "new"], ["snapshot", "extract"]]) {
    it(`documents the exit codes in ${["fedora-base", ...argv, "--help"].join(" ")}`, async () => {
      const r = await cli([...argv, "--help"]);
      assert.equal(r.code, 0);
      assert.match(r.out, /Exit codes:\n {2}0 .*\n {2}1 .*\n {2}2 .*\n {2}3 /);
      assert.deepEqual(r.calls, []);
    });
  }

  it("passes the validated options on: release as a number, architectures once each", async () => {
    const r = await cli(["snapshot", "new", "--stack", "org/fedora-base/prod", "--release", "44",
      "--arch", "aarch64", "--arch", "x86_64", "--arch", "aarch64", "--dry-run"]);
    assert.equal(r.code, 0);
    assert.deepEqual(r.calls, [{
      action: "new",
      target: { stack: "org/fedora-base/prod" },
      options: { release: 44, architectures: ["aarch64", "x86_64"], dryRun: true },
    }]);
  });

  it("passes the pinned image of extract on, and the registry TLS mode", async () => {
    const r = await cli(["snapshot", "extract", "--stack", "local", "--image", IMAGE,
      "--registry-tls", "disabled"]);
    assert.equal(r.code, 0);
    assert.deepEqual(r.calls, [{
      action: "extract",
      target: { stack: "local", registryTls: "disabled" },
      options: { image: IMAGE, dryRun: false },
    }]);
  });

  it("rejects a registry TLS mode it does not know, naming the option and the value", async () => {
    const r = await cli(["snapshot", "new", "--stack", "local", "--release", "44",
      "--registry-tls", "off"]);
    assert.equal(r.code, 2);
    assert.match(r.err, /option '--registry-tls <mode>' argument 'off' is invalid/);
    assert.deepEqual(r.calls, []);
  });

  it("prints the report as JSON on stdout and nothing else there", async () => {
    const r = await cli(["snapshot", "new", "--stack", "local", "--release", "44", "--json"]);
    assert.equal(r.code, 0);
    assert.deepEqual(JSON.parse(r.out), REPORT);
  });

  it("exits 3 on an invalid stack configuration and shows every problem", async () => {
    const problems = ["fedora-base:registry is required", "fedora-base:builder is required"];
    const r = await cli(["snapshot", "new", "--stack", "local", "--release", "44"],
      new ConfigError(problems));
    assert.equal(r.code, 3);
    for (const p of problems) assert.ok(r.err.includes(p), r.err);
  });

  it("exits 1 when a step fails, with the reason on stderr", async () => {
    const r = await cli(["snapshot", "extract", "--stack", "local", "--image", IMAGE, "--json"],
      new Error("regctl is not on PATH"));
    assert.equal(r.code, 1);
    assert.match(r.err, /fedora-base: error: regctl is not on PATH/);
    assert.deepEqual(JSON.parse(r.out), { error: "regctl is not on PATH", exitCode: 1 });
  });
});
