// Package e2e runs the real vault-relay and fake-vault binaries as separate
// processes over loopback, as an init container, Terraform or an operator
// would run them.
package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// binDir holds the binaries TestMain builds.
var binDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "vault-relay-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = dir
	build := exec.Command("go", "build", "-trimpath", "-o", dir+"/", "../../cmd/vault-relay", "../../cmd/fake-vault")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build binaries: %v\n%s", err, out)
		os.Exit(1)
	}
	// Make the binaries reachable by the unprivileged user some tests run
	// them as.
	_ = os.Chmod(dir, 0o755)

	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

func binary(name string) string { return filepath.Join(binDir, name) }

// fakeVault is a running fake-vault process.
type fakeVault struct {
	baseURL string
	stderr  *bytes.Buffer
}

// startFakeVault starts fake-vault with args on 127.0.0.1 and waits until it
// listens. The process is stopped when the test ends.
func startFakeVault(t *testing.T, args ...string) *fakeVault {
	t.Helper()
	readyFile := filepath.Join(t.TempDir(), "url")
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, binary("fake-vault"), append([]string{"--ready-file", readyFile}, args...)...)
	cmd.Env = []string{"FAKE_VAULT_API_KEY=" + testAPIKey}
	fv := &fakeVault{stderr: &bytes.Buffer{}}
	cmd.Stderr = fv.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		_ = cmd.Wait()
		assertNoLeak(t, "fake-vault stderr", fv.stderr.String())
	})

	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if data, err := os.ReadFile(readyFile); err == nil && len(data) > 0 {
			fv.baseURL = strings.TrimSpace(string(data))
			return fv
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("fake-vault did not write its ready file in 10s; stderr:\n%s", fv.stderr)
	return nil
}

// run is one finished vault-relay process.
type run struct {
	code   int
	stdout string
	stderr string
}

// runVaultRelay runs vault-relay with only the given environment, as a
// container would get it.
func runVaultRelay(t *testing.T, env []string, stdin string, args ...string) run {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary("vault-relay"), args...)
	cmd.Env = env
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	code := 0
	if err := cmd.Run(); err != nil {
		var exitErr *exec.ExitError
		if !errors.As(err, &exitErr) {
			t.Fatal(err)
		}
		code = exitErr.ExitCode()
	}
	for _, arg := range args {
		assertNoLeak(t, "argv", arg)
	}
	return run{code: code, stdout: stdout.String(), stderr: stderr.String()}
}
