import * as assert from "node:assert/strict";
import {
  rfc3339,
  type SnapshotMeta,
  snapshotLabels,
  snapshotMetaFromLabels,
} from "../../cli/snapshot/labels";

const META: SnapshotMeta = {
  release: 44,
  architecture: "aarch64",
  epoch: 1764720000,
  baseImage: `registry.fedoraproject.org/fedora:44@sha256:${"a".repeat(64)}`,
  repos: "fedora=http://127.0.0.1:8080/f/",
};

describe("snapshot labels", () => {
  it("recovers the snapshot's inputs from the labels it wrote", () => {
    assert.deepEqual(snapshotMetaFromLabels("img", snapshotLabels(META, "5")), META);
  });

  it("recovers an empty repo string, which keeps the image's own repos", () => {
    const meta = { ...META, repos: "" };
    assert.deepEqual(snapshotMetaFromLabels("img", snapshotLabels(meta, "4")), meta);
  });

  it("quotes every malformed label value", () => {
    const labels = {
      ...snapshotLabels(META, "5"),
      "io.fedora-base.epoch": "2025-12-03",
      "io.fedora-base.architecture": "i686",
    };
    assert.throws(() => snapshotMetaFromLabels("img@sha256:1", labels), (e: Error) =>
      e.message.startsWith("img@sha256:1 cannot be a snapshot source") &&
      e.message.includes(
        'label io.fedora-base.epoch must be whole Unix seconds, got "2025-12-03"') &&
      e.message.includes('label io.fedora-base.architecture must be one of x86_64, aarch64, ' +
        'got "i686"'));
  });

  it("writes created times in RFC 3339 UTC with whole seconds", () => {
    assert.equal(rfc3339(1764720000), "2025-12-03T00:00:00Z");
  });
});
