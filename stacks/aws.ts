import * as path from "node:path";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

import { BuilderAccess } from "../components/aws/access";
import { AwsBuilder } from "../components/aws/builder";
import { ReleaseParameters, type ReleaseRefs } from "../components/aws/parameters";
import type { RepositorySpec } from "../components/aws/policies";
import { EcrRegistry } from "../components/aws/registry";
import { BUILDX_CONFIG_DIR, DOCKER_CONFIG_DIR, REGISTRY_ALIAS } from "../components/aws/scripts";
import { BuilderTls } from "../components/aws/tls";
import { parseAwsConfig, type AwsConfig } from "./aws-config";
import { composeImages, type StackOutputs } from "./compose";
import { CONFIG_NAMESPACE, type Architecture, type StackConfig } from "./config";

export interface AwsStackOptions {
  /**
   * Environment of the Pulumi run, checked for the project-local client configuration the
   * docker-build provider must share with the registration. Default: `process.env`.
   */
  env?: Record<string, string | undefined>;
  /** Directory Pulumi runs the program (and its providers) in. Default: `process.cwd()`. */
  cwd?: string;
}

export interface AwsStackOutputs extends StackOutputs {
  aws: {
    /** ECR registry host. */
    registry: string;
    /** Repository name to URL. */
    repositories: Record<string, string>;
    /** Per architecture: the BuildKit endpoint and instance id. */
    builders: Partial<
      Record<Architecture, { endpoint: pulumi.Output<string>; instanceId: pulumi.Output<string> }>
    >;
    /** SSM parameter name to ARN. */
    parameters: Record<string, pulumi.Output<string>>;
  };
}

/** The repositories a configuration pushes to, with their moving tags and version prefixes. */
export function repositorySpecs(config: StackConfig): RepositorySpec[] {
  const releases = config.releases.map((r) => String(r.release));
  const specs: RepositorySpec[] = [
    { name: "fedora-base", movingTags: releases, versionPrefixes: releases.map((r) => `${r}-`) },
    {
      name: "dnf-snapshot",
      movingTags: [],
      versionPrefixes: releases.flatMap((r) => config.architectures.map((a) => `${r}-${a}-`)),
    },
    ...config.architectures.map((a) => ({
      name: `fedora-base-${a}`,
      movingTags: [],
      versionPrefixes: releases.map((r) => `${r}-`),
    })),
  ];
  for (const d of config.derivedImages) {
    const r = String(d.release);
    specs.push({ name: d.name, movingTags: [r], versionPrefixes: [`${r}-`] });
    for (const a of config.architectures) {
      specs.push({ name: `${d.name}-${a}`, movingTags: [], versionPrefixes: [`${r}-`] });
    }
  }
  return specs;
}

/**
 * Refs that point into the stack's own ECR registry are rewritten to `REGISTRY_ALIAS`, which
 * each builder's BuildKit resolves to that registry as a pull mirror. The digest pins the bytes
 * whatever the host, so build arguments and labels name no account and no region, and the same
 * configuration builds the same inputs in any account.
 */
export function neutralizeRefs(config: StackConfig, registryHost: string): StackConfig {
  const prefix = `${registryHost}/`;
  const neutral = (ref: string) =>
    ref.startsWith(prefix) ? `${REGISTRY_ALIAS}/${ref.slice(prefix.length)}` : ref;
  return {
    ...config,
    releases: config.releases.map((r) => ({
      ...r,
      baseImage: neutral(r.baseImage),
      snapshots: Object.fromEntries(
        Object.entries(r.snapshots).map(([a, ref]) => [a, neutral(ref)]),
      ),
    })),
  };
}

/**
 * The docker-build provider loads the buildx builder and the registry login from the client
 * configuration of the Pulumi run; the registration writes the project-local one. Both must be
 * the same directories, so the run must point at them.
 */
export function checkClientEnvironment(env: Record<string, string | undefined>, cwd: string): void {
  const problems: string[] = [];
  for (const [key, dir] of [
    ["BUILDX_CONFIG", BUILDX_CONFIG_DIR],
    ["DOCKER_CONFIG", DOCKER_CONFIG_DIR],
  ] as const) {
    const value = env[key];
    if (!value || path.resolve(cwd, value) !== path.resolve(cwd, dir)) {
      problems.push(
        `${key} must be ${dir} (project-local, relative to the project directory) for ` +
          `${CONFIG_NAMESPACE}:kind aws, got ${JSON.stringify(value ?? null)}; run: ` +
          `export BUILDX_CONFIG=${BUILDX_CONFIG_DIR} DOCKER_CONFIG=${DOCKER_CONFIG_DIR}`,
      );
    }
  }
  if (problems.length > 0) throw new Error(problems.join("\n"));
}

/**
 * The prod stack on AWS: ECR repositories, one native EC2 BuildKit builder per architecture
 * (registered as nodes of one buildx builder), every image and index of the configuration, and
 * SSM parameters pointing at each release's current refs.
 */
export function composeAwsStack(config: StackConfig, opts: AwsStackOptions = {}): AwsStackOutputs {
  const settings: AwsConfig = parseAwsConfig(config);
  checkClientEnvironment(opts.env ?? process.env, opts.cwd ?? process.cwd());
  const images = neutralizeRefs(config, settings.registryHost);

  // One explicit provider, allowed to touch only the configured account.
  const provider = new aws.Provider("aws", {
    region: settings.region as aws.Region,
    allowedAccountIds: [settings.accountId],
  });
  const providers = { providers: { aws: provider } };
  const registry = new EcrRegistry(
    "registry",
    {
      registryHost: settings.registryHost,
      accountId: settings.accountId,
      region: settings.region,
      prefix: settings.repositoryPrefix,
      repositories: repositorySpecs(config),
      keepEpochs: settings.keepEpochs,
      kmsKeyArn: settings.kmsKeyArn,
      pullAccounts: settings.pullAccounts,
      pullOrganizationId: settings.pullOrganizationId,
    },
    providers,
  );
  const tlsMaterial = new BuilderTls("builder-tls");
  const access = new BuilderAccess(
    "builder-access",
    {
      vpcId: settings.vpcId,
      allowedCidrs: settings.allowedCidrs,
      repositoryArns: registry.repositoryArns,
    },
    providers,
  );
  const builders: Partial<Record<Architecture, AwsBuilder>> = {};
  let previous: pulumi.Output<string> = registry.login;
  for (const arch of config.architectures) {
    const b = settings.builders[arch];
    if (!b) continue;
    const builder = new AwsBuilder(
      `builder-${arch}`,
      {
        architecture: arch,
        builderName: config.builder.name,
        buildkitVersion: config.builder.buildkitVersion,
        buildkitSha256: b.buildkitSha256,
        network: config.builder.network,
        instanceType: b.instanceType,
        ami: b.ami,
        rootVolumeGiB: b.rootVolumeGiB,
        kmsKeyArn: settings.kmsKeyArn,
        spot: settings.spot,
        state: settings.state,
        subnetId: settings.subnetId,
        publicIp: settings.publicIp,
        securityGroupId: access.securityGroupId,
        instanceProfileName: access.instanceProfileName,
        tls: tlsMaterial,
        registryHost: settings.registryHost,
        after: [previous],
      },
      providers,
    );
    previous = builder.registration;
    builders[arch] = builder;
  }

  const outputs = composeImages(images, {
    builderFor: (arch) => {
      const b = builders[arch];
      if (!b) throw new Error(`no AWS builder for architecture ${arch}`);
      return b;
    },
    registry,
  });
  const releases: Record<string, ReleaseRefs> = {};
  for (const [release, index] of Object.entries(outputs.indexes)) {
    const perArch = outputs.images[release] ?? {};
    releases[release] = {
      index: index.versionRef,
      images: Object.fromEntries(Object.entries(perArch).map(([a, o]) => [a, o.ref])),
    };
  }
  const parameters = new ReleaseParameters(
    "release-parameters",
    { prefix: settings.ssmPrefix, releases },
    providers,
  );
  return {
    ...outputs,
    aws: {
      registry: settings.registryHost,
      repositories: registry.repositoryUrls,
      builders: Object.fromEntries(
        Object.entries(builders).map(([a, b]) => [
          a,
          { endpoint: b.endpoint, instanceId: b.instanceId },
        ]),
      ),
      parameters: parameters.parameterArns,
    },
  };
}
