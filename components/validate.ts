import {
  ARCHITECTURES,
  FIRST_REPRODUCIBLE_RELEASE,
  parsePinnedRef,
  isReservedLabel,
  PACKAGE_SPEC,
  type Architecture,
} from "../stacks/config";

/**
 * Argument checks shared by the components, for programs that use them without the stack
 * configuration loader. Each message names the argument and quotes the bad value.
 */
export class ArgsChecker {
  private readonly problems: string[] = [];

  constructor(private readonly component: string) {}

  private fail(arg: string, message: string, value: unknown): void {
    this.problems.push(`${arg} ${message}, got ${JSON.stringify(value) ?? String(value)}`);
  }

  release(value: unknown): number {
    if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 1 || value > 9999) {
      this.fail("release", "must be a Fedora release number", value);
    }
    return value as number;
  }

  architecture(value: unknown): Architecture {
    if (!(ARCHITECTURES as readonly unknown[]).includes(value)) {
      this.fail("architecture", `must be one of ${ARCHITECTURES.join(", ")}`, value);
    }
    return value as Architecture;
  }

  epoch(value: unknown, now: number): number {
    if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 1 || value > now) {
      this.fail("epoch", "must be whole Unix seconds, not in the future", value);
    }
    return value as number;
  }

  pinned(arg: string, value: unknown): string {
    if (typeof value !== "string" || parsePinnedRef(value) === null) {
      this.fail(arg, "must be pinned by digest (name@sha256:<64 hex>)", value);
    }
    return value as string;
  }

  labels(value: Record<string, string> | undefined): Record<string, string> {
    for (const [k, v] of Object.entries(value ?? {})) {
      if (isReservedLabel(k)) {
        this.fail(`labels["${k}"]`, "is set by fedora-base and cannot be overridden", v);
      }
    }
    return { ...value };
  }

  packages(value: unknown): string[] {
    const ok =
      Array.isArray(value) &&
      value.length > 0 &&
      value.every((p) => typeof p === "string" && PACKAGE_SPEC.test(p));
    if (!ok) this.fail("packages", "must be a non-empty list of package names", value);
    return value as string[];
  }

  /** Throws one error listing every problem. */
  done(name: string): void {
    if (this.problems.length > 0) {
      throw new Error(
        `${this.component} ${JSON.stringify(name)}: invalid arguments:\n` +
          this.problems.map((p) => `  - ${p}`).join("\n"),
      );
    }
  }
}

export function warnOldRelease(release: number): string | undefined {
  return release < FIRST_REPRODUCIBLE_RELEASE
    ? `release ${release} is older than ${FIRST_REPRODUCIBLE_RELEASE}: rpm writes install ` +
        "times from the clock, so its images are not bit-for-bit reproducible"
    : undefined;
}

/** `2025-12-03T00:00:00Z` for an epoch in seconds: the OCI `created` annotation. */
export function rfc3339(epoch: number): string {
  return new Date(epoch * 1000).toISOString().replace(/\.000Z$/, "Z");
}
