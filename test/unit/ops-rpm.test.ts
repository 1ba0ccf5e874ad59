import * as assert from "node:assert/strict";
import {
  compareEvr,
  compareVersions,
  formatPackageList,
  parseNevra,
  parsePackageList,
} from "../../cli/ops/rpm";

describe("rpm version order", () => {
  // [older, newer] pairs, each a rule rpm applies.
  const older: [string, string, string][] = [
    ["1.0", "1.0.1", "a longer version with the same start is newer"],
    ["1.9", "1.10", "digit segments compare as numbers"],
    ["1.01", "1.2", "leading zeros do not count"],
    ["1.0a", "1.0.1", "a digit segment is newer than a letter segment"],
    ["1.0~rc1", "1.0", "a tilde sorts before the end"],
    ["1.0~rc1", "1.0~rc2", "after a tilde, segments compare as usual"],
    ["1.0", "1.0^git1", "a caret sorts after the end"],
    ["1.0^git1", "1.0.1", "but before any further segment"],
    ["a", "b", "letters compare as strings"],
    ["1.fc43", "1.fc44", "a release's dist tag compares as letters then digits"],
  ];

  for (const [a, b, rule] of older) {
    it(`orders ${a} before ${b}: ${rule}`, () => {
      assert.equal(compareVersions(a, b), -1);
      assert.equal(compareVersions(b, a), 1);
    });
  }

  it("treats separators alone as equal", () => {
    assert.equal(compareVersions("1.0", "1_0"), 0);
    assert.equal(compareVersions("2.0.1", "2.0.1"), 0);
  });

  it("orders the epoch first, then version, then release", () => {
    const p = (epoch: number, version: string, release: string) => ({ epoch, version, release });
    assert.equal(compareEvr(p(1, "1.0", "1"), p(0, "9.9", "9")), 1);
    assert.equal(compareEvr(p(0, "1.1", "1.fc44"), p(0, "1.0", "9.fc44")), 1);
    assert.equal(compareEvr(p(0, "1.0", "2.fc44"), p(0, "1.0", "10.fc44")), -1);
  });
});

describe("package identities and lists", () => {
  it("parses NEVRAs with and without an epoch, and names with dashes", () => {
    assert.deepEqual(parseNevra("fedora-release-standin-44-1.noarch"),
      { name: "fedora-release-standin", epoch: 0, version: "44", release: "1", arch: "noarch" });
    assert.deepEqual(parseNevra("openssl-libs-1:3.2.1-1.fc44.x86_64"),
      { name: "openssl-libs", epoch: 1, version: "3.2.1", release: "1.fc44", arch: "x86_64" });
    assert.equal(parseNevra("not a package"), undefined);
  });

  it("parses the recipe's package list, gpg-pubkey's arch included", () => {
    const list = parsePackageList("gpg-pubkey\t0\tf0866ef8\t6b11a552\t(none)\n" +
      "hello\t0\t1.0\t1.fc44\tnoarch\n", "packages.tsv");
    assert.deepEqual(list.map((p) => `${p.name}.${p.arch}`), ["gpg-pubkey.(none)",
      "hello.noarch"]);
  });

  it("rejects a malformed line, naming the list and the line", () => {
    assert.throws(() => parsePackageList("hello\t0\t1.0\t1.fc44\tnoarch\nbroken line\n",
      "img:packages.tsv"), /img:packages.tsv line 2 is not .*"broken line"/);
    assert.throws(() => parsePackageList("hello\tnone\t1.0\t1\tnoarch\n", "x"), /line 1/);
  });

  it("writes the list back in byte order, as LC_ALL=C sort does", () => {
    const list = parsePackageList("zlib\t0\t1\t1\tx86_64\nZZ\t0\t1\t1\tnoarch\n" +
      "hello\t0\t1.0\t1\tnoarch\n", "x");
    assert.equal(formatPackageList(list),
      "ZZ\t0\t1\t1\tnoarch\nhello\t0\t1.0\t1\tnoarch\nzlib\t0\t1\t1\tx86_64\n");
  });
});
