// Issue 5, scenarios 4 and 5: the pinned snapshot, not the mirror, decides what goes into the
// image; a new snapshot changes that release only; rolling back is a config revert.
import * as assert from "node:assert/strict";

import { e2eEnv, type E2eEnv } from "../env";
import { FreshBuilder } from "../fresh-builder";
import { stdoutInImage } from "../image";
import { mirror } from "../mirror";
import {
  imageOf,
  indexOf,
  outputsOf,
  releasesOf,
  uniqueStamp,
  type ReleaseEntry,
  type StackOutputs,
} from "../outputs";
import { digestOf, RegistryProbe } from "../registry";
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

/** A second release on the same stand-in base image, so "only that release" can be checked. */
const OTHER_RELEASE = "43";

describe("updates come from a new snapshot, never from the mirror alone", function () {
  this.timeout(20 * 60 * 1000);
  const stamp = uniqueStamp();
  const stacks: EngineStack[] = [];
  let fresh: FreshBuilder | undefined;
  let env: E2eEnv;
  let s: EngineStack;
  let probe: RegistryProbe;
  let original: StackOutputs;
  let pinned: ReleaseEntry;
  let updated: StackOutputs;
  const release = () => String(env.standinRelease);
  const helloIn = (ref: string) => stdoutInImage(env, ref, "rpm -q hello");

  before(async () => {
    env = e2eEnv();
    s = await createStack(env, `e2e-updates-${stamp}`, standinConfig(env, `updates-${stamp}`));
    stacks.push(s);
    probe = new RegistryProbe(s.log);
    await mirror(s.log, "reset");
    // The CLI validates the whole stack, so each release is added once the others are pinned.
    await cli(s, ["snapshot", "new", "--stack", s.name, "--release", release()]);
    await setConfig(s, "releases", { [OTHER_RELEASE]: { baseImage: env.standinBaseImage } });
    await cli(s, ["snapshot", "new", "--stack", s.name, "--release", OTHER_RELEASE]);
    const entry = (await releasesOf(s))[release()];
    assert.ok(entry);
    pinned = entry;
    original = outputsOf(await up(s));
  });

  after(async () => {
    if (s) await mirror(s.log, "reset");
    if (fresh) await fresh.stop();
    for (const st of stacks) await removeStack(st);
  });

  it("previews no changes when the mirror gains hello 1.1", async () => {
    await mirror(s.log, "publish-update");
    const plan = await preview(s, { expectNoChanges: true });
    assert.deepEqual(plan.changed, []);
  });

  it("rebuilds the same digest from an empty state on a fresh builder, with hello 1.0 inside",
    async () => {
      fresh = await FreshBuilder.start(env);
      const config = standinConfig(env, `updates-${stamp}-fresh`);
      const stack = await createStack(env, `e2e-updates-fresh-${stamp}`, {
        ...config,
        builder: { ...(config.builder as object), name: fresh.name },
        releases: { [release()]: pinned },
      });
      stacks.push(stack);
      const rebuilt = imageOf(outputsOf(await up(stack)), release());
      assert.equal(rebuilt.digest, imageOf(original, release()).digest);
      assert.equal((await helloIn(rebuilt.ref)).trim(), "hello-1.0-1.fc44.noarch");
    });

  it("previews changes of that release's images and indexes only after a new snapshot",
    async () => {
      await cli(s, ["snapshot", "new", "--stack", s.name, "--release", release()]);
      const plan = await preview(s);
      const image = `docker-build:index:Image::fedora-${release()}-x86_64-image`;
      assert.ok(plan.changed.includes(`update ${image}`), plan.changed.join("\n"));
      for (const index of [`fedora-${release()}-version`, `fedora-${release()}-moving`]) {
        assert.ok(plan.changed.some((c) => c.endsWith(`docker-build:index:Index::${index}`)),
          `${index} does not change:\n${plan.changed.join("\n")}`);
      }
      const elsewhere = plan.changed.filter((c) => !c.includes(`::fedora-${release()}-`));
      assert.deepEqual(elsewhere, []);
      for (const name of [`Image::fedora-${OTHER_RELEASE}-x86_64-image`,
        `Index::fedora-${OTHER_RELEASE}-version`, `Index::fedora-${OTHER_RELEASE}-moving`]) {
        assert.equal(plan.steps.get(`docker-build:index:${name}`), "same", name);
      }
    });

  it("publishes hello 1.1 at a new digest and keeps the old version tags resolving", async () => {
    updated = outputsOf(await up(s));
    const old = imageOf(original, release());
    const now = imageOf(updated, release());
    assert.notEqual(now.digest, old.digest);
    assert.equal(await probe.digest(now.ref), now.digest);
    assert.equal((await helloIn(now.ref)).trim(), "hello-1.1-1.fc44.noarch");
    assert.notEqual(now.tag, old.tag);
    assert.deepEqual(await probe.images(old.tag), [old.digest], `${old.tag} moved`);
    const oldIndex = indexOf(original, release()).versionRef;
    assert.equal(await probe.digest(oldIndex.split("@")[0] ?? ""), digestOf(oldIndex));
    const moving = indexOf(updated, release()).movingRef ?? "";
    assert.equal(await probe.digest(moving.split("@")[0] ?? ""),
      digestOf(indexOf(updated, release()).versionRef));
    assert.equal(imageOf(updated, OTHER_RELEASE).digest, imageOf(original, OTHER_RELEASE).digest);
  });

  it("rolls back by reverting the release config: old digests, moving tag back", async () => {
    await setConfig(s, "releases", { [release()]: pinned });
    const back = outputsOf(await up(s));
    assert.equal(imageOf(back, release()).digest, imageOf(original, release()).digest);
    const version = indexOf(back, release()).versionRef;
    assert.equal(digestOf(version), digestOf(indexOf(original, release()).versionRef));
    const movingTag = (indexOf(back, release()).movingRef ?? "").split("@")[0] ?? "";
    assert.equal(await probe.digest(movingTag), digestOf(version));
    // The release it rolled back from stays published.
    const undone = indexOf(updated, release()).versionRef;
    assert.equal(await probe.digest(undone.split("@")[0] ?? ""), digestOf(undone));
    assert.equal(await probe.digest(imageOf(updated, release()).ref),
      imageOf(updated, release()).digest);
  });
});
