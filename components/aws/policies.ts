/**
 * The JSON documents of the prod stack: ECR lifecycle rules, the builders' IAM policy and the
 * repositories' pull policy. Pure functions, so the tests read exactly what AWS is sent.
 */

/** What a repository holds, as far as its tags and lifecycle go. */
export interface RepositorySpec {
  /** Repository name without the registry prefix, e.g. `fedora-base-x86_64`. */
  name: string;
  /** Moving tags the stack writes here (release numbers, e.g. `44`); mutable, exact match. */
  movingTags: string[];
  /**
   * Version tag prefixes, one per lifecycle group, e.g. `44-` (tags `44-<epoch>`) or
   * `44-x86_64-` (snapshot tags `44-x86_64-<epoch>`). Each keeps its newest N images.
   */
  versionPrefixes: string[];
}

/** Large enough that the rule never expires anything: it only shields what it selects. */
export const SHIELD_COUNT = 9999;

export interface LifecycleRule {
  rulePriority: number;
  description: string;
  selection: {
    tagStatus: "tagged";
    tagPrefixList?: string[];
    tagPatternList?: string[];
    countType: "imageCountMoreThan";
    countNumber: number;
  };
  action: { type: "expire" };
}

/**
 * Keeps the newest `keep` images per version prefix, and never expires an image a moving tag
 * points to. ECR evaluates rules by priority and an image selected by a higher-priority rule
 * cannot be expired by a lower one, so the moving tags get the first rules (with a count no
 * repository reaches). A pattern without `*` matches one tag exactly: `44` never matches
 * `44-1764720000`. There is deliberately no rule for untagged images: the children of a kept
 * multi-arch index are untagged manifests, and expiring them would break the index.
 */
export function lifecyclePolicy(spec: RepositorySpec, keep: number): { rules: LifecycleRule[] } {
  if (!Number.isSafeInteger(keep) || keep < 1) {
    throw new Error(`lifecycle keep must be a whole number >= 1, got ${JSON.stringify(keep)}`);
  }
  const rules: LifecycleRule[] = [];
  for (const tag of [...new Set(spec.movingTags)].sort()) {
    if (!/^[A-Za-z0-9_.-]+$/.test(tag)) {
      throw new Error(
        `moving tag must be an exact tag without wildcards, got ${JSON.stringify(tag)}`,
      );
    }
    rules.push({
      rulePriority: rules.length + 1,
      description: `Never expire the image the moving tag ${tag} points to`,
      selection: {
        tagStatus: "tagged",
        tagPatternList: [tag],
        countType: "imageCountMoreThan",
        countNumber: SHIELD_COUNT,
      },
      action: { type: "expire" },
    });
  }
  for (const prefix of [...new Set(spec.versionPrefixes)].sort()) {
    rules.push({
      rulePriority: rules.length + 1,
      description: `Keep the newest ${keep} images tagged ${prefix}*`,
      selection: {
        tagStatus: "tagged",
        tagPrefixList: [prefix],
        countType: "imageCountMoreThan",
        countNumber: keep,
      },
      action: { type: "expire" },
    });
  }
  return { rules };
}

/** The exclusion filters that leave exactly the moving tags mutable. */
export function mutabilityExclusions(
  spec: RepositorySpec,
): { filter: string; filterType: "WILDCARD" }[] {
  return [...new Set(spec.movingTags)].sort().map((filter) => ({ filter, filterType: "WILDCARD" }));
}

/** ECR actions a builder host needs to pull and push, on named repositories only. */
export const PULL_ACTIONS = [
  "ecr:BatchCheckLayerAvailability",
  "ecr:BatchGetImage",
  "ecr:GetDownloadUrlForLayer",
] as const;
export const PUSH_ACTIONS = [
  "ecr:CompleteLayerUpload",
  "ecr:InitiateLayerUpload",
  "ecr:PutImage",
  "ecr:UploadLayerPart",
] as const;

/**
 * Actions AWS does not let a policy scope to a resource: the only ones the policy checks allow
 * with `"Resource": "*"`.
 */
export const UNSCOPABLE_ACTIONS = ["ecr:GetAuthorizationToken"] as const;

export interface PolicyStatement {
  Sid: string;
  Effect: "Allow";
  Action: string[];
  Resource?: string | string[];
  Principal?: unknown;
  Condition?: unknown;
}

export interface PolicyDocument {
  Version: "2012-10-17";
  Statement: PolicyStatement[];
}

/** The builder hosts' policy: push and pull on this stack's repositories, by ARN. */
export function builderPolicy(repositoryArns: string[]): PolicyDocument {
  if (repositoryArns.length === 0) {
    throw new Error("builder policy needs at least one repository ARN, got []");
  }
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "PullPushProjectRepositories",
        Effect: "Allow",
        Action: [...PULL_ACTIONS, ...PUSH_ACTIONS],
        Resource: [...repositoryArns].sort(),
      },
      {
        Sid: "RegistryLogin",
        Effect: "Allow",
        Action: [...UNSCOPABLE_ACTIONS],
        Resource: "*",
      },
    ],
  };
}

/** Trust policy of the builders' role: EC2 only. */
export function ec2TrustPolicy(): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "Ec2AssumesBuilderRole",
        Effect: "Allow",
        Action: ["sts:AssumeRole"],
        Principal: { Service: "ec2.amazonaws.com" },
      },
    ],
  };
}

/** AWS partition of a region: `aws`, `aws-us-gov`, `aws-cn`. */
export function partitionOf(region: string): string {
  if (region.startsWith("us-gov-")) return "aws-us-gov";
  if (region.startsWith("cn-")) return "aws-cn";
  return "aws";
}

/**
 * Pull-only access for consumers: named accounts, and/or every account of an organisation.
 * Undefined when nobody else may pull.
 */
export function pullPolicy(
  partition: string,
  accounts: string[],
  organizationId?: string,
): PolicyDocument | undefined {
  const statements: PolicyStatement[] = [];
  if (accounts.length > 0) {
    statements.push({
      Sid: "PullFromAccounts",
      Effect: "Allow",
      Principal: { AWS: [...accounts].sort().map((a) => `arn:${partition}:iam::${a}:root`) },
      Action: [...PULL_ACTIONS],
    });
  }
  if (organizationId) {
    statements.push({
      Sid: "PullFromOrganization",
      Effect: "Allow",
      Principal: "*",
      Action: [...PULL_ACTIONS],
      Condition: { StringEquals: { "aws:PrincipalOrgID": organizationId } },
    });
  }
  return statements.length > 0 ? { Version: "2012-10-17", Statement: statements } : undefined;
}
