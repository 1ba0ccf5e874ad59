/**
 * Typed, validated stack configuration. Every key is checked at once and one error lists every
 * problem, so an operator fixes a bad stack file in one round instead of one key per `up`.
 */

export const CONFIG_NAMESPACE = "fedora-base";

export const ARCHITECTURES = ["x86_64", "aarch64"] as const;
export type Architecture = (typeof ARCHITECTURES)[number];

/** BuildKit platform for each Fedora architecture name. */
export const PLATFORMS: Record<Architecture, "linux/amd64" | "linux/arm64"> = {
  x86_64: "linux/amd64",
  aarch64: "linux/arm64",
};

/** The first release whose rpm (4.18) writes install times from SOURCE_DATE_EPOCH. */
export const FIRST_REPRODUCIBLE_RELEASE = 37;

export const COMPRESSIONS = ["gzip", "zstd", "uncompressed"] as const;
export type Compression = (typeof COMPRESSIONS)[number];

export const BUILD_NETWORKS = ["default", "host"] as const;
export type BuildNetwork = (typeof BUILD_NETWORKS)[number];

export const STACK_KINDS = ["local", "aws"] as const;
export type StackKind = (typeof STACK_KINDS)[number];

export interface ReleaseConfig {
  /** Fedora release number, e.g. 44. */
  release: number;
  /** SOURCE_DATE_EPOCH of every image of the release, Unix epoch seconds. */
  epoch: number;
  /** Base image pinned by digest: `name[:tag]@sha256:<64 hex>`. */
  baseImage: string;
  /** DNF metadata snapshot per architecture, pinned by digest. */
  snapshots: Partial<Record<Architecture, string>>;
}

export interface BuilderConfig {
  /** buildx builder name; stable, because the provider reuses it on the next preview. */
  name: string;
  /** BuildKit version the builder must report, e.g. `v0.34.2`. */
  buildkitVersion: string;
  /** Network mode of the build steps: `host` when the mirror is only reachable from the host. */
  network: BuildNetwork;
}

export interface ExporterConfig {
  ociMediaTypes: boolean;
  compression: Compression;
  compressionLevel: number;
}

export interface DerivedImageConfig {
  /** Name of the derived image; its repository is `<registry>/<name>-<arch>`. */
  name: string;
  /** Release of the base image it extends. */
  release: number;
  /** Packages installed from the base's retained metadata, e.g. `["git", "make"]`. */
  packages: string[];
  /** Extra shell commands run after the install, in the same build step. */
  steps: string[];
  /** Extra image labels. */
  labels: Record<string, string>;
}

export interface StackConfig {
  kind: StackKind;
  /** Repository prefix, e.g. `127.0.0.1:5000/fedora-base` (no scheme, tag or digest). */
  registry: string;
  architectures: Architecture[];
  builder: BuilderConfig;
  /** Repo id to fixed baseurl; empty keeps the image's own repo definitions. */
  mirror: Record<string, string>;
  exporter: ExporterConfig;
  /** Extra labels for every image. */
  labels: Record<string, string>;
  /** Sorted by release number, whatever the order in the stack file. */
  releases: ReleaseConfig[];
  /** Sorted by name. */
  derivedImages: DerivedImageConfig[];
  /** Kind-specific settings, parsed by that kind's composition (see `stacks/aws`). */
  aws: unknown;
}

export interface ParseResult {
  config: StackConfig;
  /** Accepted but worth telling the operator, e.g. a release older than 37. */
  warnings: string[];
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(
      `invalid stack configuration (${problems.length} problem` +
        `${problems.length === 1 ? "" : "s"}):\n` +
        problems.map((p) => `  - ${p}`).join("\n"),
    );
    this.name = "ConfigError";
  }
}

/** Keys of the `fedora-base` namespace this program reads. */
export const CONFIG_KEYS = [
  "kind",
  "registry",
  "architectures",
  "builder",
  "mirror",
  "exporter",
  "labels",
  "releases",
  "derivedImages",
  "aws",
] as const;

const DIGEST = /^sha256:[0-9a-f]{64}$/;
const HOST =
  /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:([1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5]))?$/;
const PATH_COMPONENT = /^[a-z0-9]+([._-]+[a-z0-9]+)*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const BUILDKIT_VERSION = /^v[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.]+)?$/;
const REPO_ID = /^[A-Za-z0-9_.:-]+$/;
// A leading "-" would reach dnf as an option (--refresh, --nogpgcheck).
export const PACKAGE_SPEC = /^[A-Za-z0-9_][A-Za-z0-9_.+:~^-]*$/;
const NAME = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;
const LABEL_KEY = /^[A-Za-z0-9]([A-Za-z0-9._/-]*[A-Za-z0-9])?$/;
/** Repository and resource names of the base images; a derived image may not take them. */
const RESERVED_IMAGE_NAMES = ["fedora", "fedora-base", "dnf-snapshot"];
/** Labels the program sets itself; a stack may not override them. */
export const RESERVED_LABEL_PREFIXES = ["io.fedora-base.", "org.opencontainers.image."];

/** Whether a label key is one fedora-base sets itself, in any letter case. */
export function isReservedLabel(key: string): boolean {
  return RESERVED_LABEL_PREFIXES.some((p) => key.toLowerCase().startsWith(p));
}

/** Splits `name[:tag]@sha256:...`; null when the reference is not of that shape. */
export function parsePinnedRef(
  ref: string,
): { name: string; tag?: string; digest: string } | null {
  const at = ref.indexOf("@");
  if (at < 0) return null;
  const digest = ref.slice(at + 1);
  const nameAndTag = ref.slice(0, at);
  if (!DIGEST.test(digest)) return null;
  const repo = parseRepository(nameAndTag);
  return repo ? { ...repo, digest } : null;
}

/** Splits `host[:port]/path[:tag]`; null when it is not a valid repository reference. */
export function parseRepository(ref: string): { name: string; tag?: string } | null {
  const slash = ref.lastIndexOf("/");
  const colon = ref.lastIndexOf(":");
  let name = ref;
  let tag: string | undefined;
  if (colon > slash) {
    name = ref.slice(0, colon);
    tag = ref.slice(colon + 1);
    if (!TAG.test(tag)) return null;
  }
  const parts = name.split("/");
  if (parts.length < 2) return null;
  const [host, ...path] = parts;
  if (!HOST.test(host ?? "") || !path.every((p) => PATH_COMPONENT.test(p))) return null;
  return tag === undefined ? { name } : { name, tag };
}

function show(value: unknown): string {
  return JSON.stringify(value) ?? String(value);
}

function isBlank(value: unknown): boolean {
  return value === undefined || value === null || (typeof value === "string" && !value.trim());
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A RegExp or any predicate with the same `test` shape. */
interface Matcher {
  test(s: string): boolean;
}

/** Collects problems while reading one key at a time. */
class Reader {
  readonly problems: string[] = [];
  readonly warnings: string[] = [];

  problem(key: string, message: string, value: unknown): void {
    this.problems.push(`${CONFIG_NAMESPACE}:${key} ${message}, got ${show(value)}`);
  }

  missing(key: string): void {
    this.problems.push(`${CONFIG_NAMESPACE}:${key} is required`);
  }

  string(key: string, value: unknown, pattern: Matcher, what: string): string | undefined {
    if (isBlank(value)) {
      this.missing(key);
      return undefined;
    }
    if (typeof value !== "string" || !pattern.test(value.trim())) {
      this.problem(key, `must be ${what}`, value);
      return undefined;
    }
    return value.trim();
  }

  integer(key: string, value: unknown, min: number, max: number, what: string) {
    if (isBlank(value)) {
      this.missing(key);
      return undefined;
    }
    const n = typeof value === "string" && /^-?[0-9]+$/.test(value.trim()) ? Number(value) : value;
    if (typeof n !== "number" || !Number.isSafeInteger(n) || n < min || n > max) {
      this.problem(key, `must be ${what}`, value);
      return undefined;
    }
    return n;
  }

  oneOf<T extends string>(key: string, value: unknown, allowed: readonly T[], fallback?: T) {
    if (isBlank(value) && fallback !== undefined) return fallback;
    if (isBlank(value)) {
      this.missing(key);
      return undefined;
    }
    if (typeof value !== "string" || !(allowed as readonly string[]).includes(value.trim())) {
      this.problem(key, `must be one of ${allowed.join(", ")}`, value);
      return undefined;
    }
    return value.trim() as T;
  }

  record(key: string, value: unknown, required: boolean): Record<string, unknown> | undefined {
    if (isBlank(value)) {
      if (required) this.missing(key);
      return undefined;
    }
    if (!isRecord(value)) {
      this.problem(key, "must be a map", value);
      return undefined;
    }
    return value;
  }

  unknownKeys(key: string, value: Record<string, unknown>, known: readonly string[]): void {
    for (const k of Object.keys(value).sort()) {
      if (!known.includes(k)) {
        const hint = `is not a known setting (known: ${known.join(", ")})`;
        this.problem(`${key}.${k}`, hint, value[k]);
      }
    }
  }

  labels(key: string, value: unknown): Record<string, string> {
    const map = this.record(key, value, false);
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(map ?? {}).sort(([a], [b]) => (a < b ? -1 : 1))) {
      if (!LABEL_KEY.test(k)) this.problem(`${key}`, "must have label keys like a.b/c", k);
      else if (isReservedLabel(k)) {
        this.problem(`${key}["${k}"]`, "is set by fedora-base and cannot be overridden", v);
      } else if (typeof v !== "string") this.problem(`${key}["${k}"]`, "must be a string", v);
      else out[k] = v;
    }
    return out;
  }
}

function parseBuilder(r: Reader, value: unknown): BuilderConfig | undefined {
  const b = r.record("builder", value, true);
  if (!b) return undefined;
  r.unknownKeys("builder", b, ["name", "buildkitVersion", "network"]);
  const name = r.string("builder.name", b.name, /^[A-Za-z0-9][A-Za-z0-9_.-]*$/, "a buildx name");
  const buildkitVersion = r.string(
    "builder.buildkitVersion",
    b.buildkitVersion,
    BUILDKIT_VERSION,
    "a BuildKit release like v0.34.2",
  );
  const network = r.oneOf("builder.network", b.network, BUILD_NETWORKS, "default");
  if (!name || !buildkitVersion || !network) return undefined;
  return { name, buildkitVersion, network };
}

function parseExporter(r: Reader, value: unknown): ExporterConfig | undefined {
  const e = r.record("exporter", value, false) ?? {};
  r.unknownKeys("exporter", e, ["ociMediaTypes", "compression", "compressionLevel"]);
  let ociMediaTypes = true;
  if (!isBlank(e.ociMediaTypes)) {
    if (typeof e.ociMediaTypes === "boolean") ociMediaTypes = e.ociMediaTypes;
    else if (e.ociMediaTypes === "true" || e.ociMediaTypes === "false") {
      ociMediaTypes = e.ociMediaTypes === "true";
    } else r.problem("exporter.ociMediaTypes", "must be true or false", e.ociMediaTypes);
  }
  const compression = r.oneOf("exporter.compression", e.compression, COMPRESSIONS, "gzip");
  const max = compression === "zstd" ? 22 : 9;
  const compressionLevel = isBlank(e.compressionLevel)
    ? compression === "zstd"
      ? 3
      : 9
    : r.integer("exporter.compressionLevel", e.compressionLevel, 0, max, `an integer 0-${max}`);
  if (compression === "uncompressed" && !isBlank(e.compressionLevel)) {
    const level = e.compressionLevel;
    r.problem("exporter.compressionLevel", "has no meaning without compression", level);
  }
  if (compression === "zstd" && !ociMediaTypes) {
    r.problem("exporter.ociMediaTypes", "must be true with zstd compression (Docker media " +
      "types have no zstd layer type)", e.ociMediaTypes);
  }
  if (!compression || compressionLevel === undefined) return undefined;
  return { ociMediaTypes, compression, compressionLevel };
}

function parseMirror(r: Reader, value: unknown): Record<string, string> {
  const m = r.record("mirror", value, false) ?? {};
  const out: Record<string, string> = {};
  for (const id of Object.keys(m).sort()) {
    const url = m[id];
    if (!REPO_ID.test(id)) r.problem("mirror", "must have DNF repo ids as keys", id);
    else if (typeof url !== "string" || !/^(https?|file):\/\/[^\s;"'=\\]+$/.test(url.trim())) {
      r.problem(`mirror.${id}`, "must be an http(s):// or file:// URL", url);
    } else if (/^[a-z]+:\/\/[^/]*@/.test(url.trim())) {
      // It would be written into labels, build arguments and the image's repo files.
      r.problem(`mirror.${id}`, "must not hold credentials (use a credential-free mirror URL)",
        url.replace(/\/\/[^/]*@/, "//***@"));
    } else out[id] = url.trim();
  }
  return out;
}

function parseRelease(
  r: Reader,
  key: string,
  value: unknown,
  architectures: Architecture[],
  now: number,
): ReleaseConfig | undefined {
  const release = /^[1-9][0-9]{0,3}$/.test(key) ? Number(key) : undefined;
  const at = `releases["${key}"]`;
  if (release === undefined) {
    r.problem("releases", "must have Fedora release numbers as keys", key);
    return undefined;
  }
  const rel = r.record(at, value, true);
  if (!rel) return undefined;
  r.unknownKeys(at, rel, ["epoch", "baseImage", "snapshots"]);
  if (release < FIRST_REPRODUCIBLE_RELEASE) {
    r.warnings.push(
      `${CONFIG_NAMESPACE}:releases["${key}"]: releases before ${FIRST_REPRODUCIBLE_RELEASE} ` +
        "are not bit-for-bit reproducible (rpm writes install times from the clock)",
    );
  }
  const epochRule = "whole Unix seconds, not in the future";
  const epoch = r.integer(`${at}.epoch`, rel.epoch, 1, now, epochRule);
  const baseImage = r.string(
    `${at}.baseImage`,
    rel.baseImage,
    { test: (s: string) => parsePinnedRef(s) !== null },
    "pinned by digest (name@sha256:<64 hex>)",
  );
  const snaps = r.record(`${at}.snapshots`, rel.snapshots, true) ?? {};
  const snapshots: Partial<Record<Architecture, string>> = {};
  for (const arch of Object.keys(snaps).sort()) {
    if (!(ARCHITECTURES as readonly string[]).includes(arch)) {
      r.problem(`${at}.snapshots`, `must have architectures (${ARCHITECTURES.join(", ")})`, arch);
      continue;
    }
    const ref = r.string(
      `${at}.snapshots.${arch}`,
      snaps[arch],
      { test: (s: string) => parsePinnedRef(s) !== null },
      "a snapshot pinned by digest (name@sha256:<64 hex>)",
    );
    if (ref) snapshots[arch as Architecture] = ref;
  }
  for (const arch of architectures) {
    if (isBlank(snaps[arch])) {
      r.problems.push(
        `${CONFIG_NAMESPACE}:${at}.snapshots.${arch} is required for every architecture ` +
          `of the stack (make one with: npx tsx cli/main.ts snapshot new --stack <stack> ` +
          `--release ${key})`,
      );
    }
  }
  if (epoch === undefined || baseImage === undefined) return undefined;
  return { release, epoch, baseImage, snapshots };
}

function parseDerived(
  r: Reader,
  value: unknown,
  releases: Set<number>,
): DerivedImageConfig[] {
  const map = r.record("derivedImages", value, false) ?? {};
  const out: DerivedImageConfig[] = [];
  for (const name of Object.keys(map).sort()) {
    const at = `derivedImages.${name}`;
    if (!NAME.test(name)) {
      r.problem("derivedImages", "must have lowercase kebab-case names as keys", name);
      continue;
    }
    if (RESERVED_IMAGE_NAMES.includes(name)) {
      r.problem("derivedImages", `must not use a name fedora-base uses itself ` +
        `(${RESERVED_IMAGE_NAMES.join(", ")})`, name);
      continue;
    }
    const d = r.record(at, map[name], true);
    if (!d) continue;
    r.unknownKeys(at, d, ["release", "packages", "steps", "labels"]);
    const release = r.integer(`${at}.release`, d.release, 1, 9999, "a Fedora release number");
    if (release !== undefined && !releases.has(release)) {
      r.problem(`${at}.release`, "must be one of the stack's releases", d.release);
    }
    const packages: string[] = [];
    if (!Array.isArray(d.packages) || d.packages.length === 0) {
      r.problem(`${at}.packages`, "must be a non-empty list of package names", d.packages);
    } else {
      for (const p of d.packages) {
        if (typeof p === "string" && PACKAGE_SPEC.test(p)) packages.push(p);
        else r.problem(`${at}.packages`, "must hold package names like git or make", p);
      }
    }
    const steps: string[] = [];
    if (!isBlank(d.steps)) {
      if (!Array.isArray(d.steps)) r.problem(`${at}.steps`, "must be a list of commands", d.steps);
      else {
        for (const s of d.steps) {
          if (typeof s === "string" && s.trim()) steps.push(s);
          else r.problem(`${at}.steps`, "must hold non-empty shell commands", s);
        }
      }
    }
    const labels = r.labels(`${at}.labels`, d.labels);
    if (release !== undefined) out.push({ name, release, packages, steps, labels });
  }
  return out;
}

/**
 * Parses the stack configuration. `raw` maps keys without the namespace (`releases`, `builder`,
 * ...) to their values as YAML gives them. `now` (Unix seconds) bounds epochs.
 */
export function parseStackConfig(
  raw: Record<string, unknown>,
  now: number = Math.floor(Date.now() / 1000),
): ParseResult {
  const r = new Reader();
  for (const key of Object.keys(raw).sort()) {
    if (!(CONFIG_KEYS as readonly string[]).includes(key)) {
      r.problem(key, `is not a known setting (known: ${CONFIG_KEYS.join(", ")})`, raw[key]);
    }
  }
  const kind = r.oneOf("kind", raw.kind, STACK_KINDS, "local");
  const registry = r.string(
    "registry",
    raw.registry,
    { test: (s: string) => parseRepository(s)?.tag === undefined && parseRepository(s) !== null },
    "a repository prefix like registry.example.com/team (no scheme, tag or digest)",
  );
  const architectures: Architecture[] = [];
  if (!Array.isArray(raw.architectures) || raw.architectures.length === 0) {
    r.problem("architectures", `must be a non-empty list of ${ARCHITECTURES.join(", ")}`,
      raw.architectures);
  } else {
    for (const a of raw.architectures) {
      if (!(ARCHITECTURES as readonly unknown[]).includes(a)) {
        r.problem("architectures", `must hold only ${ARCHITECTURES.join(", ")}`, a);
      } else if (architectures.includes(a as Architecture)) {
        r.problem("architectures", "must not repeat an architecture", a);
      } else architectures.push(a as Architecture);
    }
    architectures.sort((a, b) => ARCHITECTURES.indexOf(a) - ARCHITECTURES.indexOf(b));
  }
  const builder = parseBuilder(r, raw.builder);
  const mirror = parseMirror(r, raw.mirror);
  const exporter = parseExporter(r, raw.exporter);
  const labels = r.labels("labels", raw.labels);
  const releaseMap = r.record("releases", raw.releases, true) ?? {};
  const releases: ReleaseConfig[] = [];
  for (const key of Object.keys(releaseMap)) {
    const rel = parseRelease(r, key, releaseMap[key], architectures, now);
    if (rel) releases.push(rel);
  }
  if (raw.releases !== undefined && Object.keys(releaseMap).length === 0) {
    r.problem("releases", "must list at least one release", raw.releases);
  }
  releases.sort((a, b) => a.release - b.release);
  const derivedImages = parseDerived(r, raw.derivedImages, new Set(releases.map((x) => x.release)));
  if (kind === "aws" && isBlank(raw.aws)) r.missing("aws");
  if (r.problems.length > 0 || !kind || !registry || !builder || !exporter) {
    throw new ConfigError(r.problems);
  }
  return {
    config: {
      kind,
      registry,
      architectures,
      builder,
      mirror,
      exporter,
      labels,
      releases,
      derivedImages,
      aws: raw.aws,
    },
    warnings: r.warnings,
  };
}

/** The mirror as the recipe reads it: `id=url` entries joined by `;`, sorted by id. */
export function mirrorString(mirror: Record<string, string>): string {
  return Object.keys(mirror)
    .sort()
    .map((id) => `${id}=${mirror[id]}`)
    .join(";");
}
