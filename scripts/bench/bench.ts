// Figures for scripts/bench.sh: how long the stand-in stack takes through the real engine and
// real BuildKit. Prints a table of seconds; asserts nothing. Engine output goes to log files
// under $FEDORA_BASE_RUN/e2e-logs/bench-*.log.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

import { LocalWorkspace, type EngineEvent } from "@pulumi/pulumi/automation";

import { run } from "../../cli/run";
import { mirrorString } from "../../stacks/config";
import { e2eEnv, REPO, type E2eEnv } from "../../test/e2e/env";
import { FreshBuilder } from "../../test/e2e/fresh-builder";
import { mirror } from "../../test/e2e/mirror";
import { releasesOf, type ReleaseEntry } from "../../test/e2e/outputs";
import {
  cli,
  createStack,
  removeStack,
  standinConfig,
  type EngineStack,
} from "../../test/e2e/stack";

const RUNS = 3;

interface Row {
  what: string;
  seconds: number;
  note: string;
}

async function timed<T>(body: () => Promise<T>): Promise<[number, T]> {
  const start = process.hrtime.bigint();
  const result = await body();
  return [Number(process.hrtime.bigint() - start) / 1e9, result];
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
}

/** `up`, timing each docker-build Image from its first to its last engine event. */
async function upTimed(s: EngineStack): Promise<{ seconds: number; images: Map<string, number> }> {
  const started = new Map<string, number>();
  const images = new Map<string, number>();
  const onEvent = (e: EngineEvent) => {
    const pre = e.resourcePreEvent?.metadata;
    if (pre?.type === "docker-build:index:Image") started.set(pre.urn, Date.now());
    const done = e.resOutputsEvent?.metadata;
    if (done?.type === "docker-build:index:Image") {
      const name = done.urn.split("::").pop() ?? done.urn;
      images.set(name, (Date.now() - (started.get(done.urn) ?? Date.now())) / 1000);
    }
  };
  const [seconds] = await timed(() =>
    s.stack.up({ onOutput: s.log, onEvent, color: "never" }));
  return { seconds, images };
}

/** BuildKit's own time for the base image's RUN step, from the engine log ("#N DONE 1.7s"). */
function runStepSeconds(logFile: string): number {
  const lines = fs.readFileSync(logFile, "utf8").split("\n");
  const id = lines.map((l) => /#(\d+) \[[^\]]*\] RUN .*build\.sh/.exec(l)).find(Boolean)?.[1];
  const done = lines.map((l) => new RegExp(`#${id} DONE (\\d+\\.\\d+)s`).exec(l)).find(Boolean);
  return Number(done?.[1] ?? NaN);
}

/**
 * Runs the real recipe (build.sh) once more in a plain BuildKit build, traced with a timestamp
 * on every command, and returns how long the whole script and its `dnf upgrade` took.
 */
async function tracedRecipe(
  env: E2eEnv,
  builder: string,
  release: string,
  pinned: ReleaseEntry,
): Promise<{ script: number; dnf: number }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fb-trace-"));
  try {
    const context = path.join(dir, "context");
    fs.mkdirSync(context);
    for (const f of ["build.sh", "dnf.sh"]) {
      fs.copyFileSync(path.join(REPO, "recipe", "image", f), path.join(context, f));
    }
    // bash takes no PS4 from the environment when run as root; BASH_ENV sets it instead.
    fs.writeFileSync(path.join(context, "trace.env"), "PS4='+ $EPOCHREALTIME '\nset -x\n");
    fs.writeFileSync(path.join(context, "Dockerfile"), [
      `FROM ${pinned.snapshots.x86_64 ?? ""} AS snapshot`,
      `FROM ${pinned.baseImage} AS run`,
      "ARG SOURCE_DATE_EPOCH FEDORA_RELEASE FEDORA_BASE_REPOS",
      "RUN --network=host --mount=type=bind,from=snapshot,target=/run/fedora-base/snapshot " +
        "--mount=type=bind,target=/run/fedora-base/recipe " +
        "BASH_ENV=/run/fedora-base/recipe/trace.env bash /run/fedora-base/recipe/build.sh " +
        "/run/fedora-base/snapshot 2>/trace >/dev/null",
      "FROM scratch",
      "COPY --from=run /trace /",
      "",
    ].join("\n"));
    const config = standinConfig(env, "unused");
    const log = (line: string) => fs.appendFileSync(path.join(env.logs, "bench-trace.log"), line);
    await run(log, "docker", [
      "buildx", "build", "--builder", builder, "--no-cache", "--progress", "plain",
      "--allow", "network.host",
      "--build-arg", `SOURCE_DATE_EPOCH=${pinned.epoch}`,
      "--build-arg", `FEDORA_RELEASE=${release}`,
      "--build-arg", `FEDORA_BASE_REPOS=${mirrorString(config.mirror as Record<string, string>)}`,
      "--output", `type=local,dest=${path.join(dir, "out")}`, context,
    ]);
    const text = fs.readFileSync(path.join(dir, "out", "trace"), "utf8");
    log(text);
    const trace = text.split("\n")
      .map((l) => /^\++ (\d+\.\d+) (.*)$/.exec(l))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => ({ t: Number(m[1]), command: m[2] ?? "" }));
    const dnf = trace.findIndex((x) => /^dnf -y upgrade/.test(x.command));
    const end = trace[trace.length - 1]?.t ?? NaN;
    return {
      script: end - (trace[0]?.t ?? NaN),
      dnf: (trace[dnf + 1]?.t ?? NaN) - (trace[dnf]?.t ?? NaN),
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** `pulumi preview` of a program that declares nothing: what the engine costs by itself. */
async function engineFloor(env: E2eEnv, stamp: string): Promise<number[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fb-floor-"));
  const logFile = path.join(env.logs, `bench-floor-${stamp}.log`);
  const log = (line: string) => fs.appendFileSync(logFile, line);
  try {
    fs.writeFileSync(path.join(dir, "Pulumi.yaml"), "name: bench-floor\n" +
      "runtime:\n  name: nodejs\n  options:\n    typescript: true\nmain: index.ts\n");
    fs.writeFileSync(path.join(dir, "package.json"), '{"name": "bench-floor", "private": true}\n');
    fs.writeFileSync(path.join(dir, "index.ts"), "export {};\n");
    fs.symlinkSync(path.join(REPO, "node_modules"), path.join(dir, "node_modules"));
    const stack = await LocalWorkspace.createStack({ stackName: `bench-floor-${stamp}`,
      workDir: dir });
    try {
      await stack.up({ onOutput: log, color: "never" });
      const times: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        times.push((await timed(() => stack.preview({ onOutput: log, color: "never" })))[0]);
      }
      return times;
    } finally {
      await stack.workspace.removeStack(stack.name, { force: true });
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const env = e2eEnv();
  const stamp = `${process.pid}-${Date.now()}`;
  const release = String(env.standinRelease);
  const rows: Row[] = [];
  const stacks: EngineStack[] = [];
  const fresh = await FreshBuilder.start(env, "fedora-base-bench");
  const stackFor = async (name: string, releases?: object) => {
    const config = standinConfig(env, `bench-${stamp}`);
    const s = await createStack(env, `bench-${name}-${stamp}`, {
      ...config,
      builder: { ...(config.builder as object), name: fresh.name },
      ...(releases ? { releases } : {}),
    });
    stacks.push(s);
    return s;
  };
  try {
    // A snapshot with hello 1.1 in it, so the build runs a real DNF transaction.
    await mirror(() => undefined, "publish-update");
    const cold = await stackFor("cold");
    const [snapshot] = await timed(() =>
      cli(cold, ["snapshot", "new", "--stack", cold.name, "--release", release]));
    rows.push({ what: "snapshot new (one arch)", seconds: snapshot,
      note: "metadata fetch + push" });

    const first = await upTimed(cold);
    rows.push({ what: "up, cold", seconds: first.seconds,
      note: "empty state, fresh buildkitd (nothing cached, base pulled)" });
    const image = `fedora-${release}-x86_64-image`;
    rows.push({ what: "  image build (engine)", seconds: first.images.get(image) ?? NaN,
      note: "docker-build Image create: solve, export, push" });
    rows.push({ what: "  RUN build.sh (BuildKit)", seconds:
      runStepSeconds(path.join(env.logs, `${cold.name}.log`)), note: "the image's one RUN step" });
    const pinned = (await releasesOf(cold))[release];
    if (!pinned) throw new Error(`stack ${cold.name} has no release ${release}`);
    const traced = await tracedRecipe(env, env.builder, release, pinned);
    rows.push({ what: "  build.sh, traced again", seconds: traced.script,
      note: "the same script in a plain build, first to last command" });
    rows.push({ what: "  dnf upgrade inside it", seconds: traced.dnf,
      note: "the DNF transaction (hello 1.0 -> 1.1), from its trace" });

    const warm = await stackFor("warm", await releasesOf(cold));
    const second = await upTimed(warm);
    rows.push({ what: "up, warm", seconds: second.seconds,
      note: "empty state, same buildkitd (cache hit, blobs already pushed)" });
    const [noop] = await timed(() => cold.stack.up({ onOutput: cold.log, color: "never" }));
    rows.push({ what: "up, no-op", seconds: noop, note: "state and registry already current" });

    const previews: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      previews.push((await timed(() =>
        cold.stack.preview({ onOutput: cold.log, color: "never" })))[0]);
    }
    rows.push({ what: "preview, no-op", seconds: median(previews),
      note: `median of ${RUNS}: ${previews.map((t) => t.toFixed(1)).join(", ")}` });
    const floor = await engineFloor(env, stamp);
    rows.push({ what: "preview, empty program", seconds: median(floor),
      note: `engine floor, median of ${RUNS}: ${floor.map((t) => t.toFixed(1)).join(", ")}` });
  } finally {
    await mirror(() => undefined, "reset");
    await fresh.stop();
    for (const s of stacks) await removeStack(s);
  }

  const width = Math.max(...rows.map((r) => r.what.length));
  process.stdout.write(`${"what".padEnd(width)}  seconds  note\n`);
  for (const r of rows) {
    const seconds = r.seconds.toFixed(1).padStart(7);
    process.stdout.write(`${r.what.padEnd(width)}  ${seconds}  ${r.note}\n`);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
