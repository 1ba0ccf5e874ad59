import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { parse } from "yaml";

import type { AwsStackOutputs } from "../../stacks/aws";
import { PROJECT, Recorder, settle, TAG_TYPE } from "./harness";

export const ACCOUNT = "123456789012";
export const REGION = "eu-west-1";
export const REGISTRY = `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com`;
/** Later than every epoch in Pulumi.prod.yaml. */
export const PROD_NOW = 1_800_000_000;
export const CLIENT_ENV = { BUILDX_CONFIG: ".buildx", DOCKER_CONFIG: ".docker" };

const IMAGE = "docker-build:index:Image";
const INDEX = "docker-build:index:Index";
const INSTANCE = "aws:ec2/instance:Instance";
const REPOSITORY = "aws:ecr/repository:Repository";

/** The `fedora-base:` keys of Pulumi.prod.yaml, without the namespace, as YAML gives them. */
export function prodConfig(): Record<string, unknown> {
  const file = path.join(__dirname, "..", "..", "Pulumi.prod.yaml");
  const doc = parse(fs.readFileSync(file, "utf8")) as { config: Record<string, unknown> };
  const raw: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(doc.config)) {
    if (k.startsWith("fedora-base:")) raw[k.slice("fedora-base:".length)] = v;
  }
  return raw;
}

/** Mock values are sometimes wrapped as secrets; tests compare plain values. */
export function plain(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(plain);
  if (typeof value === "object" && value !== null) {
    const o = value as Record<string, unknown>;
    if (o["4dabf18193072939515e22adb298388d"] === "1b47061264138c4ac30d75fd1eb44270") {
      return plain(o.value);
    }
    return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, plain(v)]));
  }
  return value;
}

interface Call {
  token: string;
  inputs: Record<string, unknown>;
}

/**
 * Records registrations like the core Recorder, answers the invokes the AWS stack uses (and
 * throws for any other), and gives AWS, TLS and command resources the outputs AWS would.
 */
export class AwsRecorder extends Recorder {
  calls: Call[] = [];
  dependencies = new Map<string, string[]>();
  /** What the next ECR token is: rotating it must change nothing. */
  token = "ecr-token-1";
  /** BuildKit version the builders report. */
  reported = "v0.34.2";

  override newResource(args: pulumi.runtime.MockResourceArgs): pulumi.runtime.MockResourceResult {
    const result = super.newResource(args);
    const state = result.state as Record<string, unknown>;
    const inputs = plain(args.inputs) as Record<string, unknown>;
    switch (args.type) {
      case REPOSITORY:
        state.arn = `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/${String(inputs.name)}`;
        state.repositoryUrl = `${REGISTRY}/${String(inputs.name)}`;
        break;
      case "aws:iam/role:Role":
        state.arn = `arn:aws:iam::${ACCOUNT}:role/${args.name}`;
        state.name = args.name;
        break;
      case "aws:iam/instanceProfile:InstanceProfile":
        state.name = args.name;
        break;
      case "aws:ec2/keyPair:KeyPair":
        state.keyName = args.name;
        break;
      case INSTANCE:
        state.privateIp = "10.20.1.10";
        break;
      case "aws:ec2/eip:Eip":
        state.publicIp = args.name.includes("aarch64") ? "198.51.100.8" : "198.51.100.7";
        state.allocationId = `eipalloc-${args.name}`;
        break;
      case "aws:ssm/parameter:Parameter":
        state.arn = `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter${String(inputs.name)}`;
        break;
      case "tls:index/privateKey:PrivateKey":
        state.privateKeyPem = `-----BEGIN PRIVATE KEY-----\n${args.name}\n-----END`;
        state.privateKeyOpenssh = `-----BEGIN OPENSSH PRIVATE KEY-----\n${args.name}\n-----END`;
        state.publicKeyOpenssh = `ssh-ed25519 AAAA${args.name}`;
        break;
      case "tls:index/certRequest:CertRequest":
        state.certRequestPem = `-----BEGIN CERTIFICATE REQUEST-----\n${args.name}`;
        break;
      case "tls:index/selfSignedCert:SelfSignedCert":
      case "tls:index/locallySignedCert:LocallySignedCert":
        state.certPem = `-----BEGIN CERTIFICATE-----\n${args.name}\n-----END CERTIFICATE-----`;
        break;
      case "command:remote:Command":
        state.stdout = `${args.name.includes("aarch64") ? "aarch64" : "x86_64"} builder ready: ` +
          `BuildKit ${this.reported}`;
        break;
    }
    return result;
  }

  override call(args: pulumi.runtime.MockCallArgs): pulumi.runtime.MockCallResult {
    const inputs = plain(args.inputs) as Record<string, unknown>;
    this.calls.push({ token: args.token, inputs });
    if (args.token === "aws:ecr/getAuthorizationToken:getAuthorizationToken") {
      return {
        authorizationToken: Buffer.from(`AWS:${this.token}`).toString("base64"),
        password: this.token,
        userName: "AWS",
        proxyEndpoint: `https://${REGISTRY}`,
        expiresAt: "2026-12-01T12:00:00Z",
        id: REGION,
        region: REGION,
      };
    }
    if (args.token === "command:local:run") {
      const env = (inputs.environment ?? {}) as Record<string, string>;
      const stdout = env.REGISTRY
        ? `logged in to ${env.REGISTRY}`
        : `registered ${env.NODE} in ${env.BUILDER} (BuildKit ${this.reported})`;
      return { stdout, stderr: "", command: inputs.command };
    }
    throw new Error(`unexpected call to ${args.token}`);
  }

  /** Also keeps each registration's dependencies (URNs), to check build ordering. */
  captureDependencies(): void {
    const monitor = pulumi.runtime.getMonitor() as unknown as {
      registerResource(req: DependencyRequest, cb: unknown): unknown;
    };
    const original = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req: DependencyRequest, cb: unknown) => {
      this.dependencies.set(req.getName(), req.getDependenciesList());
      return original(req, cb);
    };
  }

  callsOf(token: string): Call[] {
    return this.calls.filter((c) => c.token === token);
  }
}

interface DependencyRequest {
  getName(): string;
  getDependenciesList(): string[];
}

export interface RunOptions {
  preview?: boolean;
  env?: Record<string, string | undefined>;
  token?: string;
  reported?: string;
  /** Changes the parsed YAML before the stack is composed. */
  edit?: (raw: Record<string, unknown>) => void;
}

/** Composes the prod stack from Pulumi.prod.yaml under fresh mocks. */
export async function runProdStack(
  opts: RunOptions = {},
): Promise<{ rec: AwsRecorder; outputs: AwsStackOutputs }> {
  const rec = new AwsRecorder(opts.preview ?? false);
  rec.token = opts.token ?? rec.token;
  rec.reported = opts.reported ?? rec.reported;
  await pulumi.runtime.setMocks(rec, PROJECT, "prod", opts.preview ?? false);
  rec.captureOptions();
  rec.captureDependencies();
  const { parseStackConfig } = await import("../../stacks/config.js");
  const { composeAwsStack } = await import("../../stacks/aws.js");
  const raw = prodConfig();
  opts.edit?.(raw);
  const config = parseStackConfig(raw, PROD_NOW).config;
  const outputs = composeAwsStack(config, { env: opts.env ?? CLIENT_ENV, cwd: process.cwd() });
  await settle();
  return { rec, outputs };
}

/** An Output's value; never hangs (an unknown resolves to undefined). */
function valueOf<T>(output: pulumi.Output<T>): Promise<T | undefined> {
  return (output as unknown as { promise(): Promise<T | undefined> }).promise();
}

function aws(raw: Record<string, unknown>): Record<string, unknown> {
  return raw.aws as Record<string, unknown>;
}

function builders(raw: Record<string, unknown>): Record<string, Record<string, unknown>> {
  return aws(raw).builders as Record<string, Record<string, unknown>>;
}

function countByType(rec: Recorder): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of rec.registrations) counts[r.type] = (counts[r.type] ?? 0) + 1;
  return counts;
}

/** Inputs of every image and index, by resource name. */
function imageInputs(rec: Recorder): Record<string, unknown> {
  return Object.fromEntries(
    [...rec.of(IMAGE), ...rec.of(INDEX), ...rec.of(TAG_TYPE)]
      .map((r) => [r.name, plain(r.inputs)]),
  );
}

describe("prod stack (Pulumi.prod.yaml)", () => {
  // One run each, shared by the tests that compare a changed configuration with it.
  let base: AwsRecorder;
  let basePreview: AwsRecorder;
  before(async () => {
    base = (await runProdStack()).rec;
  });
  before(async () => {
    basePreview = (await runProdStack({ preview: true })).rec;
  });

  for (const preview of [false, true]) {
    it(`registers the expected resources, counted per type (${preview ? "preview" : "update"})`,
      async () => {
        const { rec } = await runProdStack({ preview });
        assert.deepEqual(countByType(rec), {
          "aws:ec2/eip:Eip": 2,
          "aws:ec2/eipAssociation:EipAssociation": 2,
          "aws:ec2/instance:Instance": 2,
          "aws:ec2/keyPair:KeyPair": 2,
          "aws:ec2/securityGroup:SecurityGroup": 1,
          "aws:ec2transitgateway/instanceState:InstanceState": 2,
          "aws:ecr/lifecyclePolicy:LifecyclePolicy": 4,
          "aws:ecr/repository:Repository": 4,
          "aws:ecr/repositoryPolicy:RepositoryPolicy": 4,
          "aws:iam/instanceProfile:InstanceProfile": 1,
          "aws:iam/role:Role": 1,
          "aws:iam/rolePolicy:RolePolicy": 1,
          "aws:ssm/parameter:Parameter": 9,
          // 3 CIDRs x 2 ports in; 2 ports x 2 families out.
          "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": 4,
          "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": 6,
          "command:local:Command": 2,
          "command:remote:Command": 4,
          // 3 releases x 2 architectures; a version and a moving index per release; tags: one per
          // image, plus a guard on each index tag.
          "docker-build:index:Image": 6,
          "docker-build:index:Index": 6,
          "fedora-base:aws:Builder": 2,
          "fedora-base:aws:BuilderAccess": 1,
          "fedora-base:aws:BuilderTls": 1,
          "fedora-base:aws:Registry": 1,
          "fedora-base:aws:ReleaseParameters": 1,
          "fedora-base:index:DnfSnapshot": 6,
          "fedora-base:index:FedoraBaseImage": 6,
          "fedora-base:index:ReleaseIndex": 3,
          "pulumi:providers:aws": 1,
          [TAG_TYPE]: 12,
          "pulumi-nodejs:dynamic/fedora-base:PackageList": 6,
          "tls:index/certRequest:CertRequest": 2,
          "tls:index/locallySignedCert:LocallySignedCert": 2,
          "tls:index/privateKey:PrivateKey": 7,
          "tls:index/selfSignedCert:SelfSignedCert": 1,
        });
      });
  }

  it("creates everything in AWS through one provider allowed only the configured account",
    () => {
      const rec = base;
      const provider = rec.of("pulumi:providers:aws")[0]?.inputs;
      assert.equal(provider?.region, REGION);
      assert.deepEqual(JSON.parse(String(provider?.allowedAccountIds)), [ACCOUNT]);
    });

  it("names the repositories fedora-base-<arch>, fedora-base and dnf-snapshot under the prefix",
    async () => {
      const { rec, outputs } = await runProdStack();
      const names = rec.of(REPOSITORY).map((r) => r.inputs.name).sort();
      assert.deepEqual(names, [
        "fedora-base/dnf-snapshot",
        "fedora-base/fedora-base",
        "fedora-base/fedora-base-aarch64",
        "fedora-base/fedora-base-x86_64",
      ]);
      assert.equal(outputs.aws.repositories["fedora-base"], `${REGISTRY}/fedora-base/fedora-base`);
    });

  it("pushes each image to its architecture's ECR repository, by digest", () => {
    const rec = base;
    const exports = rec.named("fedora-44-aarch64-image").inputs.exports as { raw: string }[];
    assert.match(exports[0]?.raw ?? "", new RegExp(
      `^type=image,name=${REGISTRY.replace(/\./g, "\\.")}/fedora-base/fedora-base-aarch64,` +
        "push-by-digest=true,push=true,"));
    assert.equal(rec.named("fedora-44-version").inputs.tag,
      `${REGISTRY}/fedora-base/fedora-base:44-1795478400`);
    assert.equal(rec.named("fedora-44-moving").inputs.tag,
      `${REGISTRY}/fedora-base/fedora-base:44`);
  });

  describe("builders", () => {
    it("runs each architecture natively on its own instance type and pinned AMI", () => {
      const rec = base;
      const x86 = rec.named("builder-x86_64-instance").inputs;
      const arm = rec.named("builder-aarch64-instance").inputs;
      assert.equal(x86.instanceType, "c7i.2xlarge");
      assert.equal(arm.instanceType, "c7g.2xlarge");
      assert.equal(x86.ami, "ami-0a1b2c3d4e5f60001");
      assert.equal(arm.ami, "ami-0a1b2c3d4e5f60002");
      assert.equal(x86.subnetId, "subnet-0a1b2c3d4e5f60718");
      assert.equal(x86.instanceMarketOptions, undefined);
    });

    it("requires IMDSv2 with a hop limit of 1", () => {
      const rec = base;
      for (const i of rec.of(INSTANCE)) {
        assert.deepEqual(i.inputs.metadataOptions, {
          httpEndpoint: "enabled",
          httpTokens: "required",
          httpPutResponseHopLimit: 1,
          instanceMetadataTags: "disabled",
        }, i.name);
      }
    });

    it("encrypts a gp3 root volume of the configured size", async () => {
      const { rec } = await runProdStack({
        edit: (raw) => { builders(raw).aarch64!.rootVolumeGiB = 250; },
      });
      assert.deepEqual(rec.named("builder-x86_64-instance").inputs.rootBlockDevice, {
        volumeType: "gp3", volumeSize: 100, encrypted: true, deleteOnTermination: true,
      });
      assert.equal(
        (rec.named("builder-aarch64-instance").inputs.rootBlockDevice as { volumeSize: number })
          .volumeSize,
        250,
      );
    });

    it("replaces the instance when its user data changes, and keeps it secret", () => {
      const rec = base;
      const i = rec.named("builder-x86_64-instance").inputs;
      assert.equal(i.userDataReplaceOnChange, true);
      assert.notEqual(plain(i.userData), i.userData, "user data reaches the engine as a secret");
    });

    it("installs the declared BuildKit release, checked by its sha256, with mTLS and the alias",
      () => {
        const rec = base;
        const data = String(plain(rec.named("builder-aarch64-instance").inputs.userData));
        assert.match(data, /^#cloud-config\n/);
        assert.ok(data.includes("buildkit-v0.34.2.linux-arm64.tar.gz"));
        assert.ok(data.includes(`echo '${"0".repeat(61)}a02  '`));
        assert.ok(data.includes(
          'address = ["tcp://0.0.0.0:1234", "unix:///run/buildkit/buildkitd.sock"]'));
        assert.ok(data.includes('ca = "/etc/buildkit/tls/ca.pem"'));
        assert.match(data, new RegExp(`\\[registry\\."ecr\\.fedora-base\\.invalid"\\]\\n\\s+` +
          `mirrors = \\["${REGISTRY.replace(/\./g, "\\.")}"\\]`));
        assert.ok(!data.includes("network.host"), "no host-network entitlement unless asked");
      });

    it("runs as a persistent spot instance that stops on interruption when asked", async () => {
      const { rec } = await runProdStack({ edit: (raw) => { aws(raw).spot = true; } });
      assert.deepEqual(rec.named("builder-aarch64-instance").inputs.instanceMarketOptions, {
        marketType: "spot",
        spotOptions: { spotInstanceType: "persistent", instanceInterruptionBehavior: "stop" },
      });
    });

    it("gives each builder a fixed address and registers tcp://<address>:1234", async () => {
      const { rec, outputs } = await runProdStack();
      const endpoint = outputs.aws.builders.x86_64?.endpoint;
      assert.ok(endpoint);
      assert.equal(await valueOf(endpoint), "tcp://198.51.100.7:1234");
      const env = plain(rec.named("builder-aarch64-register").inputs.environment) as
        Record<string, string>;
      assert.equal(env.ENDPOINT, "tcp://198.51.100.8:1234");
    });

    it("provisions over SSH with a pinned host key and checks the declared BuildKit version",
      () => {
        const rec = base;
        const ready = plain(rec.named("builder-x86_64-ready").inputs) as Record<string, unknown>;
        const connection = ready.connection as Record<string, unknown>;
        assert.equal(connection.host, "198.51.100.7");
        assert.equal(connection.user, "ec2-user");
        assert.equal(connection.hostKey, "ssh-ed25519 AAAAbuilder-x86_64-host-key");
        assert.match(String(ready.create), /cloud-init status --wait/);
        assert.match(String(ready.create), /declared v0\.34\.2, but the x86_64 builder runs/);
        const tlsInstall = plain(rec.named("builder-x86_64-tls").inputs) as Record<string, unknown>;
        assert.match(String(tlsInstall.stdin), /builder-tls-ca\n[^]*builder-tls-server-cert/);
        assert.notEqual(rec.named("builder-x86_64-tls").inputs.stdin, tlsInstall.stdin,
          "the server key reaches the engine as a secret");
      });

    it("registers one node per platform in one stable buildx builder, project-locally",
      () => {
        const rec = base;
        for (const [arch, platform] of [["x86_64", "linux/amd64"], ["aarch64", "linux/arm64"]]) {
          const env = plain(rec.named(`builder-${arch}-register`).inputs.environment) as
            Record<string, string>;
          assert.equal(env.BUILDX_CONFIG, ".buildx");
          assert.equal(env.BUILDER, "fedora-base-prod");
          assert.equal(env.NODE, `fedora-base-prod-${arch}`);
          assert.equal(env.PLATFORM, platform);
          assert.equal(env.DECLARED, "v0.34.2");
          assert.equal(env.SERVER_NAME, "buildkitd.fedora-base.invalid");
        }
      });

    it("re-registers on every run through an invoke, one builder after the other", () => {
      const rec = base;
      const runs = rec.callsOf("command:local:run").filter((c) => !("REGISTRY" in
        (c.inputs.environment as Record<string, string>)));
      assert.deepEqual(runs.map((c) => (c.inputs.environment as Record<string, string>).NODE),
        ["fedora-base-prod-x86_64", "fedora-base-prod-aarch64"]);
      const second = runs[1]?.inputs.environment as Record<string, string>;
      assert.equal(second.AFTER_0, "registered fedora-base-prod-x86_64 in fedora-base-prod " +
        "(BuildKit v0.34.2)");
    });

    it("builds nothing before its builder is ready and registered", () => {
      const rec = base;
      for (const image of rec.of(IMAGE)) {
        const arch = image.name.includes("aarch64") ? "aarch64" : "x86_64";
        const deps = rec.dependencies.get(image.name) ?? [];
        for (const need of [`builder-${arch}-ready`, `builder-${arch}-register`]) {
          assert.ok(deps.some((u) => u.endsWith(`::${need}`)), `${image.name} waits for ${need}`);
        }
      }
    });

    it("stops the builders without touching any image when state is stopped", async () => {
      const running = imageInputs(base);
      const { rec } = await runProdStack({ edit: (raw) => { aws(raw).state = "stopped"; } });
      assert.equal(rec.named("builder-x86_64-power").inputs.state, "stopped");
      assert.equal(rec.of("command:remote:Command").length, 0);
      assert.equal(rec.callsOf("command:local:run").length, 1, "only the registry login runs");
      assert.deepEqual(imageInputs(rec), running);
    });
  });

  describe("images do not depend on the builder instance", () => {
    const edits: [string, (raw: Record<string, unknown>) => void][] = [
      ["a new AMI", (raw) => {
        builders(raw).x86_64!.ami = "ami-0fedcba9876543210";
        builders(raw).aarch64!.ami = "ami-0fedcba9876543211";
      }],
      ["another size", (raw) => {
        builders(raw).x86_64!.instanceType = "c7i.8xlarge";
        builders(raw).aarch64!.instanceType = "c8g.4xlarge";
        builders(raw).aarch64!.rootVolumeGiB = 400;
      }],
      ["spot instances", (raw) => { aws(raw).spot = true; }],
      ["another subnet and CIDRs", (raw) => {
        aws(raw).subnetId = "subnet-0123456789abcdef0";
        aws(raw).allowedCidrs = ["192.0.2.0/24"];
      }],
    ];
    for (const [what, edit] of edits) {
      for (const preview of [false, true]) {
        it(`leaves every image and index input unchanged with ${what}` +
          `${preview ? " (preview)" : ""}`, async () => {
          const before = imageInputs(preview ? basePreview : base);
          const { rec } = await runProdStack({ preview, edit });
          assert.equal(Object.keys(before).length, 24);
          assert.deepEqual(imageInputs(rec), before);
        });
      }
    }

    it("changes the images when the BuildKit version changes (a determinant)", async () => {
      const before = base.named("fedora-45-x86_64-image").inputs;
      const { rec } = await runProdStack({
        reported: "v0.35.0",
        edit: (raw) => { (raw.builder as Record<string, unknown>).buildkitVersion = "v0.35.0"; },
      });
      const labels = rec.named("fedora-45-x86_64-image").inputs.labels as Record<string, string>;
      assert.equal(labels["io.fedora-base.buildkit.version"], "v0.35.0");
      assert.notDeepEqual(rec.named("fedora-45-x86_64-image").inputs.labels, before.labels);
    });
  });

  describe("region and account", () => {
    it("never appear in build arguments, labels or the build definition", () => {
      const rec = base;
      assert.equal(rec.of(IMAGE).length, 6);
      for (const image of rec.of(IMAGE)) {
        const text = JSON.stringify([image.inputs.buildArgs, image.inputs.labels]);
        assert.ok(!text.includes(ACCOUNT), `${image.name} names the account: ${text}`);
        assert.ok(!text.includes(REGION), `${image.name} names the region: ${text}`);
        assert.ok(!text.includes("amazonaws"), `${image.name} names AWS: ${text}`);
      }
    });

    it("reach the builds only as the snapshot's registry alias, digest kept", () => {
      const rec = base;
      const args = rec.named("fedora-44-x86_64-image").inputs.buildArgs as Record<string, string>;
      assert.equal(args.SNAPSHOT_IMAGE,
        `ecr.fedora-base.invalid/fedora-base/dnf-snapshot@sha256:${"44".repeat(31)}02`);
    });

    it("give the same image inputs in another account and region", async () => {
      const argsAndLabels = (rec: Recorder) =>
        Object.fromEntries(
          rec.of(IMAGE).map((r) => [r.name, [r.inputs.buildArgs, r.inputs.labels]]),
        );
      const before = argsAndLabels(base);
      const { rec } = await runProdStack({
        edit: (raw) => {
          const other = "210987654321.dkr.ecr.us-east-2.amazonaws.com";
          raw.registry = `${other}/fedora-base`;
          aws(raw).accountId = "210987654321";
          aws(raw).region = "us-east-2";
          const releases = raw.releases as Record<string, { snapshots: Record<string, string> }>;
          for (const rel of Object.values(releases)) {
            const snaps = rel.snapshots;
            for (const a of Object.keys(snaps)) snaps[a] = snaps[a]!.replace(REGISTRY, other);
          }
        },
      });
      assert.deepEqual(argsAndLabels(rec), before);
    });
    it("keep derived images free of them too: the base is pulled through the alias", async () => {
      const { rec } = await runProdStack({
        edit: (raw) => {
          raw.derivedImages = { toolbox: { release: 44, packages: ["git"] } };
        },
      });
      const derived = rec.of(IMAGE).filter((r) => r.name.startsWith("toolbox-"));
      assert.equal(derived.length, 2);
      for (const image of derived) {
        const text = JSON.stringify([image.inputs.buildArgs, image.inputs.labels]);
        assert.ok(!text.includes(ACCOUNT), `${image.name} names the account: ${text}`);
        assert.ok(!text.includes(REGION), `${image.name} names the region: ${text}`);
        const args = image.inputs.buildArgs as Record<string, string>;
        assert.match(args.BASE_IMAGE ?? "",
          /^ecr\.fedora-base\.invalid\/fedora-base\/fedora-base-(x86_64|aarch64)@sha256:/);
      }
    });
  });

  describe("registry credentials", () => {
    it("log the operator's machine in with a fresh ECR token on every run", async () => {
      const { rec } = await runProdStack({ preview: true });
      const token = rec.callsOf("aws:ecr/getAuthorizationToken:getAuthorizationToken");
      assert.deepEqual(token.map((c) => c.inputs.registryId), [ACCOUNT]);
      const login = rec.callsOf("command:local:run").find((c) =>
        (c.inputs.environment as Record<string, string>).REGISTRY === REGISTRY);
      assert.ok(login, "docker login ran");
      assert.equal(login.inputs.stdin, "ecr-token-1");
      assert.equal((login.inputs.environment as Record<string, string>).DOCKER_CONFIG, ".docker");
    });

    it("never reach a resource input, so a new token changes nothing", async () => {
      const second = await runProdStack({ token: "ecr-token-2" });
      for (const r of second.rec.registrations) {
        assert.ok(!JSON.stringify(plain(r.inputs)).includes("ecr-token"), r.name);
      }
      const inputs = (rec: Recorder) =>
        Object.fromEntries(rec.registrations.map((r) => [r.name, plain(r.inputs)]));
      assert.deepEqual(inputs(second.rec), inputs(base));
    });
  });

  describe("data safety", () => {
    it("retains every repository, lifecycle, image and index when deleted from the stack",
      () => {
        const rec = base;
        const published = [
          ...rec.of(REPOSITORY),
          ...rec.of("aws:ecr/lifecyclePolicy:LifecyclePolicy"),
          ...rec.of("aws:ecr/repositoryPolicy:RepositoryPolicy"),
          ...rec.of(IMAGE),
          ...rec.of(INDEX),
          ...rec.of(TAG_TYPE),
        ];
        assert.equal(published.length, 36);
        for (const r of published) assert.equal(r.retainOnDelete, true, r.name);
      });

    it("keeps version tags immutable and only the exact release tags mutable", () => {
      const rec = base;
      const index = rec.of(REPOSITORY).find((r) => r.inputs.name === "fedora-base/fedora-base");
      assert.equal(index?.inputs.imageTagMutability, "IMMUTABLE_WITH_EXCLUSION");
      assert.deepEqual(index?.inputs.imageTagMutabilityExclusionFilters, [
        { filter: "43", filterType: "WILDCARD" },
        { filter: "44", filterType: "WILDCARD" },
        { filter: "45", filterType: "WILDCARD" },
      ]);
      for (const r of rec.of(REPOSITORY).filter((x) => x !== index)) {
        assert.equal(r.inputs.imageTagMutability, "IMMUTABLE", String(r.inputs.name));
        assert.equal(r.inputs.imageTagMutabilityExclusionFilters, undefined);
      }
    });

    it("scans on push, encrypts, and never force-deletes a repository", () => {
      for (const r of base.of(REPOSITORY)) {
        assert.deepEqual(r.inputs.imageScanningConfiguration, { scanOnPush: true });
        assert.deepEqual(r.inputs.encryptionConfigurations, [{ encryptionType: "AES256" }]);
        assert.equal(r.inputs.forceDelete, false);
      }
    });

    it("encrypts with the configured KMS key", async () => {
      const kms = `arn:aws:kms:${REGION}:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
      const withKms = await runProdStack({ edit: (raw) => { aws(raw).kmsKeyArn = kms; } });
      for (const r of withKms.rec.of(REPOSITORY)) {
        assert.deepEqual(r.inputs.encryptionConfigurations,
          [{ encryptionType: "KMS", kmsKey: kms }]);
      }
    });

    it("applies the lifecycle policy of each repository's releases", () => {
      const rec = base;
      const text = String(rec.named("registry-dnf-snapshot-lifecycle").inputs.policy);
      const policy = JSON.parse(text) as
        { rules: { selection: { tagPrefixList?: string[]; countNumber: number } }[] };
      assert.deepEqual(policy.rules.map((r) => r.selection.tagPrefixList?.[0]), [
        "43-aarch64-", "43-x86_64-", "44-aarch64-", "44-x86_64-", "45-aarch64-", "45-x86_64-",
      ]);
      assert.ok(policy.rules.every((r) => r.selection.countNumber === 5));
    });
  });

  describe("least privilege", () => {
    it("lets the builders push and pull the stack's repositories by ARN only", () => {
      const rec = base;
      const doc = JSON.parse(String(rec.named("builder-access-ecr").inputs.policy)) as {
        Statement: { Action: string[]; Resource: string | string[] }[];
      };
      const [repos, login] = doc.Statement;
      assert.deepEqual(repos?.Resource, [
        `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/fedora-base/dnf-snapshot`,
        `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/fedora-base/fedora-base`,
        `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/fedora-base/fedora-base-aarch64`,
        `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/fedora-base/fedora-base-x86_64`,
      ]);
      assert.ok(repos?.Action.every((a) => a.startsWith("ecr:") && !a.includes("*")));
      assert.deepEqual(login, {
        Sid: "RegistryLogin", Effect: "Allow", Action: ["ecr:GetAuthorizationToken"], Resource: "*",
      });
      const trust = JSON.parse(String(rec.named("builder-access-role").inputs.assumeRolePolicy)) as
        { Statement: { Principal: unknown }[] };
      assert.deepEqual(trust.Statement.map((s) => s.Principal), [{ Service: "ec2.amazonaws.com" }]);
    });

    it("admits only the configured CIDRs, on SSH and BuildKit only", () => {
      const rec = base;
      const rules = rec.of("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
        .map((r) => [r.inputs.cidrIpv4 ?? r.inputs.cidrIpv6, r.inputs.fromPort, r.inputs.toPort])
        .sort((a, b) => JSON.stringify(a) < JSON.stringify(b) ? -1 : 1);
      assert.deepEqual(rules, [
        ["198.51.100.16/28", 1234, 1234], ["198.51.100.16/28", 22, 22],
        ["2001:db8:4400::/48", 1234, 1234], ["2001:db8:4400::/48", 22, 22],
        ["203.0.113.0/24", 1234, 1234], ["203.0.113.0/24", 22, 22],
      ]);
      assert.equal(rec.named("builder-access-sg").inputs.ingress, undefined);
    });

    it("grants pull to the organisation only, never push", () => {
      const rec = base;
      const doc = JSON.parse(String(rec.named("registry-fedora-base-pull").inputs.policy)) as {
        Statement: { Action: string[]; Condition: unknown }[];
      };
      assert.deepEqual(doc.Statement.map((s) => s.Condition),
        [{ StringEquals: { "aws:PrincipalOrgID": "o-a1b2c3d4e5" } }]);
      assert.ok(doc.Statement[0]?.Action.every((a) => !/Put|Upload|Delete/.test(a)));
    });
  });

  describe("consumers", () => {
    it("publish each release's index and image refs as SSM parameters", () => {
      const rec = base;
      const params = rec.of("aws:ssm/parameter:Parameter");
      assert.deepEqual(params.map((p) => p.inputs.name).sort(), [
        "/fedora-base/prod/releases/43/aarch64", "/fedora-base/prod/releases/43/index",
        "/fedora-base/prod/releases/43/x86_64", "/fedora-base/prod/releases/44/aarch64",
        "/fedora-base/prod/releases/44/index", "/fedora-base/prod/releases/44/x86_64",
        "/fedora-base/prod/releases/45/aarch64", "/fedora-base/prod/releases/45/index",
        "/fedora-base/prod/releases/45/x86_64",
      ]);
      const index = params.find((p) => p.inputs.name === "/fedora-base/prod/releases/44/index");
      assert.match(String(index?.inputs.insecureValue),
        new RegExp(`^${REGISTRY.replace(/\./g, "\\.")}/fedora-base/fedora-base:44-1795478400@`));
    });
  });

  describe("client environment", () => {
    it("refuses to run without the project-local buildx and Docker configuration", async () => {
      await assert.rejects(runProdStack({ env: { BUILDX_CONFIG: "/home/me/.docker/buildx" } }),
        (err: Error) => {
          assert.match(err.message,
            /BUILDX_CONFIG must be \.buildx .*got "\/home\/me\/\.docker\/buildx"/);
          assert.match(err.message, /DOCKER_CONFIG must be \.docker .*got null/);
          return true;
        });
    });
  });
});

