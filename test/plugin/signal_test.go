package plugin

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/helm-vault-relay/helm-vault-relay/test/testenv"
)

// endTimeout bounds every wait in the signal tests: for the plugin to reach
// helm's --wait, and for every process to end after the signal.
const endTimeout = 60 * time.Second

// TestPluginSignals interrupts an install that can never finish, because
// no controller makes the Deployment ready, and checks that the plugin
// ends with helm and removes its overlay. While the install waits, it also
// checks every command line on the machine and helm's environment for the
// test secrets.
func TestPluginSignals(t *testing.T) {
	server := testenv.RequireAPIServer(t, apiServer)
	_, vaultURL := startFakeVault(t, testDocument)
	tests := []struct {
		name   string
		signal syscall.Signal
		// toGroup sends the signal to every process of the run, as Ctrl-C
		// in a terminal does, instead of only to the plugin. Helm 3.21.4
		// and 4.3.2 then die of the signal themselves, so the plugin's exit
		// code is not seen.
		toGroup bool
	}{
		{"SIGINT to plugin", syscall.SIGINT, false},
		{"SIGTERM to plugin", syscall.SIGTERM, false},
		{"SIGINT to process group", syscall.SIGINT, true},
	}
	for _, helmName := range testenv.HelmVersions {
		for _, tt := range tests {
			t.Run(helmName+"/"+tt.name, func(t *testing.T) {
				namespace := createNamespace(t, server, helmName, tt.name)
				h := newHelmEnv(t, helmName, vaultURL)
				run := h.start(t, "vault-relay", "install", releaseName, chartDir(), "-n", namespace,
					"--kubeconfig", server.Kubeconfig, "--wait", "--timeout", "2m")

				overlay := waitForOverlay(t, run, h.tmpDir)
				plugin := waitForProcess(t, endTimeout, "the vault-relay process", func(p process) bool {
					return p.pgrp == run.pid() && p.comm == "vault-relay"
				})
				childHelm := waitForProcess(t, endTimeout, "the helm that vault-relay runs", func(p process) bool {
					return p.ppid == plugin.pid
				})
				waitFor(t, endTimeout, "helm to create the Deployment and wait for it", func() bool {
					return len(listObjects(t, server, deploymentsPath(namespace))) > 0
				})

				assertPrivateOverlay(t, overlay)
				assertOverlayArgument(t, childHelm.pid, overlay)
				assertNoSecretInCommandLines(t)
				assertAPIKeyOnlyInPlugin(t, plugin.pid, childHelm.pid)

				target := plugin.pid
				if tt.toGroup {
					target = -run.pid()
				}
				if err := syscall.Kill(target, tt.signal); err != nil {
					t.Fatalf("send %s: %v", tt.signal, err)
				}

				code := run.wait(t, endTimeout)
				if code == 0 {
					t.Error("helm vault-relay install exited 0 after the signal, want non-zero")
				}
				waitFor(t, endTimeout, "every process of the run to end", func() bool {
					return len(liveProcesses(t, func(p process) bool { return p.pgrp == run.pid() })) == 0
				})
				if left, _ := filepath.Glob(filepath.Join(h.tmpDir, "vault-relay-*")); len(left) > 0 {
					t.Errorf("overlay directories left in TMPDIR: %v", left)
				}
				stdout, stderr := run.output()
				assertNoLeak(t, "interrupted install stdout", stdout)
				assertNoLeak(t, "interrupted install stderr", stderr)
				t.Logf("exit code %d; stderr:\n%s", code, redact(stderr))
			})
		}
	}
}

// waitForOverlay waits for the overlay that the plugin writes to
// $TMPDIR/vault-relay-*/vault-relay-values.yaml and returns its path. It
// fails at once when helm exits first, such as when the vault read fails.
func waitForOverlay(t *testing.T, run *runningHelm, tmpDir string) string {
	t.Helper()
	var path string
	waitFor(t, endTimeout, "the values overlay in "+tmpDir, func() bool {
		select {
		case <-run.done:
			_, stderr := run.output()
			t.Fatalf("helm exited before the overlay appeared; stderr:\n%s", redact(stderr))
		default:
		}
		matches, err := filepath.Glob(filepath.Join(tmpDir, "vault-relay-*", "vault-relay-values.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		if len(matches) > 1 {
			t.Fatalf("found %d overlays, want 1: %v", len(matches), matches)
		}
		if len(matches) == 1 {
			path = matches[0]
		}
		return path != ""
	})
	return path
}

func assertPrivateOverlay(t *testing.T, overlay string) {
	t.Helper()
	for path, want := range map[string]os.FileMode{overlay: 0o600, filepath.Dir(overlay): 0o700} {
		info, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if got := info.Mode().Perm(); got != want {
			t.Errorf("%s has mode %o, want %o", path, got, want)
		}
	}
}

// assertOverlayArgument checks that the helm the plugin runs got the
// overlay as a values file. It also shows that childPID is that helm.
func assertOverlayArgument(t *testing.T, childPID int, overlay string) {
	t.Helper()
	args, err := readNULList(childPID, "cmdline")
	if err != nil {
		t.Fatalf("read the command line of helm: %v", err)
	}
	i := slices.Index(args, overlay)
	if i < 1 || args[i-1] != "--values" {
		t.Errorf("helm command line %q lacks --values %s", args, overlay)
	}
}

// assertNoSecretInCommandLines reads the command line of every process on
// the machine, which any local user can read. Processes that end during
// the scan, or whose command line cannot be read, are skipped.
func assertNoSecretInCommandLines(t *testing.T) {
	t.Helper()
	read := 0
	for _, pid := range allPIDs(t) {
		args, err := readNULList(pid, "cmdline")
		if err != nil {
			continue
		}
		read++
		commandLine := strings.Join(args, " ")
		for _, secret := range testSecrets {
			if strings.Contains(commandLine, secret.value) {
				name := "?"
				if p, err := readProcess(pid); err == nil {
					name = p.comm
				}
				t.Errorf("the command line of process %d (%s) contains the %s", pid, name, secret.name)
			}
		}
	}
	if read == 0 {
		t.Error("no command line in /proc could be read")
	}
}

// assertAPIKeyOnlyInPlugin checks that the plugin got WORKOS_API_KEY,
// which shows that the environment can be read, and that the helm it runs
// did not.
func assertAPIKeyOnlyInPlugin(t *testing.T, pluginPID, childPID int) {
	t.Helper()
	pluginEnv, err := readNULList(pluginPID, "environ")
	if err != nil {
		t.Fatalf("read the environment of vault-relay: %v", err)
	}
	if !slices.Contains(pluginEnv, "WORKOS_API_KEY="+testAPIKey) {
		t.Fatal("the environment of vault-relay lacks WORKOS_API_KEY; the test cannot check helm's")
	}

	childEnv, err := readNULList(childPID, "environ")
	if err != nil {
		t.Fatalf("read the environment of helm: %v", err)
	}
	for _, kv := range childEnv {
		if strings.HasPrefix(kv, "WORKOS_API_KEY=") {
			t.Error("the environment of the helm that vault-relay runs contains WORKOS_API_KEY")
		}
		if strings.Contains(kv, testAPIKey) {
			t.Errorf("the environment of the helm that vault-relay runs contains the API key in %s", strings.SplitN(kv, "=", 2)[0])
		}
	}
}

// runningHelm is a helm started in its own process group.
type runningHelm struct {
	cmd            *exec.Cmd
	stdout, stderr *lockedBuffer
	done           chan struct{}
	err            error // set before done closes
}

// start starts helm with args in a new process group whose id is the pid
// of helm. The test's cleanup kills the group if it still runs.
func (h *helmEnv) start(t *testing.T, args ...string) *runningHelm {
	t.Helper()
	cmd := exec.Command(h.binary, args...)
	cmd.Env = h.env
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	r := &runningHelm{cmd: cmd, stdout: &lockedBuffer{}, stderr: &lockedBuffer{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = r.stdout, r.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		r.err = cmd.Wait()
		close(r.done)
	}()
	t.Cleanup(func() {
		select {
		case <-r.done:
		default:
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-r.done
		}
	})
	return r
}

func (r *runningHelm) pid() int { return r.cmd.Process.Pid }

// wait waits up to timeout for helm to exit and returns its exit code, -1
// when a signal ended it.
func (r *runningHelm) wait(t *testing.T, timeout time.Duration) int {
	t.Helper()
	select {
	case <-r.done:
	case <-time.After(timeout):
		_, stderr := r.output()
		t.Fatalf("helm did not exit within %s of the signal; stderr so far:\n%s", timeout, redact(stderr))
	}
	if r.err == nil {
		return 0
	}
	var exitErr *exec.ExitError
	if !errors.As(r.err, &exitErr) {
		t.Fatalf("wait for helm: %v", r.err)
	}
	return exitErr.ExitCode()
}

func (r *runningHelm) output() (stdout, stderr string) {
	return r.stdout.String(), r.stderr.String()
}

// lockedBuffer collects output that a test reads while the process still
// writes it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf strings.Builder
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
