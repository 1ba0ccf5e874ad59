import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

import {
  baseRecipe,
  buildDefinitionHash,
  canonicalJson,
  derivedRecipe,
  stageContext,
} from "../../components/recipe";

function inTempDir<T>(run: () => T): T {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fedora-base-stage-"));
  const cwd = process.cwd();
  process.chdir(dir);
  try {
    return run();
  } finally {
    process.chdir(cwd);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function modes(location: string): Record<string, number> {
  const out: Record<string, number> = { ".": fs.statSync(location).mode & 0o7777 };
  for (const f of fs.readdirSync(location).sort()) {
    out[f] = fs.statSync(path.join(location, f)).mode & 0o7777;
  }
  return out;
}

describe("build recipe", () => {
  it("stages contexts with the same modes under any umask", () => {
    const seen = [0o022, 0o002, 0o077].map((mask) =>
      inTempDir(() => {
        const old = process.umask(mask);
        try {
          return modes(stageContext("base", baseRecipe()).location);
        } finally {
          process.umask(old);
        }
      }),
    );
    assert.deepEqual(seen[1], seen[0]);
    assert.deepEqual(seen[2], seen[0]);
    assert.equal(seen[0]?.["build.sh"], 0o644);
    assert.equal(seen[0]?.["."], 0o755);
  });

  it("resets modes a checkout left on staged files", () => {
    inTempDir(() => {
      const { location } = stageContext("base", baseRecipe());
      fs.chmodSync(path.join(location, "dnf.sh"), 0o775);
      fs.chmodSync(location, 0o775);
      stageContext("base", baseRecipe());
      assert.equal(modes(location)["dnf.sh"], 0o644);
      assert.equal(modes(location)["."], 0o755);
    });
  });

  it("removes files that are no longer part of the context", () => {
    inTempDir(() => {
      const { location } = stageContext("derived-x", derivedRecipe(["true"]));
      assert.ok(fs.existsSync(path.join(location, "steps.sh")));
      stageContext("derived-x", derivedRecipe([]));
      assert.ok(!fs.existsSync(path.join(location, "steps.sh")));
    });
  });

  it("stages the image recipe with the files the Containerfile runs", () => {
    const files = baseRecipe();
    assert.deepEqual(Object.keys(files).sort(), ["Containerfile", "build.sh", "dnf.sh"]);
    assert.match(files.Containerfile ?? "", /ARG SOURCE_DATE_EPOCH/);
    assert.doesNotMatch(files.Containerfile ?? "", /^# *syntax=/m);
  });

  it("hashes the build definition by content, independent of key order", () => {
    const def = {
      files: { b: "2", a: "1" },
      buildArgs: { Y: "y", X: "x" },
      exporter: "oci-mediatypes=true",
      platform: "linux/amd64",
    };
    const reordered = {
      platform: "linux/amd64",
      exporter: "oci-mediatypes=true",
      buildArgs: { X: "x", Y: "y" },
      files: { a: "1", b: "2" },
    };
    assert.equal(buildDefinitionHash(def), buildDefinitionHash(reordered));
    assert.notEqual(
      buildDefinitionHash(def),
      buildDefinitionHash({ ...def, files: { a: "1", b: "2 " } }),
    );
    assert.notEqual(
      buildDefinitionHash(def),
      buildDefinitionHash({ ...def, files: { a: "2", b: "1" } }),
    );
  });

  it("serialises objects with sorted keys", () => {
    const json = canonicalJson({ b: [2, { d: 1, c: 0 }], a: "x" });
    assert.equal(json, '{"a":"x","b":[2,{"c":0,"d":1}]}');
  });

  it("refuses a context file outside the flat context", () => {
    inTempDir(() => {
      assert.throws(() => stageContext("base", { "../x": "" }), /flat and visible, got "..\/x"/);
    });
  });
});
