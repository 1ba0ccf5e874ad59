// Shared steps of the operations suites: a stack of their own, built once from a new snapshot;
// the CLI run as an operator runs it; the stand-in mirror's state; probes inside images.
import { type ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";

import { OpsBuildx } from "../../../cli/ops/buildkit";
import { run } from "../../../cli/run";
import { REPO, type E2eEnv } from "../env";
import { cli, createStack, removeStack, standinConfig, up, type EngineStack } from "../stack";

export interface CliResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs the CLI and returns its exit code and output whatever the code: the operations commands
 * answer with codes other than 0 on purpose. Both streams go to the stack's log file.
 */
export async function opsCli(s: EngineStack, args: string[]): Promise<CliResult> {
  const { execa } = await import("execa");
  s.log(`$ fedora-base ${args.join(" ")}`);
  const r = await execa("npx", ["tsx", path.join(REPO, "cli", "main.ts"), ...args],
    { reject: false, stdin: "ignore", cwd: REPO });
  const result = { exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
  s.log(`exit ${result.exitCode}\n${result.stdout}\n${result.stderr}`);
  return result;
}

/** Parses a `--json` result, saying what the command printed when it is not JSON. */
export function json<T>(r: CliResult): T {
  try {
    return JSON.parse(r.stdout) as T;
  } catch {
    throw new Error(`not JSON (exit ${r.exitCode}):\n${r.stdout}\n${r.stderr.slice(-3000)}`);
  }
}

/**
 * A private copy of the stand-in mirror: `scripts/standin.sh` keeps its working copy in
 * `$FEDORA_BASE_RUN/standin/mirror`, so a run folder of the suite's own gives it a copy that
 * other suites' publish-update or reset cannot change under it. The suite serves that copy on
 * a free loopback port with a server it starts and stops itself.
 */
export class PrivateMirror {
  private server?: ChildProcess;
  readonly run: string;
  url = "";

  constructor(private readonly log: (line: string) => void) {
    this.run = fs.mkdtempSync(path.join(os.tmpdir(), "fedora-base-e2e-mirror-"));
  }

  /** Runs `scripts/standin.sh` on this copy (reset, publish-update, drop-package hello-1.0). */
  async standin(...args: string[]): Promise<void> {
    const env = { FEDORA_BASE_RUN: this.run };
    await run(this.log, path.join(REPO, "scripts", "standin.sh"), args, { env });
  }

  async start(): Promise<void> {
    await this.standin("reset");
    const port = await new Promise<number>((resolve, reject) => {
      const probe = net.createServer().listen(0, "127.0.0.1", () => {
        const address = probe.address();
        probe.close(() => (typeof address === "object" && address ? resolve(address.port)
          : reject(new Error("no free port"))));
      });
    });
    const dir = path.join(this.run, "standin", "mirror");
    this.server = spawn("python3", ["-m", "http.server", String(port), "--bind", "127.0.0.1",
      "--directory", dir], { stdio: "ignore" });
    this.url = `http://127.0.0.1:${port}`;
    for (let i = 0; ; i++) {
      const ok = await fetch(`${this.url}/fedora/`).then((r) => r.ok, () => false);
      if (ok) return;
      if (i > 100 || this.server.exitCode !== null) throw new Error(`mirror on ${this.url} down`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  stop(): void {
    if (this.server?.pid !== undefined && this.server.exitCode === null) this.server.kill();
    fs.rmSync(this.run, { recursive: true, force: true });
  }
}

export interface OpsStack {
  s: EngineStack;
  mirror: PrivateMirror;
  release: string;
  /** The x86_64 image `pulumi up` published, `repository@sha256:...`. */
  image: string;
}

/**
 * A stack of the suite's own (its registry prefix and name carry `prefix`) on a private mirror
 * in its initial state, with a snapshot taken now and its images built and pushed.
 */
export async function publishedStack(env: E2eEnv, prefix: string): Promise<OpsStack> {
  const stamp = `${process.pid}-${Date.now()}`;
  const name = `e2e-${prefix}-${stamp}`;
  const mirror = new PrivateMirror((line) =>
    fs.appendFileSync(path.join(env.logs, `${name}.log`), `${line}\n`));
  await mirror.start();
  const config = {
    ...standinConfig(env, `${prefix}-${stamp}`),
    mirror: {
      fedora: `${mirror.url}/fedora/$releasever/$basearch/`,
      updates: `${mirror.url}/updates/$releasever/$basearch/`,
    },
  };
  const s = await createStack(env, name, config);
  const release = String(env.standinRelease);
  await cli(s, ["snapshot", "new", "--stack", s.name, "--release", release]);
  const result = await up(s);
  const images = result.outputs.images?.value as Record<string, Record<string, { ref: string }>>;
  const image = images[release]?.x86_64?.ref;
  if (!image) throw new Error(`up published no x86_64 image: ${JSON.stringify(result.outputs)}`);
  return { s, mirror, release, image };
}

/** Removes what `publishedStack` made: the stack and the private mirror. */
export async function dropStack(st: OpsStack | undefined): Promise<void> {
  if (!st) return;
  st.mirror.stop();
  await removeStack(st.s);
}

/**
 * Runs `script` (bash, as root) in a build FROM `image` with `files` beside it in /in, and
 * returns what it wrote under /out. Never cached: each probe runs anew.
 */
export async function probe(
  env: E2eEnv,
  s: EngineStack,
  image: string,
  script: string,
  opts: { network?: "default" | "host" | "none"; files?: Record<string, string> } = {},
): Promise<Record<string, string>> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "fedora-base-e2e-probe-"));
  try {
    const context = path.join(work, "context");
    fs.mkdirSync(context);
    for (const [name, from] of Object.entries(opts.files ?? {})) {
      fs.copyFileSync(from, path.join(context, name));
    }
    fs.writeFileSync(path.join(context, "probe.sh"), script);
    fs.writeFileSync(path.join(work, "Dockerfile"), [
      "ARG IMAGE=build-arg.invalid/image-is-required",
      "FROM ${IMAGE} AS probe",
      "RUN --mount=type=bind,target=/in mkdir -p /out && bash /in/probe.sh",
      "FROM scratch",
      "COPY --from=probe /out/ /",
      "",
    ].join("\n"));
    const dest = path.join(work, "out");
    await run(s.log, "docker", ["buildx", "build", "--builder", env.builder,
      "--platform", "linux/amd64", "--no-cache", "--network", opts.network ?? "none",
      ...(opts.network === "host" ? ["--allow", "network.host"] : []),
      "--provenance=false", "--sbom=false", "--progress", "plain",
      "--build-arg", `IMAGE=${image}`, "--file", path.join(work, "Dockerfile"),
      "--output", `type=local,dest=${dest}`, context]);
    const out: Record<string, string> = {};
    for (const name of fs.readdirSync(dest)) {
      out[name] = fs.readFileSync(path.join(dest, name), "utf8");
    }
    return out;
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/** Builds `dockerfile` (an empty context) and pushes it by digest to `repository`. */
export async function buildAndPush(
  env: E2eEnv,
  s: EngineStack,
  repository: string,
  dockerfile: string,
  buildArgs: Record<string, string>,
): Promise<string> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "fedora-base-e2e-build-"));
  try {
    fs.writeFileSync(path.join(work, "Dockerfile"), dockerfile);
    const builder = new OpsBuildx(s.log, { name: env.builder, network: "default" },
      () => fs.mkdtempSync(path.join(work, "t-")));
    const digest = await builder.build({
      context: work,
      file: "Dockerfile",
      platform: "linux/amd64",
      buildArgs,
      labels: {},
      network: "default",
      output: `type=image,name=${repository},push-by-digest=true,push=true,` +
        "rewrite-timestamp=true",
    });
    return `${repository}@${digest}`;
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}
