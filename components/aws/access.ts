import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

import { parseCidr } from "../../stacks/aws-config";
import { builderPolicy, ec2TrustPolicy } from "./policies";
import { BUILDKIT_PORT } from "./scripts";

export const BUILDER_ACCESS_TYPE = "fedora-base:aws:BuilderAccess";

/** Ports the operators' CIDRs may reach: SSH (provisioning) and BuildKit (mutual TLS). */
export const INGRESS_PORTS = [22, BUILDKIT_PORT] as const;

/** Ports the builders may reach anywhere: the Fedora mirrors, ECR, the BuildKit release. */
export const EGRESS_PORTS = [80, 443] as const;

export interface BuilderAccessArgs {
  /** VPC of the builders' subnet, e.g. `vpc-0123456789abcdef0`. */
  vpcId: string;
  /** CIDRs allowed in (IPv4 or IPv6); a /0 is refused. At least one. */
  allowedCidrs: string[];
  /** ARNs of the repositories the builders may pull from and push to. */
  repositoryArns: pulumi.Input<string[]>;
}

/**
 * What the builders share: a security group open only to the configured CIDRs, and an instance
 * profile that may push and pull this stack's repositories and nothing else.
 */
export class BuilderAccess extends pulumi.ComponentResource {
  public readonly securityGroupId: pulumi.Output<string>;
  public readonly instanceProfileName: pulumi.Output<string>;
  public readonly roleArn: pulumi.Output<string>;

  constructor(name: string, args: BuilderAccessArgs, opts?: pulumi.ComponentResourceOptions) {
    const problems: string[] = [];
    if (args.allowedCidrs.length === 0) problems.push("allowedCidrs must not be empty, got []");
    for (const cidr of args.allowedCidrs) {
      const parsed = parseCidr(cidr);
      if (!parsed) problems.push(`allowedCidrs must hold CIDRs, got ${JSON.stringify(cidr)}`);
      else if (parsed.prefix === 0) {
        problems.push(
          `allowedCidrs must not open the builders to everyone, got ${JSON.stringify(cidr)}`,
        );
      }
    }
    if (problems.length > 0) {
      throw new Error(`BuilderAccess ${JSON.stringify(name)}: ${problems.join("; ")}`);
    }
    super(BUILDER_ACCESS_TYPE, name, {}, opts);

    const sg = new aws.ec2.SecurityGroup(
      `${name}-sg`,
      {
        vpcId: args.vpcId,
        description: "fedora-base BuildKit builders: SSH and mTLS BuildKit from allowed CIDRs",
        revokeRulesOnDelete: true,
      },
      { parent: this },
    );
    for (const cidr of [...args.allowedCidrs].sort()) {
      const v6 = parseCidr(cidr)?.family === 6;
      const slug = cidr.replace(/[^0-9a-fA-F]+/g, "-").replace(/-+$/, "");
      for (const port of INGRESS_PORTS) {
        new aws.vpc.SecurityGroupIngressRule(
          `${name}-in-${port}-${slug}`,
          {
            securityGroupId: sg.id,
            ipProtocol: "tcp",
            fromPort: port,
            toPort: port,
            ...(v6 ? { cidrIpv6: cidr } : { cidrIpv4: cidr }),
            description: port === 22 ? "SSH (provisioning)" : "BuildKit (mutual TLS)",
          },
          { parent: this },
        );
      }
    }
    for (const port of EGRESS_PORTS) {
      for (const [family, cidr] of [["v4", "0.0.0.0/0"], ["v6", "::/0"]] as const) {
        new aws.vpc.SecurityGroupEgressRule(
          `${name}-out-${port}-${family}`,
          {
            securityGroupId: sg.id,
            ipProtocol: "tcp",
            fromPort: port,
            toPort: port,
            ...(family === "v6" ? { cidrIpv6: cidr } : { cidrIpv4: cidr }),
            description: "Fedora mirrors, ECR, BuildKit release download",
          },
          { parent: this },
        );
      }
    }
    const role = new aws.iam.Role(
      `${name}-role`,
      {
        assumeRolePolicy: JSON.stringify(ec2TrustPolicy()),
        description: "fedora-base builders: push and pull this stack's repositories only",
      },
      { parent: this },
    );
    new aws.iam.RolePolicy(
      `${name}-ecr`,
      {
        role: role.id,
        policy: pulumi
          .output(args.repositoryArns)
          .apply((arns) => JSON.stringify(builderPolicy(arns))),
      },
      { parent: this },
    );
    const profile = new aws.iam.InstanceProfile(`${name}-profile`, { role: role.name }, {
      parent: this,
    });
    this.securityGroupId = sg.id;
    this.instanceProfileName = profile.name;
    this.roleArn = role.arn;

    this.registerOutputs({
      securityGroupId: this.securityGroupId,
      instanceProfileName: this.instanceProfileName,
      roleArn: this.roleArn,
    });
  }
}
