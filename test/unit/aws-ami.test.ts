import * as assert from "node:assert/strict";

import { AMI_PARAMETERS, amiCommand, pinAmis, type AmiDeps } from "../../cli/ami";
import type { StackAccess } from "../../cli/snapshot/ports";

interface Fake {
  deps: AmiDeps;
  runs: string[][];
  written: Record<string, string>[];
  lines: string[];
}

function fake(config: Record<string, unknown>, amis: Record<string, string>): Fake {
  const f: Fake = { runs: [], written: [], lines: [], deps: undefined as unknown as AmiDeps };
  const stack: StackAccess = {
    name: "prod",
    readConfig: () => Promise.resolve(config),
    writeConfig: (values) => {
      f.written.push(values);
      return Promise.resolve();
    },
  };
  f.deps = {
    run: (file, args) => {
      f.runs.push([file, ...args]);
      const name = args[args.indexOf("--name") + 1] ?? "";
      return Promise.resolve(`${amis[name] ?? "None"}\n`);
    },
    openStack: () => Promise.resolve(stack),
    out: (line) => f.lines.push(line),
  };
  return f;
}

const CONFIG = {
  architectures: ["x86_64", "aarch64"],
  aws: {
    region: "eu-west-1",
    builders: {
      x86_64: { ami: "ami-0aaaaaaaaaaaaaaa1" },
      aarch64: { ami: "ami-0bbbbbbbbbbbbbbb1" },
    },
  },
};

describe("fedora-base ami", () => {
  it("pins the newest AMI of each architecture through the stack config, by path", async () => {
    const f = fake(CONFIG, {
      [AMI_PARAMETERS.x86_64]: "ami-0aaaaaaaaaaaaaaa2",
      [AMI_PARAMETERS.aarch64]: "ami-0bbbbbbbbbbbbbbb1",
    });
    await pinAmis(f.deps, { stack: "prod", cwd: "." });
    assert.deepEqual(f.runs[0], [
      "aws", "ssm", "get-parameter", "--region", "eu-west-1", "--name",
      "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64",
      "--query", "Parameter.Value", "--output", "text",
    ]);
    assert.deepEqual(f.written, [{ "aws.builders.x86_64.ami": "ami-0aaaaaaaaaaaaaaa2" }]);
    assert.deepEqual(f.lines, [
      "x86_64: ami-0aaaaaaaaaaaaaaa2 (pinned; was ami-0aaaaaaaaaaaaaaa1)",
      "aarch64: ami-0bbbbbbbbbbbbbbb1 (unchanged; was ami-0bbbbbbbbbbbbbbb1)",
    ]);
  });

  it("writes nothing on a dry run, and only the architectures asked", async () => {
    const f = fake(CONFIG, { [AMI_PARAMETERS.aarch64]: "ami-0bbbbbbbbbbbbbbb9" });
    await pinAmis(f.deps, { stack: "prod", cwd: ".", arch: ["aarch64"], dryRun: true });
    assert.equal(f.runs.length, 1);
    assert.deepEqual(f.written, []);
    assert.deepEqual(f.lines,
      ["aarch64: ami-0bbbbbbbbbbbbbbb9 (would pin; was ami-0bbbbbbbbbbbbbbb1)"]);
  });

  it("fails on an answer that is not an AMI id, writing nothing", async () => {
    const f = fake(CONFIG, {});
    await assert.rejects(pinAmis(f.deps, { stack: "prod", cwd: "." }),
      /did not return an AMI id, got "None"/);
    assert.deepEqual(f.written, []);
  });

  it("needs the stack's region", async () => {
    const f = fake({ aws: {} }, {});
    await assert.rejects(pinAmis(f.deps, { stack: "prod", cwd: "." }),
      /fedora-base:aws\.region is required in stack prod, got null/);
  });

  it("parses --stack, --arch and --dry-run", async () => {
    const f = fake(CONFIG, { [AMI_PARAMETERS.x86_64]: "ami-0aaaaaaaaaaaaaaa3" });
    const cmd = amiCommand(f.deps).exitOverride();
    await cmd.parseAsync(["--stack", "prod", "--arch", "x86_64", "--dry-run"], { from: "user" });
    assert.deepEqual(f.lines,
      ["x86_64: ami-0aaaaaaaaaaaaaaa3 (would pin; was ami-0aaaaaaaaaaaaaaa1)"]);
    assert.throws(() => amiCommand(f.deps).exitOverride().configureOutput({ writeErr: () => {} })
      .parse(["--stack", "prod", "--arch", "sparc"], { from: "user" }), /sparc/);
  });
});
