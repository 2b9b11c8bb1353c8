// Package helmrun runs the user's helm with a private values overlay. It
// writes the overlay where only the current user can read it and places it
// in the argument list. While helm runs, it forwards SIGINT and SIGTERM to
// it, and it passes helm's exit code back.
package helmrun

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// Binary returns the helm to run: $HELM_BIN, which Helm sets for its
// plugins, or "helm" from PATH.
func Binary(getenv func(string) string) string {
	if bin := getenv("HELM_BIN"); bin != "" {
		return bin
	}
	return "helm"
}

// overlayName is the overlay's file name inside its private directory.
const overlayName = "vault-relay-values.yaml"

// WriteOverlay writes data to a new private directory (0700) as a file
// only the current user can read (0600), and returns its path and a
// function that removes the directory.
func WriteOverlay(data []byte) (path string, remove func() error, err error) {
	dir, err := os.MkdirTemp("", "vault-relay-")
	if err != nil {
		return "", nil, fmt.Errorf("create private directory for the values overlay: %w", err)
	}
	remove = func() error { return os.RemoveAll(dir) }

	if err := os.Chmod(dir, 0o700); err != nil { //nolint:gosec // a directory needs its x bit

		_ = remove()
		return "", nil, fmt.Errorf("restrict the overlay directory: %w", err)
	}
	path = filepath.Join(dir, overlayName)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		_ = remove()
		return "", nil, fmt.Errorf("write values overlay: %w", err)
	}
	return path, remove, nil
}

// WithOverlay appends `--values path` to the user's helm arguments. Helm
// merges values files in order and applies --set, --set-string, --set-json
// and --set-file after every file, so the overlay overrides the user's own
// -f files and the user's --set flags still override the overlay. Arguments
// after a "--" terminator stay last.
func WithOverlay(args []string, path string) []string {
	out := make([]string, 0, len(args)+2)
	for i, arg := range args {
		if arg == "--" {
			out = append(out, "--values", path)
			return append(out, args[i:]...)
		}
		out = append(out, arg)
	}
	return append(out, "--values", path)
}

// Command is one helm run.
type Command struct {
	Binary string
	Args   []string
	Env    []string
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	// Signals delivers the signals to forward to helm while it runs.
	Signals <-chan os.Signal
}

// Run starts helm, forwards every signal from c.Signals to it, waits for it
// and returns its exit code. A helm ended by a signal gives 128 plus the
// signal number, as shells report it.
func Run(c Command) (int, error) {
	cmd := exec.Command(c.Binary, c.Args...)
	cmd.Env = c.Env
	cmd.Stdin, cmd.Stdout, cmd.Stderr = c.Stdin, c.Stdout, c.Stderr
	if err := cmd.Start(); err != nil {
		return 0, fmt.Errorf("start helm %q: %w (install helm or set HELM_BIN to its path)", c.Binary, err)
	}

	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	for {
		select {
		case sig := <-c.Signals:
			_ = cmd.Process.Signal(sig)
		case err := <-done:
			return exitCode(err)
		}
	}
}

func exitCode(err error) (int, error) {
	if err == nil {
		return 0, nil
	}
	var exitErr *exec.ExitError
	if !errors.As(err, &exitErr) {
		return 0, err
	}
	if status, ok := exitErr.Sys().(syscall.WaitStatus); ok && status.Signaled() {
		return 128 + int(status.Signal()), nil
	}
	return exitErr.ExitCode(), nil
}

// MajorVersion runs `helm version` and returns Helm's major version, such
// as 3 or 4.
func MajorVersion(binary string, env []string) (int, error) {
	cmd := exec.Command(binary, "version", "--template", "{{.Version}}")
	cmd.Env = env
	out, err := cmd.Output()
	if err != nil {
		return 0, fmt.Errorf("run %s version: %w", binary, err)
	}
	version := strings.TrimSpace(string(out))
	major, _, _ := strings.Cut(strings.TrimPrefix(version, "v"), ".")
	n, err := strconv.Atoi(major)
	if err != nil || !strings.HasPrefix(version, "v") {
		return 0, fmt.Errorf("run %s version: unexpected version %q", binary, version)
	}
	return n, nil
}

// PostRendererPlugin is the name of the Helm 4 post-renderer plugin in
// plugins/post-renderer.
const PostRendererPlugin = "vault-relay-post-renderer"

// PostRenderArgs returns the helm flags that run `vault-relay post-render`
// with extra arguments: Helm 3 takes the executable's path, Helm 4 the
// name of a postrenderer/v1 plugin.
func PostRenderArgs(major int, executable string, extra []string) []string {
	var args []string
	if major >= 4 {
		args = []string{"--post-renderer", PostRendererPlugin}
	} else {
		args = []string{"--post-renderer", executable, "--post-renderer-args", "post-render"}
	}
	for _, a := range extra {
		args = append(args, "--post-renderer-args", a)
	}
	return args
}

// Output runs helm with args and returns its stdout.
func Output(binary string, env []string, args ...string) (string, error) {
	cmd := exec.Command(binary, args...)
	cmd.Env = env
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("run %s %s: %w", binary, strings.Join(args, " "), err)
	}
	return string(out), nil
}
