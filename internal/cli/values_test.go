package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

func TestValuesStdout(t *testing.T) {
	_, baseURL := startVault(t)
	env := map[string]string{"WORKOS_API_KEY": testAPIKey, "WORKOS_API_BASE": baseURL}

	res := runCommand(t, env, "", "values")
	dash := runCommand(t, env, "", "values", "-o", "-")
	if dash.stdout != res.stdout || dash.code != ExitOK {
		t.Error(`-o - did not print the overlay to stdout`)
	}

	if res.code != ExitOK {
		t.Fatalf("exit code = %d; stderr:\n%s", res.code, res.stderr)
	}
	var values map[string]map[string]map[string]any
	if err := yaml.Unmarshal([]byte(res.stdout), &values); err != nil {
		t.Fatalf("stdout is not YAML: %v", err)
	}
	creds := values["relay"]["credentials"]
	if creds["secretKey"] != testSecretKey || creds["publicKey"] != testPublicKey || creds["id"] != testRelayID {
		t.Error("overlay does not carry the stored credentials")
	}
	if values["relay"]["vault"]["enabled"] != false {
		t.Errorf("relay.vault.enabled = %v, want false", values["relay"]["vault"]["enabled"])
	}
	if values["backend"]["secrets"]["SENTRY_DSN"] != testDSN {
		t.Error("overlay lacks backend.secrets.SENTRY_DSN")
	}
	assertNoLeak(t, "stderr", res.stderr)
}

func TestValuesOutputFile(t *testing.T) {
	_, baseURL := startVault(t)
	env := map[string]string{"WORKOS_API_KEY": testAPIKey, "WORKOS_API_BASE": baseURL}
	out := filepath.Join(t.TempDir(), "relay-values.yaml")

	res := runCommand(t, env, "", "values", "-o", out, "--map", "secret_key=auth.secret", "--map", "id=auth.id")

	if res.code != ExitOK {
		t.Fatalf("exit code = %d; stderr:\n%s", res.code, res.stderr)
	}
	if res.stdout != "" {
		t.Errorf("stdout = %q, want nothing with -o", res.stdout)
	}
	info, err := os.Stat(out)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("overlay file mode = %o, want 600", info.Mode().Perm())
	}
	data := readFile(t, out)
	if !strings.Contains(data, "secret: "+testSecretKey) || strings.Contains(data, "relay:") || strings.Contains(data, "public") {
		t.Errorf("overlay with --map holds other than the mapped fields:\n%s", strings.ReplaceAll(data, testSecretKey, "<secret>"))
	}
	assertFileList(t, filepath.Dir(out), "relay-values.yaml")
	assertNoLeak(t, "stderr", res.stderr)
}

func TestValuesFailures(t *testing.T) {
	server, baseURL := startVault(t)
	server.Put("broken", "{}")
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantErr  string
	}{
		{"object missing", []string{"--secret-name", "missing"}, ExitFailure, "credentials not available (object not found)"},
		{"document invalid", []string{"--secret-name", "broken"}, ExitFailure, "credentials not available (credentials document invalid)"},
		{"bad mapping", []string{"--map", "token=x"}, ExitUsage, `unknown field "token"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			env := map[string]string{"WORKOS_API_KEY": testAPIKey, "WORKOS_API_BASE": baseURL}

			res := runCommand(t, env, "", append([]string{"values", "-o", filepath.Join(dir, "v.yaml")}, tt.args...)...)

			if res.code != tt.wantCode {
				t.Errorf("exit code = %d, want %d", res.code, tt.wantCode)
			}
			if !strings.Contains(res.stderr, tt.wantErr) {
				t.Errorf("stderr does not contain %q:\n%s", tt.wantErr, res.stderr)
			}
			assertFileList(t, dir)
		})
	}
}
