// The central contract as properties: the image resources' inputs are exactly the determinants
// of the images' bytes. A determinant changes exactly the affected images; a non-determinant
// changes nothing.
import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

import { localConfig, runLocalStack, TAG_TYPE } from "./harness";

type Raw = Record<string, unknown>;
type Releases = Record<string, Record<string, unknown>>;

const PUBLISHING = ["docker-build:index:Image", "docker-build:index:Index", TAG_TYPE];

/** Inputs of every image and index, by resource name. */
async function inputsOf(raw: Raw): Promise<Map<string, string>> {
  const rec = await runLocalStack(raw);
  const out = new Map<string, string>();
  for (const r of rec.registrations) {
    if (PUBLISHING.includes(r.type)) out.set(r.name, JSON.stringify(r.inputs));
  }
  return out;
}

/** Names whose inputs differ, appeared or disappeared. */
function changed(a: Map<string, string>, b: Map<string, string>): string[] {
  const names = new Set([...a.keys(), ...b.keys()]);
  return [...names].filter((n) => a.get(n) !== b.get(n)).sort();
}

function edit(change: (raw: Raw, releases: Releases) => void): Raw {
  const raw = localConfig();
  change(raw, raw.releases as Releases);
  return raw;
}

const R44 = ["fedora-44-aarch64-image", "fedora-44-aarch64-tag", "fedora-44-moving",
  "fedora-44-moving-tag", "fedora-44-version", "fedora-44-version-tag", "fedora-44-x86_64-image",
  "fedora-44-x86_64-tag"];
const R45 = R44.map((n) => n.replace("44", "45"));
const TOOLBOX = R44.map((n) => n.replace("fedora", "toolbox"));
const X86_44 = ["moving", "moving-tag", "version", "version-tag", "x86_64-image", "x86_64-tag"]
  .flatMap((n) => [`fedora-44-${n}`, `toolbox-44-${n}`]);

describe("central contract", () => {
  let baseline: Map<string, string>;

  before(async () => {
    baseline = await inputsOf(localConfig());
  });

  it("gives deep-equal image inputs for equal configuration", async () => {
    assert.deepEqual(await inputsOf(localConfig()), baseline);
  });

  const determinants: [string, Raw, string[]][] = [
    ["the epoch", edit((_, r) => ((r["44"] as Raw).epoch = 1_764_720_001)), [...R44, ...TOOLBOX]],
    ["the base image digest",
      edit((_, r) => ((r["44"] as Raw).baseImage =
        `registry.fedoraproject.org/fedora:44@sha256:${"9".repeat(64)}`)),
      [...R44, ...TOOLBOX]],
    ["one architecture's snapshot digest",
      edit((_, r) => (((r["44"] as Raw).snapshots as Raw).x86_64 =
        `127.0.0.1:5000/fedora-base/dnf-snapshot@sha256:${"8".repeat(64)}`)),
      X86_44],
    ["the mirror", edit((raw) => (raw.mirror = {})), [...R44, ...R45, ...TOOLBOX]],
    ["the BuildKit version",
      edit((raw) => ((raw.builder as Raw).buildkitVersion = "v0.34.3")),
      [...R44, ...R45, ...TOOLBOX]],
    ["the compression", edit((raw) => (raw.exporter = { compression: "zstd" })),
      [...R44, ...R45, ...TOOLBOX]],
    ["the media types", edit((raw) => (raw.exporter = { ociMediaTypes: false })),
      [...R44, ...R45, ...TOOLBOX]],
    ["a derived image's packages",
      edit((raw) => ((raw.derivedImages as Record<string, Raw>).toolbox!.packages = ["git"])),
      TOOLBOX],
    ["a derived image's steps",
      edit((raw) => ((raw.derivedImages as Record<string, Raw>).toolbox!.steps = ["true"])),
      TOOLBOX],
    ["an extra label", edit((raw) => (raw.labels = { "com.example.team": "platform" })),
      [...R44, ...R45, ...TOOLBOX]],
  ];

  for (const [what, raw, affected] of determinants) {
    it(`rebuilds exactly the affected images when ${what} changes`, async () => {
      assert.deepEqual(changed(baseline, await inputsOf(raw)), [...affected].sort());
    });
  }

  it("adds and removes only the release's own images when a release changes", async () => {
    const raw = edit((_, r) => {
      r["46"] = r["45"]!;
      delete r["45"];
    });
    const expected = [...R45, ...R45.map((n) => n.replace("45", "46"))].sort();
    assert.deepEqual(changed(baseline, await inputsOf(raw)), expected);
  });

  it("drops only that architecture's images and the indexes over it", async () => {
    const raw = edit((r) => (r.architectures = ["x86_64"]));
    const expected = [...R44, ...R45, ...TOOLBOX].filter((n) => !n.includes("x86_64"));
    assert.deepEqual(changed(baseline, await inputsOf(raw)), expected.sort());
  });

  it("changes nothing when releases are listed in another order", async () => {
    const raw = edit((r, rel) => (r.releases = { "45": rel["45"], "44": rel["44"] }));
    assert.deepEqual(changed(baseline, await inputsOf(raw)), []);
  });

  it("changes nothing when architectures are listed in another order", async () => {
    const raw = edit((r) => (r.architectures = ["aarch64", "x86_64"]));
    assert.deepEqual(changed(baseline, await inputsOf(raw)), []);
  });

  it("changes nothing when mirror entries are listed in another order", async () => {
    const raw = edit((r) => {
      const m = r.mirror as Record<string, string>;
      r.mirror = { updates: m.updates, fedora: m.fedora };
    });
    assert.deepEqual(changed(baseline, await inputsOf(raw)), []);
  });

  it("changes nothing when the program runs from another checkout path", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fedora-base-checkout-"));
    const cwd = process.cwd();
    try {
      process.chdir(dir);
      assert.deepEqual(changed(baseline, await inputsOf(localConfig())), []);
    } finally {
      process.chdir(cwd);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("puts neither the checkout path nor the git commit into any input", () => {
    const all = [...baseline.values()].join("\n");
    assert.ok(!all.includes(process.cwd()), "an input holds the checkout path");
    assert.ok(!all.includes(path.resolve(__dirname, "..", "..")), "an input holds the repo path");
    let commit: string;
    try {
      commit = execFileSync("git", ["rev-parse", "HEAD"], { encoding: "utf8" }).trim();
    } catch {
      commit = "";
    }
    if (commit) assert.ok(!all.includes(commit), "an input holds the git commit");
    assert.ok(!/"mode"|0o?6[46]4|umask/.test(all), "an input holds a file mode");
  });
});
