import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

import {
  buildkitdToml,
  installBuildkitScript,
  installTlsScript,
  loginScript,
  readinessScript,
  registrationScript,
} from "../../components/aws/scripts";

/** A directory of stand-in tools, put first on PATH; each is a small sh script. */
function standIns(tools: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fedora-base-stubs-"));
  for (const [name, body] of Object.entries(tools)) {
    fs.writeFileSync(path.join(dir, name), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  }
  return dir;
}

function runSh(script: string, bin: string, env: Record<string, string>, cwd?: string) {
  return spawnSync("sh", ["-c", script], {
    cwd,
    encoding: "utf8",
    env: { ...process.env, ...env, PATH: `${bin}:${process.env.PATH ?? ""}` },
  });
}

describe("builder scripts", () => {
  it("are valid POSIX sh", () => {
    for (const script of [
      installTlsScript(),
      readinessScript("v0.34.2", "x86_64"),
      registrationScript(),
      loginScript(),
      installBuildkitScript("v0.34.2", "aarch64", "0".repeat(64)),
    ]) {
      const r = spawnSync("sh", ["-n", "-c", script], { encoding: "utf8" });
      assert.equal(r.status, 0, r.stderr);
    }
  });

  it("configure BuildKit with mutual TLS on TCP and a host-network entitlement only on request",
    () => {
      const toml = buildkitdToml({ registryHost: "r.example", hostNetwork: false });
      assert.match(toml, /\[grpc\.tls\]\n {2}cert = "[^"]+"\n {2}key = "[^"]+"\n {2}ca = "[^"]+"/);
      assert.ok(!toml.includes("network.host"));
      assert.ok(buildkitdToml({ registryHost: "r.example", hostNetwork: true })
        .includes('insecure-entitlements = ["network.host"]'));
    });

  describe("TLS install", () => {
    it("splits the PEM bundle into CA, certificate and key, then restarts BuildKit", () => {
      const out = fs.mkdtempSync(path.join(os.tmpdir(), "fedora-base-tls-"));
      // sudo logs what it is asked and copies installed files into `out` instead of /etc.
      const bin = standIns({
        "cloud-init": "exit 0",
        sudo: [
          'echo "$*" >> "$OUT/sudo.log"',
          'if [ "$1" = install ] && [ "$2" = -m ]; then cp "$4" "$OUT/$(basename "$5")"; fi',
        ].join("\n"),
      });
      const pem = (kind: string, body: string) =>
        `-----BEGIN ${kind}-----\n${body}\n-----END ${kind}-----\n`;
      const r = spawnSync("sh", ["-c", installTlsScript()], {
        encoding: "utf8",
        input: pem("CERTIFICATE", "ca") + pem("CERTIFICATE", "server") + pem("PRIVATE KEY", "key"),
        env: { ...process.env, OUT: out, PATH: `${bin}:${process.env.PATH ?? ""}` },
      });
      assert.equal(r.status, 0, r.stderr);
      assert.equal(fs.readFileSync(path.join(out, "ca.pem"), "utf8"), pem("CERTIFICATE", "ca"));
      assert.equal(fs.readFileSync(path.join(out, "cert.pem"), "utf8"),
        pem("CERTIFICATE", "server"));
      assert.equal(fs.readFileSync(path.join(out, "key.pem"), "utf8"), pem("PRIVATE KEY", "key"));
      const log = fs.readFileSync(path.join(out, "sudo.log"), "utf8").split("\n");
      assert.ok(log.some((l) => /^install -m 0600 \S+\/3\.pem \/etc\/buildkit\/tls\/key\.pem$/.test(l)));
      assert.deepEqual(log.slice(-3), [
        "systemctl enable buildkit.service", "systemctl restart buildkit.service", "",
      ]);
    });

    it("refuses a bundle without the key", () => {
      const bin = standIns({ "cloud-init": "exit 0", sudo: "exit 0" });
      const r = spawnSync("sh", ["-c", installTlsScript()], {
        encoding: "utf8",
        input: "-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n",
        env: { ...process.env, PATH: `${bin}:${process.env.PATH ?? ""}` },
      });
      assert.equal(r.status, 1);
      assert.match(r.stderr, /TLS bundle: part 2 missing/);
    });
  });

  describe("readiness", () => {
    const bin = standIns({
      "cloud-init": "exit 0",
      sudo: 'exec "$@"',
      buildctl: 'echo "$STUB_VERSION"',
    });

    it("reports ready when BuildKit answers with the declared version", () => {
      const r = runSh(readinessScript("v0.34.2", "aarch64", 1), bin, { STUB_VERSION: "v0.34.2" });
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout, "aarch64 builder ready: BuildKit v0.34.2\n");
    });

    it("fails naming both versions when the builder runs another BuildKit", () => {
      const r = runSh(readinessScript("v0.34.2", "x86_64", 1), bin, { STUB_VERSION: "v0.33.1" });
      assert.equal(r.status, 1);
      assert.equal(r.stderr,
        "builder.buildkitVersion: declared v0.34.2, but the x86_64 builder runs " +
          "BuildKit v0.33.1\n");
    });

    it("fails when cloud-init failed", () => {
      const failing = standIns({ "cloud-init": "exit 1", sudo: 'exec "$@"', buildctl: "exit 0" });
      const r = runSh(readinessScript("v0.34.2", "x86_64", 1), failing, {});
      assert.equal(r.status, 1);
      assert.match(r.stderr, /cloud-init failed on the x86_64 builder \(status 1\)/);
    });
  });

  describe("registration", () => {
    // A stand-in `docker buildx` that keeps a one-file store and logs each call.
    const bin = standIns({
      docker: [
        'echo "$*" >> "$PWD/calls.log"',
        'case "$2" in',
        '  inspect)',
        '    if [ "$3" = "--bootstrap" ]; then',
        '      printf "Name: %s\\nDriver: remote\\n\\nNodes:\\n" "$4"',
        '      printf "Name: %s-other\\nBuildKit version: v9.9.9\\n" "$4"',
        '      printf "Name: %s\\nEndpoint: %s\\nBuildKit version: %s\\n" "$NODE" "$ENDPOINT" \\',
        '        "$STUB_VERSION"',
        "      exit 0",
        "    fi",
        '    [ -f "$PWD/store" ] ;;',
        '  create) touch "$PWD/store" ;;',
        "esac",
      ].join("\n"),
    });
    const env = {
      BUILDX_CONFIG: ".buildx",
      BUILDER: "fedora-base-prod",
      NODE: "fedora-base-prod-x86_64",
      PLATFORM: "linux/amd64",
      ENDPOINT: "tcp://198.51.100.7:1234",
      SERVER_NAME: "buildkitd.fedora-base.invalid",
      DECLARED: "v0.34.2",
      TLS_CA: "CA PEM",
      TLS_CERT: "CERT PEM",
      TLS_KEY: "KEY PEM",
    };

    it("creates the builder once, then updates its node in place, idempotently", () => {
      const cwd = fs.mkdtempSync(path.join(os.tmpdir(), "fedora-base-project-"));
      const first = runSh(registrationScript(), bin, { ...env, STUB_VERSION: "v0.34.2" }, cwd);
      assert.equal(first.status, 0, first.stderr);
      const second = runSh(registrationScript(), bin, { ...env, STUB_VERSION: "v0.34.2" }, cwd);
      assert.equal(second.status, 0, second.stderr);
      assert.equal(second.stdout,
        "registered fedora-base-prod-x86_64 in fedora-base-prod (BuildKit v0.34.2)\n");
      const creates = fs.readFileSync(path.join(cwd, "calls.log"), "utf8").split("\n")
        .filter((l) => l.startsWith("buildx create"));
      const certs = path.join(cwd, ".buildx", "fedora-base", "fedora-base-prod-x86_64");
      const opts = `cacert=${certs}/ca.pem,cert=${certs}/cert.pem,key=${certs}/key.pem,` +
        "servername=buildkitd.fedora-base.invalid";
      assert.deepEqual(creates, [
        "buildx create --name fedora-base-prod --node fedora-base-prod-x86_64 --platform " +
          `linux/amd64 --driver remote --driver-opt ${opts} tcp://198.51.100.7:1234`,
        "buildx create --name fedora-base-prod --node fedora-base-prod-x86_64 --platform " +
          `linux/amd64 --driver remote --driver-opt ${opts} --append tcp://198.51.100.7:1234`,
      ]);
      assert.equal(fs.readFileSync(path.join(certs, "key.pem"), "utf8"), "KEY PEM\n");
      assert.equal(fs.statSync(path.join(certs, "key.pem")).mode & 0o777, 0o600);
    });

    it("fails naming both versions when the node reports another BuildKit", () => {
      const cwd = fs.mkdtempSync(path.join(os.tmpdir(), "fedora-base-project-"));
      const r = runSh(registrationScript(), bin, { ...env, STUB_VERSION: "v0.35.0" }, cwd);
      assert.equal(r.status, 1);
      assert.equal(r.stderr, "builder.buildkitVersion: declared v0.34.2, but buildx node " +
        "fedora-base-prod-x86_64 of builder fedora-base-prod runs BuildKit v0.35.0\n");
    });
  });
});
