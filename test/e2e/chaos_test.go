package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// setFaults changes the running fake-vault's faults through its control
// route, as an outage or a flapping proxy would change them mid-run.
func (fv *fakeVault) setFaults(t *testing.T, faults string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, fv.baseURL+"/_fake/faults", strings.NewReader(faults))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+testAPIKey)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Errorf("set faults %s: %v", faults, err)
		return
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusNoContent {
		t.Errorf("set faults %s: status %d", faults, resp.StatusCode)
	}
}

// flap switches the vault between failing with status for period and
// healthy for twice as long, until stop is closed, starting broken. A retry
// therefore lands in a healthy window two times in three, so runs succeed
// well within their deadline even on a loaded machine.
func (fv *fakeVault) flap(t *testing.T, status string, period time.Duration, stop <-chan struct{}) *sync.WaitGroup {
	fv.setFaults(t, `{"status": `+status+`}`)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		broken := true
		for {
			wait := period
			if !broken {
				wait = 2 * period
			}
			select {
			case <-stop:
				fv.setFaults(t, `{}`)
				return
			case <-time.After(wait):
			}
			broken = !broken
			if broken {
				fv.setFaults(t, `{"status": `+status+`}`)
			} else {
				fv.setFaults(t, `{}`)
			}
		}
	}()
	return &wg
}

func vaultEnv(fv *fakeVault, timeout string, extra ...string) []string {
	return append([]string{"WORKOS_API_KEY=" + testAPIKey, "WORKOS_API_BASE=" + fv.baseURL, "VAULT_RELAY_TIMEOUT=" + timeout}, extra...)
}

// TestChaosFetchAndTerraform runs the real binary while the vault is slow,
// flapping or down, and checks the specified outcome: credentials when the
// vault recovers within the deadline, the degraded result when it does not.
func TestChaosFetchAndTerraform(t *testing.T) {
	tests := []struct {
		name     string
		faults   string // set before the run
		flapping string // status to flap with, "" for none
		timeout  string
		want     string // "managed" or "proxy"
	}{
		{"latency below deadline", `{"latency": "400ms"}`, "", "10s", "managed"},
		{"latency past deadline", `{"latency": "5s"}`, "", "1s", "proxy"},
		{"outage shorter than deadline", `{"outage": "1500ms"}`, "", "20s", "managed"},
		{"outage longer than deadline", `{"outage": "30s"}`, "", "2s", "proxy"},
		{"flapping 503", ``, "503", "40s", "managed"},
		{"flapping 429", ``, "429", "40s", "managed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vault := startFakeVault(t, "--seed", seedFile(t))
			if tt.faults != "" {
				vault.setFaults(t, tt.faults)
			}
			stop := make(chan struct{})
			var flapper *sync.WaitGroup
			if tt.flapping != "" {
				flapper = vault.flap(t, tt.flapping, 400*time.Millisecond, stop)
			}

			var wg sync.WaitGroup
			results := make([]run, 8)
			dirs := make([]string, 4)
			for i := range results {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if i < 4 {
						dirs[i] = t.TempDir()
						results[i] = runVaultRelay(t, vaultEnv(vault, tt.timeout, "RELAY_CONFIG_DIR="+dirs[i]), "", "fetch")
					} else {
						results[i] = runVaultRelay(t, vaultEnv(vault, tt.timeout), `{}`, "terraform")
					}
				}()
			}
			wg.Wait()
			close(stop)
			if flapper != nil {
				flapper.Wait()
			}

			for i, res := range results {
				if res.code != 0 {
					t.Errorf("run %d exit code = %d; stderr:\n%s", i, res.code, res.stderr)
					continue
				}
				assertNoLeak(t, "stderr", res.stderr)
				if i < 4 {
					assertOutcome(t, dirs[i], tt.want)
				} else {
					assertTerraformOutcome(t, res.stdout, tt.want)
				}
			}
		})
	}
}

func assertOutcome(t *testing.T, dir, want string) {
	t.Helper()
	config, err := os.ReadFile(filepath.Join(dir, "config.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(config), "mode: "+want) {
		t.Errorf("config.yml is not in %s mode:\n%s", want, config)
	}
	_, err = os.Stat(filepath.Join(dir, "credentials.json"))
	if (want == "managed") != (err == nil) {
		t.Errorf("credentials.json present = %v in %s mode", err == nil, want)
	}
	assertNoTemporaries(t, dir)
}

func assertTerraformOutcome(t *testing.T, stdout, want string) {
	t.Helper()
	var result map[string]string
	if err := json.Unmarshal([]byte(stdout), &result); err != nil {
		t.Fatalf("terraform stdout is not one JSON object: %v\n%q", err, stdout)
	}
	if got := result["secret_key"] == testSecretKey; got != (want == "managed") {
		t.Errorf("terraform delivered credentials = %v, want %v", got, want == "managed")
	}
	if want == "proxy" && (result["public_key"] != "" || result["relay_id"] != "") {
		t.Errorf("degraded terraform result has values: %v", result)
	}
}

func assertNoTemporaries(t *testing.T, dir string) {
	t.Helper()
	matches, _ := filepath.Glob(filepath.Join(dir, ".*.tmp-*"))
	if len(matches) > 0 {
		t.Errorf("temporary files left in the output directory: %v", matches)
	}
}

// TestNeverHalfWritten reads config.yml and credentials.json continuously
// while fetch runs again and again over the same directory, switching
// between credentials and the degraded config, and while some runs are
// killed with SIGKILL mid-request. Every read must find a complete file.
func TestNeverHalfWritten(t *testing.T) {
	vault := startFakeVault(t, "--seed", seedFile(t))
	dir := t.TempDir()
	env := vaultEnv(vault, "5s", "RELAY_CONFIG_DIR="+dir)

	stop := make(chan struct{})
	var reads, partial atomic.Int64
	var readers sync.WaitGroup
	for _, name := range []string{"config.yml", "credentials.json"} {
		readers.Add(1)
		go func() {
			defer readers.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				data, err := os.ReadFile(filepath.Join(dir, name))
				if err != nil {
					continue // absent between a degraded run and the next success
				}
				reads.Add(1)
				if !completeFile(name, data) {
					partial.Add(1)
				}
			}
		}()
	}

	for i := range 24 {
		switch i % 3 {
		case 0:
			vault.setFaults(t, `{}`)
		case 1:
			vault.setFaults(t, `{"status": 404}`)
		case 2:
			// A run killed while its request hangs: it must leave the
			// previous files whole.
			vault.setFaults(t, `{"latency": "2s"}`)
			killMidRequest(t, env)
			continue
		}
		if res := runVaultRelay(t, env, "", "fetch"); res.code != 0 {
			t.Fatalf("fetch %d exit code = %d; stderr:\n%s", i, res.code, res.stderr)
		}
	}
	close(stop)
	readers.Wait()

	if reads.Load() == 0 {
		t.Fatal("the readers never saw a file")
	}
	if partial.Load() > 0 {
		t.Errorf("%d of %d reads found an incomplete file", partial.Load(), reads.Load())
	}
	vault.setFaults(t, `{}`)
	if res := runVaultRelay(t, env, "", "fetch"); res.code != 0 {
		t.Fatalf("final fetch exit code = %d", res.code)
	}
	assertNoTemporaries(t, dir)
}

// completeFile reports whether data is a whole config.yml or
// credentials.json as fetch writes them.
func completeFile(name string, data []byte) bool {
	if name == "credentials.json" {
		var creds map[string]string
		return json.Unmarshal(data, &creds) == nil && len(creds) == 3 && creds["secret_key"] == testSecretKey
	}
	var config struct {
		Relay struct {
			Mode string `yaml:"mode"`
			Port int    `yaml:"port"`
		} `yaml:"relay"`
		Logging struct {
			Level string `yaml:"level"`
		} `yaml:"logging"`
	}
	return yaml.Unmarshal(data, &config) == nil && (config.Relay.Mode == "managed" || config.Relay.Mode == "proxy") &&
		config.Relay.Port == 3000 && config.Logging.Level != ""
}

// killMidRequest starts fetch and kills it with SIGKILL while its request
// waits on the slow vault.
func killMidRequest(t *testing.T, env []string) {
	t.Helper()
	cmd := exec.Command(binary("vault-relay"), "fetch")
	cmd.Env = env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	_ = cmd.Process.Signal(syscall.SIGKILL)
	_ = cmd.Wait()
	assertNoLeak(t, "killed fetch stderr", stderr.String())
}
