package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFetchMissingAPIKey(t *testing.T) {
	_, baseURL := startVault(t)
	out := t.TempDir()

	res := runCommand(t, map[string]string{"WORKOS_API_BASE": baseURL}, "", "fetch", "--out", out)

	if res.code != ExitFailure {
		t.Errorf("exit code = %d, want %d", res.code, ExitFailure)
	}
	if !strings.Contains(res.stderr, "WORKOS_API_KEY not found") || !strings.Contains(res.stderr, "--api-key-file") {
		t.Errorf("stderr does not say how to set the key:\n%s", res.stderr)
	}
	assertFileList(t, out)
}

func TestFetchRemovesStaleCredentials(t *testing.T) {
	server, baseURL := startVault(t)
	out := t.TempDir()
	env := map[string]string{"WORKOS_API_KEY": testAPIKey, "WORKOS_API_BASE": baseURL}

	if res := runCommand(t, env, "", "fetch", "--out", out); res.code != ExitOK {
		t.Fatalf("first fetch exit code = %d; stderr:\n%s", res.code, res.stderr)
	}
	server.Delete(objectName)
	res := runCommand(t, env, "", "fetch", "--out", out)

	assertProxy(t, res, out, "object not found")
}

func TestFetchStrictLeavesDirectoryUnchanged(t *testing.T) {
	server, baseURL := startVault(t)
	out := t.TempDir()
	env := map[string]string{"WORKOS_API_KEY": testAPIKey, "WORKOS_API_BASE": baseURL}

	if res := runCommand(t, env, "", "fetch", "--out", out); res.code != ExitOK {
		t.Fatalf("first fetch exit code = %d; stderr:\n%s", res.code, res.stderr)
	}
	server.Delete(objectName)
	res := runCommand(t, env, "", "fetch", "--out", out, "--strict")

	if res.code != ExitFailure {
		t.Errorf("exit code = %d, want %d", res.code, ExitFailure)
	}
	assertFileList(t, out, "config.yml", "credentials.json")
}

func TestFetchSettingsPrecedence(t *testing.T) {
	server, baseURL := startVault(t)
	server.Put("from-flag", testDocument)
	server.Delete(objectName)
	envDir := t.TempDir()
	flagDir := t.TempDir()
	keyFile := filepath.Join(t.TempDir(), "key")
	if err := os.WriteFile(keyFile, []byte(testAPIKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{
		"WORKOS_API_KEY":           "sk_test_wrong_key_from_env",
		"WORKOS_API_BASE":          baseURL,
		"WORKOS_VAULT_SECRET_NAME": "from-env",
		"RELAY_CONFIG_DIR":         envDir,
		"RELAY_PORT":               "4000",
		"RELAY_UPSTREAM_URL":       "https://sentry.example.com",
	}

	res := runCommand(t, env, "", "fetch", "--api-key-file", keyFile, "--secret-name", "from-flag", "--out", flagDir, "--port", "3100")

	assertManaged(t, res, flagDir)
	assertFileList(t, envDir)
	config := readFile(t, filepath.Join(flagDir, "config.yml"))
	for _, want := range []string{"port: 3100", "upstream: https://sentry.example.com", "host: 0.0.0.0", "level: info"} {
		if !strings.Contains(config, want) {
			t.Errorf("config.yml lacks %q:\n%s", want, config)
		}
	}
}

func TestFetchInvalidInput(t *testing.T) {
	_, baseURL := startVault(t)
	tests := []struct {
		name     string
		env      map[string]string
		args     []string
		wantCode int
		wantErr  string
	}{
		{"unknown flag", nil, []string{"--api-key", "x"}, ExitUsage, "Run 'vault-relay fetch --help' for its flags."},
		{"bad port names its flag", nil, []string{"--port", "70000"}, ExitFailure, "set by --upstream, --host, --port"},
		{"positional argument", nil, []string{"extra"}, ExitUsage, "unexpected arguments"},
		{"bad log format", nil, []string{"--log-format", "xml"}, ExitUsage, `invalid --log-format "xml"`},
		{"bad port env", map[string]string{"RELAY_PORT": "http"}, nil, ExitFailure, `invalid RELAY_PORT "http"`},
		{"bad upstream", nil, []string{"--upstream", "https://sentry.io/api/1/"}, ExitFailure, "only an origin"},
		{"bad log level", nil, []string{"--relay-log-level", "loud"}, ExitFailure, "invalid relay log level"},
		{"bad timeout env", map[string]string{"VAULT_RELAY_TIMEOUT": "soon"}, nil, ExitFailure, "invalid VAULT_RELAY_TIMEOUT"},
		{"plain http to remote host", map[string]string{"WORKOS_API_BASE": "http://vault.example.com"}, nil, ExitFailure, "only for loopback"},
		{"empty key file", nil, []string{"--api-key-file", os.DevNull}, ExitFailure, "the file is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := t.TempDir()
			env := map[string]string{"WORKOS_API_KEY": testAPIKey, "WORKOS_API_BASE": baseURL}
			for k, v := range tt.env {
				env[k] = v
			}

			res := runCommand(t, env, "", append([]string{"fetch", "--out", out}, tt.args...)...)

			if res.code != tt.wantCode {
				t.Errorf("exit code = %d, want %d", res.code, tt.wantCode)
			}
			if !strings.Contains(res.stderr, tt.wantErr) {
				t.Errorf("stderr does not contain %q:\n%s", tt.wantErr, res.stderr)
			}
			assertFileList(t, out)
			assertNoLeak(t, "stderr", res.stderr)
		})
	}
}

func TestFetchJSONLogs(t *testing.T) {
	_, baseURL := startVault(t)
	out := t.TempDir()
	env := map[string]string{"WORKOS_API_KEY": testAPIKey, "WORKOS_API_BASE": baseURL, "HELM_DEBUG": "true"}

	res := runCommand(t, env, "", "fetch", "--out", out, "--log-format", "json")

	assertManaged(t, res, out)
	for _, line := range strings.Split(strings.TrimSpace(res.stderr), "\n") {
		if !strings.HasPrefix(line, "{") {
			t.Errorf("log line is not JSON: %s", line)
		}
	}
	if !strings.Contains(res.stderr, `"level":"DEBUG"`) {
		t.Errorf("HELM_DEBUG=true did not enable debug logs:\n%s", res.stderr)
	}
}

func TestHelp(t *testing.T) {
	tests := []struct {
		args []string
		want string
		code int
	}{
		{[]string{"--help"}, "Commands:", ExitOK},
		{nil, "Commands:", ExitUsage},
		{[]string{"fetch", "--help"}, "--strict", ExitOK},
		{[]string{"terraform", "-h"}, "api_key", ExitOK},
		{[]string{"version"}, "dev", ExitOK},
		{[]string{"--version"}, "dev", ExitOK},
		{[]string{"help", "fetch"}, "--strict", ExitOK},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			res := runCommand(t, nil, "", tt.args...)
			if res.code != tt.code || !strings.Contains(res.stdout, tt.want) {
				t.Errorf("exit code %d, stdout %q; want %d and %q", res.code, res.stdout, tt.code, tt.want)
			}
		})
	}

	res := runCommand(t, nil, "", "fetchh")
	if res.code != ExitUsage || !strings.Contains(res.stderr, `unknown command "fetchh"`) {
		t.Errorf("unknown command: exit %d, stderr %q", res.code, res.stderr)
	}
}
