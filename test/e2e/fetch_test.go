package e2e

import (
	"encoding/json"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"syscall"
	"testing"
)

// The known test secrets. They may appear only in credentials.json and in
// the Terraform result; every other output is scanned for them.
const (
	testAPIKey    = "sk_test_E2E_LEAKCHECK_key_9876543210"
	testSecretKey = "OvXFVm1tIUi8xDTuyHX1SSqdMc8nCt2qU9IUaH5p7oU"
	testPublicKey = "JOaR2bHZ31zYjFojC7UhPOidzfT3qOQgT9WEBw1JAKU"
	testRelayID   = "5c1d8ba4-5c6e-4bc1-8a3c-b4e2ac4cbd21"
	testDSN       = "https://0123456789abcdef0123456789abcdef@o1.ingest.sentry.io/4505"
	objectName    = "runlayer-sentry-credentials"
)

// relayUID is the user of the Relay image and of the init container image.
const relayUID = 65532

func assertNoLeak(t *testing.T, where, text string) {
	t.Helper()
	for name, secret := range map[string]string{"API key": testAPIKey, "secret key": testSecretKey, "DSN": testDSN} {
		if strings.Contains(text, secret) {
			t.Errorf("%s contains the %s", where, name)
		}
	}
}

// seedFile writes a fake-vault seed holding the test document.
func seedFile(t *testing.T) string {
	t.Helper()
	document := `{"public_key":"` + testPublicKey + `","secret_key":"` + testSecretKey +
		`","id":"` + testRelayID + `","sentry_dsn":"` + testDSN + `"}`
	seed, err := json.Marshal(map[string]any{"objects": []map[string]string{{"name": objectName, "value": document}}})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "seed.json")
	if err := os.WriteFile(path, seed, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// fileInfo is what Relay will find: a file name, its mode and its owner.
type fileInfo struct {
	name string
	mode os.FileMode
	uid  uint32
}

func listDir(t *testing.T, dir string) []fileInfo {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var files []fileInfo
	for _, e := range entries {
		info, err := e.Info()
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, fileInfo{name: e.Name(), mode: info.Mode().Perm(), uid: info.Sys().(*syscall.Stat_t).Uid})
	}
	sort.Slice(files, func(i, j int) bool { return files[i].name < files[j].name })
	return files
}

// runAsInitContainer runs fetch in a fresh empty directory with only the
// environment the chart gives the init container, as uid 65532 when the test
// runs as root.
func runAsInitContainer(t *testing.T, env []string, args ...string) (run, string, uint32) {
	t.Helper()
	// t.TempDir's parent is private to root, so the unprivileged process
	// could not reach a directory inside it.
	parent, err := os.MkdirTemp("", "init-container-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(parent) })
	if err := os.Chmod(parent, 0o755); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(parent, "relay")
	if err := os.Mkdir(out, 0o700); err != nil {
		t.Fatal(err)
	}
	uid := uint32(os.Getuid())
	if uid == 0 {
		if err := os.Chown(out, relayUID, relayUID); err != nil {
			t.Fatal(err)
		}
		uid = relayUID
	} else {
		t.Logf("running fetch as uid %d: switching to uid %d needs root", uid, relayUID)
	}

	cmd := exec.Command(binary("vault-relay"), append([]string{"fetch"}, args...)...)
	cmd.Env = append(env, "RELAY_CONFIG_DIR="+out)
	if os.Getuid() == 0 {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: relayUID, Gid: relayUID}}
	}
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	code := 0
	if err := cmd.Run(); err != nil {
		var exitErr *exec.ExitError
		if !errors.As(err, &exitErr) {
			t.Fatal(err)
		}
		code = exitErr.ExitCode()
	}
	return run{code: code, stdout: stdout.String(), stderr: stderr.String()}, out, uid
}

func TestInitContainerFetch(t *testing.T) {
	vault := startFakeVault(t, "--seed", seedFile(t))
	tests := []struct {
		name      string
		env       []string
		wantFiles []string
		wantModes []os.FileMode
		wantMode  string
	}{
		{"credentials available", nil, []string{"config.yml", "credentials.json"}, []os.FileMode{0o444, 0o400}, "mode: managed"},
		{"object missing", []string{"WORKOS_VAULT_SECRET_NAME=missing"}, []string{"config.yml"}, []os.FileMode{0o444}, "mode: proxy"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := append([]string{"WORKOS_API_KEY=" + testAPIKey, "WORKOS_API_BASE=" + vault.baseURL}, tt.env...)

			res, out, uid := runAsInitContainer(t, env)

			if res.code != 0 {
				t.Fatalf("exit code = %d; stderr:\n%s", res.code, res.stderr)
			}
			files := listDir(t, out)
			var names []string
			for i, f := range files {
				names = append(names, f.name)
				if i < len(tt.wantModes) && f.mode != tt.wantModes[i] {
					t.Errorf("%s mode = %o, want %o", f.name, f.mode, tt.wantModes[i])
				}
				if f.uid != uid {
					t.Errorf("%s owner = %d, want %d", f.name, f.uid, uid)
				}
			}
			if !slices.Equal(names, tt.wantFiles) {
				t.Errorf("files = %v, want %v", names, tt.wantFiles)
			}
			config, err := os.ReadFile(filepath.Join(out, "config.yml"))
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(config), tt.wantMode) || !strings.Contains(string(config), "host: 0.0.0.0") {
				t.Errorf("config.yml lacks %q or host 0.0.0.0:\n%s", tt.wantMode, config)
			}
			assertNoLeak(t, "config.yml", string(config))
			assertNoLeak(t, "stderr", res.stderr)
		})
	}
}

// TestLeakScan runs every path with the known test secrets and scans
// everything each path leaves: stderr, stdout, and every file but
// credentials.json.
func TestLeakScan(t *testing.T) {
	vault := startFakeVault(t, "--seed", seedFile(t), "--debug")
	base := []string{"WORKOS_API_KEY=" + testAPIKey, "WORKOS_API_BASE=" + vault.baseURL, "VAULT_RELAY_TIMEOUT=1s", "HELM_DEBUG=true"}
	closed := closedAddress(t)
	tests := []struct {
		name        string
		env         []string
		stdin       string
		args        []string
		secretInOut bool // the Terraform result holds the secret on purpose
	}{
		{"fetch", nil, "", []string{"fetch", "--debug"}, false},
		{"fetch json logs", nil, "", []string{"fetch", "--log-format", "json", "--debug"}, false},
		{"fetch missing object", []string{"WORKOS_VAULT_SECRET_NAME=missing"}, "", []string{"fetch"}, false},
		{"fetch strict", []string{"WORKOS_VAULT_SECRET_NAME=missing"}, "", []string{"fetch", "--strict"}, false},
		{"fetch wrong key", []string{"WORKOS_API_KEY=sk_test_wrong"}, "", []string{"fetch"}, false},
		{"fetch unreachable", []string{"WORKOS_API_BASE=http://" + closed}, "", []string{"fetch"}, false},
		{"fetch invalid base", []string{"WORKOS_API_BASE=http://vault.example.com"}, "", []string{"fetch"}, false},
		{"terraform", nil, `{"api_key":"` + testAPIKey + `"}`, []string{"terraform", "--debug"}, true},
		{"terraform missing object", nil, `{"secret_name":"missing"}`, []string{"terraform"}, false},
		{"terraform strict", nil, `{"secret_name":"missing"}`, []string{"terraform", "--strict"}, false},
		{"terraform invalid stdin", nil, `{"api_key":"` + testAPIKey + `", "extra": 1}`, []string{"terraform"}, false},
		{"terraform stdin not JSON", nil, testAPIKey, []string{"terraform"}, false},
		{"help", nil, "", []string{"fetch", "--help"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := t.TempDir()
			env := append(append([]string{"RELAY_CONFIG_DIR=" + out}, base...), tt.env...)

			res := runVaultRelay(t, env, tt.stdin, tt.args...)

			assertNoLeak(t, "stderr", res.stderr)
			if tt.secretInOut {
				if !strings.Contains(res.stdout, testSecretKey) {
					t.Errorf("terraform stdout lacks the secret key it must deliver: %q", res.stdout)
				}
			} else {
				assertNoLeak(t, "stdout", res.stdout)
			}
			for _, f := range listDir(t, out) {
				if f.name == "credentials.json" {
					continue
				}
				data, err := os.ReadFile(filepath.Join(out, f.name))
				if err != nil {
					t.Fatal(err)
				}
				assertNoLeak(t, f.name, string(data))
			}
		})
	}
}

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
