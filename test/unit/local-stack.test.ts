import * as assert from "node:assert/strict";

import {
  BASE_DIGEST,
  BUILDKIT,
  digestOf,
  localConfig,
  runLocalStack,
  SNAP_X86,
  TAG_TYPE,
} from "./harness";

const IMAGE = "docker-build:index:Image";
const INDEX = "docker-build:index:Index";

describe("local stack", () => {
  for (const preview of [false, true]) {
    describe(preview ? "in preview" : "in update", () => {
      it("registers an image and a version tag per release and architecture", async () => {
        const rec = await runLocalStack(localConfig(), { preview });
        const images = rec.of(IMAGE).map((r) => r.name).sort();
        assert.deepEqual(images, [
          "fedora-44-aarch64-image",
          "fedora-44-x86_64-image",
          "fedora-45-aarch64-image",
          "fedora-45-x86_64-image",
          "toolbox-44-aarch64-image",
          "toolbox-44-x86_64-image",
        ]);
        const indexes = rec.of(INDEX).map((r) => r.name).sort();
        assert.deepEqual(indexes, [
          "fedora-44-moving",
          "fedora-44-version",
          "fedora-45-moving",
          "fedora-45-version",
          "toolbox-44-moving",
          "toolbox-44-version",
        ]);
        const tags = rec.of(TAG_TYPE).map((r) => r.name).sort();
        assert.deepEqual(tags, [
          "fedora-44-aarch64-tag",
          "fedora-44-moving-tag",
          "fedora-44-version-tag",
          "fedora-44-x86_64-tag",
          "fedora-45-aarch64-tag",
          "fedora-45-moving-tag",
          "fedora-45-version-tag",
          "fedora-45-x86_64-tag",
          "toolbox-44-aarch64-tag",
          "toolbox-44-moving-tag",
          "toolbox-44-version-tag",
          "toolbox-44-x86_64-tag",
        ]);
      });

      it("retains every published image and index when its resource is deleted", async () => {
        const rec = await runLocalStack(localConfig(), { preview });
        const published = [...rec.of(IMAGE), ...rec.of(INDEX), ...rec.of(TAG_TYPE)];
        assert.ok(published.length > 0);
        for (const r of published) assert.equal(r.retainOnDelete, true, r.name);
      });
    });
  }

  it("builds with the pinned base, snapshot and epoch as build arguments", async () => {
    const rec = await runLocalStack(localConfig());
    const image = rec.named("fedora-44-x86_64-image").inputs;
    assert.deepEqual(image.buildArgs, {
      BASE_IMAGE: `registry.fedoraproject.org/fedora:44@${BASE_DIGEST}`,
      FEDORA_BASE_REPOS:
        "fedora=http://127.0.0.1:8080/fedora/$releasever/$basearch/;" +
        "updates=http://127.0.0.1:8080/updates/$releasever/$basearch/",
      FEDORA_RELEASE: "44",
      SNAPSHOT_IMAGE: SNAP_X86,
      SOURCE_DATE_EPOCH: "1764720000",
    });
    assert.deepEqual(image.platforms, ["linux/amd64"]);
    assert.equal(image.network, "host");
    assert.deepEqual(image.builder, { name: "fedora-base-local" });
  });

  it("pushes by digest with explicit media types, compression and time rewriting", async () => {
    const rec = await runLocalStack(localConfig());
    const image = rec.named("fedora-44-aarch64-image").inputs;
    assert.deepEqual(image.exports, [
      {
        raw:
          "type=image,name=127.0.0.1:5000/fedora-base/fedora-base-aarch64,push-by-digest=true," +
          "push=true,oci-mediatypes=true,compression=gzip,compression-level=9," +
          "force-compression=true,rewrite-timestamp=true",
      },
    ]);
    assert.equal(image.push, false);
    assert.equal(image.pull, undefined);
    assert.equal(image.buildOnPreview, false);
  });

  it("keeps the build context at a relative path", async () => {
    const rec = await runLocalStack(localConfig());
    const image = rec.named("fedora-44-x86_64-image").inputs;
    assert.deepEqual(image.context, { location: ".build/contexts/base" });
    assert.deepEqual(image.dockerfile, { location: ".build/contexts/base/Containerfile" });
  });

  it("labels the image with OCI keys and its own determinants", async () => {
    const rec = await runLocalStack(localConfig());
    const labels = rec.named("fedora-44-x86_64-image").inputs.labels as Record<string, string>;
    assert.equal(labels["org.opencontainers.image.created"], "2025-12-03T00:00:00Z");
    assert.equal(labels["org.opencontainers.image.version"], "44-1764720000");
    const baseName = "registry.fedoraproject.org/fedora:44";
    assert.equal(labels["org.opencontainers.image.base.name"], baseName);
    assert.equal(labels["org.opencontainers.image.base.digest"], BASE_DIGEST);
    assert.equal(labels["io.fedora-base.epoch"], "1764720000");
    assert.equal(labels["io.fedora-base.release"], "44");
    assert.equal(labels["io.fedora-base.architecture"], "x86_64");
    assert.equal(labels["io.fedora-base.snapshot.digest"], `sha256:${"b".repeat(64)}`);
    assert.equal(labels["io.fedora-base.buildkit.version"], BUILDKIT);
    assert.match(labels["io.fedora-base.build-definition"] ?? "", /^sha256:[0-9a-f]{64}$/);
  });

  it("tags each architecture's image as <release>-<epoch> at its digest", async () => {
    const rec = await runLocalStack(localConfig());
    const image = rec.named("fedora-44-x86_64-image");
    const tag = rec.named("fedora-44-x86_64-tag").inputs;
    assert.equal(tag.tag, "127.0.0.1:5000/fedora-base/fedora-base-x86_64:44-1764720000");
    assert.equal(tag.digest, digestOf(image.inputs));
  });

  it("reads each image's package list from the pushed image, by digest", async () => {
    const rec = await runLocalStack(localConfig());
    for (const name of ["fedora-44-x86_64", "toolbox-44-aarch64"]) {
      const image = rec.named(`${name}-image`);
      const repo = name.startsWith("fedora") ? "fedora-base-x86_64" : "toolbox-aarch64";
      assert.equal(
        rec.named(`${name}-packages`).inputs.ref,
        `127.0.0.1:5000/fedora-base/${repo}@${digestOf(image.inputs)}`,
      );
    }
  });

  it("guards the release index tags so that a refresh sees them move", async () => {
    const rec = await runLocalStack(localConfig());
    for (const which of ["version", "moving"]) {
      const index = rec.named(`fedora-44-${which}`).inputs;
      const guard = rec.named(`fedora-44-${which}-tag`).inputs;
      assert.equal(guard.tag, index.tag);
      assert.equal(guard.digest, digestOf(index));
    }
  });

  it("builds the release index from every architecture, then moves the release tag", async () => {
    const rec = await runLocalStack(localConfig());
    const version = rec.named("fedora-44-version").inputs;
    const moving = rec.named("fedora-44-moving").inputs;
    assert.equal(version.tag, "127.0.0.1:5000/fedora-base/fedora-base:44-1764720000");
    assert.equal(moving.tag, "127.0.0.1:5000/fedora-base/fedora-base:44");
    const sources = version.sources as string[];
    assert.equal(sources.length, 2);
    assert.ok(sources[0]?.startsWith("127.0.0.1:5000/fedora-base/fedora-base-x86_64@sha256:"));
    assert.ok(sources[1]?.startsWith("127.0.0.1:5000/fedora-base/fedora-base-aarch64@sha256:"));
    assert.deepEqual(moving.sources, sources);
  });

  it("builds derived images FROM the base image by digest with the base's epoch", async () => {
    const rec = await runLocalStack(localConfig());
    const derived = rec.named("toolbox-44-x86_64-image").inputs;
    const args = derived.buildArgs as Record<string, string>;
    assert.match(args.BASE_IMAGE ?? "", /^127\.0\.0\.1:5000\/fedora-base\/fedora-base-x86_64@sha256:/);
    assert.equal(args.SOURCE_DATE_EPOCH, "1764720000");
    assert.equal(args.DERIVED_PACKAGES, "git make");
  });

  it("fails before registering anything when the builder runs another BuildKit", async () => {
    await assert.rejects(
      runLocalStack(localConfig(), { reported: ["v0.33.0"] }),
      /builder.buildkitVersion: declared v0\.34\.2, but buildx builder "fedora-base-local" runs BuildKit v0\.33\.0/,
    );
  });
});
