/**
 * Label keys fedora-base sets on its images, beside the OCI annotation keys. A module of its own
 * so that the CLI can read labels without loading the Pulumi providers.
 */
export const LABELS = {
  epoch: "io.fedora-base.epoch",
  release: "io.fedora-base.release",
  architecture: "io.fedora-base.architecture",
  snapshot: "io.fedora-base.snapshot",
  snapshotDigest: "io.fedora-base.snapshot.digest",
  repos: "io.fedora-base.dnf.repos",
  buildkitVersion: "io.fedora-base.buildkit.version",
  buildDefinition: "io.fedora-base.build-definition",
} as const;
