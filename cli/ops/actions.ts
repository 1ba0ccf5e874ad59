/** The operations commands as they run for real: regctl, buildx, diffoci, fetch, Pulumi. */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { type BuildxBuilder, Buildx as SnapshotBuildx } from "../buildx";
import { Regctl, type RegistryTls } from "../regctl";
import type { Log } from "../run";
import { snapshotNew } from "../snapshot/new";
import type { SnapshotDeps } from "../snapshot/ports";
import { openStack } from "../stack";
import { currentBuilder, OpsBuildx } from "./buildkit";
import { checkUpdates } from "./check-updates";
import type { OpsActions, OpsTarget } from "./commands";
import { exportDnfCache } from "./export-dnf-cache";
import { diffImages, packagesOf } from "./packages";
import type { DiffociResult, OpsDeps, StackReader } from "./ports";
import { checkRebuildable } from "./rebuildable";
import { OpsRegctl } from "./registry";
import { reproduce } from "./reproduce";
import { openStackReader } from "./stack";

/** How long one mirror request may take before it counts as no answer. */
const FETCH_TIMEOUT_MS = 30_000;

/** HTTP status of a package URL; mirrors that refuse HEAD get a one-byte GET instead. */
export async function fetchStatus(url: string): Promise<number> {
  if (url.startsWith("file://")) return fs.existsSync(fileURLToPath(url)) ? 200 : 404;
  try {
    const head = await fetch(url, { method: "HEAD", redirect: "follow",
      signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
    if (head.status !== 405 && head.status !== 501) return head.status;
    const get = await fetch(url, { headers: { Range: "bytes=0-0" }, redirect: "follow",
      signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
    await get.body?.cancel();
    return get.status;
  } catch {
    return 0;
  }
}

/** `diffoci diff`, whose exit code 1 means "differences found", not failure. */
async function diffoci(log: Log, temp: string, a: string, b: string, platform: string):
  Promise<DiffociResult | undefined> {
  const args = ["--backend", "local", "--local-cache", temp, "diff", "--platform", platform, a, b];
  log(`$ diffoci ${args.join(" ")}`);
  const { execa } = await import("execa");
  const result = await execa("diffoci", args, { reject: false, stdin: "ignore" });
  if (result.code === "ENOENT") return undefined;
  const output = String(result.stdout ?? "");
  if (!/^TYPE\s+NAME/m.test(output) && result.exitCode !== 0) {
    throw new Error(`diffoci failed with exit code ${String(result.exitCode)}: ` +
      String(result.stderr ?? "").trim().split("\n").slice(-5).join(" | "));
  }
  return { exitCode: result.exitCode ?? 1, output };
}

function rawBuilder(raw: Record<string, unknown>): { name?: string; network?: string } {
  const b = raw.builder;
  if (typeof b !== "object" || b === null) return {};
  const { name, network } = b as Record<string, unknown>;
  return {
    name: typeof name === "string" && name.trim() ? name.trim() : undefined,
    network: typeof network === "string" && network.trim() ? network.trim() : undefined,
  };
}

interface Session {
  deps: OpsDeps;
  choice(): Promise<BuildxBuilder>;
  reader?: StackReader;
  tls?: RegistryTls;
}

/**
 * Runs `fn` with the real tools; every temporary directory it made is removed afterwards. The
 * builder is `--builder`, else the stack's `builder.name`, else buildx's current builder; its
 * network `--network`, else the stack's `builder.network`, else `default`.
 */
async function withSession<T>(
  projectDir: string,
  target: OpsTarget,
  log: Log,
  fn: (s: Session) => Promise<T>,
): Promise<T> {
  const temps: string[] = [];
  const tempDir = () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fedora-base-ops-"));
    temps.push(dir);
    return dir;
  };
  const reader = target.stack ? await openStackReader(target.stack, projectDir) : undefined;
  let resolved: Promise<BuildxBuilder> | undefined;
  const choice = () => (resolved ??= (async () => {
    const fromStack = reader ? rawBuilder(await reader.readConfig()) : {};
    const name = target.builder ?? fromStack.name ?? await currentBuilder(log);
    const network = target.network ?? (fromStack.network === "host" ? "host" : "default");
    return { name, network };
  })());
  let builder: Promise<OpsBuildx> | undefined;
  const deps: OpsDeps = {
    registry: new OpsRegctl(log, target.registryTls),
    builder: () => (builder ??= choice().then((c) => new OpsBuildx(log, c, tempDir))),
    log,
    tempDir,
    fetchStatus,
    diffoci: (a, b, platform) => diffoci(log, tempDir(), a, b, platform),
  };
  try {
    return await fn({ deps, choice, reader, tls: target.registryTls });
  } finally {
    for (const dir of temps) fs.rmSync(dir, { recursive: true, force: true });
  }
}

export function realOpsActions(projectDir: string, log: Log): OpsActions {
  const recipeDir = path.join(projectDir, "recipe");
  return {
    checkUpdates: (target, options) => withSession(projectDir, target, log, async (s) => {
      const reader = s.reader;
      if (!reader) throw new Error("check-updates needs --stack");
      const bump = async (release: number) => {
        const snapshotDeps: SnapshotDeps = {
          registry: new Regctl(log, s.tls),
          builder: (b) => new SnapshotBuildx(log, b, recipeDir),
          stack: await openStack(reader.name, projectDir),
          log,
          now: () => Math.floor(Date.now() / 1000),
          tempDir: () => s.deps.tempDir(),
        };
        return snapshotNew(snapshotDeps, { release, dryRun: false });
      };
      return checkUpdates(s.deps, reader, options, bump);
    }),
    exportDnfCache: (target, options) => withSession(projectDir, target, log, (s) =>
      exportDnfCache(s.deps, async () => new SnapshotBuildx(log, await s.choice(), recipeDir),
        options)),
    reproduce: (target, options) => withSession(projectDir, target, log, (s) =>
      reproduce(s.deps, options)),
    packages: (target, options) => withSession(projectDir, target, log, (s) =>
      packagesOf(s.deps, options, s.reader)),
    diff: (target, options) => withSession(projectDir, target, log, (s) =>
      diffImages(s.deps, options)),
    checkRebuildable: (target, options) => withSession(projectDir, target, log, (s) =>
      checkRebuildable(s.deps, options)),
  };
}
