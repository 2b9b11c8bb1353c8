package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/helm-vault-relay/helm-vault-relay/internal/helmrun"
)

// runHelmWithPostRenderer runs helm with vault-relay as its post-renderer,
// in the form the running Helm version takes. Nothing is fetched here: in
// init-container mode the pods fetch the credentials themselves.
func runHelmWithPostRenderer(ctx context.Context, streams IO, subcommand string, helmArgs, extra []string) error {
	binary := helmrun.Binary(streams.Getenv)
	env := childEnv(streams)
	major, err := helmrun.MajorVersion(binary, env)
	if err != nil {
		return err
	}
	executable, err := os.Executable()
	if err != nil {
		return fmt.Errorf("find the vault-relay executable for helm's --post-renderer: %w", err)
	}

	if inlineMode(extra) {
		// Inline mode fetches inside the post-renderer, which Helm starts
		// with its own environment, so helm needs the key this time.
		if key := streams.Getenv(envAPIKey); key != "" {
			env = append(env, envAPIKey+"="+key)
		}
	}

	// The post-renderer records its failure in a file of this run only, so
	// an earlier or a concurrent run's failure is never shown as this one's.
	errorDir, err := os.MkdirTemp("", "vault-relay-post-render-")
	if err != nil {
		return err
	}
	defer func() { _ = os.RemoveAll(errorDir) }()
	errorFile := filepath.Join(errorDir, "error")
	env = append(env, envLastErrorFile+"="+errorFile)

	if major >= 4 {
		// Helm 4 finds post-renderers among plugins. The post-renderer
		// plugin is added to the plugin path for this run only, because
		// its plugin.yaml would break Helm 3 in a shared plugin directory.
		pluginDirs, err := postRendererPluginPath(streams, binary, env, executable)
		if err != nil {
			return err
		}
		env = append(env, "HELM_PLUGINS="+pluginDirs)
	}

	args := append([]string{subcommand}, helmArgs...)
	args = append(args, helmrun.PostRenderArgs(major, executable, extra)...)
	streams.Environ = func() []string { return env }
	err = runHelm(ctx, streams, args)
	if err != nil && major >= 4 {
		if data, readErr := os.ReadFile(errorFile); readErr == nil {
			fmt.Fprintf(streams.Err, "vault-relay post-render failed: %s", data)
		}
	}
	return err
}

// inlineMode reports whether the post-render arguments select inline mode.
func inlineMode(args []string) bool {
	for i, a := range args {
		if a == "--mode=inline" || (a == "--mode" && i+1 < len(args) && args[i+1] == "inline") {
			return true
		}
	}
	return false
}

// postRendererPluginPath returns HELM_PLUGINS with the directory that holds
// plugins/post-renderer added.
func postRendererPluginPath(streams IO, binary string, env []string, executable string) (string, error) {
	root := streams.Getenv("HELM_PLUGIN_DIR")
	if root == "" {
		// Run outside Helm: the binary sits in bin/ of a checkout.
		root = filepath.Dir(filepath.Dir(executable))
	}
	dir := filepath.Join(root, "plugins")
	if _, err := os.Stat(filepath.Join(dir, "post-renderer", "plugin.yaml")); err != nil {
		return "", fmt.Errorf("find the Helm 4 post-renderer plugin under %s: %w", dir, err)
	}

	current := streams.Getenv("HELM_PLUGINS")
	if current == "" {
		out, err := helmOutput(binary, env, "env", "HELM_PLUGINS")
		if err != nil {
			return "", err
		}
		current = strings.TrimSpace(out)
	}
	return current + string(os.PathListSeparator) + dir, nil
}

// helmOutput runs helm and returns its stdout.
func helmOutput(binary string, env []string, args ...string) (string, error) {
	return helmrun.Output(binary, env, args...)
}

// envLastErrorFile names the file post-render records a failure in; the
// wrapper sets it to a file of its own run.
const envLastErrorFile = "VAULT_RELAY_POST_RENDER_ERROR_FILE"

// lastErrorPath returns the file post-render keeps its last failure in,
// because Helm 4 discards a post-renderer's stderr: the file the wrapper
// named, or a file under the user's state directory.
func lastErrorPath(getenv func(string) string) (string, error) {
	if file := getenv(envLastErrorFile); file != "" {
		return file, nil
	}
	state := getenv("XDG_STATE_HOME")
	if state == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", err
		}
		state = filepath.Join(home, ".local", "state")
	}
	return filepath.Join(state, "vault-relay", "post-render-last-error"), nil
}
