// Issue 6: check-rebuildable names an installed package the mirror dropped; for one that came
// with the base image it says the image still rebuilds, and reproduce proves it.
import * as assert from "node:assert/strict";

import type { RebuildableReport } from "../../../cli/ops/rebuildable";
import { e2eEnv, type E2eEnv } from "../env";
import { dropStack, json, type OpsStack, opsCli, publishedStack } from "./helpers";

describe("operations: check-rebuildable", function () {
  this.timeout(30 * 60 * 1000);
  let env: E2eEnv;
  let st: OpsStack;

  before(async () => {
    env = e2eEnv();
    st = await publishedStack(env, "ops-reb");
  });

  after(async () => {
    await dropStack(st);
  });

  it("finds every installed package on the mirror, and exits 0", async () => {
    const r = await opsCli(st.s, ["check-rebuildable", "--image", st.image, "--stack",
      st.s.name, "--json"]);
    const report = json<RebuildableReport>(r);
    assert.equal(r.exitCode, 0, r.stdout + r.stderr.slice(-2000));
    assert.equal(report.checked, 3, "fedora-release-standin, hello and stamped");
    assert.deepEqual([report.missing, report.unknown, report.notInMetadata], [[], [], []]);
  });

  it("fails naming hello 1.0 once the mirror drops it", async () => {
    await st.mirror.standin("drop-package", "hello-1.0");
    const r = await opsCli(st.s, ["check-rebuildable", "--image", st.image, "--stack",
      st.s.name]);
    assert.equal(r.exitCode, 13, r.stdout + r.stderr.slice(-2000));
    assert.match(r.stdout, new RegExp(`^ {2}MISSING hello-0:1\\.0-1\\.fc${st.release}\\.noarch ` +
      "\\(came with the base image\\)$", "m"));
    assert.match(r.stdout, /404 http:\/\/127\.0\.0\.1:\d+\/fedora\/\d+\/x86_64\/Packages\/h\/hello-1\.0/);
    assert.match(r.stdout, /The image still rebuilds bit for bit/);
  });

  it("is right that the image still rebuilds: reproduce says match without hello 1.0",
    async () => {
      const r = await opsCli(st.s, ["reproduce", "--image", st.image, "--stack", st.s.name]);
      assert.equal(r.exitCode, 0, r.stdout + r.stderr.slice(-3000));
      assert.match(r.stdout, /^match: /m);
    });
});
