// Issue 5, scenario 9: a published tag deleted or moved outside Pulumi shows in
// `pulumi preview --refresh`, and `pulumi up --refresh` puts it back.
import * as assert from "node:assert/strict";

import { e2eEnv, type E2eEnv } from "../env";
import { imageOf, indexOf, outputsOf, uniqueStamp, type StackOutputs } from "../outputs";
import { RegistryProbe } from "../registry";
import {
  cli,
  createStack,
  preview,
  removeStack,
  standinConfig,
  up,
  type EngineStack,
} from "../stack";

type Change = "deleted" | "moved";

describe("drift of published tags", function () {
  this.timeout(15 * 60 * 1000);
  const stamp = uniqueStamp();
  let env: E2eEnv;
  let s: EngineStack;
  let probe: RegistryProbe;
  let published: StackOutputs;
  const release = () => String(env.standinRelease);

  before(async () => {
    env = e2eEnv();
    s = await createStack(env, `e2e-drift-${stamp}`, standinConfig(env, `drift-${stamp}`));
    probe = new RegistryProbe(s.log);
    await cli(s, ["snapshot", "new", "--stack", s.name, "--release", release()]);
    published = outputsOf(await up(s));
  });

  after(async () => {
    if (s) await removeStack(s);
  });

  const tags: Record<string, { tag: () => string; holder: () => string }> = {
    "the moving release tag": {
      tag: () => (indexOf(published, release()).movingRef ?? "").split("@")[0] ?? "",
      holder: () => `::fedora-${release()}-moving`,
    },
    "a per-arch version tag": {
      tag: () => imageOf(published, release()).tag,
      holder: () => `::fedora-${release()}-x86_64-tag`,
    },
    "the release's version tag": {
      tag: () => indexOf(published, release()).versionRef.split("@")[0] ?? "",
      holder: () => `::fedora-${release()}-version`,
    },
  };

  for (const [what, { tag, holder }] of Object.entries(tags)) {
    for (const change of ["deleted", "moved"] as Change[]) {
      it(`reports ${what} ${change} in the registry, and up --refresh puts it back`, async () => {
        const ref = tag();
        const want = await probe.images(ref);
        assert.deepEqual(want, [imageOf(published, release()).digest], `${ref} before drift`);
        if (change === "deleted") await probe.deleteTag(ref);
        else await probe.copy(env.standinBaseImage, ref);
        assert.notDeepEqual(await probe.images(ref), want, "the drift did not happen");

        const plan = await preview(s, { refresh: true });
        assert.ok(plan.changed.some((c) => c.includes(holder())),
          `preview --refresh does not report ${ref} ${change}:\n${plan.changed.join("\n")}`);
        const image = `docker-build:index:Image::fedora-${release()}-x86_64-image`;
        assert.equal(plan.steps.get(image), "same", "drift of a tag must not rebuild");

        await up(s, { refresh: true });
        assert.deepEqual(await probe.images(ref), want, `${ref} is not back`);
        const settled = await preview(s, { refresh: true });
        assert.deepEqual(settled.changed, []);
      });
    }
  }
});
