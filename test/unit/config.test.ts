import * as assert from "node:assert/strict";

import { ConfigError, parseStackConfig } from "../../stacks/config";
import { localConfig, NOW } from "./harness";

type Raw = Record<string, unknown>;

function withRelease(change: (rel: Record<string, unknown>) => void): Raw {
  const raw = localConfig();
  const releases = raw.releases as Record<string, Record<string, unknown>>;
  change(releases["44"] as Record<string, unknown>);
  return raw;
}

function problemsOf(raw: Raw): string[] {
  try {
    parseStackConfig(raw, NOW);
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err.problems;
  }
  assert.fail("the configuration was accepted");
}

/** Each case: a bad configuration and the message that must name its key and value. */
const BAD: [string, () => Raw, RegExp][] = [
  ["registry with a scheme", () => ({ ...localConfig(), registry: "https://r.example/x" }),
    /^fedora-base:registry must be a repository prefix.*, got "https:\/\/r\.example\/x"$/],
  ["registry with a tag", () => ({ ...localConfig(), registry: "r.example/x:1" }),
    /^fedora-base:registry .*got "r\.example\/x:1"$/],
  ["missing registry", () => ({ ...localConfig(), registry: "  " }),
    /^fedora-base:registry is required$/],
  ["unknown architecture", () => ({ ...localConfig(), architectures: ["x86_64", "i686"] }),
    /^fedora-base:architectures must hold only x86_64, aarch64, got "i686"$/],
  ["repeated architecture", () => ({ ...localConfig(), architectures: ["x86_64", "x86_64"] }),
    /^fedora-base:architectures must not repeat an architecture, got "x86_64"$/],
  ["empty architectures", () => ({ ...localConfig(), architectures: [] }),
    /^fedora-base:architectures must be a non-empty list.*, got \[\]$/],
  ["builder without version",
    () => ({ ...localConfig(), builder: { name: "b", network: "host" } }),
    /^fedora-base:builder\.buildkitVersion is required$/],
  ["builder version not a release",
    () => ({ ...localConfig(), builder: { name: "b", buildkitVersion: "latest" } }),
    /^fedora-base:builder\.buildkitVersion must be a BuildKit release like v0\.34\.2, got "latest"$/],
  ["unknown build network",
    () => ({
      ...localConfig(),
      builder: { name: "b", buildkitVersion: "v0.34.2", network: "bridge" },
    }),
    /^fedora-base:builder\.network must be one of default, host, got "bridge"$/],
  ["release key not a number",
    () => ({ ...localConfig(), releases: { rawhide: (localConfig().releases as Raw)["44"] } }),
    /^fedora-base:releases must have Fedora release numbers as keys, got "rawhide"$/],
  ["epoch as a date", () => withRelease((r) => (r.epoch = "2025-12-03")),
    /^fedora-base:releases\["44"\]\.epoch must be whole Unix seconds, not in the future, got "2025-12-03"$/],
  ["epoch with a fraction", () => withRelease((r) => (r.epoch = 1764720000.5)),
    /^fedora-base:releases\["44"\]\.epoch .*got 1764720000\.5$/],
  ["epoch in the future", () => withRelease((r) => (r.epoch = NOW + 60)),
    new RegExp(`^fedora-base:releases\\["44"\\]\\.epoch .*got ${NOW + 60}$`)],
  ["base image by tag only",
    () => withRelease((r) => (r.baseImage = "registry.fedoraproject.org/fedora:44")),
    /^fedora-base:releases\["44"\]\.baseImage must be pinned by digest.*, got "registry\.fedoraproject\.org\/fedora:44"$/],
  ["base image with a short digest",
    () => withRelease((r) => (r.baseImage = "registry.fedoraproject.org/fedora@sha256:abc")),
    /^fedora-base:releases\["44"\]\.baseImage must be pinned by digest.*sha256:abc"$/],
  ["snapshot missing for an architecture",
    () => withRelease((r) => (r.snapshots = { x86_64: (r.snapshots as Raw).x86_64 })),
    /^fedora-base:releases\["44"\]\.snapshots\.aarch64 is required for every architecture/],
  ["snapshot by tag",
    () => withRelease((r) => ((r.snapshots as Raw).x86_64 = "127.0.0.1:5000/x/dnf-snapshot:44")),
    /^fedora-base:releases\["44"\]\.snapshots\.x86_64 must be a snapshot pinned by digest.*, got "127\.0\.0\.1:5000\/x\/dnf-snapshot:44"$/],
  ["snapshot for an unknown architecture",
    () => withRelease((r) => ((r.snapshots as Raw).ppc64le = "x")),
    /^fedora-base:releases\["44"\]\.snapshots must have architectures .*, got "ppc64le"$/],
  ["unknown release setting", () => withRelease((r) => (r.epcoh = 1)),
    /^fedora-base:releases\["44"\]\.epcoh is not a known setting .*, got 1$/],
  ["mirror URL without scheme",
    () => ({ ...localConfig(), mirror: { fedora: "mirror.example/fedora" } }),
    /^fedora-base:mirror\.fedora must be an http\(s\):\/\/ or file:\/\/ URL, got "mirror\.example\/fedora"$/],
  ["mirror URL with a separator", () => ({ ...localConfig(), mirror: { fedora: "http://m/a;b" } }),
    /^fedora-base:mirror\.fedora must be an http\(s\):\/\/ or file:\/\/ URL, got "http:\/\/m\/a;b"$/],
  ["unknown compression", () => ({ ...localConfig(), exporter: { compression: "bzip2" } }),
    /^fedora-base:exporter\.compression must be one of gzip, zstd, uncompressed, got "bzip2"$/],
  ["gzip level out of range",
    () => ({ ...localConfig(), exporter: { compression: "gzip", compressionLevel: 12 } }),
    /^fedora-base:exporter\.compressionLevel must be an integer 0-9, got 12$/],
  ["reserved label", () => ({ ...localConfig(), labels: { "io.fedora-base.epoch": "1" } }),
    /^fedora-base:labels\["io\.fedora-base\.epoch"\] is set by fedora-base .*, got "1"$/],
  ["derived image of an unknown release",
    () => ({ ...localConfig(), derivedImages: { tools: { release: 41, packages: ["git"] } } }),
    /^fedora-base:derivedImages\.tools\.release must be one of the stack's releases, got 41$/],
  ["derived image without packages",
    () => ({ ...localConfig(), derivedImages: { tools: { release: 44, packages: [] } } }),
    /^fedora-base:derivedImages\.tools\.packages must be a non-empty list of package names, got \[\]$/],
  ["derived package with a shell character",
    () => ({ ...localConfig(), derivedImages: { tools: { release: 44, packages: ["git;rm"] } } }),
    /^fedora-base:derivedImages\.tools\.packages must hold package names like git or make, got "git;rm"$/],
  ["a derived image named like the base images",
    () => ({
      ...localConfig(),
      derivedImages: { "fedora-base": { release: 44, packages: ["git"] } },
    }),
    /^fedora-base:derivedImages must not use a name fedora-base uses itself .*, got "fedora-base"$/],
  ["a derived package that dnf would read as an option",
    () => ({
      ...localConfig(),
      derivedImages: { tools: { release: 44, packages: ["--refresh"] } },
    }),
    /^fedora-base:derivedImages\.tools\.packages must hold package names like git or make, got "--refresh"$/],
  ["mirror URL with a backslash",
    () => ({ ...localConfig(), mirror: { fedora: "http://m/x\\n" } }),
    /^fedora-base:mirror\.fedora must be an http\(s\):\/\/ or file:\/\/ URL, got "http:\/\/m\/x\\\\n"$/],
  ["mirror URL with credentials",
    () => ({ ...localConfig(), mirror: { fedora: "https://user:pw@mirror.example/f/" } }),
    /^fedora-base:mirror\.fedora must not hold credentials .*, got "https:\/\/\*\*\*@mirror\.example\/f\/"$/],
  ["zstd with Docker media types",
    () => ({ ...localConfig(), exporter: { compression: "zstd", ociMediaTypes: false } }),
    /^fedora-base:exporter\.ociMediaTypes must be true with zstd compression .*, got false$/],
  ["a reserved label in other letter case",
    () => ({ ...localConfig(), labels: { "IO.Fedora-Base.epoch": "1" } }),
    /^fedora-base:labels\["IO\.Fedora-Base\.epoch"\] is set by fedora-base .*, got "1"$/],
  ["registry port out of range", () => ({ ...localConfig(), registry: "r.example:99999/x" }),
    /^fedora-base:registry .*got "r\.example:99999\/x"$/],
  ["unknown stack kind", () => ({ ...localConfig(), kind: "gcp" }),
    /^fedora-base:kind must be one of local, aws, got "gcp"$/],
  ["unknown top-level key", () => ({ ...localConfig(), relases: {} }),
    /^fedora-base:relases is not a known setting .*, got \{\}$/],
];

describe("stack configuration", () => {
  it("accepts the example local stack", () => {
    const { config, warnings } = parseStackConfig(localConfig(), NOW);
    assert.deepEqual(
      config.releases.map((r) => r.release),
      [44, 45],
    );
    assert.deepEqual(config.architectures, ["x86_64", "aarch64"]);
    assert.deepEqual(config.exporter, {
      ociMediaTypes: true,
      compression: "gzip",
      compressionLevel: 9,
    });
    assert.deepEqual(warnings, []);
  });

  for (const [what, make, message] of BAD) {
    it(`rejects ${what}, naming the key and the value`, () => {
      const problems = problemsOf(make());
      assert.ok(
        problems.some((p) => message.test(p)),
        `no problem matched ${String(message)}:\n${problems.join("\n")}`,
      );
    });
  }

  it("lists every problem in one error", () => {
    const raw = withRelease((r) => {
      r.epoch = "soon";
      r.baseImage = "fedora:44";
    });
    raw.architectures = ["sparc"];
    const problems = problemsOf(raw);
    assert.ok(problems.length >= 3, problems.join("\n"));
  });

  it("rejects every bad configuration before any resource is registered", async () => {
    const { runLocalStack } = await import("./harness.js");
    for (const [what, make] of BAD) {
      await assert.rejects(runLocalStack(make()), ConfigError, what);
    }
  });

  it("warns about releases older than 37 and still accepts them", () => {
    const raw = localConfig();
    const releases = raw.releases as Record<string, unknown>;
    releases["36"] = releases["44"];
    delete releases["44"];
    raw.derivedImages = {};
    const { warnings } = parseStackConfig(raw, NOW);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0] ?? "", /releases\["36"\].*not bit-for-bit reproducible/);
  });

  it("reports a misspelt key of the stack instead of ignoring it", async () => {
    const pulumi = await import("@pulumi/pulumi");
    const { loadStackConfig } = await import("../../stacks/load.js");
    const all: Record<string, string> = { "other:key": "kept out" };
    for (const [k, v] of Object.entries(localConfig())) {
      all[`fedora-base:${k}`] = JSON.stringify(v);
    }
    all["fedora-base:mirrors"] = JSON.stringify({ fedora: "https://m.example/f/" });
    pulumi.runtime.setAllConfig(all);
    try {
      assert.throws(() => loadStackConfig(), /fedora-base:mirrors is not a known setting/);
    } finally {
      pulumi.runtime.setAllConfig({});
    }
  });

  it("reads releases in numeric order whatever the order in the file", () => {
    const raw = localConfig();
    const releases = raw.releases as Record<string, unknown>;
    raw.releases = { "45": releases["45"], "44": releases["44"] };
    assert.deepEqual(
      parseStackConfig(raw, NOW).config.releases.map((r) => r.release),
      [44, 45],
    );
  });
});
