// Package version holds the build's version, set at link time with
// -ldflags "-X github.com/helm-vault-relay/helm-vault-relay/internal/version.Version=v1.2.3".
package version

// Version is the release version, or "dev" for a build without ldflags.
var Version = "dev"

// UserAgent is sent with every API request.
func UserAgent() string { return "helm-vault-relay/" + Version }
