import * as assert from "node:assert/strict";

import { parseAwsConfig, parseCidr } from "../../stacks/aws-config";
import { ConfigError, parseStackConfig } from "../../stacks/config";
import { PROD_NOW, prodConfig } from "./aws-stack.test";

function parseProd(edit: (aws: Record<string, unknown>, raw: Record<string, unknown>) => void) {
  const raw = prodConfig();
  edit(raw.aws as Record<string, unknown>, raw);
  return parseAwsConfig(parseStackConfig(raw, PROD_NOW).config);
}

function problems(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  assert.fail("expected a ConfigError");
}

describe("aws stack configuration", () => {
  it("reads Pulumi.prod.yaml with defaults filled in and lists sorted", () => {
    const aws = parseProd(() => undefined);
    assert.equal(aws.registryHost, "123456789012.dkr.ecr.eu-west-1.amazonaws.com");
    assert.equal(aws.repositoryPrefix, "fedora-base");
    assert.deepEqual(aws.allowedCidrs,
      ["198.51.100.16/28", "2001:db8:4400::/48", "203.0.113.0/24"]);
    assert.equal(aws.builders.aarch64?.instanceType, "c7g.2xlarge");
    assert.equal(aws.state, "running");
    assert.equal(aws.keepEpochs, 5);
    assert.equal(aws.spot, false);
  });

  it("defaults the instance types to c7i.2xlarge and its Graviton counterpart c7g.2xlarge", () => {
    const aws = parseProd((a) => {
      const b = a.builders as Record<string, Record<string, unknown>>;
      delete b.x86_64!.instanceType;
      delete b.aarch64!.instanceType;
      delete b.aarch64!.rootVolumeGiB;
    });
    assert.equal(aws.builders.x86_64?.instanceType, "c7i.2xlarge");
    assert.equal(aws.builders.aarch64?.instanceType, "c7g.2xlarge");
    assert.equal(aws.builders.aarch64?.rootVolumeGiB, 100);
  });

  for (const world of ["0.0.0.0/0", "::/0", "::0/0"]) {
    it(`refuses ${world} in allowedCidrs, naming the key and the value`, () => {
      const found = problems(() => parseProd((a) => {
        a.allowedCidrs = ["203.0.113.0/24", world];
      }));
      assert.deepEqual(found, [
        `fedora-base:aws.allowedCidrs must not open the builders to the whole internet, ` +
          `got ${JSON.stringify(world)}`,
      ]);
    });
  }

  it("requires at least one allowed CIDR", () => {
    const found = problems(() => parseProd((a) => { delete a.allowedCidrs; }));
    assert.match(found[0] ?? "", /^fedora-base:aws\.allowedCidrs is required/);
  });

  it("requires the AMI pinned for every architecture, naming the command that sets it", () => {
    const found = problems(() => parseProd((a) => {
      delete (a.builders as Record<string, Record<string, unknown>>).aarch64!.ami;
    }));
    assert.deepEqual(found, [
      "fedora-base:aws.builders.aarch64.ami is required (an AMI id like ami-0123456789abcdef0)",
    ]);
  });

  it("rejects a registry outside the configured account and region", () => {
    const found = problems(() => parseProd((_a, raw) => {
      raw.registry = "210987654321.dkr.ecr.eu-west-1.amazonaws.com/fedora-base";
    }));
    assert.deepEqual(found, [
      "fedora-base:registry must be the ECR registry of aws.accountId in aws.region " +
        "(123456789012.dkr.ecr.eu-west-1.amazonaws.com/<prefix>), " +
        'got "210987654321.dkr.ecr.eu-west-1.amazonaws.com/fedora-base"',
    ]);
  });

  it("lists every problem at once, each with its key and value", () => {
    const found = problems(() => parseProd((a) => {
      a.region = "Europe";
      a.state = "paused";
      a.keepEpochs = 0;
      a.surprise = true;
    }));
    assert.deepEqual(found.sort(), [
      "fedora-base:aws.keepEpochs must be a whole number 1-1000, got 0",
      'fedora-base:aws.region must be an AWS region like eu-west-1, got "Europe"',
      'fedora-base:aws.state must be one of running, stopped, got "paused"',
      "fedora-base:aws.surprise is not a known setting (known: region, accountId, vpcId, " +
        "subnetId, publicIp, allowedCidrs, builders, spot, state, keepEpochs, kmsKeyArn, " +
        "pullAccounts, pullOrganizationId, ssmPrefix), got true",
    ]);
  });

  it("rejects a BuildKit tarball digest that is not 64 hex", () => {
    const found = problems(() => parseProd((a) => {
      (a.builders as Record<string, Record<string, unknown>>).x86_64!.buildkitSha256 = "abc";
    }));
    assert.match(found[0] ?? "",
      /^fedora-base:aws\.builders\.x86_64\.buildkitSha256 must be .*got "abc"$/);
  });

  describe("parseCidr", () => {
    it("reads IPv4 and IPv6 prefixes and refuses malformed ones", () => {
      assert.deepEqual(parseCidr("203.0.113.0/24"), { family: 4, prefix: 24 });
      assert.deepEqual(parseCidr("2001:db8::/32"), { family: 6, prefix: 32 });
      assert.equal(parseCidr("203.0.113.0/33"), null);
      assert.equal(parseCidr("256.0.0.0/8"), null);
      assert.equal(parseCidr("example.com/8"), null);
    });
  });
});
