import { LocalBuilder, type BuilderInspector } from "../components/builder";
import { PrefixRegistry } from "../components/registry";
import { composeImages, type StackOutputs } from "./compose";
import type { StackConfig } from "./config";

export interface LocalStackOptions {
  /** How to ask the buildx builder its BuildKit version. Default: `docker buildx inspect`. */
  inspect?: BuilderInspector;
}

/**
 * The local stack: no cloud at all. One buildx builder already running on this machine (one
 * node per platform), and any OCI registry, e.g. one on 127.0.0.1:5000.
 */
export function composeLocalStack(config: StackConfig, opts: LocalStackOptions = {}): StackOutputs {
  const builder = new LocalBuilder("builder", {
    builderName: config.builder.name,
    buildkitVersion: config.builder.buildkitVersion,
    network: config.builder.network,
    architectures: config.architectures,
    inspect: opts.inspect,
  });
  const registry = new PrefixRegistry(config.registry);
  return composeImages(config, { builderFor: () => builder, registry });
}
