import * as assert from "node:assert/strict";
import { buildxArgs } from "../../cli/buildx";
import { regctlHostFlags } from "../../cli/regctl";
import { namespaceValues } from "../../cli/stack";

describe("buildxArgs", () => {
  const request = {
    target: "export-new" as const,
    architecture: "aarch64" as const,
    buildArgs: { FEDORA_BASE_REPOS: "fedora=http://127.0.0.1:8080/f/", BASE_IMAGE: "b@sha256:1" },
    dest: "/tmp/out/export",
  };

  it("builds uncached on the stack's builder and network, for the architecture's platform", () => {
    const args = buildxArgs({ name: "fb-local", network: "host" }, "/repo/recipe", request);
    assert.deepEqual(args, [
      "buildx", "build",
      "--builder", "fb-local",
      "--platform", "linux/arm64",
      "--no-cache",
      "--network", "host",
      "--allow", "network.host",
      "--provenance=false",
      "--sbom=false",
      "--progress", "plain",
      "--build-arg", "BASE_IMAGE=b@sha256:1",
      "--build-arg", "FEDORA_BASE_REPOS=fedora=http://127.0.0.1:8080/f/",
      "--file", "/repo/recipe/snapshot/Containerfile",
      "--target", "export-new",
      "--output", "type=local,dest=/tmp/out/export",
      "/repo/recipe",
    ]);
  });

  it("asks for no host network entitlement on the default network", () => {
    const args = buildxArgs({ name: "fb", network: "default" }, "/r", request);
    assert.ok(!args.includes("--allow"));
    assert.equal(args[args.indexOf("--network") + 1], "default");
  });

  it("refuses an export directory that would break the --output value", () => {
    assert.throws(() => buildxArgs({ name: "fb", network: "default" }, "/r",
      { ...request, dest: "/tmp/a,b" }), /\/tmp\/a,b must not contain a comma/);
  });
});

describe("regctlHostFlags", () => {
  it("sets the asked TLS mode once per registry host, and nothing for a layout", () => {
    assert.deepEqual(regctlHostFlags(
      "disabled",
      "127.0.0.1:5000/fedora-base/dnf-snapshot:44-x86_64-1",
      "127.0.0.1:5000/fedora-base/fedora-base-x86_64@sha256:00",
      "localhost:5001/x:y",
      "ocidir:///tmp/layout:t",
    ), ["--host", "reg=127.0.0.1:5000,tls=disabled", "--host", "reg=localhost:5001,tls=disabled"]);
  });

  it("leaves TLS to regctl's configuration unless asked, loopback registries included", () => {
    assert.deepEqual(regctlHostFlags(undefined, "127.0.0.1:5000/fedora-base/x:y"), []);
  });
});

describe("namespaceValues", () => {
  it("keeps the fedora-base keys without prefix, with maps and lists parsed", () => {
    const releases = { "44": { epoch: 1764720000 } };
    assert.deepEqual(namespaceValues({
      "aws:region": { value: "eu-west-1" },
      "fedora-base:registry": { value: "127.0.0.1:5000/fedora-base" },
      "fedora-base:releases": { value: JSON.stringify(releases), objectValue: releases },
      "fedora-base:architectures": { value: '["x86_64"]' },
    }), {
      architectures: ["x86_64"],
      registry: "127.0.0.1:5000/fedora-base",
      releases,
    });
  });
});
