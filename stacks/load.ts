import * as pulumi from "@pulumi/pulumi";

import { CONFIG_NAMESPACE, parseStackConfig, type ParseResult } from "./config";

/**
 * Reads every `fedora-base:` key of the current stack (known or not, so that a misspelt key is
 * reported rather than ignored) and validates them together, before any resource is registered.
 */
export function loadStackConfig(): ParseResult {
  const prefix = `${CONFIG_NAMESPACE}:`;
  const raw: Record<string, unknown> = {};
  for (const [key, text] of Object.entries(pulumi.runtime.allConfig())) {
    if (!key.startsWith(prefix)) continue;
    try {
      raw[key.slice(prefix.length)] = JSON.parse(text);
    } catch {
      raw[key.slice(prefix.length)] = text;
    }
  }
  return parseStackConfig(raw);
}
