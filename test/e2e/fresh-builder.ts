// A second buildkitd with its own empty root, for "a fresh builder with nothing cached": same
// binary and configuration as the machine's one (scripts/services/start.sh), another root and
// socket, registered as its own buildx remote builder.
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

import { run } from "../../cli/run";
import type { E2eEnv } from "./env";

/** The readiness line buildkitd logs once it serves its socket. */
const READY = /running server on/;

export class FreshBuilder {
  private constructor(
    /** buildx builder name, for a stack's `builder.name`. */
    readonly name: string,
    readonly dir: string,
    private readonly daemon: ChildProcess,
    private readonly exited: Promise<void>,
    private readonly log: (line: string) => void,
  ) {}

  /**
   * Starts buildkitd with a new root under a temp folder and registers it as buildx builder
   * `name` (an existing builder of that name is replaced).
   */
  static async start(env: E2eEnv, name = "fedora-base-fresh"): Promise<FreshBuilder> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fb-bk-"));
    const logFile = path.join(env.logs, `${name}-${path.basename(dir)}.log`);
    const log = (line: string) =>
      fs.appendFileSync(logFile, line.endsWith("\n") ? line : line + "\n");
    const socket = `unix://${path.join(dir, "buildkitd.sock")}`;
    const machineConfig = fs.readFileSync(path.join(env.run, "buildkitd.toml"), "utf8");
    const config = machineConfig
      .replace(/^root = .*$/m, `root = ${JSON.stringify(path.join(dir, "root"))}`)
      .replace(/^(\s*address = )\[.*\]$/m, `$1[${JSON.stringify(socket)}]`);
    if (!config.includes(socket) || !config.includes(path.join(dir, "root"))) {
      throw new Error(`cannot rewrite root and address of ${env.run}/buildkitd.toml`);
    }
    fs.writeFileSync(path.join(dir, "buildkitd.toml"), config);
    // The very executable the machine's buildkitd runs (its pid file holds "PID EXECUTABLE").
    const bin = fs.readFileSync(path.join(env.run, "buildkitd.pid"), "utf8").trim().split(/\s+/)[1];
    if (!bin) throw new Error(`${env.run}/buildkitd.pid names no executable`);
    log(`$ ${bin} --config ${path.join(dir, "buildkitd.toml")}`);
    const daemon = spawn(bin, ["--config", path.join(dir, "buildkitd.toml")], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    const exited = new Promise<void>((resolve) => daemon.once("exit", () => resolve()));
    await new Promise<void>((resolve, reject) => {
      let seen = "";
      daemon.stderr?.on("data", (chunk: Buffer) => {
        const text = chunk.toString();
        log(text);
        seen += text;
        if (READY.test(seen)) resolve();
      });
      daemon.once("exit", (code) =>
        reject(new Error(`buildkitd exited with ${code} before serving; see ${logFile}`)));
      daemon.once("error", reject);
    });
    const builder = new FreshBuilder(name, dir, daemon, exited, log);
    try {
      await run(log, "docker", ["buildx", "rm", name]).catch(() => "");
      await run(log, "docker", ["buildx", "create", "--name", name, "--driver", "remote", socket]);
      await run(log, "docker", ["buildx", "inspect", "--bootstrap", name]);
    } catch (error) {
      await builder.stop();
      throw error;
    }
    return builder;
  }

  /** Unregisters the builder, stops the daemon and removes its root. */
  async stop(): Promise<void> {
    await run(this.log, "docker", ["buildx", "rm", this.name]).catch(() => "");
    if (this.daemon.exitCode === null && this.daemon.signalCode === null) {
      this.daemon.kill("SIGTERM");
      await this.exited;
    }
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
