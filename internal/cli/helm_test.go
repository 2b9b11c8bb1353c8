package cli

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// fakeHelm writes a shell script standing in for helm. It records its
// arguments one per line, the mode and content of the file after --values,
// and its environment, then exits with code.
func fakeHelm(t *testing.T, code string) (binary, record string) {
	t.Helper()
	dir := t.TempDir()
	record = filepath.Join(dir, "record")
	binary = filepath.Join(dir, "helm")
	script := `#!/bin/sh
rec=` + record + `
: > "$rec.args"
prev=""
for a in "$@"; do
	printf '%s\n' "$a" >> "$rec.args"
	if [ "$prev" = "--values" ]; then
		stat -c %a "$a" > "$rec.mode"
		stat -c %a "$(dirname "$a")" > "$rec.dirmode"
		cp "$a" "$rec.overlay"
		printf '%s\n' "$a" > "$rec.path"
	fi
	prev=$a
done
env > "$rec.env"
exit ` + code + "\n"
	if err := os.WriteFile(binary, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return binary, record
}

func helmEnv(baseURL, helm string) map[string]string {
	return map[string]string{"WORKOS_API_KEY": testAPIKey, "WORKOS_API_BASE": baseURL, "HELM_BIN": helm, "HELM_NAMESPACE": "relay"}
}

func runHelmCommand(t *testing.T, env map[string]string, args ...string) result {
	t.Helper()
	environ := []string{}
	for k, v := range env {
		environ = append(environ, k+"="+v)
	}
	var stdout, stderr strings.Builder
	streams := IO{
		In: strings.NewReader(""), Out: &stdout, Err: &stderr,
		Getenv:  func(name string) string { return env[name] },
		Environ: func() []string { return environ },
		Retry:   fastRetry,
	}
	code := Run(t.Context(), args, streams)
	return result{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

func TestHelmInstallWithOverlay(t *testing.T) {
	_, baseURL := startVault(t)
	helm, record := fakeHelm(t, "0")

	res := runHelmCommand(t, helmEnv(baseURL, helm),
		"install", "relay", "charts/sentry-relay", "-f", "mine.yaml", "--secret-name", objectName, "--set", "relay.replicas=2")

	if res.code != ExitOK {
		t.Fatalf("exit code = %d; stderr:\n%s", res.code, res.stderr)
	}
	args := strings.Split(strings.TrimSpace(readFile(t, record+".args")), "\n")
	path := strings.TrimSpace(readFile(t, record+".path"))
	want := []string{"install", "relay", "charts/sentry-relay", "-f", "mine.yaml", "--set", "relay.replicas=2", "--values", path}
	if !slices.Equal(args, want) {
		t.Errorf("helm args = %q, want %q", args, want)
	}
	if mode := strings.TrimSpace(readFile(t, record+".mode")); mode != "600" {
		t.Errorf("overlay mode = %s, want 600", mode)
	}
	if mode := strings.TrimSpace(readFile(t, record+".dirmode")); mode != "700" {
		t.Errorf("overlay directory mode = %s, want 700", mode)
	}
	if !strings.Contains(readFile(t, record+".overlay"), "secretKey: "+testSecretKey) {
		t.Error("overlay helm saw lacks the secret key")
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("overlay %s still exists after helm exited", path)
	}
	helmEnv := readFile(t, record+".env")
	if strings.Contains(helmEnv, testAPIKey) {
		t.Error("helm's environment contains the API key")
	}
	if !strings.Contains(helmEnv, "HELM_NAMESPACE=relay") {
		t.Error("helm's environment lost HELM_NAMESPACE")
	}
	for _, arg := range args {
		assertNoLeak(t, "helm argv", arg)
	}
	assertNoLeak(t, "stderr", res.stderr)
}

func TestHelmExitCodePassesThrough(t *testing.T) {
	_, baseURL := startVault(t)
	helm, record := fakeHelm(t, "5")

	res := runHelmCommand(t, helmEnv(baseURL, helm), "upgrade", "relay", "chart")

	if res.code != 5 {
		t.Errorf("exit code = %d, want helm's 5", res.code)
	}
	if strings.Contains(res.stderr, "Error:") {
		t.Errorf("stderr adds an error of its own to helm's failure:\n%s", res.stderr)
	}
	path := strings.TrimSpace(readFile(t, record+".path"))
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("overlay %s still exists after helm failed", path)
	}
}

func TestHelmMissingCredentials(t *testing.T) {
	server, baseURL := startVault(t)
	server.Delete(objectName)
	helm, record := fakeHelm(t, "0")

	res := runHelmCommand(t, helmEnv(baseURL, helm), "install", "relay", "chart")

	if res.code != ExitFailure {
		t.Errorf("exit code = %d, want %d", res.code, ExitFailure)
	}
	if !strings.Contains(res.stderr, "credentials not available (object not found)") || !strings.Contains(res.stderr, "--allow-missing") {
		t.Errorf("stderr does not explain the failure and the way out:\n%s", res.stderr)
	}
	if _, err := os.Stat(record + ".args"); !os.IsNotExist(err) {
		t.Error("helm ran although the credentials are missing")
	}

	res = runHelmCommand(t, helmEnv(baseURL, helm), "install", "relay", "chart", "--allow-missing")

	if res.code != ExitOK {
		t.Fatalf("--allow-missing exit code = %d; stderr:\n%s", res.code, res.stderr)
	}
	args := strings.Split(strings.TrimSpace(readFile(t, record+".args")), "\n")
	if !slices.Equal(args, []string{"install", "relay", "chart"}) {
		t.Errorf("helm args with --allow-missing = %q, want the user's arguments only", args)
	}
}

func TestSplitHelmArgs(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		wantOwn  []string
		wantHelm []string
		wantHelp bool
	}{
		{"mixed", []string{"relay", "chart", "--secret-name", "x", "-n", "ns", "--allow-missing", "--timeout", "5m"},
			[]string{"--secret-name", "x", "--allow-missing"}, []string{"relay", "chart", "-n", "ns", "--timeout", "5m"}, false},
		{"equals form", []string{"--vault-timeout=10s", "--map=id=a.b", "relay"},
			[]string{"--vault-timeout=10s", "--map=id=a.b"}, []string{"relay"}, false},
		{"after terminator", []string{"relay", "--", "--secret-name", "x"},
			nil, []string{"relay", "--", "--secret-name", "x"}, false},
		{"help", []string{"relay", "--help"}, nil, []string{"relay"}, true},
		{"rotation and post-render flags", []string{"relay", "--keep-vault", "--post-render", "--post-render-arg", "--workload=StatefulSet/r", "--wait"},
			[]string{"--keep-vault", "--post-render", "--post-render-arg", "--workload=StatefulSet/r"}, []string{"relay", "--wait"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			own, helm, help, err := splitHelmArgs(tt.args)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(own, tt.wantOwn) || !slices.Equal(helm, tt.wantHelm) || help != tt.wantHelp {
				t.Errorf("split = %q, %q, %v; want %q, %q, %v", own, helm, help, tt.wantOwn, tt.wantHelm, tt.wantHelp)
			}
		})
	}

	if _, _, _, err := splitHelmArgs([]string{"relay", "--secret-name"}); err == nil {
		t.Error("a trailing --secret-name without a value was accepted")
	}
}
