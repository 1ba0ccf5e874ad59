// Package codegen stands in for pulumi-dotnet's codegen package, which the Go module proxy
// we can reach does not serve. The docker-build provider only uses this type to describe
// the .NET SDK in its schema; nothing in a Node.js program reads it.
package codegen

// CSharpPackageInfo carries the C#-specific schema options the provider sets.
type CSharpPackageInfo struct {
	RespectSchemaVersion bool              `json:"respectSchemaVersion,omitempty"`
	PackageReferences    map[string]string `json:"packageReferences,omitempty"`
}
