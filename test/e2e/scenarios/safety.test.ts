// Issue 5, scenarios 10 and 11: no Pulumi operation loses a published image (removing a release
// or the derived images, replacing an index or an image, destroy), and a builder that runs
// another BuildKit than declared builds and pushes nothing.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";

import { e2eEnv, type E2eEnv } from "../env";
import { outputsOf, releasesOf, uniqueStamp, type StackOutputs } from "../outputs";
import { digestOf, RegistryProbe, repositoryOf } from "../registry";
import {
  cli,
  createStack,
  destroy,
  preview,
  removeStack,
  setConfig,
  standinConfig,
  up,
  type EngineStack,
} from "../stack";

const OTHER_RELEASE = "43";

/** Every `repo@digest` and `repo:tag` → digest the stack's outputs name. */
function published(out: StackOutputs): { refs: string[]; tags: Map<string, string> } {
  const refs: string[] = [];
  const tags = new Map<string, string>();
  for (const group of [out.images, out.derivedImages]) {
    for (const perArch of Object.values(group)) {
      for (const image of Object.values(perArch)) {
        refs.push(image.ref);
        if (image.snapshotRef) refs.push(image.snapshotRef);
        tags.set(image.tag, image.digest);
      }
    }
  }
  for (const group of [out.indexes, out.derivedIndexes]) {
    for (const index of Object.values(group)) {
      for (const ref of [index.versionRef, index.movingRef]) {
        if (!ref) continue;
        refs.push(`${repositoryOf(ref)}@${digestOf(ref)}`);
        tags.set(ref.split("@")[0] ?? "", digestOf(ref));
      }
    }
  }
  return { refs: [...new Set(refs)].sort(), tags };
}

describe("safety: nothing published is lost, nothing is built on the wrong BuildKit", function () {
  this.timeout(15 * 60 * 1000);
  const stamp = uniqueStamp();
  const stacks: EngineStack[] = [];
  let env: E2eEnv;
  let s: EngineStack;
  let probe: RegistryProbe;
  let first: ReturnType<typeof published>;
  const release = () => String(env.standinRelease);

  /** Fails naming every published digest or tag the registry no longer serves as it was. */
  async function assertAllServed(what: string): Promise<void> {
    const missing: string[] = [];
    for (const ref of first.refs) {
      if ((await probe.digest(ref)) !== digestOf(ref)) missing.push(ref);
    }
    assert.deepEqual(missing, [], `after ${what}, these digests are gone`);
    const moved: string[] = [];
    for (const [tag, digest] of first.tags) {
      const images = await probe.images(tag);
      const now = await probe.digest(tag);
      if (now !== digest && !(images.length === 1 && images[0] === digest)) moved.push(tag);
    }
    // The moving tag may move (a rollback, a new snapshot); here nothing asked it to.
    assert.deepEqual(moved, [], `after ${what}, these tags no longer resolve as published`);
  }

  before(async () => {
    env = e2eEnv();
    s = await createStack(env, `e2e-safety-${stamp}`, {
      ...standinConfig(env, `safety-${stamp}`),
      derivedImages: { tools: { release: env.standinRelease, packages: ["extra-tool"] } },
    });
    stacks.push(s);
    probe = new RegistryProbe(s.log);
    await cli(s, ["snapshot", "new", "--stack", s.name, "--release", release()]);
    await setConfig(s, "releases", { [OTHER_RELEASE]: { baseImage: env.standinBaseImage } });
    await cli(s, ["snapshot", "new", "--stack", s.name, "--release", OTHER_RELEASE]);
    first = published(outputsOf(await up(s)));
    assert.ok(first.refs.length >= 8, first.refs.join("\n"));
  });

  after(async () => {
    for (const st of stacks) await removeStack(st);
  });

  it("really removes a manifest deleted by digest in the test registry (control)", async () => {
    const image = first.refs.find((r) => r.includes("/fedora-base-x86_64@")) ?? "";
    const doomed = `${env.registry}/safety-${stamp}/control`;
    await probe.copy(image, `${doomed}:doomed`);
    const ref = `${doomed}@${digestOf(image)}`;
    assert.equal(await probe.digest(ref), digestOf(image));
    await probe.deleteManifest(ref);
    assert.equal(await probe.digest(ref), undefined);
    assert.equal(await probe.digest(image), digestOf(image), "another repository lost it too");
  });

  it("keeps every published digest when a release is removed from the config", async () => {
    await s.stack.removeConfig(`fedora-base:releases["${OTHER_RELEASE}"]`, true);
    const plan = await preview(s);
    assert.ok(plan.changed.includes(
      `delete docker-build:index:Image::fedora-${OTHER_RELEASE}-x86_64-image`),
      plan.changed.join("\n"));
    await up(s);
    await assertAllServed(`removing release ${OTHER_RELEASE}`);
  });

  it("keeps every published digest when the derived images are removed", async () => {
    await s.stack.removeConfig("fedora-base:derivedImages");
    await up(s);
    await assertAllServed("removing the derived images");
  });

  it("keeps every published digest when the release index and the image are replaced",
    async () => {
      const urn = (parent: string, type: string, name: string) =>
        `urn:pulumi:${s.name}::fedora-base::fedora-base:index:${parent}$${type}::${name}`;
      const replace = [
        urn("ReleaseIndex", "docker-build:index:Index", `fedora-${release()}-version`),
        urn("FedoraBaseImage", "docker-build:index:Image", `fedora-${release()}-x86_64-image`),
      ];
      const result = await up(s, { replace });
      assert.ok((result.summary.resourceChanges?.replace ?? 0) >= 2,
        JSON.stringify(result.summary.resourceChanges));
      await assertAllServed("replacing the index and the image");
    });

  it("keeps every published digest and tag after pulumi destroy", async () => {
    await destroy(s);
    await assertAllServed("destroy");
  });

  it("fails before building when the builder runs another BuildKit, and pushes nothing",
    async () => {
      const declared = "v0.33.0";
      assert.notEqual(declared, env.buildkitVersion);
      const prefix = `safety-${stamp}-wrong-buildkit`;
      const config = standinConfig(env, prefix);
      const wrong = await createStack(env, `e2e-safety-wrong-${stamp}`, {
        ...config,
        builder: { ...(config.builder as object), buildkitVersion: declared },
        releases: { [release()]: (await releasesOf(s))[release()] },
      });
      stacks.push(wrong);
      await assert.rejects(up(wrong), (err: Error) => {
        assert.match(err.message, new RegExp(`declared ${declared}`));
        assert.match(err.message, new RegExp(`runs BuildKit ${env.buildkitVersion}`));
        return true;
      });
      const host = env.registry.split("/")[0] ?? "";
      assert.deepEqual(await probe.repositories(host, prefix), []);
      const engineLog = fs.readFileSync(path.join(env.logs, `${wrong.name}.log`), "utf8");
      assert.doesNotMatch(engineLog, /load build definition/, "a build started");
    });
});
