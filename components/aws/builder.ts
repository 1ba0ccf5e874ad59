import * as aws from "@pulumi/aws";
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";

import type { InstanceState } from "../../stacks/aws-config";
import { PLATFORMS, type Architecture, type BuildNetwork } from "../../stacks/config";
import type { ImageBuilder } from "../builder";
import {
  BUILDKIT_PORT,
  BUILDKIT_SERVER_NAME,
  BUILDX_CONFIG_DIR,
  installTlsScript,
  readinessScript,
  registrationScript,
  SSH_USER,
  userData,
} from "./scripts";
import type { BuilderTls } from "./tls";

export const AWS_BUILDER_TYPE = "fedora-base:aws:Builder";

export interface AwsBuilderArgs {
  /** The one architecture this host builds natively: `x86_64` or `aarch64`. */
  architecture: Architecture;
  /** Name of the shared buildx builder on the operator's machine; stable across instances. */
  builderName: string;
  /** BuildKit release installed and required, e.g. `v0.34.2`. A determinant of every image. */
  buildkitVersion: string;
  /** sha256 (64 hex) of that release's tarball for this architecture. */
  buildkitSha256: string;
  /** Network mode of build steps; `host` also grants BuildKit the `network.host` entitlement. */
  network: BuildNetwork;
  /** EC2 instance type, e.g. `c7i.2xlarge` (x86_64) or `c7g.2xlarge` (aarch64). */
  instanceType: string;
  /** AMI id, pinned in config (Amazon Linux 2023 for the architecture). */
  ami: string;
  /** Encrypted gp3 root volume size, GiB. */
  rootVolumeGiB: number;
  /** KMS key for the root volume; the account's default EBS key when absent. */
  kmsKeyArn?: string;
  /** Persistent spot instance that stops (not terminates) on interruption. Default false. */
  spot?: boolean;
  /** `running` (default) or `stopped`: a stopped builder costs only its volume and address. */
  state?: InstanceState;
  /** Subnet to launch in. */
  subnetId: string;
  /** Give the builder an Elastic IP (true, default) or use its private IP (VPN, peering). */
  publicIp?: boolean;
  /** Security group that admits only the operators' CIDRs. */
  securityGroupId: pulumi.Input<string>;
  /** Instance profile with push and pull on the stack's repositories. */
  instanceProfileName: pulumi.Input<string>;
  /** Mutual-TLS material shared by the builders and the buildx client. */
  tls: BuilderTls;
  /** ECR registry host the builder's `REGISTRY_ALIAS` mirror points to. */
  registryHost: string;
  /**
   * Values that must resolve before the node registers, e.g. the registry login or a previous
   * builder's registration (registrations into one buildx store run one at a time).
   */
  after?: pulumi.Input<string>[];
}

/**
 * One native BuildKit builder on EC2, for one architecture: IMDSv2 only, encrypted root, reached
 * over mutual TLS, checked ready at the declared BuildKit version, and registered as the
 * `<builder>-<arch>` node of the shared buildx builder. Nothing about the instance (id, IP, size,
 * AMI) reaches an image input: images see only the builder name, the network mode and the
 * BuildKit version.
 */
export class AwsBuilder extends pulumi.ComponentResource implements ImageBuilder {
  public readonly builderName: string;
  public readonly buildkitVersion: string;
  public readonly network: BuildNetwork;
  public readonly architectures: readonly Architecture[];
  public readonly ready: pulumi.Resource[];
  /** `tcp://<ip>:1234`, as registered in buildx. */
  public readonly endpoint: pulumi.Output<string>;
  public readonly instanceId: pulumi.Output<string>;
  /** The node's registration line: `registered <node> in <builder> (BuildKit <version>)`. */
  public readonly registration: pulumi.Output<string>;

  constructor(name: string, args: AwsBuilderArgs, opts?: pulumi.ComponentResourceOptions) {
    const problems: string[] = [];
    const bad = (arg: string, what: string, value: unknown) =>
      problems.push(`${arg} must be ${what}, got ${JSON.stringify(value)}`);
    if (!(args.architecture in PLATFORMS)) {
      bad("architecture", "x86_64 or aarch64", args.architecture);
    }
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(args.builderName)) {
      bad("builderName", "a buildx name", args.builderName);
    }
    if (!/^v[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.]+)?$/.test(args.buildkitVersion)) {
      bad("buildkitVersion", "a BuildKit release like v0.34.2", args.buildkitVersion);
    }
    if (!/^[0-9a-f]{64}$/.test(args.buildkitSha256)) {
      bad("buildkitSha256", "64 hex", args.buildkitSha256);
    }
    if (!/^ami-[0-9a-f]{8,17}$/.test(args.ami)) bad("ami", "an AMI id", args.ami);
    if (!Number.isSafeInteger(args.rootVolumeGiB) || args.rootVolumeGiB < 30) {
      bad("rootVolumeGiB", "whole GiB >= 30", args.rootVolumeGiB);
    }
    if (problems.length > 0) {
      throw new Error(`AwsBuilder ${JSON.stringify(name)}: invalid arguments:\n  - ` +
        problems.join("\n  - "));
    }
    super(AWS_BUILDER_TYPE, name, {}, opts);

    const arch = args.architecture;
    const platform = PLATFORMS[arch];
    const nodeName = `${args.builderName}-${arch}`;
    const running = (args.state ?? "running") === "running";
    const sshKey = new tls.PrivateKey(`${name}-ssh-key`, { algorithm: "ED25519" }, {
      parent: this,
    });
    const hostKey = new tls.PrivateKey(`${name}-host-key`, { algorithm: "ED25519" }, {
      parent: this,
    });
    const keyPair = new aws.ec2.KeyPair(
      `${name}-key-pair`,
      { publicKey: sshKey.publicKeyOpenssh },
      { parent: this },
    );
    const data = pulumi
      .all([hostKey.privateKeyOpenssh, hostKey.publicKeyOpenssh])
      .apply(([hostKeyPrivate, hostKeyPublic]) =>
        userData({
          architecture: arch,
          buildkitVersion: args.buildkitVersion,
          buildkitSha256: args.buildkitSha256,
          hostKeyPrivate,
          hostKeyPublic,
          registryHost: args.registryHost,
          hostNetwork: args.network === "host",
        }),
      );

    const instance = new aws.ec2.Instance(
      `${name}-instance`,
      {
        ami: args.ami,
        instanceType: args.instanceType,
        subnetId: args.subnetId,
        vpcSecurityGroupIds: [args.securityGroupId],
        iamInstanceProfile: args.instanceProfileName,
        keyName: keyPair.keyName,
        associatePublicIpAddress: args.publicIp ?? true,
        metadataOptions: {
          httpEndpoint: "enabled",
          httpTokens: "required",
          httpPutResponseHopLimit: 1,
          instanceMetadataTags: "disabled",
        },
        rootBlockDevice: {
          volumeType: "gp3",
          volumeSize: args.rootVolumeGiB,
          encrypted: true,
          ...(args.kmsKeyArn ? { kmsKeyId: args.kmsKeyArn } : {}),
          deleteOnTermination: true,
        },
        ebsOptimized: true,
        instanceMarketOptions: args.spot
          ? {
              marketType: "spot",
              spotOptions: {
                spotInstanceType: "persistent",
                instanceInterruptionBehavior: "stop",
              },
            }
          : undefined,
        userData: pulumi.secret(data),
        userDataReplaceOnChange: true,
        tags: { Name: nodeName, "fedora-base:builder": args.builderName },
      },
      { parent: this },
    );
    const power = new aws.ec2transitgateway.InstanceState(
      `${name}-power`,
      { instanceId: instance.id, state: running ? "running" : "stopped" },
      { parent: this },
    );
    let host: pulumi.Output<string>;
    const reachable: pulumi.Resource[] = [power];
    if (args.publicIp ?? true) {
      // A fixed address survives stop/start and replacement, so the buildx node does not move.
      const ip = new aws.ec2.Eip(`${name}-ip`, { domain: "vpc", tags: { Name: nodeName } }, {
        parent: this,
      });
      reachable.push(
        new aws.ec2.EipAssociation(
          `${name}-ip-association`,
          { instanceId: instance.id, allocationId: ip.allocationId },
          { parent: this },
        ),
      );
      host = ip.publicIp;
    } else {
      host = instance.privateIp;
    }
    this.endpoint = pulumi.interpolate`tcp://${host}:${BUILDKIT_PORT}`;
    this.instanceId = instance.id;

    if (!running) {
      this.registration = pulumi.output(`${nodeName} stopped`);
      this.ready = [power];
    } else {
      const connection = {
        host,
        user: SSH_USER,
        privateKey: sshKey.privateKeyOpenssh,
        hostKey: hostKey.publicKeyOpenssh,
        dialErrorLimit: 30,
      };
      // Re-run on a new instance (same address) and after a resize (a stop and start).
      const triggers = [instance.id, instance.instanceType];
      const tlsInstall = new command.remote.Command(
        `${name}-tls`,
        {
          connection,
          create: installTlsScript(),
          update: installTlsScript(),
          stdin: pulumi.secret(
            pulumi
              .all([args.tls.caCertPem, args.tls.serverCertPem, args.tls.serverKeyPem])
              .apply((pems) => pems.map((p) => p.trimEnd() + "\n").join("")),
          ),
          triggers,
          logging: "stderr",
        },
        { parent: this, dependsOn: reachable },
      );
      const readiness = new command.remote.Command(
        `${name}-ready`,
        {
          connection,
          create: readinessScript(args.buildkitVersion, arch),
          update: readinessScript(args.buildkitVersion, arch),
          triggers,
        },
        { parent: this, dependsOn: [tlsInstall] },
      );
      const environment = {
        BUILDX_CONFIG: BUILDX_CONFIG_DIR,
        BUILDER: args.builderName,
        NODE: nodeName,
        PLATFORM: platform,
        ENDPOINT: this.endpoint,
        SERVER_NAME: BUILDKIT_SERVER_NAME,
        DECLARED: args.buildkitVersion,
        TLS_CA: args.tls.caCertPem,
        TLS_CERT: args.tls.clientCertPem,
        TLS_KEY: args.tls.clientKeyPem,
      };
      // The registration also runs as an invoke on every preview and up, so a fresh CI runner
      // has the node before anything builds; the Command orders it before the images.
      const after = Object.fromEntries((args.after ?? []).map((v, i) => [`AFTER_${i}`, v]));
      const perRun = command.local.runOutput(
        {
          command: registrationScript(),
          environment: { ...environment, ...after, READY: readiness.stdout },
          logging: "none",
        },
        { parent: this },
      );
      this.registration = perRun.stdout;
      const registration = new command.local.Command(
        `${name}-register`,
        {
          create: registrationScript(),
          update: registrationScript(),
          environment: { ...environment, REGISTERED: this.registration },
          triggers: [instance.id],
          logging: "stdoutAndStderr",
        },
        { parent: this, dependsOn: [readiness] },
      );
      this.ready = [readiness, registration];
    }
    this.builderName = args.builderName;
    this.buildkitVersion = args.buildkitVersion;
    this.network = args.network;
    this.architectures = [arch];

    this.registerOutputs({
      endpoint: this.endpoint,
      instanceId: this.instanceId,
      registration: this.registration,
    });
  }
}
