package cli

import (
	"strings"
	"testing"
)

func TestTerraformQueryOverEnvironment(t *testing.T) {
	server, baseURL := startVault(t)
	server.Put("from-query", testDocument)
	server.Delete(objectName)
	env := map[string]string{"WORKOS_API_KEY": testAPIKey, "WORKOS_API_BASE": "http://127.0.0.1:1", "WORKOS_VAULT_SECRET_NAME": "from-env"}
	query := `{"api_base":"` + baseURL + `","secret_name":"from-query"}`

	res := runCommand(t, env, query, "terraform")

	assertResult(t, res, map[string]string{"public_key": testPublicKey, "secret_key": testSecretKey, "relay_id": testRelayID, "sentry_dsn": testDSN})
	assertNoLeak(t, "stderr", res.stderr)
}

func TestTerraformInvalidInput(t *testing.T) {
	_, baseURL := startVault(t)
	tests := []struct {
		name     string
		env      map[string]string
		stdin    string
		wantCode int
		wantErr  string
	}{
		{"empty stdin", nil, "", ExitFailure, "stdin is empty"},
		{"not json", nil, "api_key=" + testAPIKey, ExitFailure, "not valid JSON"},
		{"array", nil, `["` + testAPIKey + `"]`, ExitFailure, "expected a JSON object, got a JSON array"},
		{"number value", nil, `{"secret_name": 7}`, ExitFailure, `key "secret_name" must be a string, got a JSON number`},
		{"unknown key", nil, `{"key":"` + testAPIKey + `"}`, ExitFailure, "accepted keys: api_key, api_base, secret_name"},
		{"no api key", map[string]string{"WORKOS_API_KEY": ""}, `{}`, ExitFailure, "WORKOS_API_KEY not found"},
		{"unknown flag", nil, `{}`, ExitUsage, "unknown flag"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{"WORKOS_API_KEY": testAPIKey, "WORKOS_API_BASE": baseURL}
			for k, v := range tt.env {
				env[k] = v
			}
			args := []string{"terraform"}
			if tt.name == "unknown flag" {
				args = append(args, "--query")
			}

			res := runCommand(t, env, tt.stdin, args...)

			if res.code != tt.wantCode {
				t.Errorf("exit code = %d, want %d", res.code, tt.wantCode)
			}
			if res.stdout != "" {
				t.Errorf("stdout = %q, want nothing", res.stdout)
			}
			if !strings.Contains(res.stderr, tt.wantErr) {
				t.Errorf("stderr does not contain %q:\n%s", tt.wantErr, res.stderr)
			}
			assertNoLeak(t, "stderr", res.stderr)
		})
	}
}
