// Issue 6: reproduce rebuilds a published image from what it carries, on a clean cache, and
// says "match"; for a tampered image it names the layer and the file that differ.
import * as assert from "node:assert/strict";

import type { ReproduceReport } from "../../../cli/ops/reproduce";
import { e2eEnv, type E2eEnv } from "../env";
import {
  buildAndPush,
  dropStack,
  json,
  type OpsStack,
  opsCli,
  publishedStack,
} from "./helpers";

const TAMPERED_FILE = "etc/fedora-base-tampered";

describe("operations: reproduce", function () {
  this.timeout(30 * 60 * 1000);
  let env: E2eEnv;
  let st: OpsStack;
  let prefix: string;

  before(async () => {
    env = e2eEnv();
    st = await publishedStack(env, "ops-rep");
    prefix = st.image.slice(0, st.image.lastIndexOf("/"));
  });

  after(async () => {
    await dropStack(st);
  });

  it("says match for the published image, rebuilt on a clean cache", async () => {
    const r = await opsCli(st.s, ["reproduce", "--image", st.image, "--stack", st.s.name]);
    assert.equal(r.exitCode, 0, r.stdout + r.stderr.slice(-3000));
    assert.match(r.stdout, /^match: the rebuild has the published digest$/m);
    assert.match(r.stdout, /build definition matches/);
    assert.match(r.stderr, /buildx build .*--no-cache/);
  });

  it("names the extra layer and the file of a tampered image, and exits 1", async () => {
    // The same image with one more file: it inherits every label, so it claims to be the
    // published one; only a rebuild shows that it is not.
    const dockerfile = ["ARG IMAGE=build-arg.invalid/image-is-required", "FROM ${IMAGE}",
      `RUN echo tampered >/${TAMPERED_FILE}`, ""].join("\n");
    const tampered = await buildAndPush(env, st.s, `${prefix}/tampered`, dockerfile,
      { IMAGE: st.image, SOURCE_DATE_EPOCH: "1767225600" });
    const r = await opsCli(st.s, ["reproduce", "--image", tampered, "--stack", st.s.name,
      "--scratch", `${prefix}/scratch`, "--json"]);
    const report = json<ReproduceReport>(r);
    assert.equal(r.exitCode, 1);
    assert.equal(report.match, false);
    assert.equal(report.rebuilt, st.image.split("@")[1], "the rebuild is the published image");
    assert.ok(report.rebuiltRef.startsWith(`${prefix}/scratch@`));
    const layers = report.differences?.layers ?? [];
    assert.deepEqual(layers.filter((l) => !l.same).map((l) => [l.index, l.rebuilt]),
      [[layers.length - 1, undefined]], JSON.stringify(layers));
    assert.ok(report.differences?.files.includes(TAMPERED_FILE),
      JSON.stringify(report.differences));
    const text = await opsCli(st.s, ["reproduce", "--image", tampered, "--stack", st.s.name,
      "--scratch", `${prefix}/scratch`]);
    assert.match(text.stdout, /^MISMATCH: /m);
    assert.match(text.stdout, new RegExp(`^ {4}${TAMPERED_FILE}$`, "m"));
  });
});
