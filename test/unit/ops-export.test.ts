import * as assert from "node:assert/strict";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import * as zlib from "node:zlib";
import { exportDnfCache, hostScript, tarballName } from "../../cli/ops/export-dnf-cache";
import type { ExportRequest, SnapshotBuilder } from "../../cli/snapshot/ports";
import { D, FakeBuilder, FakeRegistry, fakeDeps, imageLabels, REPO } from "./ops-fakes";

const REF = `${REPO}@${D("9")}`;
const EPOCH = 1_790_000_000;

/** Writes a retained cache as the snapshot recipe exports it, with the given file times. */
class FakeExport implements SnapshotBuilder {
  requests: ExportRequest[] = [];
  constructor(private readonly mtime: number, private readonly reversed = false) {}

  export(request: ExportRequest): Promise<void> {
    this.requests.push(request);
    const files = [
      ["cache/fedora-b4479865cd7c69b3/repodata/repomd.xml", "<repomd/>\n"],
      ["cache/fedora-b4479865cd7c69b3/repodata/aa-primary.xml.gz", "primary"],
      ["cache/updates-18fc7ff9efd7b30e/repodata/repomd.xml", "<repomd updates/>\n"],
      ["info/dnf-major", "4\n"],
    ];
    for (const [name, content] of this.reversed ? files.reverse() : files) {
      const file = path.join(request.dest, name ?? "");
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, content ?? "", { mode: this.reversed ? 0o600 : 0o644 });
      fs.utimesSync(file, this.mtime, this.mtime);
    }
    return Promise.resolve();
  }
}

/** Member names and mtimes of a ustar archive (no PAX names in these small trees). */
function members(tar: Buffer): { name: string; mtime: number; uid: number }[] {
  const out = [];
  for (let at = 0; at + 512 <= tar.length; ) {
    const header = tar.subarray(at, at + 512);
    const name = header.subarray(0, 100).toString().replace(/\0.*$/s, "");
    if (!name) break;
    const size = parseInt(header.subarray(124, 136).toString().replace(/\0.*$/s, ""), 8);
    out.push({
      name,
      mtime: parseInt(header.subarray(136, 148).toString(), 8),
      uid: parseInt(header.subarray(108, 116).toString(), 8),
    });
    at += 512 + Math.ceil(size / 512) * 512;
  }
  return out;
}

describe("export-dnf-cache", () => {
  let f: ReturnType<typeof fakeDeps>;

  beforeEach(() => {
    const registry = new FakeRegistry();
    registry.image(REF, imageLabels(EPOCH));
    f = fakeDeps(registry, new FakeBuilder());
  });

  afterEach(() => f.cleanup());

  it("names the tarball as the original pipeline did", () => {
    assert.equal(tarballName(44, "aarch64"), "fedora-44-aarch64.tar.gz");
  });

  it("writes the same bytes whatever the file times, order and modes of the export",
    async () => {
      const a = f.deps.tempDir();
      const b = f.deps.tempDir();
      const ra = await exportDnfCache(f.deps, () => Promise.resolve(new FakeExport(1)),
        { image: REF, outputDir: a });
      const rb = await exportDnfCache(f.deps, () => Promise.resolve(new FakeExport(2e9, true)),
        { image: REF, outputDir: b });
      const bytes = (r: typeof ra) => fs.readFileSync(r.file);
      assert.ok(bytes(ra).equals(bytes(rb)));
      const sha = `sha256:${crypto.createHash("sha256").update(bytes(ra)).digest("hex")}`;
      assert.equal(ra.sha256, sha);
      assert.equal(path.basename(ra.file), "fedora-44-x86_64.tar.gz");
    });

  it("holds the repo directories at the top, sorted, at the image's epoch, owned by 0",
    async () => {
      const exporter = new FakeExport(1);
      const r = await exportDnfCache(f.deps, () => Promise.resolve(exporter),
        { image: REF, outputDir: f.deps.tempDir() });
      assert.deepEqual(exporter.requests.map((q) => [q.target, q.buildArgs.IMAGE]),
        [["export-extract", REF]]);
      const list = members(zlib.gunzipSync(fs.readFileSync(r.file)));
      assert.deepEqual(list.map((m) => m.name), [
        "fedora-b4479865cd7c69b3/",
        "fedora-b4479865cd7c69b3/repodata/",
        "fedora-b4479865cd7c69b3/repodata/aa-primary.xml.gz",
        "fedora-b4479865cd7c69b3/repodata/repomd.xml",
        "updates-18fc7ff9efd7b30e/",
        "updates-18fc7ff9efd7b30e/repodata/",
        "updates-18fc7ff9efd7b30e/repodata/repomd.xml",
      ]);
      assert.ok(list.every((m) => m.mtime === EPOCH && m.uid === 0));
      const gz = fs.readFileSync(r.file);
      assert.equal(gz.readUInt32LE(4), 0, "gzip header carries no time");
      assert.equal(r.dnfMajor, "4");
    });

  it("sets a host up: cache where its dnf looks, no refresh, repos at the image's URLs", () => {
    const repos = [{ id: "fedora", baseurl: "http://m.example/fedora/$releasever/$basearch/" }];
    const dnf4 = hostScript("dnf4", "fedora-44-x86_64.tar.gz", repos);
    const dnf5 = hostScript("dnf5", "fedora-44-x86_64.tar.gz", repos);
    assert.match(dnf4, /tar -xzf fedora-44-x86_64\.tar\.gz -C \/var\/cache\/dnf\n/);
    assert.match(dnf5, /tar -xzf fedora-44-x86_64\.tar\.gz -C \/var\/cache\/libdnf5\n/);
    for (const script of [dnf4, dnf5]) {
      assert.match(script, /metadata_expire=-1\\ncheck_config_file_age=False/);
      assert.match(script, /s\/\^\[\[:space:\]\]\*metadata_expire.*#&\/' \/etc\/yum\.repos\.d/);
      assert.ok(script.includes("'/^\\[fedora\\]/a baseurl=http://m.example/fedora/" +
        "$releasever/$basearch/'"), script);
    }
    assert.match(dnf4, /\ndnf upgrade\n$/);
    assert.match(dnf5, /\ndnf5 upgrade\n$/);
  });
});
