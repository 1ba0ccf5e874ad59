// Runs a shell script inside a published image: a BuildKit build FROM the image whose one RUN is
// the script, exported to a local folder. No container runtime beyond BuildKit is needed.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

import { run } from "../../cli/run";
import type { E2eEnv } from "./env";

export interface InImageOptions {
  /** `uid[:gid]` to run as. Default root. */
  user?: string;
  /** Network of the step: `none` (default) keeps the script offline. */
  network?: "none" | "host";
  /** buildx builder to run on. Default: the machine's builder. */
  builder?: string;
}

export interface InImageResult {
  stdout: string;
  stderr: string;
  /** The script's exit status. */
  status: number;
}

/** Runs `script` with bash inside `ref`; the result is whatever the script printed and exited. */
export async function runInImage(
  env: E2eEnv,
  ref: string,
  script: string,
  opts: InImageOptions = {},
): Promise<InImageResult> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fb-run-"));
  try {
    const context = path.join(dir, "context");
    const out = path.join(dir, "out");
    fs.mkdirSync(context);
    fs.writeFileSync(path.join(context, "script.sh"), script);
    const network = opts.network ?? "none";
    // /tmp of the image is world-writable, so a non-root user can leave its output there.
    fs.writeFileSync(
      path.join(context, "Dockerfile"),
      [
        `FROM ${ref} AS run`,
        ...(opts.user ? [`USER ${opts.user}`] : []),
        `RUN --network=${network} --mount=type=bind,target=/run/e2e ` +
          "bash /run/e2e/script.sh >/tmp/e2e-stdout 2>/tmp/e2e-stderr; echo $? >/tmp/e2e-status",
        "FROM scratch",
        "COPY --from=run /tmp/e2e-stdout /tmp/e2e-stderr /tmp/e2e-status /",
        "",
      ].join("\n"),
    );
    const log = (line: string) => fs.appendFileSync(path.join(env.logs, "run-in-image.log"),
      line.endsWith("\n") ? line : line + "\n");
    await run(log, "docker", [
      "buildx", "build", "--builder", opts.builder ?? env.builder, "--no-cache",
      "--progress", "plain", ...(network === "host" ? ["--allow", "network.host"] : []),
      "--output", `type=local,dest=${out}`, context,
    ]);
    const read = (name: string) => fs.readFileSync(path.join(out, name), "utf8");
    const result = { stdout: read("e2e-stdout"), stderr: read("e2e-stderr"),
      status: Number(read("e2e-status").trim()) };
    log(`# ${ref}: status ${result.status}\n${result.stdout}${result.stderr}`);
    return result;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Like `runInImage`, but a non-zero exit fails with the script's stderr. */
export async function stdoutInImage(
  env: E2eEnv,
  ref: string,
  script: string,
  opts: InImageOptions = {},
): Promise<string> {
  const r = await runInImage(env, ref, script, opts);
  if (r.status !== 0) {
    throw new Error(`script exited ${r.status} in ${ref}:\n${script}\n${r.stderr}`);
  }
  return r.stdout;
}
