// Issue 6: export-dnf-cache gives the same bytes on every run, and its host instructions give a
// host a cache that dnf uses offline and never refreshes on its own.
import * as assert from "node:assert/strict";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

import type { ExportDnfCacheReport } from "../../../cli/ops/export-dnf-cache";
import { e2eEnv, type E2eEnv } from "../env";
import { dropStack, json, type OpsStack, opsCli, probe, publishedStack } from "./helpers";

/** Runs the host script the export printed, as root, in the tarball's directory. */
const HOST = `cd /in
bash host.sh >/out/host.log 2>&1
echo $? >/out/host.rc
dnf -C repoquery --qf '%{name}-%{version}' hello >/out/repoquery 2>/out/repoquery.err
echo $? >/out/repoquery.rc
rpm -q --qf '%{VERSION}' hello >/out/hello
`;

describe("operations: DNF cache export for hosts", function () {
  this.timeout(30 * 60 * 1000);
  let env: E2eEnv;
  let st: OpsStack;
  let work: string;
  let report: ExportDnfCacheReport;
  const hostFiles = () => ({ [path.basename(report.file)]: report.file,
    "host.sh": path.join(work, "host.sh") });

  before(async () => {
    env = e2eEnv();
    work = fs.mkdtempSync(path.join(os.tmpdir(), "fedora-base-e2e-export-"));
    st = await publishedStack(env, "ops-exp");
  });

  after(async () => {
    await dropStack(st);
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  it("writes byte-identical tarballs on two runs", async () => {
    const runs: ExportDnfCacheReport[] = [];
    for (const dir of ["a", "b"]) {
      const r = await opsCli(st.s, ["export-dnf-cache", "--image", st.image, "--stack", st.s.name,
        "--output", path.join(work, dir), "--json"]);
      assert.equal(r.exitCode, 0, r.stderr.slice(-2000));
      runs.push(json<ExportDnfCacheReport>(r));
    }
    const [a, b] = runs;
    assert.ok(a && b);
    assert.equal(path.basename(a.file), `fedora-${st.release}-x86_64.tar.gz`);
    const bytes = fs.readFileSync(a.file);
    assert.ok(bytes.equals(fs.readFileSync(b.file)), "the two tarballs differ");
    assert.equal(a.sha256, `sha256:${crypto.createHash("sha256").update(bytes).digest("hex")}`);
    report = a;
  });

  it("prints the host instructions for dnf4 and dnf5", async () => {
    const r = await opsCli(st.s, ["export-dnf-cache", "--image", st.image, "--stack", st.s.name,
      "--output", path.join(work, "c")]);
    assert.equal(r.exitCode, 0);
    assert.match(r.stdout, /dnf4 \(Fedora 40 and older\): this image's dnf/);
    assert.match(r.stdout, /tar -xzf fedora-\d+-x86_64\.tar\.gz -C \/var\/cache\/dnf\n/);
    assert.match(r.stdout, /tar -xzf fedora-\d+-x86_64\.tar\.gz -C \/var\/cache\/libdnf5\n/);
    assert.match(r.stdout, /metadata_expire=-1\\ncheck_config_file_age=False/);
  });

  it("unpacks, with the printed dnf4 steps, into a cache dnf uses offline", async () => {
    fs.writeFileSync(path.join(work, "host.sh"), report.instructions.dnf4.script);
    const out = await probe(env, st.s, env.standinBaseImage, HOST, { network: "none",
      files: hostFiles() });
    assert.equal(out["host.rc"]?.trim(), "0", out["host.log"]);
    assert.match(out["host.log"] ?? "", /Nothing to do/);
    assert.equal(out["repoquery.rc"]?.trim(), "0", out["repoquery.err"]);
    assert.match(out.repoquery ?? "", /^hello-1\.0$/m);
  });

  it("keeps the host at the image's versions when the mirror has moved on", async () => {
    await st.mirror.standin("publish-update");
    const out = await probe(env, st.s, env.standinBaseImage, HOST, { network: "host",
      files: hostFiles() });
    assert.equal(out["host.rc"]?.trim(), "0", out["host.log"]);
    assert.equal(out.hello, "1.0", "dnf refreshed the metadata and upgraded hello");
    assert.doesNotMatch(out.repoquery ?? "", /hello-1\.1/);
  });
});
