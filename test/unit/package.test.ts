import * as assert from "node:assert/strict";

describe("package entry point", () => {
  it("exports the components to other Pulumi programs by package name", async () => {
    // Resolved through package.json "exports", as a consumer's import would be.
    const pkg = (await import("fedora-base")) as Record<string, unknown>;
    for (const name of [
      "FedoraBaseImage",
      "DerivedImage",
      "ReleaseIndex",
      "DnfSnapshot",
      "LocalBuilder",
      "PrefixRegistry",
      "parseStackConfig",
    ]) {
      assert.equal(typeof pkg[name], "function", name);
    }
    assert.match(String(pkg.FEDORA_BASE_IMAGE_TYPE), /^fedora-base:index:FedoraBaseImage$/);
  });

  it("finds its recipe from the compiled entry point", async () => {
    const pkg = (await import("fedora-base")) as { RECIPE_ROOT: string };
    assert.match(pkg.RECIPE_ROOT, /recipe$/);
  });
});
