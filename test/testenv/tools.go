// Package testenv gives tests the external programs they run for real: the
// pinned helm3, helm4, kube-apiserver and etcd binaries that
// hack/install-tools.sh builds, and a running API server.
package testenv

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// ToolsDir returns where hack/install-tools.sh puts the binaries: TOOLS_DIR,
// or .cache/tools at the repository root.
func ToolsDir() string {
	if dir := os.Getenv("TOOLS_DIR"); dir != "" {
		return dir
	}
	return filepath.Join(RepoRoot(), ".cache", "tools")
}

// RepoRoot returns the repository root, found from this file's location.
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Dir(filepath.Dir(filepath.Dir(file)))
}

// Tool returns the path of a pinned tool (helm3, helm4, kube-apiserver,
// etcd). When it is missing the test fails under CI (CI is set) and is
// skipped elsewhere, in both cases saying how to build it.
func Tool(t testing.TB, name string) string {
	t.Helper()
	path := filepath.Join(ToolsDir(), name)
	if info, err := os.Stat(path); err == nil && !info.IsDir() {
		return path
	}
	msg := name + " not found in " + ToolsDir() + ": run `make tools` (hack/install-tools.sh) to build the pinned test tools"
	if os.Getenv("CI") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// HelmVersions lists the Helm binaries every Helm-facing test runs against.
var HelmVersions = []string{"helm3", "helm4"}
