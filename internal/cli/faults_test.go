package cli

import (
	"encoding/json"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/helm-vault-relay/helm-vault-relay/internal/vaultcreds"
	"github.com/helm-vault-relay/helm-vault-relay/internal/workos/fake"
)

// vaultFault is one row of the fault matrix: how the vault misbehaves and
// the reason credentials are then missing ("" when they still arrive).
type vaultFault struct {
	name       string
	setup      func(t *testing.T, server *fake.Server)
	closedPort bool // point the command at a port nothing listens on
	reason     vaultcreds.Reason
}

func setFaults(f fake.Faults) func(*testing.T, *fake.Server) {
	return func(t *testing.T, server *fake.Server) {
		t.Helper()
		if err := server.SetFaults(f); err != nil {
			t.Fatal(err)
		}
	}
}

var faultMatrix = []vaultFault{
	{name: "healthy", setup: func(*testing.T, *fake.Server) {}},
	{name: "latency below deadline", setup: setFaults(fake.Faults{Latency: 50 * time.Millisecond})},
	{name: "503 burst then recovery", setup: setFaults(fake.Faults{StatusSequence: []int{503, 503, 503}})},
	{name: "429 with Retry-After then recovery", setup: setFaults(fake.Faults{StatusSequence: []int{429, 429}, RetryAfter: "1"})},
	{name: "rate limit of 2 per second", setup: func(t *testing.T, server *fake.Server) {
		setFaults(fake.Faults{RateLimit: 2, RateBurst: 1})(t, server)
		// Spend the only token, so the command meets a 429 first.
		server.ServeHTTP(discardResponse{}, mustRequest(t, "/vault/v1/kv/name/"+objectName))
	}},
	{name: "object missing", setup: func(_ *testing.T, s *fake.Server) { s.Delete(objectName) }, reason: vaultcreds.ReasonNotFound},
	{name: "404 injected", setup: setFaults(fake.Faults{Status: 404}), reason: vaultcreds.ReasonNotFound},
	{name: "document not JSON", setup: func(_ *testing.T, s *fake.Server) { s.Put(objectName, "not json "+testSecretKey) }, reason: vaultcreds.ReasonInvalid},
	{name: "document with mismatched keys", setup: func(_ *testing.T, s *fake.Server) {
		s.Put(objectName, strings.Replace(testDocument, testPublicKey, "AAAR2bHZ31zYjFojC7UhPOidzfT3qOQgT9WEBw1JAKU", 1))
	}, reason: vaultcreds.ReasonInvalid},
	{name: "401 key rejected", setup: setFaults(fake.Faults{Status: 401}), reason: vaultcreds.ReasonKeyRejected},
	{name: "403 forbidden", setup: setFaults(fake.Faults{Status: 403}), reason: vaultcreds.ReasonKeyRejected},
	{name: "429 past deadline", setup: setFaults(fake.Faults{Status: 429, RetryAfter: "1"}), reason: vaultcreds.ReasonUnreachable},
	{name: "500 past deadline", setup: setFaults(fake.Faults{Status: 500}), reason: vaultcreds.ReasonUnreachable},
	{name: "latency past deadline", setup: setFaults(fake.Faults{Latency: 5 * time.Second}), reason: vaultcreds.ReasonUnreachable},
	{name: "connection reset mid-body", setup: setFaults(fake.Faults{ResetMidBody: true}), reason: vaultcreds.ReasonUnreachable},
	{name: "HTML 502 page", setup: setFaults(fake.Faults{HTMLError: 502}), reason: vaultcreds.ReasonUnreachable},
	{name: "HTML 200 page", setup: setFaults(fake.Faults{HTMLError: 200}), reason: vaultcreds.ReasonBadResponse},
	{name: "oversized body", setup: setFaults(fake.Faults{OversizedBody: 2 << 20}), reason: vaultcreds.ReasonBadResponse},
	{name: "vault not listening", closedPort: true, reason: vaultcreds.ReasonUnreachable},
}

// prepare starts a vault with the fault applied and returns the environment
// a command runs with.
func (f vaultFault) prepare(t *testing.T) map[string]string {
	t.Helper()
	server, baseURL := startVault(t)
	if f.setup != nil {
		f.setup(t, server)
	}
	if f.closedPort {
		baseURL = "http://" + closedAddress(t)
	}
	return map[string]string{"WORKOS_API_KEY": testAPIKey, "WORKOS_API_BASE": baseURL, "VAULT_RELAY_TIMEOUT": "1s"}
}

func TestFetchFaultMatrix(t *testing.T) {
	for _, fault := range faultMatrix {
		for _, strict := range []bool{false, true} {
			name := fault.name
			if strict {
				name += " strict"
			}
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				env := fault.prepare(t)
				out := t.TempDir()
				args := []string{"fetch", "--out", out}
				if strict {
					args = append(args, "--strict")
				}

				res := runCommand(t, env, "", args...)

				assertNoLeak(t, "stderr", res.stderr)
				assertNoLeak(t, "stdout", res.stdout)
				assertDirNoLeak(t, out)
				switch {
				case fault.reason == "":
					assertManaged(t, res, out)
				case strict:
					if res.code != ExitFailure {
						t.Errorf("exit code = %d, want %d; stderr:\n%s", res.code, ExitFailure, res.stderr)
					}
					if !strings.Contains(res.stderr, string(fault.reason)) {
						t.Errorf("stderr does not give the reason %q:\n%s", fault.reason, res.stderr)
					}
					assertFileList(t, out)
				default:
					assertProxy(t, res, out, fault.reason)
				}
			})
		}
	}
}

func assertManaged(t *testing.T, res result, out string) {
	t.Helper()
	if res.code != ExitOK {
		t.Fatalf("exit code = %d, want 0; stderr:\n%s", res.code, res.stderr)
	}
	assertFileList(t, out, "config.yml", "credentials.json")
	if config := readFile(t, filepath.Join(out, "config.yml")); !strings.Contains(config, "mode: managed") {
		t.Errorf("config.yml is not in managed mode:\n%s", config)
	}
	var creds map[string]string
	if err := json.Unmarshal([]byte(readFile(t, filepath.Join(out, "credentials.json"))), &creds); err != nil {
		t.Fatal(err)
	}
	if creds["secret_key"] != testSecretKey || creds["public_key"] != testPublicKey || creds["id"] != testRelayID {
		t.Error("credentials.json does not hold the stored credentials")
	}
	if res.stdout != "" {
		t.Errorf("stdout = %q, want nothing", res.stdout)
	}
}

func assertProxy(t *testing.T, res result, out string, reason vaultcreds.Reason) {
	t.Helper()
	if res.code != ExitOK {
		t.Fatalf("exit code = %d, want 0 (degraded); stderr:\n%s", res.code, res.stderr)
	}
	assertFileList(t, out, "config.yml")
	if config := readFile(t, filepath.Join(out, "config.yml")); !strings.Contains(config, "mode: proxy") {
		t.Errorf("config.yml is not in proxy mode:\n%s", config)
	}
	if !strings.Contains(res.stderr, "level=WARN") || !strings.Contains(res.stderr, `reason="`+string(reason)+`"`) {
		t.Errorf("stderr has no warning with reason %q:\n%s", reason, res.stderr)
	}
}

func TestTerraformFaultMatrix(t *testing.T) {
	for _, fault := range faultMatrix {
		for _, strict := range []bool{false, true} {
			name := fault.name
			if strict {
				name += " strict"
			}
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				env := fault.prepare(t)
				query := `{"api_key":"` + testAPIKey + `","api_base":"` + env["WORKOS_API_BASE"] + `"}`
				delete(env, "WORKOS_API_KEY")
				delete(env, "WORKOS_API_BASE")
				args := []string{"terraform"}
				if strict {
					args = append(args, "--strict")
				}

				res := runCommand(t, env, query, args...)

				assertNoLeak(t, "stderr", res.stderr)
				switch {
				case fault.reason == "":
					assertResult(t, res, map[string]string{"public_key": testPublicKey, "secret_key": testSecretKey, "relay_id": testRelayID, "sentry_dsn": testDSN})
				case strict:
					if res.code != ExitFailure || res.stdout != "" {
						t.Errorf("exit code = %d, stdout %q; want 1 and nothing", res.code, res.stdout)
					}
					if !strings.Contains(res.stderr, string(fault.reason)) {
						t.Errorf("stderr does not give the reason %q:\n%s", fault.reason, res.stderr)
					}
				default:
					assertNoLeak(t, "stdout", res.stdout)
					assertResult(t, res, map[string]string{"public_key": "", "secret_key": "", "relay_id": "", "sentry_dsn": ""})
					if !strings.Contains(res.stderr, `reason="`+string(fault.reason)+`"`) {
						t.Errorf("stderr does not give the reason %q:\n%s", fault.reason, res.stderr)
					}
				}
			})
		}
	}
}

// assertResult checks that stdout is exactly one JSON object of strings
// equal to want.
func assertResult(t *testing.T, res result, want map[string]string) {
	t.Helper()
	if res.code != ExitOK {
		t.Fatalf("exit code = %d, want 0; stderr:\n%s", res.code, res.stderr)
	}
	decoder := json.NewDecoder(strings.NewReader(res.stdout))
	var got map[string]string
	if err := decoder.Decode(&got); err != nil {
		t.Fatalf("stdout is not a JSON object of strings: %v\n%s", err, res.stdout)
	}
	if decoder.More() {
		t.Errorf("stdout holds more than one JSON value: %q", res.stdout)
	}
	if len(got) != len(want) {
		t.Errorf("result keys = %v, want %v", got, want)
	}
	for key, value := range want {
		if got[key] != value {
			t.Errorf("result %s = %q, want %q", key, got[key], value)
		}
	}
}

// closedAddress returns a loopback address on which nothing listens.
func closedAddress(t *testing.T) string {
	t.Helper()
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := listener.Addr().String()
	_ = listener.Close()
	return addr
}
