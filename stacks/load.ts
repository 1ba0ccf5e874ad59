import * as pulumi from "@pulumi/pulumi";

import { CONFIG_KEYS, CONFIG_NAMESPACE, parseStackConfig, type ParseResult } from "./config";

/**
 * Reads every `fedora-base:` key of the current stack and validates them together, before any
 * resource is registered.
 */
export function loadStackConfig(): ParseResult {
  const cfg = new pulumi.Config(CONFIG_NAMESPACE);
  const raw: Record<string, unknown> = {};
  for (const key of CONFIG_KEYS) {
    const text = cfg.get(key);
    if (text === undefined) continue;
    try {
      raw[key] = JSON.parse(text);
    } catch {
      raw[key] = text;
    }
  }
  return parseStackConfig(raw);
}
