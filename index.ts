// The fedora-base Pulumi program: reads the stack's configuration and composes the stack.
import * as pulumi from "@pulumi/pulumi";

import { composeAwsStack } from "./stacks/aws";
import { composeLocalStack } from "./stacks/local";
import { loadStackConfig } from "./stacks/load";

const { config, warnings } = loadStackConfig();
for (const w of warnings) void pulumi.log.warn(w);

const stack = config.kind === "aws" ? composeAwsStack(config) : composeLocalStack(config);

export const images = stack.images;
export const indexes = stack.indexes;
export const derivedImages = stack.derivedImages;
export const derivedIndexes = stack.derivedIndexes;
