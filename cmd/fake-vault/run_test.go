package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/helm-vault-relay/helm-vault-relay/internal/credentials"
	"github.com/helm-vault-relay/helm-vault-relay/internal/workos/fake"
)

const testKey = "sk_test_cmd_fake_vault_key"

// syncBuffer is a bytes.Buffer that run may write to while the test reads.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func testEnv(key string) func(string) string {
	return func(name string) string {
		if name == apiKeyEnv {
			return key
		}
		return ""
	}
}

// runningCommand is run started in the background by startCommand.
type runningCommand struct {
	baseURL   string
	readyFile string
	stderr    *syncBuffer
	cancel    context.CancelFunc
	exitCode  chan int
}

// startCommand starts run with args plus --ready-file and waits for the
// ready file. The command is stopped when the test ends, if stopCommand has
// not stopped it before.
func startCommand(t *testing.T, args ...string) *runningCommand {
	t.Helper()

	readyFile := filepath.Join(t.TempDir(), "ready")
	ctx, cancel := context.WithCancel(context.Background())
	command := &runningCommand{readyFile: readyFile, stderr: &syncBuffer{}, cancel: cancel, exitCode: make(chan int, 1)}
	args = append(args, "--ready-file", readyFile)
	go func() { command.exitCode <- run(ctx, args, testEnv(testKey), command.stderr) }()
	t.Cleanup(func() { stopCommand(t, command) })

	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		data, err := os.ReadFile(readyFile)
		if err == nil {
			command.baseURL = strings.TrimSpace(string(data))
			return command
		}
		select {
		case code := <-command.exitCode:
			command.exitCode <- code
			t.Fatalf("command exited with %d before it was ready; stderr:\n%s", code, command.stderr)
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.Fatalf("ready file %s did not appear within 10s; stderr:\n%s", readyFile, command.stderr)
	return nil
}

// stopCommand cancels the command's context and returns its exit code. It
// can be called more than once.
func stopCommand(t *testing.T, command *runningCommand) int {
	t.Helper()

	command.cancel()
	select {
	case code := <-command.exitCode:
		command.exitCode <- code
		return code
	case <-time.After(15 * time.Second):
		t.Fatalf("command did not stop within 15s; stderr:\n%s", command.stderr)
		return -1
	}
}

func get(t *testing.T, target string) (int, http.Header, []byte) {
	t.Helper()

	request, err := http.NewRequestWithContext(t.Context(), "GET", target, nil)
	if err != nil {
		t.Fatalf("new request: %v", err)
	}
	request.Header.Set("Authorization", "Bearer "+testKey)
	resp, err := http.DefaultClient.Do(request)
	if err != nil {
		t.Fatalf("GET %s: %v", target, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	return resp.StatusCode, resp.Header, body
}

func TestRunServesGeneratedCredentials(t *testing.T) {
	command := startCommand(t, "--generate", "runlayer-sentry-credentials", "--generate", "team/relay", "--debug")

	status, _, body := get(t, command.baseURL+"/vault/v1/kv/name/runlayer-sentry-credentials")
	if status != 200 {
		t.Fatalf("status = %d, want 200 (body %s)", status, body)
	}
	var object fake.Object
	if err := json.Unmarshal(body, &object); err != nil {
		t.Fatalf("decode object: %v", err)
	}
	creds, err := credentials.Parse([]byte(object.Value))
	if err != nil {
		t.Fatalf("stored value is not a valid credentials document: %v", err)
	}
	if status, _, _ := get(t, command.baseURL+"/vault/v1/kv/name/team%2Frelay"); status != 200 {
		t.Errorf("escaped name: status = %d, want 200", status)
	}

	if code := stopCommand(t, command); code != exitOK {
		t.Errorf("exit code = %d, want %d", code, exitOK)
	}
	logs := command.stderr.String()
	if !strings.Contains(logs, "msg=listening url="+command.baseURL) {
		t.Errorf("logs do not contain the listening line with %s:\n%s", command.baseURL, logs)
	}
	if !strings.Contains(logs, "path=/vault/v1/kv/name/team%2Frelay status=200") {
		t.Errorf("debug logs do not contain the request line:\n%s", logs)
	}
	if strings.Contains(logs, testKey) {
		t.Error("logs contain the API key")
	}
	if strings.Contains(logs, creds.SecretKey.Reveal()) {
		t.Error("logs contain the secret key")
	}
	if _, err := os.Stat(command.readyFile); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("ready file still exists after shutdown (stat error %v)", err)
	}
}

func TestRunSeedFile(t *testing.T) {
	seed := filepath.Join(t.TempDir(), "seed.json")
	document := `{"objects": [{"name": "plain", "value": "v1"}, {"name": "a/b", "value": "{\"id\": \"x\"}"}]}`
	if err := os.WriteFile(seed, []byte(document), 0o600); err != nil {
		t.Fatal(err)
	}
	command := startCommand(t, "--seed", seed)

	tests := []struct {
		path      string
		wantValue string
	}{
		{path: "/vault/v1/kv/name/plain", wantValue: "v1"},
		{path: "/vault/v1/kv/name/a%2Fb", wantValue: `{"id": "x"}`},
	}
	for _, tt := range tests {
		status, _, body := get(t, command.baseURL+tt.path)
		if status != 200 {
			t.Errorf("GET %s: status = %d, want 200", tt.path, status)
			continue
		}
		var object fake.Object
		if err := json.Unmarshal(body, &object); err != nil {
			t.Fatalf("decode object: %v", err)
		}
		if object.Value != tt.wantValue {
			t.Errorf("GET %s: value = %q, want %q", tt.path, object.Value, tt.wantValue)
		}
	}
}

func TestRunFaultFlags(t *testing.T) {
	command := startCommand(t, "--status-sequence", "503,429", "--retry-after", "3")

	var statuses []int
	for range 3 {
		status, header, _ := get(t, command.baseURL+"/vault/v1/kv")
		statuses = append(statuses, status)
		if status != 200 && header.Get("Retry-After") != "3" {
			t.Errorf("status %d: Retry-After = %q, want 3", status, header.Get("Retry-After"))
		}
	}

	if want := []int{503, 429, 200}; !slices.Equal(statuses, want) {
		t.Errorf("statuses = %v, want %v", statuses, want)
	}
}

func TestRunErrors(t *testing.T) {
	dir := t.TempDir()
	writeFile := func(name, content string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	notJSON := writeFile("not-json.json", `{"objects": [ {"name": "x", "value": "secret-text" ]}`)
	noName := writeFile("no-name.json", `{"objects": [{"value": "v"}]}`)
	noValue := writeFile("no-value.json", `{"objects": [{"name": "n"}]}`)
	duplicate := writeFile("duplicate.json", `{"objects": [{"name": "n", "value": "1"}, {"name": "n", "value": "2"}]}`)
	wrongType := writeFile("wrong-type.json", `{"objects": [{"name": "n", "value": 5}]}`)
	unknownField := writeFile("unknown-field.json", `{"objects": [{"name": "n", "vaule": "v"}]}`)
	empty := writeFile("empty.json", ``)
	missing := filepath.Join(dir, "missing.json")

	tests := []struct {
		name       string
		args       []string
		withoutKey bool
		wantCode   int
		wantStderr string
	}{
		{name: "missing API key", withoutKey: true, wantCode: exitUsage, wantStderr: "environment variable FAKE_VAULT_API_KEY is not set"},
		{name: "seed not JSON", args: []string{"--seed", notJSON}, wantCode: exitUsage, wantStderr: "seed file " + notJSON + ": invalid JSON (syntax error at byte offset"},
		{name: "seed missing", args: []string{"--seed", missing}, wantCode: exitUsage, wantStderr: "read seed file: open " + missing},
		{name: "seed empty", args: []string{"--seed", empty}, wantCode: exitUsage, wantStderr: "seed file " + empty + ": file is empty"},
		{name: "seed object without name", args: []string{"--seed", noName}, wantCode: exitUsage, wantStderr: "objects[0] has no name"},
		{name: "seed object without value", args: []string{"--seed", noValue}, wantCode: exitUsage, wantStderr: `objects[0] ("n") has no value`},
		{name: "seed duplicate name", args: []string{"--seed", duplicate}, wantCode: exitUsage, wantStderr: `objects[1] repeats the name "n" of objects[0]`},
		{name: "seed value not a string", args: []string{"--seed", wrongType}, wantCode: exitUsage, wantStderr: "field objects.value is a JSON number, expected a string"},
		{name: "seed unknown field", args: []string{"--seed", unknownField}, wantCode: exitUsage, wantStderr: `unknown field "vaule"`},
		{name: "unknown flag", args: []string{"--verbose"}, wantCode: exitUsage, wantStderr: "unknown flag: --verbose"},
		{name: "extra argument", args: []string{"serve"}, wantCode: exitUsage, wantStderr: `unexpected argument "serve"`},
		{name: "all interfaces", args: []string{"--listen", "0.0.0.0:0"}, wantCode: exitUsage, wantStderr: "address is not a loopback address"},
		{name: "invalid status", args: []string{"--status", "200"}, wantCode: exitUsage, wantStderr: "status 200 is not an error status from 400 to 599"},
		{name: "invalid log format", args: []string{"--log-format", "xml"}, wantCode: exitUsage, wantStderr: `invalid --log-format "xml"`},
		{name: "help", args: []string{"--help"}, wantCode: exitOK, wantStderr: "--rate-limit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key := testKey
			if tt.withoutKey {
				key = ""
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			var stderr syncBuffer

			code := run(ctx, tt.args, testEnv(key), &stderr)

			if code != tt.wantCode {
				t.Errorf("exit code = %d, want %d; stderr:\n%s", code, tt.wantCode, stderr.String())
			}
			if !strings.Contains(stderr.String(), tt.wantStderr) {
				t.Errorf("stderr does not contain %q:\n%s", tt.wantStderr, stderr.String())
			}
			if strings.Contains(stderr.String(), "secret-text") {
				t.Error("stderr quotes the seed file's content")
			}
		})
	}
}
