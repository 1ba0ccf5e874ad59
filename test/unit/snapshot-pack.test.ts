import * as assert from "node:assert/strict";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as zlib from "node:zlib";
import { type PackOptions, type PackResult, packSnapshot } from "../../cli/snapshot/pack";
import { tarHeader } from "../../cli/snapshot/tar";

const EPOCH = 1764720000;
const BASE = `registry.fedoraproject.org/fedora:44@sha256:${"a".repeat(64)}`;
const REPOS = "fedora=http://127.0.0.1:8080/f/;updates=http://127.0.0.1:8080/u/";
const LONG_NAME = `${"x".repeat(120)}.xml.zst`;

/** A dnf5-like export: two repos, an empty directory and a path too long for ustar's name. */
const FILES: Record<string, string> = {
  "cache/fedora-0123456789abcdef/repodata/repomd.xml": "<repomd>fedora</repomd>\n",
  "cache/fedora-0123456789abcdef/repodata/primary.xml.zst": "p".repeat(1500),
  [`cache/updates-fedcba9876543210/repodata/${LONG_NAME}`]: "long\n",
  "cache/updates-fedcba9876543210/repodata/repomd.xml": "<repomd>updates</repomd>\n",
  "cache/updates-fedcba9876543210/repodata/updateinfo.xml.zst": "",
  "info/dnf-major": "5\n",
};
const EMPTY_DIRS = ["cache/updates-fedcba9876543210/packages"];

interface TreeVariant {
  reverse: boolean;
  fileMode: number;
  dirMode: number;
  mtime: number;
  owner?: number;
}

let scratch: string;

function makeTree(name: string, variant: TreeVariant, files = FILES): string {
  const root = path.join(scratch, name);
  const paths = Object.keys(files).sort();
  if (variant.reverse) paths.reverse();
  for (const rel of paths) {
    const file = path.join(root, rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, files[rel] ?? "");
  }
  for (const rel of EMPTY_DIRS) fs.mkdirSync(path.join(root, rel), { recursive: true });
  const walk = (dir: string): void => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(p);
      fs.chmodSync(p, entry.isDirectory() ? variant.dirMode : variant.fileMode);
      fs.utimesSync(p, variant.mtime, variant.mtime);
      if (variant.owner !== undefined) fs.chownSync(p, variant.owner, variant.owner);
    }
  };
  walk(root);
  return root;
}

const PLAIN: TreeVariant = { reverse: false, fileMode: 0o644, dirMode: 0o755, mtime: 1e9 };
const ODD: TreeVariant = {
  reverse: true,
  fileMode: 0o600,
  dirMode: 0o700,
  mtime: 1.7e9,
  // Ownership can only be varied where the tests run as root (CI does).
  owner: process.getuid?.() === 0 ? 4242 : undefined,
};

function pack(source: string, overrides: Partial<PackOptions> = {}): PackResult {
  return packSnapshot({
    source,
    dest: fs.mkdtempSync(path.join(scratch, "layout-")),
    refName: "44-x86_64-1764720000",
    release: 44,
    architecture: "x86_64",
    epoch: EPOCH,
    baseImage: BASE,
    repos: REPOS,
    ...overrides,
  });
}

function packInto(source: string, dest: string, overrides: Partial<PackOptions> = {}) {
  return packSnapshot({
    source,
    dest,
    refName: "44-x86_64-1764720000",
    release: 44,
    architecture: "x86_64",
    epoch: EPOCH,
    baseImage: BASE,
    repos: REPOS,
    ...overrides,
  });
}

function listFiles(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out[path.relative(dir, p)] = crypto.createHash("sha256").update(fs.readFileSync(p))
        .digest("hex");
    }
  };
  walk(dir);
  return out;
}

function blob(layout: string, digest: string): Buffer {
  return fs.readFileSync(path.join(layout, "blobs", "sha256", digest.replace("sha256:", "")));
}

interface TarMember {
  path: string;
  type: string;
  mode: number;
  uid: number;
  gid: number;
  uname: string;
  gname: string;
  mtime: number;
  magic: string;
  body: Buffer;
}

/** Reads back ustar members, applying PAX `path` records, and checks every header checksum. */
function readTar(tar: Buffer): TarMember[] {
  const members: TarMember[] = [];
  let offset = 0;
  let paxPath: string | undefined;
  while (offset + 512 <= tar.length) {
    const h = tar.subarray(offset, offset + 512);
    if (h.every((b) => b === 0)) break;
    const text = (at: number, n: number) => h.subarray(at, at + n).toString().replace(/\0.*$/s, "");
    const num = (at: number, n: number) => parseInt(text(at, n).trim() || "0", 8);
    const sum = [...h].reduce((s, b, i) => s + (i >= 148 && i < 156 ? 0x20 : b), 0);
    assert.equal(num(148, 8), sum, `checksum of header at ${offset}`);
    const size = num(124, 12);
    const body = tar.subarray(offset + 512, offset + 512 + size);
    offset += 512 + Math.ceil(size / 512) * 512;
    const type = text(156, 1);
    if (type === "x") {
      const record = /^(\d+) path=(.*)\n$/s.exec(body.toString());
      assert.equal(Number(record?.[1]), body.length, `PAX record ${body.toString()}`);
      paxPath = record?.[2];
      continue;
    }
    members.push({
      path: paxPath ?? text(0, 100),
      type,
      mode: num(100, 8),
      uid: num(108, 8),
      gid: num(116, 8),
      mtime: num(136, 12),
      uname: text(265, 32),
      gname: text(297, 32),
      magic: text(257, 6),
      body,
    });
    paxPath = undefined;
  }
  assert.ok(tar.subarray(offset).every((b) => b === 0), "only zero blocks follow the last member");
  return members;
}

describe("packSnapshot", () => {
  before(() => {
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), "fedora-base-pack-test-"));
  });

  after(() => {
    fs.rmSync(scratch, { recursive: true, force: true });
  });

  it("gives equal bytes for equal metadata read in any order, with any times, modes, owners",
    () => {
      const a = path.join(scratch, "out-a");
      const b = path.join(scratch, "out-b");
      const first = packInto(makeTree("plain", PLAIN), a);
      const second = packInto(makeTree("odd", ODD), b);
      assert.deepEqual(second, first);
      assert.deepEqual(listFiles(b), listFiles(a));
    });

  it("keeps the digest of a fixed tree (a change orphans every published snapshot)", () => {
    const result = pack(makeTree("golden", PLAIN));
    assert.deepEqual(result, {
      manifestDigest: "sha256:517053542e0450ac801d3e02d026ea5729729f363ca1490d0afd510ed1d970b5",
      configDigest: "sha256:cd39f69909a233d0a37f19b5bcc37c2ed8452fe4fdadd95472510b12dcfcb971",
      layerDigest: "sha256:ccf438a444d5f5161b1b5e26b903f8541d26c34ac9dca2624e16127b23e178c2",
      diffId: "sha256:04fc18860788907f47a73de070af4cbb83f46602713e3e3e04867db3ee9268df",
      dnfMajor: "5",
    });
  });

  it("changes the digest when one file's content changes", () => {
    const before = pack(makeTree("before", PLAIN));
    const changed = { ...FILES, "cache/fedora-0123456789abcdef/repodata/repomd.xml": "<r/>\n" };
    const after = pack(makeTree("after", PLAIN, changed));
    assert.notEqual(after.layerDigest, before.layerDigest);
    assert.notEqual(after.manifestDigest, before.manifestDigest);
  });

  it("changes the digest when an empty directory appears", () => {
    const root = makeTree("with-dir", PLAIN);
    const before = pack(root);
    fs.mkdirSync(path.join(root, "cache", "fedora-0123456789abcdef", "extra"));
    assert.notEqual(pack(root).manifestDigest, before.manifestDigest);
  });

  it("changes the layer, config and manifest when the epoch changes", () => {
    const root = makeTree("epoch", PLAIN);
    const before = pack(root);
    const after = pack(root, { epoch: EPOCH + 1 });
    assert.notEqual(after.layerDigest, before.layerDigest);
    assert.notEqual(after.configDigest, before.configDigest);
    assert.notEqual(after.manifestDigest, before.manifestDigest);
  });

  it("writes members sorted by path, every directory included, at the epoch, owned by 0", () => {
    const layout = path.join(scratch, "out-tar");
    const result = packInto(makeTree("tar", ODD), layout);
    const members = readTar(zlib.gunzipSync(blob(layout, result.layerDigest)));
    assert.deepEqual(members.map((m) => m.path), [
      "cache/",
      "cache/fedora-0123456789abcdef/",
      "cache/fedora-0123456789abcdef/repodata/",
      "cache/fedora-0123456789abcdef/repodata/primary.xml.zst",
      "cache/fedora-0123456789abcdef/repodata/repomd.xml",
      "cache/updates-fedcba9876543210/",
      "cache/updates-fedcba9876543210/packages/",
      "cache/updates-fedcba9876543210/repodata/",
      "cache/updates-fedcba9876543210/repodata/repomd.xml",
      "cache/updates-fedcba9876543210/repodata/updateinfo.xml.zst",
      `cache/updates-fedcba9876543210/repodata/${LONG_NAME}`,
    ]);
    for (const m of members) {
      const isDir = m.path.endsWith("/");
      assert.deepEqual(
        [m.type, m.mode, m.uid, m.gid, m.uname, m.gname, m.mtime, m.magic],
        [isDir ? "5" : "0", isDir ? 0o755 : 0o644, 0, 0, "", "", EPOCH, "ustar"],
        m.path,
      );
      if (!isDir) assert.equal(m.body.toString(), FILES[m.path], m.path);
    }
  });

  it("writes a gzip header without name or time", () => {
    const layout = path.join(scratch, "out-gzip");
    const result = packInto(makeTree("gzip", PLAIN), layout);
    const head = blob(layout, result.layerDigest).subarray(0, 10);
    assert.equal(head.toString("hex"), "1f8b0800000000000203");
  });

  it("writes an OCI layout whose index, manifest and config agree with the metadata", () => {
    const layout = path.join(scratch, "out-layout");
    const result = packInto(makeTree("layout", PLAIN), layout, { architecture: "aarch64" });
    const index = JSON.parse(fs.readFileSync(path.join(layout, "index.json"), "utf8")) as {
      manifests: { digest: string; annotations: Record<string, string> }[];
    };
    assert.equal(index.manifests[0]?.digest, result.manifestDigest);
    assert.equal(index.manifests[0]?.annotations["org.opencontainers.image.ref.name"],
      "44-x86_64-1764720000");
    const manifestBytes = blob(layout, result.manifestDigest);
    const manifest = JSON.parse(manifestBytes.toString()) as {
      mediaType: string;
      config: { digest: string; size: number };
      layers: { mediaType: string; digest: string; size: number }[];
    };
    assert.equal(manifest.mediaType, "application/vnd.oci.image.manifest.v1+json");
    assert.equal(manifest.config.digest, result.configDigest);
    assert.deepEqual(manifest.layers.map((l) => [l.mediaType, l.digest]),
      [["application/vnd.oci.image.layer.v1.tar+gzip", result.layerDigest]]);
    assert.equal(manifest.layers[0]?.size, blob(layout, result.layerDigest).length);
    assert.equal(manifestBytes.toString(), JSON.stringify(JSON.parse(manifestBytes.toString())),
      "manifest has no whitespace");
    const config = JSON.parse(blob(layout, result.configDigest).toString()) as unknown;
    assert.deepEqual(config, {
      architecture: "arm64",
      os: "linux",
      created: "2025-12-03T00:00:00Z",
      config: {
        Labels: {
          "org.opencontainers.image.created": "2025-12-03T00:00:00Z",
          "org.opencontainers.image.version": "44",
          "org.opencontainers.image.base.name": "registry.fedoraproject.org/fedora:44",
          "org.opencontainers.image.base.digest": `sha256:${"a".repeat(64)}`,
          "io.fedora-base.release": "44",
          "io.fedora-base.architecture": "aarch64",
          "io.fedora-base.epoch": String(EPOCH),
          "io.fedora-base.dnf.major": "5",
          "io.fedora-base.dnf.repos": REPOS,
        },
      },
      rootfs: { type: "layers", diff_ids: [result.diffId] },
    });
    assert.equal(result.diffId, `sha256:${crypto.createHash("sha256")
      .update(zlib.gunzipSync(blob(layout, result.layerDigest))).digest("hex")}`);
  });

  it("encodes every long path in one PAX record whose length counts its own digits", () => {
    for (let length = 95; length <= 1100; length += 1) {
      const name = `cache/${"n".repeat(length - "cache/".length)}`;
      const [member] = readTar(tarHeader({ path: name, type: "file", size: 0, mtime: EPOCH }));
      assert.equal(member?.path, name);
    }
  });

  it("packs a file larger than one read whole", () => {
    const big = Buffer.alloc(2.5 * 1024 * 1024);
    for (let i = 0; i < big.length; i += 1) big[i] = (i * 7919) % 251;
    const files = { ...FILES, "cache/fedora-0123456789abcdef/repodata/big.xml": "" };
    const root = makeTree("big", PLAIN, files);
    fs.writeFileSync(path.join(root, "cache/fedora-0123456789abcdef/repodata/big.xml"), big);
    const layout = path.join(scratch, "out-big");
    const result = packInto(root, layout);
    const members = readTar(zlib.gunzipSync(blob(layout, result.layerDigest)));
    const member = members.find((m) => m.path.endsWith("/big.xml"));
    assert.ok(member?.body.equals(big));
  });

  it("rejects a symbolic link and names its path", () => {
    const root = makeTree("symlink", PLAIN);
    const link = path.join(root, "cache", "fedora-0123456789abcdef", "repodata", "link.xml");
    fs.symlinkSync("repomd.xml", link);
    assert.throws(() => pack(root),
      (e: Error) => e.message.startsWith(`${link} is a symbolic link`));
  });

  it("rejects an export with anything besides cache/ and info/dnf-major", () => {
    const root = makeTree("stray", PLAIN);
    fs.writeFileSync(path.join(root, "provenance.json"), "{}");
    assert.throws(() => pack(root), /provenance\.json is not part of a snapshot export/);
  });

  it("rejects a dnf major version other than 4 or 5, quoting it", () => {
    const root = makeTree("major", PLAIN, { ...FILES, "info/dnf-major": "6\n" });
    assert.throws(() => pack(root), /dnf-major must hold 4 or 5, got "6"/);
  });

  it("rejects a base image that is not pinned by digest", () => {
    const root = makeTree("unpinned", PLAIN);
    assert.throws(() => pack(root, { baseImage: "registry.fedoraproject.org/fedora:44" }),
      /base image must be pinned by digest, got "registry\.fedoraproject\.org\/fedora:44"/);
  });
});
