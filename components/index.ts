// Public entry point of the package: the components another Pulumi program can use.
export * from "./builder";
export * from "./derived-image";
export * from "./dnf-snapshot";
export * from "./exporter";
export * from "./fedora-base-image";
export * from "./canonical-json";
export * from "./recipe";
export * from "./package-list";
export * from "./registry";
export * from "./registry-tag";
export * from "./release-index";
export * from "../stacks/config";
