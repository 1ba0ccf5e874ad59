/**
 * `reproduce`: rebuild a published image from what it carries (its labels and its own recipe)
 * on a clean BuildKit cache, and compare digests. On a mismatch it says which layers and which
 * files differ. "Reproduces" means equal per-platform manifest digests (C10).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { DEFAULT_EXPORTER, exporterOptions, pushByDigestExport } from "../../components/exporter";
import { buildDefinitionHash, type ContextFiles } from "../../components/recipe";
import { COMPRESSIONS, type ExporterConfig, parseRepository } from "../../stacks/config";
import { type ImageFacts, RECIPE_PATH, readImageFacts } from "./image";
import { OPS_EXIT } from "./exit-codes";
import type { OpsDeps } from "./ports";

export interface ReproduceOptions {
  /** A published fedora-base image, pinned by digest. */
  image: string;
  /**
   * Where the rebuild is pushed: `repository` (by digest only) or `repository:tag`. Default: the
   * image's own repository, by digest only, so no tag moves and a matching rebuild adds nothing.
   */
  scratch?: string;
  /** Exporter options to use when the image's build-definition label matches none. */
  fallbackExporter?: ExporterConfig;
}

export interface LayerComparison {
  index: number;
  published?: string;
  rebuilt?: string;
  same: boolean;
}

export interface ReproduceReport {
  command: "reproduce";
  image: string;
  match: boolean;
  exitCode: number;
  published: string;
  rebuilt: string;
  /** Where the rebuild was pushed, by digest. */
  rebuiltRef: string;
  builder: { name: string; buildkit: string[] };
  determinants: {
    release: number;
    architecture: string;
    platform: string;
    epoch: number;
    baseImage: string;
    snapshot: string;
    repos: string;
    /** Exporter options, recovered from the build-definition label. */
    exporter: string;
    /** Whether the recipe, arguments and exporter hash to the image's build-definition label. */
    buildDefinition: "matches" | "no label" | "does not match";
    buildArgs: Record<string, string>;
    recipeFiles: string[];
  };
  /** Only on a mismatch. */
  differences?: {
    config: { published: string; rebuilt: string; same: boolean };
    layers: LayerComparison[];
    /** Paths diffoci reports as different (empty when diffoci is not installed). */
    files: string[];
    /** diffoci's rows, whitespace collapsed, at most 60. */
    findings: string[];
  };
  warnings: string[];
}

/** Every exporter configuration the project accepts (stacks/config.ts), default first. */
export function exporterCandidates(): ExporterConfig[] {
  const out: ExporterConfig[] = [DEFAULT_EXPORTER];
  for (const ociMediaTypes of [true, false]) {
    for (const compression of COMPRESSIONS) {
      const levels = compression === "uncompressed" ? [0]
        : [...Array(compression === "zstd" ? 23 : 10).keys()];
      for (const compressionLevel of levels) {
        out.push({ ociMediaTypes, compression, compressionLevel });
      }
    }
  }
  return out;
}

/** Build arguments exactly as components/fedora-base-image.ts sets them, from the labels. */
export function buildArgsOf(facts: ImageFacts): Record<string, string> {
  return {
    BASE_IMAGE: facts.baseImage,
    FEDORA_BASE_REPOS: facts.repos,
    FEDORA_RELEASE: String(facts.release),
    SNAPSHOT_IMAGE: facts.snapshot,
    SOURCE_DATE_EPOCH: String(facts.epoch),
  };
}

/**
 * The exporter options whose build definition hashes to `label`. The label covers recipe files,
 * build arguments, exporter options and platform; all but the exporter are known here, and the
 * exporter has a few dozen possible values, so trying each recovers it exactly.
 */
export function recoverExporter(
  label: string,
  files: ContextFiles,
  buildArgs: Record<string, string>,
  platform: string,
): ExporterConfig | undefined {
  return exporterCandidates().find((e) =>
    buildDefinitionHash({ files, buildArgs, exporter: exporterOptions(e), platform }) === label);
}

/** Reads a flat recipe directory: file name to content. */
function readRecipe(dir: string): ContextFiles {
  const files: ContextFiles = {};
  for (const name of fs.readdirSync(dir).sort()) {
    const file = path.join(dir, name);
    if (!fs.statSync(file).isFile()) {
      throw new Error(`the recipe in the image holds ${name}, which is not a file; this tool ` +
        "rebuilds only flat recipes");
    }
    files[name] = fs.readFileSync(file, "utf8");
  }
  return files;
}

/** The `--output` of the rebuild. */
export function scratchOutput(
  scratch: string | undefined,
  facts: ImageFacts,
  exporter: ExporterConfig,
): string {
  if (scratch === undefined) return pushByDigestExport(facts.repository, exporter);
  const parsed = parseRepository(scratch);
  if (!parsed) throw new Error(`--scratch must be a repository[:tag], got ${scratch}`);
  return parsed.tag === undefined
    ? pushByDigestExport(parsed.name, exporter)
    : `type=image,name=${scratch},push=true,${exporterOptions(exporter)}`;
}

interface ManifestBody {
  config?: { digest?: string };
  layers?: { digest?: string }[];
}

async function layersOf(deps: OpsDeps, ref: string) {
  const { body } = await deps.registry.manifest(ref);
  const m = body as ManifestBody;
  return { config: m.config?.digest ?? "", layers: (m.layers ?? []).map((l) => l.digest ?? "") };
}

/** Pairs the layers of two manifests by position. */
export function compareLayers(published: string[], rebuilt: string[]): LayerComparison[] {
  const out: LayerComparison[] = [];
  for (let index = 0; index < Math.max(published.length, rebuilt.length); index++) {
    const a = published[index];
    const b = rebuilt[index];
    out.push({ index, published: a, rebuilt: b, same: a !== undefined && a === b });
  }
  return out;
}

/**
 * The rows of a `diffoci diff` report (`TYPE NAME INPUT-0 INPUT-1`) that concern files, and the
 * paths they name: `File` rows name a path, `Layer` rows quote one ("name "x" only appears in
 * input 1").
 */
export function parseDiffoci(output: string): { files: string[]; findings: string[] } {
  const files = new Set<string>();
  const findings: string[] = [];
  for (const line of output.split("\n")) {
    const tokens = line.trim().split(/\s+/);
    const [type, name] = tokens;
    if (type === "File" && name) {
      files.add(name);
      findings.push(tokens.join(" "));
    } else if (type === "Layer") {
      for (const m of line.matchAll(/name "([^"]+)"/g)) if (m[1]) files.add(m[1]);
      findings.push(tokens.join(" "));
    } else if (type === "Cfg" || type === "Mani" || type === "Desc") {
      findings.push(tokens.join(" "));
    }
  }
  return { files: [...files].sort(), findings: findings.slice(0, 60) };
}

/** Rebuilds the image with the determinants it records and compares the digests. */
export async function reproduce(
  deps: OpsDeps,
  options: ReproduceOptions,
): Promise<ReproduceReport> {
  const facts = await readImageFacts(deps.registry, options.image);
  const builder = await deps.builder();
  const warnings: string[] = [];
  const recipeDir = path.join(deps.tempDir(), "recipe");
  deps.log(`reading the recipe ${facts.ref} carries in ${RECIPE_PATH}`);
  // The copy keeps the files' times as they are in the image: a time older than the epoch is
  // not rewritten by the exporter, so it is part of the bytes to reproduce.
  await builder.copyOut({ image: facts.ref, platform: facts.platform, from: RECIPE_PATH,
    dest: recipeDir });
  const files = readRecipe(recipeDir);
  if (!("Containerfile" in files)) throw new Error(`${facts.ref} carries no Containerfile`);
  const buildArgs = buildArgsOf(facts);
  let exporter = options.fallbackExporter ?? DEFAULT_EXPORTER;
  let buildDefinition: ReproduceReport["determinants"]["buildDefinition"] = "no label";
  if (facts.buildDefinition) {
    const found = recoverExporter(facts.buildDefinition, files, buildArgs, facts.platform);
    buildDefinition = found ? "matches" : "does not match";
    if (found) exporter = found;
    else {
      warnings.push("the recipe, build arguments and platform the image records hash to no " +
        `build definition with any exporter options, not to its label ${facts.buildDefinition}: ` +
        "the image does not describe how it was built; rebuilding with " +
        exporterOptions(exporter));
    }
  } else {
    warnings.push(`${facts.ref} has no build-definition label; rebuilding with ` +
      exporterOptions(exporter));
  }
  const buildkit = await builder.versions();
  if (facts.buildkitVersion && buildkit.some((v) => v !== facts.buildkitVersion)) {
    warnings.push(`the image was built with BuildKit ${facts.buildkitVersion}, builder ` +
      `${builder.name} runs ${buildkit.join(", ")}: a difference may come from that alone`);
  }

  deps.log(`rebuilding ${facts.ref} on ${builder.name} with --no-cache`);
  const rebuilt = await builder.build({
    context: recipeDir,
    file: "Containerfile",
    platform: facts.platform,
    buildArgs,
    labels: facts.labels,
    network: builder.network,
    output: scratchOutput(options.scratch, facts, exporter),
  });
  const scratchRepo = options.scratch === undefined
    ? facts.repository : (parseRepository(options.scratch)?.name ?? facts.repository);
  const rebuiltRef = `${scratchRepo}@${rebuilt}`;
  const match = rebuilt === facts.digest;
  const report: ReproduceReport = {
    command: "reproduce",
    image: facts.ref,
    match,
    exitCode: match ? OPS_EXIT.ok : OPS_EXIT.failed,
    published: facts.digest,
    rebuilt,
    rebuiltRef,
    builder: { name: builder.name, buildkit },
    determinants: {
      release: facts.release,
      architecture: facts.architecture,
      platform: facts.platform,
      epoch: facts.epoch,
      baseImage: facts.baseImage,
      snapshot: facts.snapshot,
      repos: facts.repos,
      exporter: exporterOptions(exporter),
      buildDefinition,
      buildArgs,
      recipeFiles: Object.keys(files),
    },
    warnings,
  };
  if (match) return report;

  deps.log("the digests differ; comparing layers and files");
  const a = await layersOf(deps, facts.ref);
  const b = await layersOf(deps, rebuiltRef);
  const diff = await deps.diffoci(facts.ref, rebuiltRef, facts.platform);
  const parsed = diff ? parseDiffoci(diff.output) : { files: [], findings: [] };
  if (!diff) warnings.push("diffoci is not on PATH: the files that differ are not listed");
  report.differences = {
    config: { published: a.config, rebuilt: b.config, same: a.config === b.config },
    layers: compareLayers(a.layers, b.layers),
    ...parsed,
  };
  return report;
}

const short = (digest: string | undefined) => (digest ?? "-").replace(/^sha256:/, "").slice(0, 12);

/** The report for a person reading a terminal. */
export function formatReproduce(r: ReproduceReport): string {
  const d = r.determinants;
  const lines = [
    `reproduce: ${r.image}`,
    `  release ${d.release} ${d.architecture}, epoch ${d.epoch}`,
    `  base      ${d.baseImage}`,
    `  snapshot  ${d.snapshot}`,
    `  exporter  ${d.exporter} (build definition ${d.buildDefinition})`,
    `  recipe    ${d.recipeFiles.join(", ")}`,
    `  rebuilt on ${r.builder.name} (BuildKit ${r.builder.buildkit.join(", ")}), --no-cache`,
    `  published ${r.published}`,
    `  rebuilt   ${r.rebuilt}`,
    r.match ? "match: the rebuild has the published digest"
      : `MISMATCH: the rebuild (${r.rebuiltRef}) differs from the published image`,
  ];
  const diff = r.differences;
  if (diff) {
    lines.push(`  config ${diff.config.same ? "same" : "differs"} ` +
      `(${short(diff.config.published)} / ${short(diff.config.rebuilt)})`);
    for (const l of diff.layers) {
      lines.push(`  layer ${l.index}: ${l.same ? "same" : "DIFFERS"} ` +
        `(published ${short(l.published)}, rebuilt ${short(l.rebuilt)})`);
    }
    if (diff.files.length > 0) lines.push("  files that differ (diffoci):");
    for (const f of diff.files) lines.push(`    ${f}`);
    for (const f of diff.findings.filter((x) => /^(File|Layer) /.test(x)).slice(0, 20)) {
      lines.push(`    | ${f}`);
    }
  }
  for (const w of r.warnings) lines.push(`  warning: ${w}`);
  return `${lines.join("\n")}\n`;
}
