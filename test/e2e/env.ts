// What the end-to-end tests need from the machine, read once and checked with clear messages.
import * as fs from "node:fs";
import * as path from "node:path";

export const REPO = path.resolve(__dirname, "..", "..");

function required(name: string): string {
  const value = process.env[name];
  if (!value) {
    throw new Error(
      `${name} is not set: run the end-to-end tests through scripts/e2e.sh, which builds the ` +
        "toolchain, starts the local services and the stand-in Fedora",
    );
  }
  return value;
}

/** Reads `KEY=value` lines of the stand-in's env file. */
function readEnvFile(file: string): Record<string, string> {
  if (!fs.existsSync(file)) {
    throw new Error(`${file} is missing: scripts/standin.sh up writes it`);
  }
  const out: Record<string, string> = {};
  for (const line of fs.readFileSync(file, "utf8").split("\n")) {
    const m = /^(?:export\s+)?([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (m?.[1]) out[m[1]] = (m[2] ?? "").replace(/^(["'])(.*)\1$/, "$2");
  }
  return out;
}

export interface E2eEnv {
  run: string;
  registry: string;
  builder: string;
  buildkitVersion: string;
  standinRelease: number;
  standinBaseImage: string;
  standinMirror: string;
  logs: string;
}

export function e2eEnv(): E2eEnv {
  const run = required("FEDORA_BASE_RUN");
  required("PULUMI_BACKEND_URL");
  required("PULUMI_CONFIG_PASSPHRASE");
  const standin = readEnvFile(path.join(run, "standin.env"));
  const logs = path.join(run, "e2e-logs");
  fs.mkdirSync(logs, { recursive: true });
  return {
    run,
    registry: required("FEDORA_BASE_REGISTRY"),
    builder: required("FEDORA_BASE_BUILDER"),
    buildkitVersion: required("FEDORA_BASE_BUILDKIT_VERSION"),
    standinRelease: Number(standin.STANDIN_RELEASE ?? "44"),
    standinBaseImage: standin.STANDIN_BASE_IMAGE ?? "",
    standinMirror: standin.STANDIN_MIRROR_URL ?? "",
    logs,
  };
}
