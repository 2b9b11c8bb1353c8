package cli

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/helm-vault-relay/helm-vault-relay/internal/workos/fake"
)

func TestDoctorOutcomes(t *testing.T) {
	tests := []struct {
		name     string
		setup    func(*testing.T, *fake.Server)
		env      map[string]string
		wantID   string
		wantCode int
		wantText string
	}{
		{"healthy", nil, nil, "", 0, "All checks passed. Relay id " + testRelayID},
		{"no key", nil, map[string]string{"WORKOS_API_KEY": ""}, "api-key-present", 10, "set WORKOS_API_KEY"},
		{"publishable key", nil, map[string]string{"WORKOS_API_KEY": "pk_test_0123456789abcdef0123"}, "api-key-format", 11, "publishable key"},
		{"key with space", nil, map[string]string{"WORKOS_API_KEY": "sk_test_0123456789 abcdef"}, "api-key-format", 11, "other than letters"},
		{"unreachable", nil, map[string]string{"WORKOS_API_BASE": "http://127.0.0.1:1"}, "api-reachable", 12, "connection refused"},
		{"rejected key", func(t *testing.T, s *fake.Server) { setFaults(fake.Faults{StatusSequence: []int{}})(t, s) },
			map[string]string{"WORKOS_API_KEY": "sk_test_another_key_0123456789"}, "api-key-accepted", 13, "401 Unauthorized"},
		{"forbidden", setFaultsAfterPing(403), nil, "api-key-accepted", 13, "403 Forbidden"},
		{"server errors", setFaults(fake.Faults{Status: 500}), nil, "api-reachable", 12, "the API is failing"},
		{"rate limited", setFaults(fake.Faults{Status: 429, RetryAfter: "1"}), nil, "api-reachable", 12, "rate limited (WorkOS allows 6,000"},
		{"outage", setFaults(fake.Faults{Outage: time.Minute}), nil, "api-reachable", 12, "503 Service Unavailable"},
		{"latency past timeout", setFaults(fake.Faults{Latency: 5 * time.Second}), nil, "api-reachable", 12, "timed out"},
		{"connection reset mid-body", setFaults(fake.Faults{ResetMidBody: true}), nil, "api-reachable", 12, "connection failed"},
		{"proxy error page", setFaults(fake.Faults{HTMLError: 502}), nil, "api-reachable", 12, "non-JSON body (text/html"},
		{"captive portal", setFaults(fake.Faults{HTMLError: 200}), nil, "api-reachable", 12, "a proxy or captive portal"},
		{"oversized body", setFaults(fake.Faults{OversizedBody: 2 << 20}), nil, "api-reachable", 12, "exceeds"},
		{"rate limit 1 per second then fine", setFaults(fake.Faults{RateLimit: 1, RateBurst: 5}), nil, "", 0, "All checks passed"},
		{"object missing", func(_ *testing.T, s *fake.Server) { s.Delete(objectName) }, nil, "object-present", 14, "credentials generate --store"},
		{"document invalid", func(_ *testing.T, s *fake.Server) { s.Put(objectName, `{"id": 1}`) }, nil, "document-valid", 15, `field "id" is not a JSON string`},
		{"keys mismatched", func(_ *testing.T, s *fake.Server) {
			s.Put(objectName, strings.Replace(testDocument, testPublicKey, "AAAR2bHZ31zYjFojC7UhPOidzfT3qOQgT9WEBw1JAKU", 1))
		}, nil, "key-pair", 16, "does not match"},
		{"dsn invalid", func(_ *testing.T, s *fake.Server) {
			s.Put(objectName, strings.Replace(testDocument, testDSN, "https://sentry.example.com/", 1))
		}, nil, "dsn-valid", 17, "Client Keys"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			server, baseURL := startVault(t)
			if tt.setup != nil {
				tt.setup(t, server)
			}
			env := map[string]string{"WORKOS_API_KEY": testAPIKey, "WORKOS_API_BASE": baseURL}
			for k, v := range tt.env {
				env[k] = v
			}

			text := runCommand(t, env, "", "doctor", "--timeout", "1s")
			jsonRes := runCommand(t, env, "", "doctor", "--timeout", "1s", "--output", "json")

			if text.code != tt.wantCode || jsonRes.code != tt.wantCode {
				t.Errorf("exit codes = %d (text), %d (json), want %d; output:\n%s%s", text.code, jsonRes.code, tt.wantCode, text.stdout, text.stderr)
			}
			if !strings.Contains(text.stdout, tt.wantText) {
				t.Errorf("report does not contain %q:\n%s", tt.wantText, text.stdout)
			}
			var report struct {
				OK     bool   `json:"ok"`
				Failed string `json:"failed"`
				Checks []struct {
					ID     string `json:"id"`
					Status string `json:"status"`
				} `json:"checks"`
			}
			if err := json.Unmarshal([]byte(jsonRes.stdout), &report); err != nil {
				t.Fatalf("--output json is not JSON: %v\n%s", err, jsonRes.stdout)
			}
			if report.Failed != tt.wantID || report.OK != (tt.wantID == "") || len(report.Checks) != 8 {
				t.Errorf("json report: failed %q ok %v with %d checks; want failed %q", report.Failed, report.OK, len(report.Checks), tt.wantID)
			}
			for _, out := range []string{text.stdout, text.stderr, jsonRes.stdout, jsonRes.stderr} {
				assertNoLeak(t, "doctor output", out)
			}
		})
	}
}

// setFaultsAfterPing fails every vault route with status; the ping to
// the base URL is not a vault route, so reachability still passes.
func setFaultsAfterPing(status int) func(*testing.T, *fake.Server) {
	return setFaults(fake.Faults{Status: status})
}
