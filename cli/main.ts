/**
 * The fedora-base command-line tool: `npx tsx cli/main.ts --help`. Results go to stdout,
 * progress and errors to stderr; the exit codes are listed in `--help` (cli/exit-codes.ts).
 */
import * as path from "node:path";
import { realActions } from "./actions";
import { runCli } from "./program";

const projectDir = path.resolve(__dirname, "..");
const log = (line: string) => void process.stderr.write(`fedora-base: ${line}\n`);

void runCli(process.argv.slice(2), realActions(projectDir, log), {
  out: (text) => void process.stdout.write(text),
  err: (text) => void process.stderr.write(text),
}).then((code) => {
  process.exitCode = code;
});
