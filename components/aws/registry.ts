import * as aws from "@pulumi/aws";
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";

import type { ImageRegistry } from "../registry";
import {
  lifecyclePolicy,
  mutabilityExclusions,
  partitionOf,
  pullPolicy,
  type RepositorySpec,
} from "./policies";
import { DOCKER_CONFIG_DIR, loginScript, REGISTRY_ALIAS } from "./scripts";

export const ECR_REGISTRY_TYPE = "fedora-base:aws:Registry";

export interface EcrRegistryArgs {
  /** The ECR registry host, `<account>.dkr.ecr.<region>.amazonaws.com`. */
  registryHost: string;
  /** The account that owns the registry (12 digits). */
  accountId: string;
  /** AWS region of the registry, e.g. `eu-west-1`. */
  region: string;
  /** Repository name prefix, e.g. `fedora-base`; repositories are `<prefix>/<name>`. */
  prefix: string;
  /** Every repository the stack pushes to, with its moving tags and version prefixes. */
  repositories: RepositorySpec[];
  /** Epochs per version prefix the lifecycle policy keeps (newest by push time). */
  keepEpochs: number;
  /** KMS key ARN for encryption at rest; AES256 when absent. */
  kmsKeyArn?: string;
  /** Accounts (12 digits) allowed to pull. Default none. */
  pullAccounts?: string[];
  /** AWS Organizations id whose accounts may pull. Default none. */
  pullOrganizationId?: string;
  /**
   * Log the operator's machine in to the registry on every preview and up (default true). The
   * token is never a resource input, so its rotation shows no diff and breaks no plan (C17).
   */
  login?: boolean;
}

/**
 * The ECR repositories of the prod stack: version tags immutable, only the exact moving tags
 * mutable, scan on push, encrypted, a lifecycle that keeps the newest N epochs and never what a
 * moving tag uses, retained when deleted from the stack.
 */
export class EcrRegistry extends pulumi.ComponentResource implements ImageRegistry {
  public readonly ready: pulumi.Resource[];
  /** Repository name (without prefix) to its full URL. */
  public readonly repositoryUrls: Record<string, string>;
  /** Repository ARNs, sorted by repository name. */
  public readonly repositoryArns: pulumi.Output<string[]>;
  /** Resolves once `docker login` succeeded in the project-local Docker config. */
  public readonly login: pulumi.Output<string>;

  constructor(name: string, args: EcrRegistryArgs, opts?: pulumi.ComponentResourceOptions) {
    const names = args.repositories.map((r) => r.name);
    const dup = names.find((n, i) => names.indexOf(n) !== i);
    if (dup !== undefined) {
      throw new Error(`EcrRegistry ${JSON.stringify(name)}: repository ${dup} is listed twice`);
    }
    if (!/^[0-9]{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$/.test(args.registryHost)) {
      throw new Error(
        `EcrRegistry ${JSON.stringify(name)}: registryHost must be an ECR registry host, ` +
          `got ${JSON.stringify(args.registryHost)}`,
      );
    }
    super(ECR_REGISTRY_TYPE, name, {}, opts);

    const specs = [...args.repositories].sort((a, b) => (a.name < b.name ? -1 : 1));
    const pull = pullPolicy(
      partitionOf(args.region),
      args.pullAccounts ?? [],
      args.pullOrganizationId,
    );
    // Deleting a repository from the stack must never delete published images.
    const keep = { parent: this, retainOnDelete: true };
    const ready: pulumi.Resource[] = [];
    const arns: pulumi.Output<string>[] = [];
    const urls: Record<string, string> = {};
    for (const spec of specs) {
      const id = spec.name;
      const exclusions = mutabilityExclusions(spec);
      const repo = new aws.ecr.Repository(
        `${name}-${id}`,
        {
          name: `${args.prefix}/${spec.name}`,
          imageTagMutability: exclusions.length > 0 ? "IMMUTABLE_WITH_EXCLUSION" : "IMMUTABLE",
          imageTagMutabilityExclusionFilters: exclusions.length > 0 ? exclusions : undefined,
          imageScanningConfiguration: { scanOnPush: true },
          encryptionConfigurations: [
            args.kmsKeyArn
              ? { encryptionType: "KMS", kmsKey: args.kmsKeyArn }
              : { encryptionType: "AES256" },
          ],
          forceDelete: false,
          tags: { "fedora-base:repository": spec.name },
        },
        keep,
      );
      const lifecycle = new aws.ecr.LifecyclePolicy(
        `${name}-${id}-lifecycle`,
        {
          repository: repo.name,
          policy: JSON.stringify(lifecyclePolicy(spec, args.keepEpochs)),
        },
        keep,
      );
      ready.push(repo, lifecycle);
      if (pull) {
        ready.push(
          new aws.ecr.RepositoryPolicy(
            `${name}-${id}-pull`,
            { repository: repo.name, policy: JSON.stringify(pull) },
            keep,
          ),
        );
      }
      arns.push(repo.arn);
      urls[spec.name] = `${args.registryHost}/${args.prefix}/${spec.name}`;
    }
    this.ready = ready;
    this.repositoryUrls = urls;
    this.repositoryArns = pulumi.all(arns);
    if (args.login === false) {
      this.login = pulumi.output("login skipped");
    } else {
      const token = aws.ecr.getAuthorizationTokenOutput(
        { registryId: args.accountId },
        { parent: this },
      );
      this.login = command.local.runOutput(
        {
          command: loginScript(),
          stdin: token.password,
          environment: { DOCKER_CONFIG: DOCKER_CONFIG_DIR, REGISTRY: args.registryHost },
          logging: "none",
        },
        { parent: this },
      ).stdout;
    }

    this.registerOutputs({ repositoryArns: this.repositoryArns, login: this.login });
  }

  /**
   * Builders pull the stack's own images through `REGISTRY_ALIAS` (a pull mirror of this
   * registry on each builder), so no build argument names the account or the region.
   */
  pullRepository(name: string): string {
    return this.repository(name).replace(/^[^/]+\//, `${REGISTRY_ALIAS}/`);
  }

  /** The URL of a repository the stack declared; throws for any other name. */
  repository(name: string): string {
    const url = this.repositoryUrls[name];
    if (url === undefined) {
      throw new Error(
        `EcrRegistry has no repository ${JSON.stringify(name)} (declared: ` +
          `${Object.keys(this.repositoryUrls).join(", ")})`,
      );
    }
    return url;
  }
}
