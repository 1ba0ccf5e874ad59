// Issue 5, scenario 12: a derived image builds FROM the base by digest, installs a package from
// the metadata the base retained, previews as a no-op and rebuilds to the same digest from an
// empty state on a builder with nothing cached.
import * as assert from "node:assert/strict";

import { Regctl } from "../../../cli/regctl";
import { e2eEnv, type E2eEnv } from "../env";
import { FreshBuilder } from "../fresh-builder";
import { stdoutInImage } from "../image";
import { mirror } from "../mirror";
import { imageOf, outputsOf, releasesOf, uniqueStamp, type ImageOutput } from "../outputs";
import { RegistryProbe } from "../registry";
import {
  cli,
  createStack,
  preview,
  removeStack,
  setConfig,
  standinConfig,
  up,
  type EngineStack,
} from "../stack";

describe("derived images", function () {
  this.timeout(15 * 60 * 1000);
  const stamp = uniqueStamp();
  const stacks: EngineStack[] = [];
  let fresh: FreshBuilder | undefined;
  let env: E2eEnv;
  let s: EngineStack;
  let probe: RegistryProbe;
  let base: ImageOutput;
  let derived: ImageOutput;
  const release = () => String(env.standinRelease);
  const derivedConfig = () => ({
    tools: { release: env.standinRelease, packages: ["extra-tool"], steps: ["extra-tool"] },
  });

  before(async () => {
    env = e2eEnv();
    s = await createStack(env, `e2e-derived-${stamp}`, standinConfig(env, `derived-${stamp}`));
    stacks.push(s);
    probe = new RegistryProbe(s.log);
    await mirror(s.log, "reset");
    await cli(s, ["snapshot", "new", "--stack", s.name, "--release", release()]);
    base = imageOf(outputsOf(await up(s)), release());
    // The mirror moves on before the derived image is built: what it installs must not.
    await mirror(s.log, "publish-update");
    await setConfig(s, "derivedImages", derivedConfig());
    const out = outputsOf(await up(s));
    assert.equal(imageOf(out, release()).digest, base.digest);
    const tools = out.derivedImages.tools?.x86_64;
    assert.ok(tools, JSON.stringify(out.derivedImages));
    derived = tools;
  });

  after(async () => {
    if (s) await mirror(s.log, "reset");
    if (fresh) await fresh.stop();
    for (const st of stacks) await removeStack(st);
  });

  it("builds FROM the base image by digest", async () => {
    const baseLayers = (await probe.manifest(base.ref)).layers?.map((l) => l.digest) ?? [];
    const layers = (await probe.manifest(derived.ref)).layers?.map((l) => l.digest) ?? [];
    assert.deepEqual(layers.slice(0, baseLayers.length), baseLayers);
    assert.equal(layers.length, baseLayers.length + 1);
    const labels = await new Regctl(s.log).labels(derived.ref);
    assert.equal(labels["org.opencontainers.image.base.digest"], base.digest);
    assert.equal(labels["io.fedora-base.epoch"], String((await releasesOf(s))[release()]?.epoch));
  });

  it("installs the package from the metadata the base retained, not the mirror's newer one",
    async () => {
      assert.match(await stdoutInImage(env, derived.ref, "rpm -q extra-tool"), /^extra-tool-/);
      assert.equal((await stdoutInImage(env, derived.ref, "rpm -q hello")).trim(),
        "hello-1.0-1.fc44.noarch");
      const metadata = "cd /var/cache/dnf && find . -path '*/repodata/*' -type f | sort | " +
        "xargs sha256sum";
      const inBase = await stdoutInImage(env, base.ref, metadata);
      assert.notEqual(inBase, "");
      assert.equal(await stdoutInImage(env, derived.ref, metadata), inBase);
    });

  it("previews no changes right after up", async () => {
    const plan = await preview(s, { expectNoChanges: true });
    assert.deepEqual(plan.changed, []);
  });

  it("rebuilds the same derived digest from an empty state on a fresh builder", async () => {
    fresh = await FreshBuilder.start(env);
    const config = standinConfig(env, `derived-${stamp}`);
    // The same registry: the base is pulled by its pushed name, which the derived image records.
    const again = await createStack(env, `e2e-derived-again-${stamp}`, {
      ...config,
      builder: { ...(config.builder as object), name: fresh.name },
      releases: await releasesOf(s),
      derivedImages: derivedConfig(),
    });
    stacks.push(again);
    const out = outputsOf(await up(again));
    assert.equal(imageOf(out, release()).digest, base.digest);
    assert.equal(out.derivedImages.tools?.x86_64?.digest, derived.digest);
  });
});
