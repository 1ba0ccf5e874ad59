// Issue 5, scenarios 1, 2, 3 and 6: up publishes what the registry confirms, preview is then a
// no-op, and the same pinned inputs rebuild the same bytes from an empty state on a builder
// with nothing cached; a snapshot extracted from the published image changes no input.
import * as assert from "node:assert/strict";

import { Regctl } from "../../../cli/regctl";
import { run } from "../../../cli/run";
import { e2eEnv, type E2eEnv } from "../env";
import { FreshBuilder } from "../fresh-builder";
import {
  imageOf,
  indexOf,
  outputsOf,
  releasesOf,
  uniqueStamp,
  type ReleaseEntry,
  type StackOutputs,
} from "../outputs";
import { digestOf, RegistryProbe, repositoryOf } from "../registry";
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

describe("reproduction from pinned inputs", function () {
  this.timeout(20 * 60 * 1000);
  const stamp = uniqueStamp();
  const stacks: EngineStack[] = [];
  const builders: FreshBuilder[] = [];
  let env: E2eEnv;
  let s: EngineStack;
  let probe: RegistryProbe;
  let published: StackOutputs;
  let pinned: ReleaseEntry;
  let rebuilt: StackOutputs;
  const release = () => String(env.standinRelease);

  /** A new stack (empty state) on a new buildkitd (empty root), with `releases` as given. */
  async function rebuildFromScratch(
    name: string,
    registrySuffix: string,
    releases: Record<string, ReleaseEntry>,
  ): Promise<{ stack: EngineStack; builder: FreshBuilder }> {
    const builder = await FreshBuilder.start(env);
    builders.push(builder);
    const config = standinConfig(env, registrySuffix);
    const stack = await createStack(env, `e2e-repro-${name}-${stamp}`, {
      ...config,
      builder: { ...(config.builder as object), name: builder.name },
      releases,
    });
    stacks.push(stack);
    return { stack, builder };
  }

  before(async () => {
    env = e2eEnv();
    s = await createStack(env, `e2e-repro-${stamp}`, standinConfig(env, `repro-${stamp}`));
    stacks.push(s);
    probe = new RegistryProbe(s.log);
    await cli(s, ["snapshot", "new", "--stack", s.name, "--release", release()]);
    const entry = (await releasesOf(s))[release()];
    assert.ok(entry, "snapshot new pins the release");
    pinned = entry;
  });

  after(async () => {
    for (const b of builders) await b.stop();
    for (const st of stacks) await removeStack(st);
  });

  it("publishes the image and the release index at digests the registry serves", async () => {
    published = outputsOf(await up(s));
    const image = imageOf(published, release());
    const index = indexOf(published, release());
    assert.match(image.digest, /^sha256:[0-9a-f]{64}$/);
    assert.equal(await probe.digest(image.ref), image.digest);
    assert.equal(repositoryOf(image.ref), `${env.registry}/repro-${stamp}/fedora-base-x86_64`);
    // The per-arch version tag and both index tags name exactly this image.
    for (const tag of [image.tag, index.versionRef.split("@")[0], index.movingRef?.split("@")[0]]) {
      assert.ok(tag, JSON.stringify(index));
      assert.deepEqual(await probe.images(tag), [image.digest], `${tag} names other images`);
    }
    assert.equal(await probe.digest(index.versionRef.split("@")[0] ?? ""),
      digestOf(index.versionRef));
    assert.equal(index.versionRef.split("@")[0], `${env.registry}/repro-${stamp}/fedora-base:` +
      `${release()}-${pinned.epoch}`);
  });

  it("previews no changes right after up (--expect-no-changes)", async () => {
    const plan = await preview(s, { expectNoChanges: true });
    assert.deepEqual(plan.changed, []);
    assert.equal(plan.steps.get(`docker-build:index:Image::fedora-${release()}-x86_64-image`),
      "same");
  });

  it("rebuilds the same digests from an empty state on a fresh builder, pushed elsewhere",
    async () => {
      const { stack, builder } = await rebuildFromScratch("fresh", `repro-${stamp}-fresh`,
        { [release()]: pinned });
      const cache = await builderCache(stack, builder.name);
      assert.equal(cache, "", `the fresh builder has a cache already:\n${cache}`);
      rebuilt = outputsOf(await up(stack));
      const mine = imageOf(published, release());
      const theirs = imageOf(rebuilt, release());
      assert.notEqual(repositoryOf(theirs.ref), repositoryOf(mine.ref));
      assert.equal(await probe.digest(theirs.ref), theirs.digest);
      assert.equal(theirs.digest, mine.digest, "per-platform manifest digests differ");
      assert.equal(digestOf(indexOf(rebuilt, release()).versionRef),
        digestOf(indexOf(published, release()).versionRef), "index digests differ");
    });

  it("gives another digest when only the epoch moves by one second", async () => {
    const stack = stacks[stacks.length - 1];
    assert.ok(stack && rebuilt);
    await setConfig(stack, "releases", { [release()]: { epoch: pinned.epoch + 1 } });
    const plan = await preview(stack);
    const image = `docker-build:index:Image::fedora-${release()}-x86_64-image`;
    assert.ok(plan.changed.includes(`update ${image}`), plan.changed.join("\n"));
    const moved = imageOf(outputsOf(await up(stack)), release());
    assert.equal(await probe.digest(moved.ref), moved.digest);
    assert.notEqual(moved.digest, imageOf(published, release()).digest);
    const labels = await new Regctl(stack.log).labels(moved.ref);
    assert.equal(labels["io.fedora-base.epoch"], String(pinned.epoch + 1));
  });

  it("extracts the snapshot the image was built on with its digest, changing no config",
    async () => {
      const image = imageOf(published, release());
      const before = await s.stack.getAllConfig();
      await cli(s, ["snapshot", "extract", "--stack", s.name, "--image", image.ref]);
      assert.deepEqual(await s.stack.getAllConfig(), before);
      const plan = await preview(s, { expectNoChanges: true });
      assert.deepEqual(plan.changed, []);
    });

  it("rebuilds the published digest from a stack configured only by extraction", async () => {
    const image = imageOf(published, release());
    // Same registry as the published stack: the snapshot's name is part of the image's labels.
    const { stack } = await rebuildFromScratch("extract", `repro-${stamp}`, {
      [release()]: { baseImage: env.standinBaseImage } as ReleaseEntry,
    });
    await cli(stack, ["snapshot", "extract", "--stack", stack.name, "--image", image.ref]);
    assert.deepEqual((await releasesOf(stack))[release()], pinned);
    const again = imageOf(outputsOf(await up(stack)), release());
    assert.equal(again.digest, image.digest);
  });
});

/** What BuildKit's disk usage lists for a builder: empty for a root with nothing cached. */
async function builderCache(s: EngineStack, builder: string): Promise<string> {
  const out = await run(s.log, "docker", ["buildx", "du", "--builder", builder]);
  return out.split("\n").filter((l) => /^[a-z0-9]{20,}/.test(l)).join("\n");
}
