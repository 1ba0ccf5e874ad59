import * as assert from "node:assert/strict";

import {
  builderPolicy,
  lifecyclePolicy,
  mutabilityExclusions,
  pullPolicy,
  SHIELD_COUNT,
} from "../../components/aws/policies";
import { repositorySpecs } from "../../stacks/aws";
import { parseStackConfig } from "../../stacks/config";
import { PROD_NOW, prodConfig } from "./aws-stack.test";

/** What ECR would keep, following its documented rules, for images pushed oldest first. */
function survivors(policy: ReturnType<typeof lifecyclePolicy>, images: string[][]): string[][] {
  const claimed = new Set<number>();
  const expired = new Set<number>();
  for (const rule of [...policy.rules].sort((a, b) => a.rulePriority - b.rulePriority)) {
    const s = rule.selection;
    const matches = (tags: string[]) =>
      tags.some((t) => (s.tagPatternList ?? []).includes(t)) ||
      tags.some((t) => (s.tagPrefixList ?? []).some((p) => t.startsWith(p)));
    const selected = images.map((tags, i) => [tags, i] as const).filter(([t]) => matches(t));
    // Newest first; an image claimed by a higher-priority rule is never expired by this one.
    const newestFirst = [...selected].reverse();
    newestFirst.forEach(([, i], rank) => {
      if (!claimed.has(i) && rank >= s.countNumber) expired.add(i);
    });
    for (const [, i] of selected) claimed.add(i);
  }
  return images.filter((_, i) => !expired.has(i));
}

describe("ECR lifecycle policy", () => {
  const index = { name: "fedora-base", movingTags: ["44", "45"], versionPrefixes: ["44-", "45-"] };

  it("shields the moving tags first, exactly, then keeps N per release", () => {
    assert.deepEqual(lifecyclePolicy(index, 3), {
      rules: [
        {
          rulePriority: 1,
          description: "Never expire the image the moving tag 44 points to",
          selection: {
            tagStatus: "tagged",
            tagPatternList: ["44"],
            countType: "imageCountMoreThan",
            countNumber: SHIELD_COUNT,
          },
          action: { type: "expire" },
        },
        {
          rulePriority: 2,
          description: "Never expire the image the moving tag 45 points to",
          selection: {
            tagStatus: "tagged",
            tagPatternList: ["45"],
            countType: "imageCountMoreThan",
            countNumber: SHIELD_COUNT,
          },
          action: { type: "expire" },
        },
        {
          rulePriority: 3,
          description: "Keep the newest 3 images tagged 44-*",
          selection: {
            tagStatus: "tagged",
            tagPrefixList: ["44-"],
            countType: "imageCountMoreThan",
            countNumber: 3,
          },
          action: { type: "expire" },
        },
        {
          rulePriority: 4,
          description: "Keep the newest 3 images tagged 45-*",
          selection: {
            tagStatus: "tagged",
            tagPrefixList: ["45-"],
            countType: "imageCountMoreThan",
            countNumber: 3,
          },
          action: { type: "expire" },
        },
      ],
    });
  });

  it("has no rule for untagged images (children of kept indexes are untagged)", () => {
    const policy = lifecyclePolicy(index, 3);
    assert.ok(policy.rules.every((r) => r.selection.tagStatus === "tagged"));
  });

  it("keeps the newest N epochs and the image a rolled-back moving tag points to", () => {
    const pushed = [
      ["44-1", "44"], // rolled back to: the moving tag still points here
      ["44-2"], ["44-3"], ["44-4"], ["44-5"],
      ["45-1"],
    ];
    assert.deepEqual(survivors(lifecyclePolicy(index, 2), pushed), [
      ["44-1", "44"], ["44-4"], ["44-5"], ["45-1"],
    ]);
  });

  it("never lets a moving tag's pattern match a version tag", () => {
    for (const rule of lifecyclePolicy(index, 5).rules) {
      for (const p of rule.selection.tagPatternList ?? []) assert.ok(!p.includes("*"), p);
    }
    assert.deepEqual(survivors(lifecyclePolicy(index, 1), [["44-1"], ["44-2"]]), [["44-2"]]);
  });

  it("refuses a moving tag with a wildcard and a count below one", () => {
    assert.throws(() => lifecyclePolicy({ ...index, movingTags: ["44*"] }, 3),
      /moving tag must be an exact tag without wildcards, got "44\*"/);
    assert.throws(() => lifecyclePolicy(index, 0), /keep must be a whole number >= 1, got 0/);
  });

  it("makes only the exact moving tags mutable", () => {
    assert.deepEqual(mutabilityExclusions(index), [
      { filter: "44", filterType: "WILDCARD" },
      { filter: "45", filterType: "WILDCARD" },
    ]);
  });

  it("groups each repository of the prod stack by its tag scheme", () => {
    const specs = repositorySpecs(parseStackConfig(prodConfig(), PROD_NOW).config);
    assert.deepEqual(specs, [
      {
        name: "fedora-base",
        movingTags: ["43", "44", "45"],
        versionPrefixes: ["43-", "44-", "45-"],
      },
      {
        name: "dnf-snapshot",
        movingTags: [],
        versionPrefixes: [
          "43-x86_64-", "43-aarch64-", "44-x86_64-", "44-aarch64-", "45-x86_64-", "45-aarch64-",
        ],
      },
      { name: "fedora-base-x86_64", movingTags: [], versionPrefixes: ["43-", "44-", "45-"] },
      { name: "fedora-base-aarch64", movingTags: [], versionPrefixes: ["43-", "44-", "45-"] },
    ]);
  });
});

describe("IAM and repository policies", () => {
  it("scopes push and pull to the named repositories; only the token is unscoped", () => {
    const doc = builderPolicy(["arn:aws:ecr:eu-west-1:123456789012:repository/b",
      "arn:aws:ecr:eu-west-1:123456789012:repository/a"]);
    assert.deepEqual(doc.Statement[0]?.Resource, [
      "arn:aws:ecr:eu-west-1:123456789012:repository/a",
      "arn:aws:ecr:eu-west-1:123456789012:repository/b",
    ]);
    assert.deepEqual(doc.Statement[1], {
      Sid: "RegistryLogin", Effect: "Allow", Action: ["ecr:GetAuthorizationToken"], Resource: "*",
    });
    assert.throws(() => builderPolicy([]), /at least one repository ARN/);
  });

  it("grants pull only, to named accounts and to an organisation", () => {
    const doc = pullPolicy("aws", ["222222222222", "111111111111"], "o-a1b2c3d4e5");
    assert.deepEqual(doc?.Statement.map((s) => s.Principal), [
      { AWS: ["arn:aws:iam::111111111111:root", "arn:aws:iam::222222222222:root"] },
      "*",
    ]);
    for (const s of doc?.Statement ?? []) {
      assert.deepEqual(s.Action, [
        "ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer",
      ]);
    }
    assert.equal(pullPolicy("aws", []), undefined);
  });
});
