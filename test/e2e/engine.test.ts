// Issue-4 proof: the local stack, configured for the stand-in Fedora, through the real engine,
// real BuildKit and the product's real components.
import * as assert from "node:assert/strict";

import { Regctl } from "../../cli/regctl";
import { e2eEnv, type E2eEnv } from "./env";
import {
  cli,
  createStack,
  preview,
  removeStack,
  setConfig,
  standinConfig,
  up,
  type EngineStack,
} from "./stack";

describe("local stack through the real engine", function () {
  this.timeout(30 * 60 * 1000);
  let env: E2eEnv;
  let s: EngineStack;
  let registry: Regctl;
  const stamp = `${process.pid}-${Date.now()}`;
  const release = () => String(env.standinRelease);

  before(async () => {
    env = e2eEnv();
    const config = {
      ...standinConfig(env, `engine-${stamp}`),
      derivedImages: { toolbox: { release: env.standinRelease, packages: ["extra-tool"] } },
    };
    s = await createStack(env, `e2e-engine-${stamp}`, config);
    registry = new Regctl(s.log);
  });

  after(async () => {
    if (s) await removeStack(s);
  });

  it("pins a new snapshot with the project's command", async () => {
    await cli(s, ["snapshot", "new", "--stack", s.name, "--release", release()]);
    const cfg = await s.stack.getAllConfig();
    const releases = JSON.parse(cfg["fedora-base:releases"]?.value ?? "{}") as Record<
      string,
      { epoch?: number; snapshots?: Record<string, string> }
    >;
    const rel = releases[release()];
    assert.ok(Number.isInteger(rel?.epoch), JSON.stringify(rel));
    assert.match(rel?.snapshots?.x86_64 ?? "", /\/dnf-snapshot@sha256:[0-9a-f]{64}$/);
  });

  it("builds and pushes the image, and the registry serves the digests it reports", async () => {
    const result = await up(s);
    const images = result.outputs.images?.value as Record<string, Record<string, {
      ref: string;
      digest: string;
      tag: string;
      packages: string;
    }>>;
    const image = images[release()]?.x86_64;
    assert.ok(image, JSON.stringify(result.outputs));
    assert.match(image.digest, /^sha256:[0-9a-f]{64}$/);
    assert.equal(await registry.digest(image.ref), image.digest);
    // The exported package list is the one the image holds: hello as the snapshot had it.
    assert.match(image.packages, /^hello\t0\t1\.0\t1\.fc\d+\tnoarch$/m);
    const tagged = await registry.digest(image.tag);
    assert.ok(tagged, `${image.tag} does not resolve`);
    const indexes = result.outputs.indexes?.value as Record<string, { movingRef: string }>;
    const moving = indexes[release()]?.movingRef ?? "";
    const movingTag = moving.split("@")[0] ?? "";
    assert.equal(await registry.digest(movingTag), moving.split("@")[1]);
  });

  it("previews no changes right after up", async () => {
    const plan = await preview(s);
    assert.deepEqual(plan.changed, []);
  });

  it("previews an update of the affected image only when a determinant changes", async () => {
    await setConfig(s, "derivedImages", {
      toolbox: { release: env.standinRelease, packages: ["extra-tool", "hello"] },
    });
    const plan = await preview(s);
    assert.ok(
      plan.changed.includes(`update docker-build:index:Image::toolbox-${release()}-x86_64-image`),
      plan.changed.join("\n"),
    );
    const outside = plan.changed.filter((c) => !/::toolbox-/.test(c));
    assert.deepEqual(outside, [], "only the derived image and its tags may change");
    const base = plan.steps.get(`docker-build:index:Image::fedora-${release()}-x86_64-image`);
    assert.equal(base, "same");
  });
});
