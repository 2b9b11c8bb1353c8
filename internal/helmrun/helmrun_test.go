package helmrun

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestWithOverlay(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"appended last", []string{"install", "r", "c", "-f", "mine.yaml", "--set", "a=1"},
			[]string{"install", "r", "c", "-f", "mine.yaml", "--set", "a=1", "--values", "/o.yaml"}},
		{"before terminator", []string{"template", "r", "c", "--", "--extra"},
			[]string{"template", "r", "c", "--values", "/o.yaml", "--", "--extra"}},
		{"no arguments", nil, []string{"--values", "/o.yaml"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := WithOverlay(tt.args, "/o.yaml"); !slices.Equal(got, tt.want) {
				t.Errorf("WithOverlay() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestWriteOverlayIsPrivate(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	path, remove, err := WriteOverlay([]byte("secret: value\n"))
	if err != nil {
		t.Fatal(err)
	}

	dirInfo, err := os.Stat(filepath.Dir(path))
	if err != nil {
		t.Fatal(err)
	}
	fileInfo, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if dirInfo.Mode().Perm() != 0o700 {
		t.Errorf("overlay directory mode = %o, want 700", dirInfo.Mode().Perm())
	}
	if fileInfo.Mode().Perm() != 0o600 {
		t.Errorf("overlay file mode = %o, want 600", fileInfo.Mode().Perm())
	}

	if err := remove(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Dir(path)); !os.IsNotExist(err) {
		t.Errorf("overlay directory still exists after remove: %v", err)
	}
}

// script writes an executable shell script standing in for helm.
func script(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "helm")
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"+body), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestRunExitCodes(t *testing.T) {
	tests := []struct {
		name string
		body string
		want int
	}{
		{"success", "exit 0\n", 0},
		{"failure passed through", "exit 3\n", 3},
		{"killed by signal", "kill -KILL $$\n", 128 + int(syscall.SIGKILL)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, err := Run(Command{Binary: script(t, tt.body)})
			if err != nil {
				t.Fatal(err)
			}
			if code != tt.want {
				t.Errorf("exit code = %d, want %d", code, tt.want)
			}
		})
	}
}

func TestRunForwardsSignals(t *testing.T) {
	marker := filepath.Join(t.TempDir(), "got-term")
	started := filepath.Join(t.TempDir(), "started")
	helm := script(t, "trap 'touch "+marker+"; exit 7' TERM\ntouch "+started+"\nwhile :; do sleep 0.05; done\n")
	signals := make(chan os.Signal, 1)

	go func() {
		for range 200 {
			if _, err := os.Stat(started); err == nil {
				signals <- syscall.SIGTERM
				return
			}
			time.Sleep(25 * time.Millisecond)
		}
	}()
	code, err := Run(Command{Binary: helm, Signals: signals})

	if err != nil {
		t.Fatal(err)
	}
	if code != 7 {
		t.Errorf("exit code = %d, want 7 from the TERM trap", code)
	}
	if _, err := os.Stat(marker); err != nil {
		t.Error("helm did not receive SIGTERM")
	}
}

func TestRunMissingBinary(t *testing.T) {
	_, err := Run(Command{Binary: filepath.Join(t.TempDir(), "no-helm")})
	if err == nil || !strings.Contains(err.Error(), "no-helm") {
		t.Errorf("Run with a missing binary = %v, want an error naming it", err)
	}
}

func TestBinary(t *testing.T) {
	if got := Binary(func(string) string { return "" }); got != "helm" {
		t.Errorf("Binary without HELM_BIN = %q, want helm", got)
	}
	if got := Binary(func(string) string { return "/opt/helm4" }); got != "/opt/helm4" {
		t.Errorf("Binary with HELM_BIN = %q, want /opt/helm4", got)
	}
}
