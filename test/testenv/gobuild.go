package testenv

import (
	"fmt"
	"os/exec"
	"strings"
)

// GoBuildEnv returns the Go settings that a `go build` run under a
// temporary HOME, such as the plugin's install hook, needs to reuse this
// machine's module and build caches instead of downloading every module
// again into that HOME.
func GoBuildEnv() ([]string, error) {
	names := []string{"GOCACHE", "GOMODCACHE", "GOPATH", "GOENV", "GOPROXY", "GOFLAGS", "GOTOOLCHAIN"}
	output, err := exec.Command("go", append([]string{"env"}, names...)...).Output()
	if err != nil {
		return nil, fmt.Errorf("go env: %w", err)
	}
	values := strings.Split(strings.TrimRight(string(output), "\n"), "\n")
	if len(values) != len(names) {
		return nil, fmt.Errorf("go env printed %d lines for %d variables", len(values), len(names))
	}
	var env []string
	for i, name := range names {
		if values[i] != "" {
			env = append(env, name+"="+values[i])
		}
	}
	return env, nil
}
