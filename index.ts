// The fedora-base Pulumi program: reads the stack's configuration and composes the stack.
import * as pulumi from "@pulumi/pulumi";

import { composeLocalStack } from "./stacks/local";
import { loadStackConfig } from "./stacks/load";

const { config, warnings } = loadStackConfig();
for (const w of warnings) void pulumi.log.warn(w);

if (config.kind !== "local") {
  throw new Error(`fedora-base:kind ${JSON.stringify(config.kind)} is not available yet`);
}
const stack = composeLocalStack(config);

export const images = stack.images;
export const indexes = stack.indexes;
export const derivedImages = stack.derivedImages;
export const derivedIndexes = stack.derivedIndexes;
