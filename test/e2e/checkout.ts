// A second checkout of the project in another directory, as another operator or CI runner
// would have it: a git clone made under another umask, with this working tree's uncommitted
// changes laid over it, and this checkout's node_modules linked in.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

import { run, type Log } from "../../cli/run";
import { REPO } from "./env";

export interface Checkout {
  dir: string;
  remove(): void;
}

/**
 * Clones the project under `umask` (git then writes files 0666 & ~umask, e.g. 0664 for 002),
 * copies the working tree's modified and untracked files over it (created under the same
 * umask), and the given stack config files, which git ignores.
 */
export async function cloneCheckout(
  log: Log,
  opts: { umask: number; stackFiles: string[] },
): Promise<Checkout> {
  const parent = fs.mkdtempSync(path.join(os.tmpdir(), "fb-checkout-"));
  const dir = path.join(parent, "fedora-base");
  const mask = opts.umask.toString(8).padStart(3, "0");
  const list = async (args: string[]) =>
    (await run(log, "git", ["-C", REPO, ...args, "-z"])).split("\0").filter((f) => f !== "");
  // Against HEAD, so staged changes come along too.
  const changed = await list(["diff", "--name-only", "--diff-filter=d", "HEAD"]);
  const untracked = await list(["ls-files", "--others", "--exclude-standard"]);
  const deleted = await list(["diff", "--name-only", "--diff-filter=D", "HEAD"]);
  const files = [...new Set([...changed, ...untracked, ...opts.stackFiles])];
  await run(log, "bash", [
    "-c",
    'set -euo pipefail; umask "$1"; git clone -q --no-hardlinks "$2" "$3"; cd "$2"; ' +
      'for f in "${@:4}"; do [[ -f $f ]] || continue; mkdir -p "$3/$(dirname "$f")"; ' +
      'cp "$f" "$3/$f"; done',
    "clone", mask, REPO, dir, ...files,
  ]);
  // Modes as git would write them under this umask, also for the copied files. Other people's
  // work in progress may come and go meanwhile: what vanished is simply not copied.
  for (const f of files.filter((x) => fs.existsSync(path.join(dir, x)))) {
    const executable = (fs.statSync(path.join(dir, f)).mode & 0o111) !== 0;
    fs.chmodSync(path.join(dir, f), (executable ? 0o777 : 0o666) & ~opts.umask);
  }
  for (const f of deleted) fs.rmSync(path.join(dir, f), { force: true });
  fs.symlinkSync(path.join(REPO, "node_modules"), path.join(dir, "node_modules"));
  return { dir, remove: () => fs.rmSync(parent, { recursive: true, force: true }) };
}
