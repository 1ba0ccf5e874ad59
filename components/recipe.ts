import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";

import { canonicalJson } from "./canonical-json";

export { canonicalJson };

/**
 * Where the recipes live inside this package, whatever the consumer's working directory: next to
 * the sources, or two levels up from the compiled `bin/components/`.
 */
export const RECIPE_ROOT = findRecipeRoot(__dirname);

function findRecipeRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, "recipe");
    if (fs.existsSync(path.join(candidate, "image", "Containerfile"))) return candidate;
    if (path.dirname(dir) === dir) {
      throw new Error(`fedora-base: no recipe/ folder above ${from}; the package is incomplete`);
    }
  }
}

/**
 * Build contexts are staged under the program's working directory, at a path that depends only
 * on the context's name: docker-build compares `context.location` as a string, so an absolute
 * or random path would differ between checkouts (C14).
 */
export const STAGING_ROOT = path.join(".build", "contexts");

/** A build context: file name to content. The Containerfile is one of the files. */
export type ContextFiles = Record<string, string>;

export interface StagedContext {
  /** Context directory, relative to the working directory. */
  location: string;
  /** Containerfile path, relative to the working directory. */
  dockerfile: string;
}

/** Reads recipe files (paths relative to `recipe/`) into a flat context under new names. */
export function readRecipeFiles(files: Record<string, string>): ContextFiles {
  const out: ContextFiles = {};
  for (const name of Object.keys(files).sort()) {
    out[name] = fs.readFileSync(path.join(RECIPE_ROOT, files[name] ?? name), "utf8");
  }
  return out;
}

/** The files of the base image recipe, as they are named inside the build context. */
export function baseRecipe(): ContextFiles {
  return readRecipeFiles({
    Containerfile: "image/Containerfile",
    "build.sh": "image/build.sh",
    "dnf.sh": "image/dnf.sh",
  });
}

/** The files of the derived image recipe; `steps` become `steps.sh` when present. */
export function derivedRecipe(steps: string[]): ContextFiles {
  const files = readRecipeFiles({
    Containerfile: "derived/Containerfile",
    "derive.sh": "derived/derive.sh",
    "dnf.sh": "image/dnf.sh",
  });
  if (steps.length > 0) files["steps.sh"] = steps.join("\n") + "\n";
  return files;
}

/**
 * Writes a context with fixed modes (0644 files, 0755 directory), removing stale files.
 * docker-build hashes permission bits (provider issues #222, #358), so modes inherited from the
 * checkout's umask would otherwise show as a change on another machine (C14).
 */
export function stageContext(name: string, files: ContextFiles): StagedContext {
  if (!/^[a-z0-9][a-z0-9-]*$/.test(name)) {
    throw new Error(`build context name must be kebab-case, got ${JSON.stringify(name)}`);
  }
  const location = path.join(STAGING_ROOT, name);
  fs.mkdirSync(location, { recursive: true, mode: 0o755 });
  fs.chmodSync(location, 0o755);
  for (const entry of fs.readdirSync(location)) {
    if (!(entry in files)) fs.rmSync(path.join(location, entry), { recursive: true, force: true });
  }
  for (const file of Object.keys(files).sort()) {
    if (file.includes("/") || file.startsWith(".")) {
      throw new Error(`context files must be flat and visible, got ${JSON.stringify(file)}`);
    }
    const target = path.join(location, file);
    const content = files[file] ?? "";
    const current = fs.existsSync(target) ? fs.readFileSync(target, "utf8") : undefined;
    if (current !== content) fs.writeFileSync(target, content);
    fs.chmodSync(target, 0o644);
  }
  return { location, dockerfile: path.join(location, "Containerfile") };
}

export function sha256(text: string): string {
  return crypto.createHash("sha256").update(text).digest("hex");
}

export interface BuildDefinition {
  files: ContextFiles;
  buildArgs: Record<string, string>;
  /** Exporter options that decide bytes (media types, compression, timestamps). */
  exporter: string;
  platform: string;
}

/**
 * Hash of the canonical build definition: Containerfile and context files by name and content
 * (never modes, times or the checkout path), sorted build arguments, exporter options and
 * platform. Recorded as a label so a published image says what built it.
 */
export function buildDefinitionHash(def: BuildDefinition): string {
  const files: Record<string, string> = {};
  for (const name of Object.keys(def.files).sort()) files[name] = sha256(def.files[name] ?? "");
  return `sha256:${sha256(canonicalJson({ ...def, files }))}`;
}
