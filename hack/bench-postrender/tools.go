package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// toolPaths are the binaries under test.
type toolPaths struct {
	vaultRelay, kustomize, yq string
}

// setUpTools builds vault-relay into work as `make build` does, without
// build tags, and finds kustomize and yq in BENCH_TOOLS_DIR.
func setUpTools(work string) (toolPaths, error) {
	tools := toolPaths{vaultRelay: filepath.Join(work, "vault-relay")}
	build := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", tools.vaultRelay, "./cmd/vault-relay")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		return tools, fmt.Errorf("build vault-relay: %w\n%s", err, out)
	}

	dir := os.Getenv("BENCH_TOOLS_DIR")
	if dir == "" {
		dir = filepath.Join(".cache", "bench-tools")
	}
	dir, err := filepath.Abs(dir)
	if err != nil {
		return tools, err
	}
	tools.kustomize = filepath.Join(dir, "kustomize")
	tools.yq = filepath.Join(dir, "yq")
	for _, path := range []string{tools.kustomize, tools.yq} {
		if _, err := os.Stat(path); err != nil {
			return tools, fmt.Errorf("%s not found: run hack/bench-postrender/install-tools.sh first (%w)", path, err)
		}
	}
	return tools, nil
}

// toolEnv is the whole environment of every measured process: no GOGC,
// GOMAXPROCS or other setting of the caller reaches the tools, and
// vault-relay keeps its last-error file inside work.
func toolEnv(work string) []string {
	return []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + work,
		"XDG_STATE_HOME=" + filepath.Join(work, "state"),
	}
}

// versionOf returns the first line a tool prints for its version flag.
func versionOf(path string, args ...string) string {
	out, err := exec.Command(path, args...).Output()
	if err != nil {
		return "unknown (" + err.Error() + ")"
	}
	line, _, _ := strings.Cut(string(bytes.TrimSpace(out)), "\n")
	return line
}

// cpuModel returns the first "model name" of /proc/cpuinfo, or "unknown".
func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return "unknown"
	}
	defer func() { _ = f.Close() }()
	scanner := bufio.NewScanner(f)
	for scanner.Scan() {
		if key, value, ok := strings.Cut(scanner.Text(), ":"); ok && strings.TrimSpace(key) == "model name" {
			return strings.TrimSpace(value)
		}
	}
	return "unknown"
}
