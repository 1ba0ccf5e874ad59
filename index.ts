// The fedora-base Pulumi program: reads the stack's configuration and composes the stack.
import * as pulumi from "@pulumi/pulumi";

import { composeAwsStack } from "./stacks/aws";
import { composeLocalStack } from "./stacks/local";
import { ConfigError } from "./stacks/config";
import { loadStackConfig } from "./stacks/load";

/** A bad configuration is the operator's to fix: say what is wrong, without a stack trace. */
function loadOrExplain(): ReturnType<typeof loadStackConfig> {
  try {
    return loadStackConfig();
  } catch (err) {
    if (err instanceof ConfigError) throw new pulumi.RunError(err.message);
    throw err;
  }
}

const { config, warnings } = loadOrExplain();
for (const w of warnings) void pulumi.log.warn(w);

const stack = config.kind === "aws" ? composeAwsStack(config) : composeLocalStack(config);

export const images = stack.images;
export const indexes = stack.indexes;
export const derivedImages = stack.derivedImages;
export const derivedIndexes = stack.derivedIndexes;
