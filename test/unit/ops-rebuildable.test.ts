import * as assert from "node:assert/strict";
import { checkRebuildable, locationsScript } from "../../cli/ops/rebuildable";
import { PACKAGE_LIST_PATH } from "../../cli/ops/rpm";
import { BASE, D, FakeBuilder, FakeRegistry, fakeDeps, imageLabels, REPO } from "./ops-fakes";

const REF = `${REPO}@${D("9")}`;
const MIRROR = "http://mirror.example";
const url = (repo: string, file: string) =>
  `${MIRROR}/${repo}/44/x86_64/Packages/${file[0] ?? "x"}/${file}`;
const HELLO11 = url("updates", "hello-1.1-1.fc44.noarch.rpm");
const STAMPED = url("fedora", "stamped-1.0-1.fc44.x86_64.rpm");

describe("check-rebuildable", () => {
  let f: ReturnType<typeof fakeDeps>;
  let builder: FakeBuilder;

  /** An image whose build upgraded hello 1.0 (base) to 1.1, on a base with stamped. */
  beforeEach(() => {
    const registry = new FakeRegistry();
    builder = new FakeBuilder();
    f = fakeDeps(registry, builder);
    registry.image(REF, imageLabels());
    registry.files.set(`${REF} ${PACKAGE_LIST_PATH}`,
      "gpg-pubkey\t0\tf0866ef8\t6b11a552\t(none)\nhello\t0\t1.1\t1.fc44\tnoarch\n" +
      "stamped\t0\t1.0\t1.fc44\tx86_64\n");
    builder.answers.set(BASE, { "packages.rc": "0\n", "packages.err": "", "packages.out":
      "hello\t0\t1.0\t1.fc44\tnoarch\nstamped\t0\t1.0\t1.fc44\tx86_64\n" +
      "gpg-pubkey\t0\tf0866ef8\t6b11a552\t(none)\n" });
    builder.answers.set(REF, { "locations.rc": "0\n", "locations.err": "",
      "locations.out": `Last metadata expiration check: 0:01:55 ago.\n${HELLO11}\n${STAMPED}\n` });
  });

  afterEach(() => f.cleanup());

  it("asks the mirror for every installed package but rpm's signing keys", async () => {
    const r = await checkRebuildable(f.deps, { image: REF });
    assert.equal(r.exitCode, 0);
    assert.equal(r.rebuildable, true);
    assert.deepEqual([...f.fetched].sort(), [STAMPED, HELLO11].sort());
    assert.ok(!builder.probes.some((p) => /gpg-pubkey/.test(p.script)));
    assert.ok(builder.probes.every((p) => p.network === "none"));
  });

  it("says plainly that the image cannot be rebuilt when a package the build installed is gone",
    async () => {
      f.statuses.set(HELLO11, 404);
      const r = await checkRebuildable(f.deps, { image: REF });
      assert.equal(r.exitCode, 12);
      assert.equal(r.rebuildable, false);
      assert.deepEqual(r.missing.map((m) => [m.package, m.source]),
        [["hello-0:1.1-1.fc44.noarch", "build"]]);
      assert.match(r.verdict, /can no longer be rebuilt bit for bit from http:\/\/mirror\.example/);
      assert.match(r.verdict, /hello-0:1\.1-1\.fc44\.noarch/);
    });

  it("tells a base image's missing package apart: the image still rebuilds", async () => {
    f.statuses.set(STAMPED, 410);
    const r = await checkRebuildable(f.deps, { image: REF });
    assert.equal(r.exitCode, 13);
    assert.match(r.verdict, /stamped-0:1\.0-1\.fc44\.x86_64 is gone .* still rebuilds bit for bit/);
  });

  it("concludes nothing when the mirror answers neither yes nor no", async () => {
    f.statuses.set(STAMPED, 503);
    const r = await checkRebuildable(f.deps, { image: REF });
    assert.equal(r.exitCode, 1);
    assert.deepEqual(r.unknown.map((u) => u.package), ["stamped-0:1.0-1.fc44.x86_64"]);
  });

  it("counts a package the build installed but the metadata lacks as not rebuildable",
    async () => {
      builder.answers.set(REF, { "locations.rc": "0\n", "locations.err": "",
        "locations.out": `${STAMPED}\n` });
      const r = await checkRebuildable(f.deps, { image: REF });
      assert.equal(r.exitCode, 12);
      assert.deepEqual(r.notInMetadata, [{ package: "hello-0:1.1-1.fc44.noarch",
        source: "build" }]);
    });

  it("passes package specs to dnf through a quoted here-document only", () => {
    assert.match(locationsScript(["hello-0:1.1-1.fc44.noarch"]),
      /<<'SPECS'\nhello-0:1\.1-1\.fc44\.noarch\nSPECS\n/);
    assert.throws(() => locationsScript(["x; rm -rf /"]), /not a package spec/);
  });
});
