package postrender

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/helm-vault-relay/helm-vault-relay/test/testenv"
)

// commandTimeout bounds one helm run, so that a hung helm, plugin or hook
// fails its test instead of blocking the package.
const commandTimeout = 4 * time.Minute

// helmTimeout is helm's own --timeout for install and upgrade, shorter than
// commandTimeout so that helm reports what it waited for.
const helmTimeout = "2m"

// postRendererPlugin is the name of the Helm 4 post-renderer plugin in
// plugins/post-renderer/plugin.yaml.
const postRendererPlugin = "vault-relay-post-renderer"

// Ways a user runs helm with vault-relay as its post-renderer.
const (
	// direct passes helm's own --post-renderer flag: the executable's path
	// with Helm 3, the post-renderer plugin's name with Helm 4.
	direct = "direct"
	// wrapper runs `helm vault-relay <command> --post-render` through the
	// installed main plugin, which passes that flag itself.
	wrapper = "wrapper"
)

var ways = []string{direct, wrapper}

// directTree is what the direct way needs: the vault-relay binary at
// <root>/bin and the repository's post-renderer plugin.yaml at
// <root>/plugins/post-renderer, the layout whose command
// ${HELM_PLUGIN_DIR}/../../bin/vault-relay expects.
type directTree struct {
	binary  string
	plugins string // the HELM_PLUGINS of Helm 4
}

var built struct {
	sync.Mutex
	tree directTree
	err  error
	done bool
}

// buildDirectTree builds vault-relay once per test binary.
func buildDirectTree(t *testing.T) directTree {
	t.Helper()
	built.Lock()
	defer built.Unlock()

	if !built.done {
		built.tree, built.err = makeDirectTree(filepath.Join(workRoot, "direct"))
		built.done = true
	}
	if built.err != nil {
		t.Fatal(built.err)
	}
	return built.tree
}

func makeDirectTree(root string) (directTree, error) {
	tree := directTree{
		binary:  filepath.Join(root, "bin", "vault-relay"),
		plugins: filepath.Join(root, "plugins"),
	}
	cmd := exec.Command("go", "build", "-trimpath", "-o", tree.binary, "./cmd/vault-relay")
	cmd.Dir = testenv.RepoRoot()
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if output, err := cmd.CombinedOutput(); err != nil {
		return directTree{}, fmt.Errorf("build vault-relay: %w\n%s", err, output)
	}

	pluginYAML, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), "plugins", "post-renderer", "plugin.yaml"))
	if err != nil {
		return directTree{}, err
	}
	dir := filepath.Join(tree.plugins, "post-renderer")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return directTree{}, err
	}
	return tree, os.WriteFile(filepath.Join(dir, "plugin.yaml"), pluginYAML, 0o644)
}

// installs remembers the main plugin's installation per Helm version. Its
// mutex also runs the installs one at a time.
var installs = struct {
	sync.Mutex
	pluginsDirs map[string]string
	errs        map[string]error
}{pluginsDirs: map[string]string{}, errs: map[string]error{}}

// installedPlugins installs the main plugin with helmName on first use and
// returns the plugins directory to use as HELM_PLUGINS.
func installedPlugins(t *testing.T, helmName, binary string) string {
	t.Helper()
	installs.Lock()
	defer installs.Unlock()

	if err, failed := installs.errs[helmName]; failed {
		t.Fatalf("install the plugin with %s: %v", helmName, err)
	}
	if dir, ok := installs.pluginsDirs[helmName]; ok {
		return dir
	}
	dir, err := installPlugin(filepath.Join(workRoot, helmName), helmName, binary)
	if err != nil {
		installs.errs[helmName] = err
		t.Fatalf("install the plugin with %s: %v", helmName, err)
	}
	installs.pluginsDirs[helmName] = dir
	return dir
}

// installPlugin copies the checkout to home/vault-relay and runs `helm
// plugin install` on the copy. The install hook builds bin/vault-relay in
// the directory it installs from, so a copy keeps this package's build away
// from the repository's bin/, which other test packages running at the same
// time install into. Helm 4.3.2 links a local plugin under
// $HELM_DATA_HOME/plugins and ignores HELM_PLUGINS, so HELM_PLUGINS is set
// to that directory.
func installPlugin(home, helmName, binary string) (string, error) {
	source := filepath.Join(home, "vault-relay")
	if err := copyCheckout(testenv.RepoRoot(), source); err != nil {
		return "", fmt.Errorf("copy the checkout: %w", err)
	}
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

	args := []string{"plugin", "install", source}
	if helmName != "helm3" {
		// Helm 4 verifies plugins by default, and a local directory has no
		// signature.
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

// copyCheckout copies the checkout's files to target, leaving out what the
// plugin neither builds from nor runs: version control, caches, earlier
// builds and the tests.
func copyCheckout(source, target string) error {
	skip := map[string]bool{".git": true, ".cache": true, "bin": true, "test": true}
	return filepath.WalkDir(source, func(path string, entry fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(source, path)
		if err != nil {
			return err
		}
		if skip[rel] {
			if entry.IsDir() {
				return filepath.SkipDir
			}
			// A .git file, as in a worktree; SkipDir here would skip the
			// rest of the directory.
			return nil
		}
		destination := filepath.Join(target, rel)
		switch {
		case entry.IsDir():
			return os.MkdirAll(destination, 0o755)
		case entry.Type().IsRegular():
			return copyFile(path, destination)
		default:
			return fmt.Errorf("%s is neither a file nor a directory", path)
		}
	})
}

func copyFile(source, target string) error {
	info, err := os.Stat(source)
	if err != nil {
		return err
	}
	in, err := os.Open(source)
	if err != nil {
		return err
	}
	defer func() { _ = in.Close() }()
	out, err := os.OpenFile(target, os.O_WRONLY|os.O_CREATE|os.O_EXCL, info.Mode().Perm())
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		_ = out.Close()
		return err
	}
	return out.Close()
}

// helmEnv runs one Helm version in one way, with its own HOME, Helm
// directories and XDG_STATE_HOME, so that neither the user's Helm setup
// nor another test's post-render failure is read or changed.
type helmEnv struct {
	name   string // helm3 or helm4
	binary string
	way    string // direct or wrapper
	tree   directTree
	env    []string
	state  string // XDG_STATE_HOME
}

// newHelmEnv prepares helmName for the given way. kubeconfig may be "" for
// commands that do not reach the API server.
func newHelmEnv(t *testing.T, helmName, way, kubeconfig string) *helmEnv {
	t.Helper()
	h := &helmEnv{name: helmName, binary: testenv.Tool(t, helmName), way: way, tree: buildDirectTree(t)}

	home := t.TempDir()
	h.state = filepath.Join(home, "state")
	h.env = []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + home,
		"TMPDIR=" + t.TempDir(),
		"HELM_CACHE_HOME=" + filepath.Join(home, "cache"),
		"HELM_CONFIG_HOME=" + filepath.Join(home, "config"),
		"HELM_DATA_HOME=" + filepath.Join(home, "data"),
		"XDG_STATE_HOME=" + h.state,
	}
	if kubeconfig != "" {
		h.env = append(h.env, "KUBECONFIG="+kubeconfig)
	}
	switch {
	case way == wrapper:
		h.env = append(h.env, "HELM_PLUGINS="+installedPlugins(t, helmName, h.binary))
	case helmName != "helm3":
		h.env = append(h.env, "HELM_PLUGINS="+h.tree.plugins)
	}
	return h
}

// setenv adds environment variables, as a user exports them before running
// helm.
func (h *helmEnv) setenv(variables ...string) { h.env = append(h.env, variables...) }

// withPostRenderer returns the arguments that run `helm <subcommand>
// <args>` with vault-relay as the post-renderer in h's way, passing extra
// to `vault-relay post-render`.
func (h *helmEnv) withPostRenderer(subcommand string, args []string, extra ...string) []string {
	var out []string
	switch {
	case h.way == wrapper:
		out = append([]string{"vault-relay", subcommand}, args...)
		out = append(out, "--post-render")
		for _, arg := range extra {
			out = append(out, "--post-render-arg="+arg)
		}
		return out
	case h.name == "helm3":
		out = append([]string{subcommand}, args...)
		out = append(out, "--post-renderer", h.tree.binary, "--post-renderer-args", "post-render")
	default:
		out = append([]string{subcommand}, args...)
		out = append(out, "--post-renderer", postRendererPlugin)
	}
	for _, arg := range extra {
		out = append(out, "--post-renderer-args", arg)
	}
	return out
}

// result is one finished helm run.
type result struct {
	helm   string // helm3 or helm4
	args   []string
	stdout string
	stderr string
	code   int
}

// describe names the run and shows its stderr, for failure messages.
func (r result) describe() string {
	return fmt.Sprintf("%s %s: exit code %d; stderr:\n%s", r.helm, strings.Join(r.args, " "), r.code, r.stderr)
}

// run runs helm and returns its result whatever the exit code.
func (h *helmEnv) run(t *testing.T, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, h.binary, args...)
	cmd.Env = h.env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("%s %s: no exit after %s; stderr:\n%s", h.name, strings.Join(args, " "), commandTimeout, stderr.String())
	}
	res := result{helm: h.name, args: args, stdout: stdout.String(), stderr: stderr.String()}
	var exitErr *exec.ExitError
	switch {
	case errors.As(err, &exitErr):
		res.code = exitErr.ExitCode()
	case err != nil:
		t.Fatalf("run %s: %v", h.name, err)
	}
	return res
}

// mustRun runs helm and fails the test unless it exits 0.
func (h *helmEnv) mustRun(t *testing.T, args ...string) result {
	t.Helper()
	res := h.run(t, args...)
	if res.code != 0 {
		t.Fatal(res.describe())
	}
	return res
}
