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
		reportPostRenderFailure(streams)
	}
	return err
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

// reportPostRenderFailure shows the post-renderer's recorded failure,
// because Helm 4 prints only that the plugin exited with an error.
func reportPostRenderFailure(streams IO) {
	path, err := lastErrorPath(streams.Getenv)
	if err != nil {
		return
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return
	}
	fmt.Fprintf(streams.Err, "vault-relay post-render failed: %s", data)
}

// helmOutput runs helm and returns its stdout.
func helmOutput(binary string, env []string, args ...string) (string, error) {
	return helmrun.Output(binary, env, args...)
}

// lastErrorPath is where post-render keeps its last failure, because Helm
// 4 discards a post-renderer's stderr.
func lastErrorPath(getenv func(string) string) (string, error) {
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
