import { InvalidArgumentError } from "commander";
import { ARCHITECTURES, type Architecture, parsePinnedRef } from "../stacks/config";

/*
 * Option value parsers. Commander reports a thrown InvalidArgumentError together with the
 * option and the value it got, before any command runs.
 */

export function parseStackName(value: string): string {
  const name = value.trim();
  if (!/^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+){0,2}$/.test(name)) {
    throw new InvalidArgumentError("must be a stack name like local or org/fedora-base/prod.");
  }
  return name;
}

export function parseRelease(value: string): number {
  if (!/^[1-9][0-9]{0,3}$/.test(value.trim())) {
    throw new InvalidArgumentError("must be a Fedora release number like 44.");
  }
  return Number(value.trim());
}

/** Collects repeated `--arch` values, in the order given, each once. */
export function collectArchitecture(
  value: string,
  previous: Architecture[] | undefined,
): Architecture[] {
  const arch = value.trim();
  if (!(ARCHITECTURES as readonly string[]).includes(arch)) {
    throw new InvalidArgumentError(`must be one of ${ARCHITECTURES.join(", ")}.`);
  }
  const list = previous ?? [];
  return list.includes(arch as Architecture) ? list : [...list, arch as Architecture];
}

export function parsePinnedImage(value: string): string {
  const ref = value.trim();
  if (!parsePinnedRef(ref)) {
    throw new InvalidArgumentError(
      "must be an image pinned by digest, like registry/fedora-base-x86_64@sha256:<64 hex>.",
    );
  }
  return ref;
}
