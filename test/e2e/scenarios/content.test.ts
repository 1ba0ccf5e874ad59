// The known failures of this field (../shared/KNOWN-FAILURES.md) as checks on a published base
// image and a derived one, built with a real DNF transaction (hello 1.0 -> 1.1, extra-tool
// installed): facts read inside the images and from the registry's manifests and layer tarballs.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";

import { Regctl } from "../../../cli/regctl";
import { e2eEnv, REPO, type E2eEnv } from "../env";
import { runInImage, stdoutInImage } from "../image";
import { mirror } from "../mirror";
import { imageOf, indexOf, outputsOf, releasesOf, uniqueStamp, type ImageOutput,
  type StackOutputs } from "../outputs";
import { digestOf, RegistryProbe, repositoryOf, type TarEntry } from "../registry";
import { cli, createStack, removeStack, standinConfig, up, type EngineStack } from "../stack";

const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
const OCI_INDEX = "application/vnd.oci.image.index.v1+json";
const OCI_CONFIG = "application/vnd.oci.image.config.v1+json";
const OCI_GZIP_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip";
const NOBODY = "65534:65534";
/** Whiteouts the base recipe must leave: the stand-in base image ships both rpmdb sidecars. */
const EXPECTED_BASE_WHITEOUTS = [
  "usr/lib/sysimage/rpm/.wh.rpmdb.sqlite-shm",
  "usr/lib/sysimage/rpm/.wh.rpmdb.sqlite-wal",
];

interface Layers {
  /** Entries of the layers the image shares with its base image. */
  lower: TarEntry[];
  /** Entries of the layers its own build added, one list per layer. */
  own: TarEntry[][];
}

describe("image content: the known failures of the field stay fixed", function () {
  this.timeout(15 * 60 * 1000);
  const stamp = uniqueStamp();
  let env: E2eEnv;
  let s: EngineStack;
  let probe: RegistryProbe;
  let out: StackOutputs;
  let epoch: number;
  let base: ImageOutput;
  let derived: ImageOutput;
  const layers = new Map<string, Layers>();
  const release = () => String(env.standinRelease);

  async function layersOf(image: ImageOutput, lowerRef: string): Promise<Layers> {
    const cached = layers.get(image.ref);
    if (cached) return cached;
    const lowerCount = (await probe.manifest(lowerRef)).layers?.length ?? 0;
    const all = (await probe.manifest(image.ref)).layers ?? [];
    const repo = repositoryOf(image.ref);
    const entries: TarEntry[][] = [];
    for (const layer of all) entries.push(await probe.layerEntries(repo, layer.digest));
    const result = { lower: entries.slice(0, lowerCount).flat(), own: entries.slice(lowerCount) };
    layers.set(image.ref, result);
    return result;
  }

  before(async () => {
    env = e2eEnv();
    s = await createStack(env, `e2e-content-${stamp}`, {
      ...standinConfig(env, `content-${stamp}`),
      derivedImages: { tools: { release: env.standinRelease, packages: ["extra-tool"] } },
    });
    probe = new RegistryProbe(s.log);
    // A snapshot with hello 1.1 in it, so the build runs a real transaction.
    await mirror(s.log, "publish-update");
    try {
      await cli(s, ["snapshot", "new", "--stack", s.name, "--release", release()]);
      out = outputsOf(await up(s));
    } finally {
      await mirror(s.log, "reset");
    }
    epoch = (await releasesOf(s))[release()]?.epoch ?? NaN;
    base = imageOf(out, release());
    const tools = out.derivedImages.tools?.x86_64;
    assert.ok(tools, JSON.stringify(out.derivedImages));
    derived = tools;
  });

  after(async () => {
    if (s) await removeStack(s);
  });

  it("runs a real transaction: hello is upgraded to 1.1", async () => {
    assert.equal((await stdoutInImage(env, base.ref, "rpm -q hello")).trim(),
      "hello-1.1-1.fc44.noarch");
  });

  describe("C01: the rpmdb ships without WAL sidecars", () => {
    for (const which of ["base", "derived"] as const) {
      it(`has no rpmdb.sqlite-shm or -wal and a DELETE-mode rpmdb (${which})`, async () => {
        const ref = which === "base" ? base.ref : derived.ref;
        const found = await stdoutInImage(env, ref,
          "find / -xdev \\( -name 'rpmdb.sqlite-shm' -o -name 'rpmdb.sqlite-wal' \\) -print");
        assert.equal(found, "");
        const mode = await stdoutInImage(env, ref, "python3 -c \"import sqlite3; print(" +
          "sqlite3.connect('file:/usr/lib/sysimage/rpm/rpmdb.sqlite?mode=ro', uri=True)" +
          ".execute('PRAGMA journal_mode').fetchone()[0])\"");
        assert.equal(mode.trim(), "delete");
      });

      it(`lets a non-root user run rpm -qa (${which})`, async () => {
        const ref = which === "base" ? base.ref : derived.ref;
        const r = await runInImage(env, ref, "id -u; rpm -qa | sort", { user: NOBODY });
        assert.equal(r.status, 0, r.stderr);
        const [uid, ...packages] = r.stdout.trim().split("\n");
        assert.equal(uid, "65534");
        assert.ok(packages.includes("hello-1.1-1.fc44.noarch"), packages.join("\n"));
        if (which === "derived") assert.ok(packages.some((p) => p.startsWith("extra-tool-")));
      });
    }
  });

  describe("C03, C05, C07: no per-build state files", () => {
    const forbidden = [
      "/var/lib/dnf/history.sqlite", "/var/lib/dnf/history.sqlite-shm",
      "/var/lib/dnf/history.sqlite-wal", "/usr/lib/sysimage/libdnf5/transaction_history.sqlite",
      "/var/lib/systemd/random-seed", "/var/cache/ldconfig/aux-cache", "/var/log/hawkey.log",
    ];
    for (const which of ["base", "derived"] as const) {
      it(`has no history db, countme, dnf logs, random-seed, aux-cache or machine-id (${which})`,
        async () => {
          const ref = which === "base" ? base.ref : derived.ref;
          const script = [
            `for f in ${forbidden.join(" ")}; do [ -e "$f" ] && echo "$f"; done`,
            "find /var/log -maxdepth 1 -name 'dnf*' -print",
            "find /var/lib/dnf /var/cache/dnf /var/cache/libdnf5 -name '*countme*' -print " +
              "2>/dev/null",
            "[ -s /etc/machine-id ] && echo /etc/machine-id",
            "true",
          ].join("\n");
          assert.equal(await stdoutInImage(env, ref, script), "");
        });
    }
  });

  describe("C04: install times come from the epoch", () => {
    // rpm 4.20 writes INSTALLTID = SOURCE_DATE_EPOCH and INSTALLTIME = SOURCE_DATE_EPOCH + the
    // package's position in its transaction; what the build did not touch keeps its old rows.
    const rows = async (ref: string) => new Map((await stdoutInImage(env, ref,
      "rpm -qa --qf '%{NAME}-%{VERSION}-%{RELEASE} %{INSTALLTIME} %{INSTALLTID}\\n'"))
      .trim().split("\n").map((r) => {
        const [nvr, time, tid] = r.split(" ");
        return [nvr ?? "", [Number(time), Number(tid)] as const];
      }));

    for (const which of ["base", "derived"] as const) {
      it(`dates what the build installed from the epoch, and nothing from the clock (${which})`,
        async () => {
          const image = which === "base" ? base.ref : derived.ref;
          const lower = await rows(which === "base" ? env.standinBaseImage : base.ref);
          const mine = await rows(image);
          const installed = [...mine.keys()].filter((nvr) => !lower.has(nvr)).sort();
          assert.ok(installed.some((nvr) => nvr.startsWith(which === "base" ? "hello-1.1-" :
            "extra-tool-")), installed.join(", "));
          for (const [nvr, [time, tid]] of mine) {
            if (!installed.includes(nvr)) {
              assert.deepEqual([time, tid], lower.get(nvr), `${nvr} changed its install time`);
              continue;
            }
            assert.equal(tid, epoch, `${nvr} INSTALLTID`);
            assert.ok(time >= epoch && time < epoch + installed.length,
              `${nvr} INSTALLTIME ${time}, epoch ${epoch}`);
          }
        });
    }
  });

  describe("C21: the DNF metadata cache works offline", () => {
    for (const which of ["base", "derived"] as const) {
      it(`keeps a non-empty cache that dnf --cacheonly reads with no network (${which})`,
        async () => {
          const ref = which === "base" ? base.ref : derived.ref;
          const files = await stdoutInImage(env, ref,
            "find /var/cache/dnf -path '*/repodata/*' -type f | sort");
          assert.match(files, /fedora-[0-9a-f]+\/repodata\/repomd\.xml/);
          assert.match(files, /updates-[0-9a-f]+\/repodata\/repomd\.xml/);
          const r = await runInImage(env, ref,
            "dnf --cacheonly repoquery --qf '%{name}-%{version}' hello extra-tool");
          assert.equal(r.status, 0, r.stderr);
          const found = r.stdout.trim().split("\n").sort();
          assert.deepEqual(found.filter((p) => p.startsWith("hello-")), ["hello-1.0", "hello-1.1"]);
          assert.ok(found.some((p) => p.startsWith("extra-tool-")), found.join("\n"));
          const online = await runInImage(env, ref, "dnf makecache --refresh");
          assert.notEqual(online.status, 0, "the step was not offline: the control fails");
        });
    }
  });

  describe("C08, C12: layers", () => {
    it("adds one layer to the base image, whose only whiteouts remove the base's rpmdb sidecars",
      async () => {
        const { lower, own } = await layersOf(base, env.standinBaseImage);
        assert.equal(own.length, 1, "a cleanup step of its own would add a layer (C08)");
        const whiteouts = own.flat().filter((e) => path.basename(e.path).startsWith(".wh."));
        assert.deepEqual(whiteouts.map((e) => e.path).sort(), EXPECTED_BASE_WHITEOUTS);
        const lowerPaths = new Set(lower.map((e) => e.path));
        for (const w of whiteouts) {
          const target = path.join(path.dirname(w.path), path.basename(w.path).slice(4));
          assert.ok(lowerPaths.has(target), `${w.path} hides nothing of the base image`);
        }
      });

    it("adds one layer without any whiteout to the derived image", async () => {
      const { own } = await layersOf(derived, base.ref);
      assert.equal(own.length, 1);
      assert.deepEqual(own.flat().filter((e) => e.path.includes(".wh.")), []);
      assert.ok(own.flat().some((e) => e.path.startsWith("usr/bin/extra-tool")),
        "extra-tool is not in the derived layer");
    });

    for (const which of ["base", "derived"] as const) {
      it(`has every tar entry at or before the epoch (${which})`, async () => {
        const image = which === "base" ? base : derived;
        const { lower, own } = await layersOf(image, which === "base" ? env.standinBaseImage
          : base.ref);
        const late = [...lower, ...own.flat()].filter((e) => e.mtime > epoch);
        assert.deepEqual(late.map((e) => `${e.path} ${e.mtime}`), []);
        assert.ok(own.flat().some((e) => e.mtime === epoch), "no entry was clamped to the epoch");
      });
    }

    it("installs the recipe readable by anyone, with the repository's content", async () => {
      const dirs = "/usr/share/fedora-base /usr/share/fedora-base/recipe";
      const modes = await stdoutInImage(env, base.ref,
        `stat -c '%a %n' ${dirs} /usr/share/fedora-base/recipe/*`, { user: NOBODY });
      assert.deepEqual(modes.trim().split("\n"), [
        "755 /usr/share/fedora-base", "755 /usr/share/fedora-base/recipe",
        "644 /usr/share/fedora-base/recipe/Containerfile",
        "644 /usr/share/fedora-base/recipe/build.sh", "644 /usr/share/fedora-base/recipe/dnf.sh",
      ]);
      for (const file of ["Containerfile", "build.sh", "dnf.sh"]) {
        const inside = await stdoutInImage(env, base.ref,
          `cat /usr/share/fedora-base/recipe/${file}`, { user: NOBODY });
        assert.equal(inside, fs.readFileSync(path.join(REPO, "recipe", "image", file), "utf8"));
      }
    });
  });

  describe("C10, C11, C13: manifests, index and labels", () => {
    it("pushes OCI manifests with gzip layers and an OCI config, as configured", async () => {
      for (const image of [base, derived]) {
        const m = await probe.manifest(image.ref);
        assert.equal(m.mediaType, OCI_MANIFEST);
        assert.equal(m.config?.mediaType, OCI_CONFIG);
        assert.deepEqual([...new Set(m.layers?.map((l) => l.mediaType))], [OCI_GZIP_LAYER]);
      }
    });

    it("indexes exactly the per-arch digests, as OCI indexes without attestations", async () => {
      const pairs = [
        [indexOf(out, release()), base.digest],
        [out.derivedIndexes.tools, derived.digest],
      ] as const;
      for (const [index, digest] of pairs) {
        assert.ok(index);
        for (const ref of [index.versionRef, index.movingRef]) {
          if (!ref) continue;
          const m = await probe.manifest(`${repositoryOf(ref)}@${digestOf(ref)}`);
          assert.equal(m.mediaType, OCI_INDEX, ref);
          assert.deepEqual(m.manifests?.map((c) => [c.digest, c.mediaType, c.platform?.os,
            c.platform?.architecture]), [[digest, OCI_MANIFEST, "linux", "amd64"]], ref);
        }
      }
    });

    it("records the declared BuildKit version and the epoch in the labels", async () => {
      const labels = await new Regctl(s.log).labels(base.ref);
      assert.equal(labels["io.fedora-base.buildkit.version"], env.buildkitVersion);
      assert.equal(labels["io.fedora-base.epoch"], String(epoch));
      assert.equal(labels["org.opencontainers.image.created"],
        new Date(epoch * 1000).toISOString().replace(/\.000Z$/, "Z"));
    });
  });
});
