import * as assert from "node:assert/strict";
import { parseAdvisories } from "../../cli/ops/dnf-output";
import { advisoriesFixed, diffImages, diffPackages, packagesOf } from "../../cli/ops/packages";
import { PACKAGE_LIST_PATH, parsePackageList } from "../../cli/ops/rpm";
import {
  D,
  FakeBuilder,
  FakeRegistry,
  FakeStack,
  fakeDeps,
  imageLabels,
  REPO,
} from "./ops-fakes";

const OLD = parsePackageList([
  "fedora-release-standin\t0\t44\t1\tnoarch",
  "gone\t0\t1\t1\tnoarch",
  "hello\t0\t1.0\t1.fc44\tnoarch",
  "same\t0\t2\t1\tx86_64",
  "zlib\t0\t1.10\t1\tx86_64",
].join("\n"), "old");
const NEW = parsePackageList([
  "extra-tool\t0\t1.0\t1.fc44\tnoarch",
  "fedora-release-standin\t0\t44\t1\tnoarch",
  "hello\t0\t1.1\t1.fc44\tnoarch",
  "same\t0\t2\t1\tx86_64",
  "zlib\t0\t1.9\t1\tx86_64",
].join("\n"), "new");

describe("diff: package lists", () => {
  it("lists added, removed, updated and downgraded packages by rpm's order", () => {
    assert.deepEqual(diffPackages(OLD, NEW), {
      added: ["extra-tool-0:1.0-1.fc44.noarch"],
      removed: ["gone-0:1-1.noarch"],
      updated: [{ name: "hello", arch: "noarch", from: "0:1.0-1.fc44", to: "0:1.1-1.fc44" }],
      downgraded: [{ name: "zlib", arch: "x86_64", from: "0:1.10-1", to: "0:1.9-1" }],
    });
  });

  it("keeps the advisories that cover a version that changed, up to the newer one", () => {
    const rows = parseAdvisories([
      "i FEDORA-STANDIN-2026-0001 Important/Sec. hello-1.1-1.fc44.noarch",
      "  FEDORA-LATER Moderate/Sec. hello-1.2-1.fc44.noarch",
      "i FEDORA-OLDER bugfix hello-1.0-1.fc44.noarch",
      "i FEDORA-UNCHANGED bugfix same-2-1.x86_64",
    ].join("\n"));
    assert.deepEqual(advisoriesFixed(rows, OLD, NEW), [{ id: "FEDORA-STANDIN-2026-0001",
      type: "security", severity: "Important", packages: ["hello-0:1.1-1.fc44.noarch"] }]);
  });
});

describe("packages and diff: images", () => {
  const A = `${REPO}@${D("1")}`;
  const B = `${REPO}@${D("2")}`;
  let f: ReturnType<typeof fakeDeps>;
  let registry: FakeRegistry;
  let builder: FakeBuilder;

  beforeEach(() => {
    registry = new FakeRegistry();
    builder = new FakeBuilder();
    f = fakeDeps(registry, builder);
    registry.image(A, imageLabels(1_790_000_000));
    registry.image(B, imageLabels(1_790_086_400));
    registry.files.set(`${A} ${PACKAGE_LIST_PATH}`, "hello\t0\t1.0\t1.fc44\tnoarch\n");
    registry.files.set(`${B} ${PACKAGE_LIST_PATH}`, "hello\t0\t1.1\t1.fc44\tnoarch\n");
    builder.answers.set(B, { "advisories.rc": "0\n", "advisories.err": "",
      "advisories.out": "i FEDORA-STANDIN-2026-0001 Important/Sec. hello-1.1-1.fc44.noarch\n" });
  });

  afterEach(() => f.cleanup());

  it("reads the list from the registry, without a builder", async () => {
    const r = await packagesOf(f.deps, { image: A });
    assert.deepEqual(r.images.map((i) => i.packages.map((p) => p.version)), [["1.0"]]);
    assert.deepEqual(builder.probes, []);
  });

  it("reads the list of every image a stack published", async () => {
    const stack = new FakeStack({}, { images: { "44": { x86_64: { ref: A } } } });
    const r = await packagesOf(f.deps, {}, stack);
    assert.deepEqual(r.images.map((i) => [i.release, i.architecture, i.image]),
      [[44, "x86_64", A]]);
  });

  it("takes advisories from the newer image's metadata, offline, whatever the order given",
    async () => {
      const r = await diffImages(f.deps, { a: B, b: A, advisories: true });
      assert.deepEqual(r.downgraded.map((c) => `${c.from} -> ${c.to}`),
        ["0:1.1-1.fc44 -> 0:1.0-1.fc44"]);
      assert.equal(r.advisorySource, B);
      assert.deepEqual(r.advisories?.map((a) => a.id), ["FEDORA-STANDIN-2026-0001"]);
      assert.deepEqual(builder.probes.map((p) => [p.image, p.network]), [[B, "none"]]);
    });

  it("runs nothing in an image when advisories are not asked for", async () => {
    const r = await diffImages(f.deps, { a: A, b: B, advisories: false });
    assert.equal(r.advisories, undefined);
    assert.deepEqual(builder.probes, []);
  });
});
