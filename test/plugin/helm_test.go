package plugin

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/helm-vault-relay/helm-vault-relay/test/testenv"
)

// commandTimeout bounds one helm run, so that a hung helm or plugin fails
// its test instead of blocking the package.
const commandTimeout = 3 * time.Minute

// installs remembers the plugin installation of each Helm version. Its
// mutex also runs the installs one at a time: each install hook builds
// bin/vault-relay in the repository through the same temporary file.
var installs = struct {
	sync.Mutex
	pluginsDirs map[string]string
	errs        map[string]error
}{pluginsDirs: map[string]string{}, errs: map[string]error{}}

// pluginsDir installs the plugin from this repository with helmName on
// first use, in a Helm home of its own under pluginRoot, and returns that
// home's plugins directory, the HELM_PLUGINS of every later run.
func pluginsDir(t *testing.T, helmName, binary string) string {
	t.Helper()
	installs.Lock()
	defer installs.Unlock()

	if err, failed := installs.errs[helmName]; failed {
		t.Fatalf("install the plugin with %s: %v", helmName, err)
	}
	if dir, ok := installs.pluginsDirs[helmName]; ok {
		return dir
	}
	dir, err := installPlugin(helmName, binary)
	if err != nil {
		installs.errs[helmName] = err
		t.Fatalf("install the plugin with %s: %v", helmName, err)
	}
	installs.pluginsDirs[helmName] = dir
	return dir
}

// installPlugin runs `helm plugin install` on the repository. Helm 4.3.2
// links the plugin under $HELM_DATA_HOME/plugins and ignores HELM_PLUGINS
// there, so HELM_PLUGINS is set to that directory for both versions.
func installPlugin(helmName, binary string) (string, error) {
	home := filepath.Join(pluginRoot, helmName)
	plugins := filepath.Join(home, "data", "plugins")
	if err := os.MkdirAll(plugins, 0o700); err != nil {
		return "", err
	}
	goEnv, err := testenv.GoBuildEnv()
	if err != nil {
		return "", err
	}
	env := append(goEnv,
		"PATH="+os.Getenv("PATH"),
		"HOME="+home,
		"HELM_CACHE_HOME="+filepath.Join(home, "cache"),
		"HELM_CONFIG_HOME="+filepath.Join(home, "config"),
		"HELM_DATA_HOME="+filepath.Join(home, "data"),
		"HELM_PLUGINS="+plugins,
	)

	args := []string{"plugin", "install", testenv.RepoRoot()}
	if helmName != "helm3" {
		// Helm 4 verifies plugin signatures by default, and a local
		// directory has none.
		args = append(args, "--verify=false")
	}
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Env = env
	if output, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("%s %s: %w\n%s", helmName, strings.Join(args, " "), err, output)
	}
	return plugins, nil
}

// helmEnv runs one Helm version, with the plugin installed, in a Helm
// home, HOME and TMPDIR of its own, with the fake vault's base URL and API
// key in the environment as a user would export them.
type helmEnv struct {
	name   string // helm3 or helm4
	binary string
	env    []string
	tmpDir string // TMPDIR of helm and the plugin, where the overlay goes
}

// newHelmEnv prepares helmName for one test. vaultURL may be "" for runs
// that never reach the vault.
func newHelmEnv(t *testing.T, helmName, vaultURL string) *helmEnv {
	t.Helper()
	binary := testenv.Tool(t, helmName)
	plugins := pluginsDir(t, helmName, binary)

	home := t.TempDir()
	tmpDir := filepath.Join(home, "tmp")
	if err := os.Mkdir(tmpDir, 0o700); err != nil {
		t.Fatal(err)
	}
	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + home,
		"TMPDIR=" + tmpDir,
		"HELM_CACHE_HOME=" + filepath.Join(home, "cache"),
		"HELM_CONFIG_HOME=" + filepath.Join(home, "config"),
		"HELM_DATA_HOME=" + filepath.Join(home, "data"),
		"HELM_PLUGINS=" + plugins,
		"WORKOS_API_KEY=" + testAPIKey,
	}
	if vaultURL != "" {
		env = append(env, "WORKOS_API_BASE="+vaultURL)
	}
	return &helmEnv{name: helmName, binary: binary, env: env, tmpDir: tmpDir}
}

// setenv adds a variable to the environment of every later run.
func (h *helmEnv) setenv(name, value string) { h.env = append(h.env, name+"="+value) }

// result is one finished helm process.
type result struct {
	code   int
	stdout string
	stderr string
}

// plugin runs `helm vault-relay args...`, checks its stdout and stderr for
// the test secrets and returns the result whatever the exit code.
func (h *helmEnv) plugin(t *testing.T, args ...string) result {
	t.Helper()
	res := h.run(t, append([]string{"vault-relay"}, args...))
	step := h.name + " vault-relay " + args[0]
	assertNoLeak(t, step+" stdout", res.stdout)
	assertNoLeak(t, step+" stderr", res.stderr)
	return res
}

// mustPlugin is plugin that fails the test on a non-zero exit.
func (h *helmEnv) mustPlugin(t *testing.T, args ...string) result {
	t.Helper()
	res := h.plugin(t, args...)
	if res.code != 0 {
		t.Fatalf("%s vault-relay %s: exit code %d; stderr:\n%s", h.name, strings.Join(args, " "), res.code, redact(res.stderr))
	}
	return res
}

// helm runs helm itself, not the plugin, fails the test on a non-zero exit
// and returns stdout. Its output may contain the credentials (helm get values
// shows them), so it is not checked for them.
func (h *helmEnv) helm(t *testing.T, args ...string) string {
	t.Helper()
	res := h.run(t, args)
	if res.code != 0 {
		t.Fatalf("%s %s: exit code %d; stderr:\n%s", h.name, strings.Join(args, " "), res.code, redact(res.stderr))
	}
	return res.stdout
}

// run runs helm with args and waits at most commandTimeout for it, killing
// its whole process group (helm, the plugin and the helm the plugin runs)
// when the time is up.
func (h *helmEnv) run(t *testing.T, args []string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, h.binary, args...)
	cmd.Env = h.env
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 10 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr

	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("%s %s did not finish within %s; stderr:\n%s", h.name, strings.Join(args, " "), commandTimeout, redact(stderr.String()))
	}
	code := 0
	if err != nil {
		var exitErr *exec.ExitError
		if !errors.As(err, &exitErr) {
			t.Fatalf("%s %s: %v", h.name, strings.Join(args, " "), err)
		}
		code = exitErr.ExitCode()
	}
	return result{code: code, stdout: stdout.String(), stderr: stderr.String()}
}
