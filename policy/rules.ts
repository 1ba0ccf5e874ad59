/**
 * The prod hardening rules as CrossGuard resource policies. Kept apart from the pack's entry
 * point (`index.ts`, which starts the analyzer server when loaded) so unit tests can call each
 * `validateResource` with plain arguments.
 */
import type {
  ReportViolation,
  ResourceValidationArgs,
  ResourceValidationPolicy,
} from "@pulumi/policy";

/** Actions AWS cannot scope to a resource, the only ones allowed with `"Resource": "*"`. */
export const UNSCOPABLE_ACTIONS = ["ecr:GetAuthorizationToken"];

const WORLD = new Set(["0.0.0.0/0", "::/0", "::0/0", "0::/0"]);

type Props = Record<string, unknown>;

/** Whether a CIDR opens a port to every address (any `/0`). */
export function isWorld(cidr: unknown): boolean {
  return typeof cidr === "string" && (WORLD.has(cidr.trim()) || /\/0$/.test(cidr.trim()));
}

function list(value: unknown): unknown[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}

function record(value: unknown): Props {
  const ok = typeof value === "object" && value !== null && !Array.isArray(value);
  return ok ? (value as Props) : {};
}

/** Parses a policy document given as JSON text or as an object; null when unreadable. */
export function policyDocument(value: unknown): { Statement?: unknown } | null {
  if (typeof value === "string") {
    try {
      return record(JSON.parse(value) as unknown);
    } catch {
      return null;
    }
  }
  return typeof value === "object" && value !== null ? record(value) : null;
}

function checkInstance(props: Props, report: ReportViolation): void {
  const metadata = record(props.metadataOptions);
  if (metadata.httpTokens !== "required") {
    report(`IMDSv2 must be required (metadataOptions.httpTokens: "required"), got ` +
      JSON.stringify(metadata.httpTokens ?? null));
  }
  const root = record(props.rootBlockDevice);
  if (root.encrypted !== true) {
    report(`the root volume must be encrypted, got ${JSON.stringify(root.encrypted ?? null)}`);
  }
  if (root.volumeType !== "gp3") {
    report(`the root volume must be gp3, got ${JSON.stringify(root.volumeType ?? null)}`);
  }
  for (const dev of list(props.ebsBlockDevices)) {
    if (record(dev).encrypted !== true) {
      report(`EBS volume ${JSON.stringify(record(dev).deviceName)} must be encrypted`);
    }
  }
}

/** IMDSv2 only, encrypted gp3 root and data volumes on every EC2 instance. */
export const ec2Hardening: ResourceValidationPolicy = {
  name: "fedora-base-ec2-hardening",
  description: "EC2 instances require IMDSv2 and encrypt their gp3 root and data volumes.",
  enforcementLevel: "mandatory",
  validateResource: (args: ResourceValidationArgs, report: ReportViolation) => {
    if (args.type === "aws:ec2/instance:Instance") checkInstance(args.props, report);
    if (args.type === "aws:ec2/launchTemplate:LaunchTemplate") {
      const metadata = record(args.props.metadataOptions);
      if (metadata.httpTokens !== "required") {
        report(`IMDSv2 must be required in launch templates, got ` +
          JSON.stringify(metadata.httpTokens ?? null));
      }
    }
  },
};

/** No ingress from the whole internet, in any of the ways a rule can be written. */
export const noWorldIngress: ResourceValidationPolicy = {
  name: "fedora-base-no-world-ingress",
  description: "No security group admits traffic from 0.0.0.0/0 or ::/0.",
  enforcementLevel: "mandatory",
  validateResource: (args: ResourceValidationArgs, report: ReportViolation) => {
    const p = args.props as Props;
    const cidrs: unknown[] = [];
    if (args.type === "aws:ec2/securityGroup:SecurityGroup") {
      for (const rule of list(p.ingress)) {
        cidrs.push(...list(record(rule).cidrBlocks), ...list(record(rule).ipv6CidrBlocks));
      }
    } else if (args.type === "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule") {
      cidrs.push(p.cidrIpv4, p.cidrIpv6);
    } else if (args.type === "aws:ec2/securityGroupRule:SecurityGroupRule") {
      if (p.type !== "ingress") return;
      cidrs.push(...list(p.cidrBlocks), ...list(p.ipv6CidrBlocks));
    }
    for (const c of cidrs.filter(isWorld)) {
      report(`ingress must come from named CIDRs only, got ${JSON.stringify(c)}`);
    }
  },
};

function checkStatements(doc: { Statement?: unknown }, report: ReportViolation): void {
  for (const s of list(doc.Statement)) {
    const st = record(s);
    if (st.Effect !== "Allow") continue;
    const actions = list(st.Action).map(String);
    const resources = list(st.Resource).map(String);
    for (const a of actions) {
      if (a === "*" || /^[a-z0-9-]+:\*$/.test(a)) {
        report(`action wildcards are not allowed, got ${JSON.stringify(a)}`);
      }
    }
    if (resources.includes("*")) {
      const scopable = actions.filter((a) => !UNSCOPABLE_ACTIONS.includes(a));
      if (scopable.length > 0) {
        report(`"Resource": "*" is allowed only for ${UNSCOPABLE_ACTIONS.join(", ")}; name the ` +
          `resources for ${scopable.join(", ")}`);
      }
    }
  }
}

/** Identity policies name their resources; `*` only where AWS allows nothing else. */
export const leastPrivilegeIam: ResourceValidationPolicy = {
  name: "fedora-base-least-privilege-iam",
  description: "IAM policies name their resources and use no action wildcards.",
  enforcementLevel: "mandatory",
  validateResource: (args: ResourceValidationArgs, report: ReportViolation) => {
    const types = [
      "aws:iam/rolePolicy:RolePolicy",
      "aws:iam/policy:Policy",
      "aws:iam/userPolicy:UserPolicy",
      "aws:iam/groupPolicy:GroupPolicy",
    ];
    if (!types.includes(args.type)) return;
    const doc = policyDocument(args.props.policy);
    if (!doc) report("the policy document must be readable JSON");
    else checkStatements(doc, report);
  },
};

/**
 * ECR: version tags immutable (only exact, wildcard-free exclusions), scan on push, encryption,
 * and never force-deleted with its images.
 */
export const ecrRepositories: ResourceValidationPolicy = {
  name: "fedora-base-ecr-repositories",
  description:
    "ECR repositories keep version tags immutable, scan on push and are never force-deleted.",
  enforcementLevel: "mandatory",
  validateResource: (args: ResourceValidationArgs, report: ReportViolation) => {
    if (args.type !== "aws:ecr/repository:Repository") return;
    const p = args.props as Props;
    const mutability = p.imageTagMutability;
    if (mutability !== "IMMUTABLE" && mutability !== "IMMUTABLE_WITH_EXCLUSION") {
      report(`tags must be immutable, got imageTagMutability ${JSON.stringify(mutability)}`);
    }
    for (const f of list(p.imageTagMutabilityExclusionFilters)) {
      const filter = record(f).filter;
      if (typeof filter !== "string" || filter.includes("*")) {
        report(`mutable tags must be excluded one exact tag each, got ${JSON.stringify(filter)}`);
      }
    }
    if (record(p.imageScanningConfiguration).scanOnPush !== true) {
      report("images must be scanned on push");
    }
    if (list(p.encryptionConfigurations).length === 0) {
      report("encryption must be configured (AES256 or KMS)");
    }
    if (p.forceDelete === true) report("forceDelete must stay false: it deletes every image");
  },
};

export const POLICIES: ResourceValidationPolicy[] = [
  ec2Hardening,
  noWorldIngress,
  leastPrivilegeIam,
  ecrRepositories,
];
