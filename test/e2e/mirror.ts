// The stand-in mirror is shared machine state: scenarios that change it put it back after.
import * as path from "node:path";

import { run, type Log } from "../../cli/run";
import { REPO } from "./env";

export type MirrorCommand = "publish-update" | "unpublish-update" | "reset";

/** Changes what the stand-in mirror serves (test/standin/README.md). */
export async function mirror(log: Log, command: MirrorCommand): Promise<void> {
  await run(log, path.join(REPO, "scripts", "standin.sh"), [command]);
}
