// Package java stands in for pulumi-java's codegen package, which the Go module proxy we
// can reach does not serve. The docker-build provider only uses this type to describe the
// Java SDK in its schema; nothing in a Node.js program reads it.
package java

// PackageInfo carries the Java-specific schema options the provider sets.
type PackageInfo struct {
	BuildFiles                      string            `json:"buildFiles,omitempty"`
	GradleNexusPublishPluginVersion string            `json:"gradleNexusPublishPluginVersion,omitempty"`
	Dependencies                    map[string]string `json:"dependencies,omitempty"`
}
