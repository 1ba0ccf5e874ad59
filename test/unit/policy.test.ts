import * as assert from "node:assert/strict";
import type { ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";

import {
  ec2Hardening,
  ecrRepositories,
  leastPrivilegeIam,
  noWorldIngress,
  POLICIES,
} from "../../policy/rules";
import { plain, runProdStack } from "./aws-stack.test";

/** The arguments CrossGuard passes a resource validation, for a resource's inputs. */
function resource(
  type: string,
  props: Record<string, unknown>,
  name = "r",
): ResourceValidationArgs {
  return {
    type,
    props,
    name,
    urn: `urn:pulumi:prod::fedora-base::${type}::${name}`,
    opts: { protect: false, ignoreChanges: [], aliases: [], additionalSecretOutputs: [],
      customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 } },
    stackTags: new Map(),
    isType: () => false,
    asType: () => undefined,
    getConfig: () => ({}),
    notApplicable: () => undefined,
  } as unknown as ResourceValidationArgs;
}

async function violations(policy: ResourceValidationPolicy, args: ResourceValidationArgs) {
  const found: string[] = [];
  const validations = policy.validateResource;
  for (const v of Array.isArray(validations) ? validations : [validations]) {
    await v?.(args, (message) => found.push(message));
  }
  return found;
}

const GOOD_INSTANCE = {
  metadataOptions: { httpTokens: "required" },
  rootBlockDevice: { encrypted: true, volumeType: "gp3" },
};

describe("policy pack", () => {
  it("passes every resource of the prod stack", async () => {
    const { rec } = await runProdStack();
    assert.ok(rec.registrations.length > 100);
    for (const r of rec.registrations) {
      for (const policy of POLICIES) {
        const args = resource(r.type, plain(r.inputs) as Record<string, unknown>, r.name);
        assert.deepEqual(await violations(policy, args), [], `${policy.name} on ${r.name}`);
      }
    }
  });

  it("is mandatory throughout", () => {
    assert.ok(POLICIES.every((p) => p.enforcementLevel === "mandatory"));
  });

  describe(ec2Hardening.name, () => {
    it("flags an instance that allows IMDSv1", async () => {
      const found = await violations(ec2Hardening, resource("aws:ec2/instance:Instance", {
        ...GOOD_INSTANCE, metadataOptions: { httpTokens: "optional" },
      }));
      assert.deepEqual(found, [
        'IMDSv2 must be required (metadataOptions.httpTokens: "required"), got "optional"',
      ]);
    });

    it("flags an unencrypted or non-gp3 root volume", async () => {
      const found = await violations(ec2Hardening, resource("aws:ec2/instance:Instance", {
        ...GOOD_INSTANCE, rootBlockDevice: { volumeType: "gp2" },
      }));
      assert.deepEqual(found, [
        "the root volume must be encrypted, got null",
        'the root volume must be gp3, got "gp2"',
      ]);
    });
  });

  describe(noWorldIngress.name, () => {
    for (const [type, props] of [
      ["aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", { cidrIpv4: "0.0.0.0/0" }],
      ["aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", { cidrIpv6: "::/0" }],
      ["aws:ec2/securityGroup:SecurityGroup", { ingress: [{ cidrBlocks: ["0.0.0.0/0"] }] }],
      ["aws:ec2/securityGroupRule:SecurityGroupRule",
        { type: "ingress", ipv6CidrBlocks: ["::/0"] }],
    ] as const) {
      it(`flags ${JSON.stringify(props)} on ${type.split(":")[1]}`, async () => {
        const found = await violations(noWorldIngress, resource(type, { ...props }));
        assert.equal(found.length, 1);
        assert.match(found[0] ?? "",
          /^ingress must come from named CIDRs only, got "(0\.0\.0\.0|::)\/0"$/);
      });
    }

    it("lets egress reach the world", async () => {
      const found = await violations(noWorldIngress, resource(
        "aws:ec2/securityGroupRule:SecurityGroupRule",
        { type: "egress", cidrBlocks: ["0.0.0.0/0"] },
      ));
      assert.deepEqual(found, []);
    });
  });

  describe(leastPrivilegeIam.name, () => {
    it("flags a wildcard resource for actions that can name their resources", async () => {
      const policy = JSON.stringify({ Statement: [
        { Effect: "Allow", Action: ["ecr:PutImage", "ecr:GetAuthorizationToken"], Resource: "*" },
      ] });
      const found = await violations(leastPrivilegeIam,
        resource("aws:iam/rolePolicy:RolePolicy", { policy }));
      assert.deepEqual(found, [
        '"Resource": "*" is allowed only for ecr:GetAuthorizationToken; name the resources ' +
          "for ecr:PutImage",
      ]);
    });

    it("flags action wildcards", async () => {
      const policy = JSON.stringify({ Statement: [
        { Effect: "Allow", Action: "ecr:*", Resource: "arn:aws:ecr:eu-west-1:1:repository/x" },
      ] });
      const found = await violations(leastPrivilegeIam,
        resource("aws:iam/policy:Policy", { policy }));
      assert.deepEqual(found, ['action wildcards are not allowed, got "ecr:*"']);
    });
  });

  describe(ecrRepositories.name, () => {
    const good = {
      imageTagMutability: "IMMUTABLE",
      imageScanningConfiguration: { scanOnPush: true },
      encryptionConfigurations: [{ encryptionType: "AES256" }],
      forceDelete: false,
    };

    it("flags mutable tags, wildcard exclusions, no scan, no encryption and forceDelete",
      async () => {
        const found = await violations(ecrRepositories, resource("aws:ecr/repository:Repository", {
          imageTagMutability: "MUTABLE",
          imageTagMutabilityExclusionFilters: [{ filter: "44*", filterType: "WILDCARD" }],
          forceDelete: true,
        }));
        assert.deepEqual(found, [
          'tags must be immutable, got imageTagMutability "MUTABLE"',
          'mutable tags must be excluded one exact tag each, got "44*"',
          "images must be scanned on push",
          "encryption must be configured (AES256 or KMS)",
          "forceDelete must stay false: it deletes every image",
        ]);
      });

    it("accepts exact moving-tag exclusions", async () => {
      const found = await violations(ecrRepositories, resource("aws:ecr/repository:Repository", {
        ...good,
        imageTagMutability: "IMMUTABLE_WITH_EXCLUSION",
        imageTagMutabilityExclusionFilters: [{ filter: "44", filterType: "WILDCARD" }],
      }));
      assert.deepEqual(found, []);
    });
  });
});
