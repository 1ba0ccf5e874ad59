/**
 * The `fedora-base:aws` settings of a prod stack, parsed and validated in one pass. Like the core
 * parser, every problem is collected and one error lists them all, naming each key and quoting the
 * bad value.
 */
import {
  ARCHITECTURES,
  CONFIG_NAMESPACE,
  ConfigError,
  parseRepository,
  type Architecture,
  type StackConfig,
} from "./config";

export const INSTANCE_STATES = ["running", "stopped"] as const;
export type InstanceState = (typeof INSTANCE_STATES)[number];

/** Current compute-optimised sizes: Intel for x86_64, its Graviton counterpart for aarch64. */
export const DEFAULT_INSTANCE_TYPES: Record<Architecture, string> = {
  x86_64: "c7i.2xlarge",
  aarch64: "c7g.2xlarge",
};

/** Root volume of a builder, GiB: the BuildKit cache of a few releases plus the OS. */
export const DEFAULT_ROOT_VOLUME_GIB = 100;

/** How many epochs per release each repository keeps. */
export const DEFAULT_KEEP_EPOCHS = 5;

export interface AwsBuilderConfig {
  /** EC2 instance type, e.g. `c7i.2xlarge`. */
  instanceType: string;
  /** AMI id pinned in config (`fedora-base ami` updates it); never looked up by the program. */
  ami: string;
  /** Encrypted gp3 root volume, GiB. */
  rootVolumeGiB: number;
  /** sha256 of the BuildKit release tarball for this architecture (64 hex). */
  buildkitSha256: string;
}

export interface AwsConfig {
  /** AWS region, e.g. `eu-west-1`; the explicit provider uses it. */
  region: string;
  /** The only account the provider may touch (12 digits); the registry host names it too. */
  accountId: string;
  /** ECR registry host: `<accountId>.dkr.ecr.<region>.amazonaws.com`. */
  registryHost: string;
  /** Repository name prefix in the registry, e.g. `fedora-base` (from `fedora-base:registry`). */
  repositoryPrefix: string;
  vpcId: string;
  subnetId: string;
  /** Give each builder an Elastic IP (true) or reach it on its private IP (false, via VPN). */
  publicIp: boolean;
  /** CIDRs allowed to reach SSH (22) and BuildKit (1234); never a /0. Sorted. */
  allowedCidrs: string[];
  /** Per architecture of the stack. */
  builders: Partial<Record<Architecture, AwsBuilderConfig>>;
  /** Run builders as persistent spot instances that stop on interruption. */
  spot: boolean;
  /** `stopped` keeps the builders but stops paying for their compute. */
  state: InstanceState;
  /** Epochs per release each repository keeps (newest by push time). */
  keepEpochs: number;
  /** KMS key for ECR encryption; AES256 when absent. */
  kmsKeyArn?: string;
  /** Other accounts allowed to pull (12 digits each). Sorted. */
  pullAccounts: string[];
  /** AWS Organizations id whose accounts may pull, e.g. `o-a1b2c3d4e5`. */
  pullOrganizationId?: string;
  /** SSM parameter path prefix for the discovery parameters, e.g. `/fedora-base`. */
  ssmPrefix: string;
}

const REGION = /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]$/;
const ACCOUNT = /^[0-9]{12}$/;
const AMI = /^ami-[0-9a-f]{8,17}$/;
const SHA256 = /^[0-9a-f]{64}$/;
const INSTANCE_TYPE = /^[a-z][a-z0-9-]*\.[a-z0-9]+$/;
const VPC = /^vpc-[0-9a-f]{8,17}$/;
const SUBNET = /^subnet-[0-9a-f]{8,17}$/;
const KMS_ARN = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:(key|alias)\/[A-Za-z0-9/_-]+$/;
const ORG = /^o-[a-z0-9]{10,32}$/;
const SSM_PATH = /^(\/[A-Za-z0-9_.-]+)+$/;
const AWS_KEYS = [
  "region",
  "accountId",
  "vpcId",
  "subnetId",
  "publicIp",
  "allowedCidrs",
  "builders",
  "spot",
  "state",
  "keepEpochs",
  "kmsKeyArn",
  "pullAccounts",
  "pullOrganizationId",
  "ssmPrefix",
] as const;
const BUILDER_KEYS = ["instanceType", "ami", "rootVolumeGiB", "buildkitSha256"] as const;

function show(value: unknown): string {
  return JSON.stringify(value) ?? String(value);
}

function isBlank(value: unknown): boolean {
  return value === undefined || value === null || (typeof value === "string" && !value.trim());
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Parses an IPv4 or IPv6 CIDR; null when malformed. Returns the prefix length and the family, so
 * the caller can refuse the whole internet in either notation (`0.0.0.0/0`, `::/0`, `::0/0`).
 */
export function parseCidr(cidr: string): { family: 4 | 6; prefix: number } | null {
  const m = /^([^/]+)\/([0-9]{1,3})$/.exec(cidr);
  if (!m?.[1] || !m[2]) return null;
  const prefix = Number(m[2]);
  const addr = m[1];
  if (/^[0-9]{1,3}(\.[0-9]{1,3}){3}$/.test(addr)) {
    if (addr.split(".").some((o) => Number(o) > 255) || prefix > 32) return null;
    return { family: 4, prefix };
  }
  if (/^[0-9a-fA-F:]+$/.test(addr) && addr.includes(":") && prefix <= 128) {
    return { family: 6, prefix };
  }
  return null;
}

class AwsReader {
  readonly problems: string[] = [];

  problem(key: string, message: string, value: unknown): void {
    const at = key ? `aws.${key}` : "aws";
    this.problems.push(`${CONFIG_NAMESPACE}:${at} ${message}, got ${show(value)}`);
  }

  required(key: string, value: unknown, pattern: RegExp, what: string): string | undefined {
    if (isBlank(value)) {
      this.problems.push(`${CONFIG_NAMESPACE}:aws.${key} is required (${what})`);
      return undefined;
    }
    return this.optional(key, value, pattern, what);
  }

  optional(key: string, value: unknown, pattern: RegExp, what: string): string | undefined {
    if (isBlank(value)) return undefined;
    if (typeof value !== "string" || !pattern.test(value.trim())) {
      this.problem(key, `must be ${what}`, value);
      return undefined;
    }
    return value.trim();
  }

  bool(key: string, value: unknown, fallback: boolean): boolean {
    if (isBlank(value)) return fallback;
    if (value === true || value === "true") return true;
    if (value === false || value === "false") return false;
    this.problem(key, "must be true or false", value);
    return fallback;
  }

  integer(key: string, value: unknown, fallback: number, min: number, max: number): number {
    if (isBlank(value)) return fallback;
    const n = typeof value === "string" && /^[0-9]+$/.test(value.trim()) ? Number(value) : value;
    if (typeof n !== "number" || !Number.isSafeInteger(n) || n < min || n > max) {
      this.problem(key, `must be a whole number ${min}-${max}`, value);
      return fallback;
    }
    return n;
  }

  list(key: string, value: unknown): unknown[] {
    if (isBlank(value)) return [];
    if (!Array.isArray(value)) {
      this.problem(key, "must be a list", value);
      return [];
    }
    return value as unknown[];
  }

  unknownKeys(key: string, value: Record<string, unknown>, known: readonly string[]): void {
    for (const k of Object.keys(value).sort()) {
      if (!known.includes(k)) {
        const at = key ? `${key}.${k}` : k;
        this.problem(at, `is not a known setting (known: ${known.join(", ")})`, value[k]);
      }
    }
  }
}

function parseCidrs(r: AwsReader, value: unknown): string[] {
  const out: string[] = [];
  const list = r.list("allowedCidrs", value);
  if (list.length === 0) {
    r.problems.push(
      `${CONFIG_NAMESPACE}:aws.allowedCidrs is required: the CIDRs of the operators and CI ` +
        "that may reach the builders (never 0.0.0.0/0 or ::/0)",
    );
  }
  for (const c of list) {
    const parsed = typeof c === "string" ? parseCidr(c.trim()) : null;
    if (!parsed) r.problem("allowedCidrs", "must hold IPv4 or IPv6 CIDRs like 203.0.113.0/24", c);
    else if (parsed.prefix === 0) {
      r.problem("allowedCidrs", "must not open the builders to the whole internet", c);
    } else if (!out.includes((c as string).trim())) out.push((c as string).trim());
  }
  return out.sort();
}

function parseBuilders(
  r: AwsReader,
  value: unknown,
  architectures: Architecture[],
): Partial<Record<Architecture, AwsBuilderConfig>> {
  const map = isRecord(value) ? value : {};
  if (!isBlank(value) && !isRecord(value)) {
    r.problem("builders", "must be a map by architecture", value);
  }
  r.unknownKeys("builders", map, ARCHITECTURES);
  const out: Partial<Record<Architecture, AwsBuilderConfig>> = {};
  for (const arch of architectures) {
    const at = `builders.${arch}`;
    const raw = map[arch];
    if (!isRecord(raw)) {
      if (isBlank(raw)) {
        r.problems.push(
          `${CONFIG_NAMESPACE}:aws.${at} is required for every architecture of the stack ` +
            `(at least ami and buildkitSha256; set the AMI with: fedora-base ami --stack <stack>)`,
        );
      } else r.problem(at, "must be a map", raw);
      continue;
    }
    r.unknownKeys(at, raw, BUILDER_KEYS);
    const instanceType =
      r.optional(`${at}.instanceType`, raw.instanceType, INSTANCE_TYPE, "an EC2 instance type") ??
      DEFAULT_INSTANCE_TYPES[arch];
    const ami = r.required(`${at}.ami`, raw.ami, AMI, "an AMI id like ami-0123456789abcdef0");
    const rootVolumeGiB = r.integer(
      `${at}.rootVolumeGiB`,
      raw.rootVolumeGiB,
      DEFAULT_ROOT_VOLUME_GIB,
      30,
      16384,
    );
    const buildkitSha256 = r.required(
      `${at}.buildkitSha256`,
      raw.buildkitSha256,
      SHA256,
      "the sha256 (64 hex) of the BuildKit release tarball for this architecture",
    );
    if (ami && buildkitSha256) out[arch] = { instanceType, ami, rootVolumeGiB, buildkitSha256 };
  }
  return out;
}

/**
 * Parses `fedora-base:aws` against the already parsed core configuration. The registry must be
 * the ECR registry of the configured account and region, so a typo cannot push elsewhere.
 */
export function parseAwsConfig(base: StackConfig): AwsConfig {
  const r = new AwsReader();
  const raw = isRecord(base.aws) ? base.aws : {};
  if (!isRecord(base.aws)) r.problem("", "must be a map of AWS settings", base.aws);
  r.unknownKeys("", raw, AWS_KEYS);
  const region = r.required("region", raw.region, REGION, "an AWS region like eu-west-1");
  const accountId = r.required(
    "accountId",
    typeof raw.accountId === "number" ? String(raw.accountId) : raw.accountId,
    ACCOUNT,
    "a 12-digit AWS account id, quoted",
  );
  const vpcId = r.required("vpcId", raw.vpcId, VPC, "a VPC id like vpc-0123456789abcdef0");
  const subnetId = r.required("subnetId", raw.subnetId, SUBNET, "a subnet id in that VPC");
  const publicIp = r.bool("publicIp", raw.publicIp, true);
  const allowedCidrs = parseCidrs(r, raw.allowedCidrs);
  const builders = parseBuilders(r, raw.builders, base.architectures);
  const spot = r.bool("spot", raw.spot, false);
  let state: InstanceState = "running";
  if (!isBlank(raw.state)) {
    if ((INSTANCE_STATES as readonly unknown[]).includes(raw.state)) {
      state = raw.state as InstanceState;
    } else r.problem("state", `must be one of ${INSTANCE_STATES.join(", ")}`, raw.state);
  }
  const keepEpochs = r.integer("keepEpochs", raw.keepEpochs, DEFAULT_KEEP_EPOCHS, 1, 1000);
  const kmsKeyArn = r.optional("kmsKeyArn", raw.kmsKeyArn, KMS_ARN, "a KMS key or alias ARN");
  const pullAccounts: string[] = [];
  for (const a of r.list("pullAccounts", raw.pullAccounts)) {
    const id = typeof a === "number" ? String(a) : a;
    if (typeof id !== "string" || !ACCOUNT.test(id)) {
      r.problem("pullAccounts", "must hold 12-digit account ids, quoted", a);
    } else if (!pullAccounts.includes(id)) pullAccounts.push(id);
  }
  const pullOrganizationId = r.optional(
    "pullOrganizationId",
    raw.pullOrganizationId,
    ORG,
    "an AWS Organizations id like o-a1b2c3d4e5",
  );
  const ssmPrefix =
    r.optional("ssmPrefix", raw.ssmPrefix, SSM_PATH, "an SSM path like /fedora-base") ??
    "/fedora-base";

  const registryHost =
    accountId && region ? `${accountId}.dkr.ecr.${region}.amazonaws.com` : undefined;
  const repo = parseRepository(base.registry);
  const [host, ...path] = (repo?.name ?? base.registry).split("/");
  if (registryHost && host !== registryHost) {
    r.problems.push(
      `${CONFIG_NAMESPACE}:registry must be the ECR registry of aws.accountId in aws.region ` +
        `(${registryHost}/<prefix>), got ${show(base.registry)}`,
    );
  }
  if (r.problems.length > 0 || !region || !accountId || !vpcId || !subnetId || !registryHost) {
    throw new ConfigError(r.problems);
  }
  return {
    region,
    accountId,
    registryHost,
    repositoryPrefix: path.join("/"),
    vpcId,
    subnetId,
    publicIp,
    allowedCidrs,
    builders,
    spot,
    state,
    keepEpochs,
    ...(kmsKeyArn ? { kmsKeyArn } : {}),
    pullAccounts: pullAccounts.sort(),
    ...(pullOrganizationId ? { pullOrganizationId } : {}),
    ssmPrefix,
  };
}
