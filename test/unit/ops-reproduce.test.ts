import * as assert from "node:assert/strict";
import { readImageFacts } from "../../cli/ops/image";
import {
  buildArgsOf,
  compareLayers,
  parseDiffoci,
  recoverExporter,
  reproduce,
  scratchOutput,
} from "../../cli/ops/reproduce";
import { DEFAULT_EXPORTER } from "../../components/exporter";
import { LABELS } from "../../components/fedora-base-image";
import { baseRecipe } from "../../components/recipe";
import { localConfig, runLocalStack } from "./harness";
import { D, FakeBuilder, FakeRegistry, fakeDeps } from "./ops-fakes";

const REF = `127.0.0.1:5000/fedora-base/fedora-base-x86_64@${D("9")}`;

/** The labels and build arguments the image component gives release 44 on x86_64. */
async function componentImage(raw = localConfig()) {
  const rec = await runLocalStack(raw);
  const inputs = rec.named("fedora-44-x86_64-image").inputs;
  return {
    labels: inputs.labels as Record<string, string>,
    buildArgs: inputs.buildArgs as Record<string, string>,
  };
}

// Diffoci's report of an image rebuilt with one file more (its real layout, shortened).
const DIFFOCI = [
  "TYPE     NAME                                          INPUT-0    INPUT-1",
  "Desc     application/vnd.oci.image.manifest.v1+json    8801ed94   f2920bde",
  "Cfg      ctx:/config/config                            ?          ?",
  "Layer    ctx:/layer                                    length mismatch (6282 vs 6284)",
  "Layer    ctx:/layer          name \"etc/tampered\" only appears in input 1",
  "File     usr/share/fedora-base/recipe/    2026-12-03 17:26:44 +0000 UTC    " +
    "2026-12-03 17:28:49 +0000 UTC",
].join("\n");

describe("reproduce: what the image says about its build", () => {
  it("rebuilds with exactly the build arguments the component set, read from its labels",
    async () => {
      const { labels, buildArgs } = await componentImage();
      const registry = new FakeRegistry();
      registry.image(REF, labels);
      assert.deepEqual(buildArgsOf(await readImageFacts(registry, REF)), buildArgs);
    });

  it("recovers the default exporter options from the build-definition label", async () => {
    const { labels, buildArgs } = await componentImage();
    const found = recoverExporter(labels[LABELS.buildDefinition] ?? "", baseRecipe(), buildArgs,
      "linux/amd64");
    assert.deepEqual(found, DEFAULT_EXPORTER);
  });

  it("recovers other exporter options: gzip at level 5 with Docker media types", async () => {
    const raw = localConfig();
    raw.exporter = { ociMediaTypes: false, compression: "gzip", compressionLevel: 5 };
    const { labels, buildArgs } = await componentImage(raw);
    const found = recoverExporter(labels[LABELS.buildDefinition] ?? "", baseRecipe(), buildArgs,
      "linux/amd64");
    assert.deepEqual(found, { ociMediaTypes: false, compression: "gzip", compressionLevel: 5 });
  });

  it("recovers nothing when the recipe differs from the one the label hashes", async () => {
    const { labels, buildArgs } = await componentImage();
    const files = { ...baseRecipe(), "extra.sh": "true\n" };
    assert.equal(recoverExporter(labels[LABELS.buildDefinition] ?? "", files, buildArgs,
      "linux/amd64"), undefined);
  });

  it("pushes by digest into the image's repository unless told otherwise", async () => {
    const registry = new FakeRegistry();
    registry.image(REF, (await componentImage()).labels);
    const facts = await readImageFacts(registry, REF);
    assert.match(scratchOutput(undefined, facts, DEFAULT_EXPORTER),
      /^type=image,name=127\.0\.0\.1:5000\/fedora-base\/fedora-base-x86_64,push-by-digest=true,/);
    assert.match(scratchOutput("reg.example/scratch:try", facts, DEFAULT_EXPORTER),
      /^type=image,name=reg\.example\/scratch:try,push=true,oci-mediatypes=true,/);
  });
});

describe("reproduce: comparing", () => {
  it("pairs layers by position and marks extra ones as different", () => {
    assert.deepEqual(compareLayers([D("1"), D("2")], [D("1"), D("3"), D("4")]), [
      { index: 0, published: D("1"), rebuilt: D("1"), same: true },
      { index: 1, published: D("2"), rebuilt: D("3"), same: false },
      { index: 2, published: undefined, rebuilt: D("4"), same: false },
    ]);
  });

  it("names the files diffoci reports, from File rows and quoted Layer rows", () => {
    const r = parseDiffoci(DIFFOCI);
    assert.deepEqual(r.files, ["etc/tampered", "usr/share/fedora-base/recipe/"]);
    assert.ok(r.findings.some((f) => f.startsWith("File usr/share/fedora-base/recipe/ 2026")));
  });
});

describe("reproduce: rebuilding", () => {
  let f: ReturnType<typeof fakeDeps>;
  let builder: FakeBuilder;
  let registry: FakeRegistry;

  beforeEach(async () => {
    builder = new FakeBuilder();
    registry = new FakeRegistry();
    f = fakeDeps(registry, builder);
    registry.image(REF, (await componentImage()).labels, [D("1"), D("2")]);
    builder.recipe = baseRecipe();
  });

  afterEach(() => f.cleanup());

  it("says match when the rebuild has the published digest, and exits 0", async () => {
    builder.buildDigest = D("9");
    const r = await reproduce(f.deps, { image: REF });
    assert.equal(r.match, true);
    assert.equal(r.exitCode, 0);
    assert.equal(r.determinants.buildDefinition, "matches");
    const build = builder.builds[0];
    assert.equal(build?.platform, "linux/amd64");
    assert.equal(build?.file, "Containerfile");
    assert.equal(build?.labels[LABELS.buildDefinition],
      registry.labelsOf.get(REF)?.[LABELS.buildDefinition]);
    assert.equal(r.differences, undefined);
  });

  it("names the differing layers and files on a mismatch, and exits 1", async () => {
    const rebuilt = `127.0.0.1:5000/fedora-base/fedora-base-x86_64@${D("e")}`;
    registry.image(rebuilt, {}, [D("1"), D("3")]);
    f.setDiffoci({ exitCode: 1, output: DIFFOCI });
    const r = await reproduce(f.deps, { image: REF });
    assert.equal(r.match, false);
    assert.equal(r.exitCode, 1);
    assert.equal(r.rebuiltRef, rebuilt);
    assert.deepEqual(r.differences?.layers.map((l) => l.same), [true, false]);
    assert.ok(r.differences?.files.includes("etc/tampered"));
  });

  it("warns when the recipe the image carries does not hash to its label", async () => {
    builder.recipe = { ...baseRecipe(), "build.sh": "echo tampered\n" };
    builder.buildDigest = D("9");
    const r = await reproduce(f.deps, { image: REF });
    assert.equal(r.determinants.buildDefinition, "does not match");
    assert.ok(r.warnings.some((w) => /hash to no build definition/.test(w)), r.warnings.join());
  });

  it("warns when the builder runs another BuildKit than the image was built with", async () => {
    builder.buildkit = ["v0.35.0"];
    builder.buildDigest = D("9");
    const r = await reproduce(f.deps, { image: REF });
    assert.ok(r.warnings.some((w) => /built with BuildKit v0\.34\.2.*runs v0\.35\.0/.test(w)));
  });
});
