// Issue 5, scenarios 7 and 8: the checkout is not a determinant (another directory, another
// umask, another commit that leaves the recipe alone preview no changes), the recipe's content is
// (a comment in a script updates exactly the images built with that script).
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";

import { run } from "../../../cli/run";
import { cloneCheckout, type Checkout } from "../checkout";
import { e2eEnv, REPO, type E2eEnv } from "../env";
import { uniqueStamp } from "../outputs";
import {
  cli,
  createStack,
  openStack,
  preview,
  removeStack,
  standinConfig,
  up,
  type EngineStack,
} from "../stack";

describe("checkouts and recipe content", function () {
  this.timeout(15 * 60 * 1000);
  const stamp = uniqueStamp();
  let env: E2eEnv;
  let s: EngineStack;
  let checkout: Checkout | undefined;
  let other: EngineStack;
  const release = () => String(env.standinRelease);
  const baseImage = () => `docker-build:index:Image::fedora-${release()}-x86_64-image`;
  const derivedImage = () => `docker-build:index:Image::tools-${release()}-x86_64-image`;

  /** Appends a line to a file of the other checkout for one test, then puts it back. */
  async function withEdit<T>(file: string, line: string, body: () => Promise<T>): Promise<T> {
    const target = path.join(checkout?.dir ?? "", file);
    const original = fs.readFileSync(target, "utf8");
    fs.appendFileSync(target, line + "\n");
    try {
      return await body();
    } finally {
      fs.writeFileSync(target, original);
    }
  }

  before(async () => {
    env = e2eEnv();
    s = await createStack(env, `e2e-checkouts-${stamp}`, {
      ...standinConfig(env, `checkouts-${stamp}`),
      derivedImages: { tools: { release: env.standinRelease, packages: ["extra-tool"] } },
    });
    await cli(s, ["snapshot", "new", "--stack", s.name, "--release", release()]);
    await up(s);
    checkout = await cloneCheckout(s.log, { umask: 0o002, stackFiles: [`Pulumi.${s.name}.yaml`] });
    other = await openStack(env, s.name, checkout.dir, "clone");
  });

  after(async () => {
    if (s) await removeStack(s);
    checkout?.remove();
  });

  it("previews no changes from a second checkout in another directory, made under umask 002",
    async () => {
      const dir = checkout?.dir ?? "";
      assert.notEqual(path.resolve(dir), REPO);
      const mode = fs.statSync(path.join(dir, "recipe", "image", "dnf.sh")).mode & 0o777;
      assert.equal(mode, 0o664, "the clone was not made under umask 002");
      const plan = await preview(other, { expectNoChanges: true });
      assert.deepEqual(plan.changed, []);
      assert.equal(plan.steps.get(baseImage()), "same");
    });

  it("previews no changes after a commit that does not touch the recipe", async () => {
    const dir = checkout?.dir ?? "";
    const head = (await run(s.log, "git", ["-C", dir, "rev-parse", "HEAD"])).trim();
    fs.appendFileSync(path.join(dir, "README.md"), "\nA line that changes no image.\n");
    await run(s.log, "git", ["-C", dir, "-c", "user.name=e2e", "-c", "user.email=e2e@invalid",
      "commit", "-q", "-m", "Docs only", "--", "README.md"]);
    assert.notEqual((await run(s.log, "git", ["-C", dir, "rev-parse", "HEAD"])).trim(), head);
    const plan = await preview(other, { expectNoChanges: true });
    assert.deepEqual(plan.changed, []);
  });

  it("shows a comment in the derived recipe as an update of the derived image only",
    async () => {
      const plan = await withEdit(path.join("recipe", "derived", "derive.sh"),
        "# a comment changes the recipe's content", () => preview(other));
      assert.ok(plan.changed.includes(`update ${derivedImage()}`), plan.changed.join("\n"));
      assert.equal(plan.steps.get(baseImage()), "same");
      assert.deepEqual(plan.changed.filter((c) => c.includes("::fedora-")), []);
    });

  it("shows a comment in the shared dnf.sh as an update of every image built with it",
    async () => {
      const plan = await withEdit(path.join("recipe", "image", "dnf.sh"),
        "# a comment changes the recipe's content", () => preview(other));
      assert.ok(plan.changed.includes(`update ${baseImage()}`), plan.changed.join("\n"));
      assert.ok(plan.changed.includes(`update ${derivedImage()}`), plan.changed.join("\n"));
    });

  it("previews no changes again once the recipe is back as it was", async () => {
    const plan = await preview(other, { expectNoChanges: true });
    assert.deepEqual(plan.changed, []);
  });
});
