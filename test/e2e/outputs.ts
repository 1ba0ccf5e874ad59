// Typed views of what a stand-in stack holds: its outputs after `up`, and its release config.
import type { UpResult } from "@pulumi/pulumi/automation";

import type { EngineStack } from "./stack";

export interface ImageOutput {
  ref: string;
  digest: string;
  tag: string;
  epoch: number;
  snapshotRef?: string;
}

export interface IndexOutput {
  versionRef: string;
  movingRef?: string;
}

export interface StackOutputs {
  images: Record<string, Record<string, ImageOutput>>;
  indexes: Record<string, IndexOutput>;
  derivedImages: Record<string, Record<string, ImageOutput>>;
  derivedIndexes: Record<string, IndexOutput>;
}

export function outputsOf(result: UpResult): StackOutputs {
  const value = (key: string) => (result.outputs[key]?.value ?? {}) as Record<string, never>;
  return {
    images: value("images"),
    indexes: value("indexes"),
    derivedImages: value("derivedImages"),
    derivedIndexes: value("derivedIndexes"),
  };
}

/** The x86_64 image of a release; fails naming what the outputs hold when it is missing. */
export function imageOf(out: StackOutputs, release: number | string): ImageOutput {
  const image = out.images[String(release)]?.x86_64;
  if (!image) throw new Error(`no x86_64 image of ${release} in ${JSON.stringify(out)}`);
  return image;
}

export function indexOf(out: StackOutputs, release: number | string): IndexOutput {
  const index = out.indexes[String(release)];
  if (!index) throw new Error(`no index of ${release} in ${JSON.stringify(out)}`);
  return index;
}

export interface ReleaseEntry {
  epoch: number;
  baseImage: string;
  snapshots: Record<string, string>;
}

/** `fedora-base:releases` as the stack's configuration holds it now. */
export async function releasesOf(s: EngineStack): Promise<Record<string, ReleaseEntry>> {
  const cfg = await s.stack.getAllConfig();
  return JSON.parse(cfg["fedora-base:releases"]?.value ?? "{}") as Record<string, ReleaseEntry>;
}

/** A suffix that keeps repository prefixes and stack names of one run apart from any other. */
export function uniqueStamp(): string {
  return `${process.pid}-${Date.now()}`;
}
