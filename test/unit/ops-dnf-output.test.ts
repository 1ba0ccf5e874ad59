import * as assert from "node:assert/strict";
import {
  checkUpdateExit,
  packageOfUrl,
  parseAdvisories,
  parseCheckUpdate,
  parseLocations,
} from "../../cli/ops/dnf-output";

// Outputs as dnf 4.23 printed them in the stand-in image (test/standin/README.md), and as
// dnf5's table layout prints them.
const CHECK_UPDATE = `
hello.noarch                         1.1-1.fc44                          updates
`;
const SECURITY_LIST = `Last metadata expiration check: 0:00:01 ago on Thu Dec  3 17:30:54 2026.
FEDORA-STANDIN-2026-0001 Important/Sec. hello-1.1-1.fc44.noarch
`;

describe("dnf output: check-update exit codes (C22)", () => {
  it("reads 0 as no updates", () => {
    assert.deepEqual(checkUpdateExit(0), { kind: "none" });
  });

  it("reads 100 as updates available", () => {
    assert.deepEqual(checkUpdateExit(100), { kind: "updates" });
  });

  it("reads 1 as an error, never as no updates", () => {
    assert.deepEqual(checkUpdateExit(1), { kind: "error", exitCode: 1 });
  });

  for (const code of [2, 99, 101, 127, 137, 255]) {
    it(`reads ${code} as an error`, () => {
      assert.equal(checkUpdateExit(code).kind, "error");
    });
  }
});

describe("dnf output: check-update lists", () => {
  it("reads name, arch, version and repo of each row", () => {
    assert.deepEqual(parseCheckUpdate(CHECK_UPDATE), [
      { name: "hello", arch: "noarch", evr: "1.1-1.fc44", repo: "updates" },
    ]);
  });

  it("joins a row dnf4 wrapped because the name is wider than its column", () => {
    const text = "\npython3-a-very-long-package-name-indeed.x86_64\n" +
      "                                   2:3.4.5-6.fc44                      updates\n" +
      "zlib.x86_64                         1.3-2.fc44                          updates\n";
    assert.deepEqual(parseCheckUpdate(text), [
      { name: "python3-a-very-long-package-name-indeed", arch: "x86_64", evr: "2:3.4.5-6.fc44",
        repo: "updates" },
      { name: "zlib", arch: "x86_64", evr: "1.3-2.fc44", repo: "updates" },
    ]);
  });

  it("stops at the obsoleting section and skips the metadata line", () => {
    const text = "Last metadata expiration check: 0:00:01 ago on Thu Dec  3 2026.\n\n" +
      "a.noarch 1-1 updates\nObsoleting Packages\nb.noarch 2-1 updates\n    c.noarch 1-1 @System\n";
    assert.deepEqual(parseCheckUpdate(text).map((u) => u.name), ["a"]);
  });

  it("lists nothing for an empty output", () => {
    assert.deepEqual(parseCheckUpdate(""), []);
  });
});

describe("dnf output: advisory lists", () => {
  it("reads dnf4's security list: id, severity and package", () => {
    const [row, ...rest] = parseAdvisories(SECURITY_LIST);
    assert.deepEqual(rest, []);
    assert.equal(row?.id, "FEDORA-STANDIN-2026-0001");
    assert.equal(row?.type, "security");
    assert.equal(row?.severity, "Important");
    assert.deepEqual(row?.package, { name: "hello", epoch: 0, version: "1.1", release: "1.fc44",
      arch: "noarch" });
    assert.equal(row?.installed, false);
  });

  it("reads dnf4's --all list with its installed marks and other types", () => {
    const rows = parseAdvisories("i FEDORA-2026-aa11 Moderate/Sec. curl-8.1-1.fc44.x86_64\n" +
      "  FEDORA-2026-bb22 bugfix      zlib-1.3-2.fc44.x86_64\n");
    assert.deepEqual(rows.map((r) => [r.id, r.type, r.severity, r.installed]), [
      ["FEDORA-2026-aa11", "security", "Moderate", true],
      ["FEDORA-2026-bb22", "bugfix", "", false],
    ]);
  });

  it("reads dnf5's table with type and severity columns and an issued date", () => {
    const text = "Name                     Type     Severity  Package                 Issued\n" +
      "FEDORA-2026-cc33         security Critical  openssl-1:3.2.1-1.fc44.x86_64 " +
      "2026-01-02 03:04:05\n";
    const [row] = parseAdvisories(text);
    assert.equal(row?.id, "FEDORA-2026-cc33");
    assert.equal(row?.type, "security");
    assert.equal(row?.severity, "Critical");
    assert.equal(row?.package.epoch, 1);
    assert.equal(row?.package.version, "3.2.1");
  });
});

describe("dnf output: package locations", () => {
  it("keeps only URLs from repoquery --location", () => {
    const text = "Last metadata expiration check: 0:01:55 ago on Thu Dec  3 2026.\n" +
      "http://127.0.0.1:8080/fedora/44/x86_64/Packages/h/hello-1.0-1.fc44.noarch.rpm\n";
    assert.deepEqual(parseLocations(text),
      ["http://127.0.0.1:8080/fedora/44/x86_64/Packages/h/hello-1.0-1.fc44.noarch.rpm"]);
  });

  it("names the package a download URL points at", () => {
    assert.deepEqual(packageOfUrl("https://m.example/Packages/g/glibc-2.40-3.fc44.x86_64.rpm"),
      { name: "glibc", epoch: 0, version: "2.40", release: "3.fc44", arch: "x86_64" });
    assert.equal(packageOfUrl("https://m.example/repodata/repomd.xml"), undefined);
  });
});
