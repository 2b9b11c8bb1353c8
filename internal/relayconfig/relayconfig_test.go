package relayconfig

import (
	"encoding/json"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/helm-vault-relay/helm-vault-relay/internal/credentials"
)

const (
	testSecret = "OvXFVm1tIUi8xDTuyHX1SSqdMc8nCt2qU9IUaH5p7oU"
	testPublic = "JOaR2bHZ31zYjFojC7UhPOidzfT3qOQgT9WEBw1JAKU"
	testID     = "5c1d8ba4-5c6e-4bc1-8a3c-b4e2ac4cbd21"
)

var testCreds = credentials.Credentials{ID: testID, PublicKey: testPublic, SecretKey: testSecret}

// relaySchema checks a config.yml against what Relay 25.10 accepts for the
// keys this project writes. relay.mode is managed or proxy (Relay 25.9.0
// removed static), relay.upstream is an origin, relay.host an IP address and
// relay.port a port number. logging.level is a tracing level filter and
// logging.format one of Relay's formats. Any other key fails the check, so a
// new key must be added here deliberately.
var relaySchema = map[string]map[string]func(any) bool{
	"relay": {
		"mode": func(v any) bool { return v == ModeManaged || v == ModeProxy },
		"upstream": func(v any) bool {
			s, ok := v.(string)
			u, err := url.Parse(s)
			return ok && err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" && (u.Path == "" || u.Path == "/")
		},
		"host": func(v any) bool { s, ok := v.(string); return ok && net.ParseIP(s) != nil },
		"port": func(v any) bool { n, ok := v.(int); return ok && n > 0 && n < 65536 },
	},
	"logging": {
		"level":  func(v any) bool { s, ok := v.(string); return ok && slices.Contains(LogLevels, s) },
		"format": func(v any) bool { s, ok := v.(string); return ok && slices.Contains(LogFormats, s) },
	},
}

func checkRelaySchema(t *testing.T, data []byte) map[string]map[string]any {
	t.Helper()
	var doc map[string]map[string]any
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("config.yml is not a map of sections: %v\n%s", err, data)
	}
	for section, keys := range doc {
		schema, ok := relaySchema[section]
		if !ok {
			t.Errorf("section %q is not one this project may write", section)
			continue
		}
		for key, value := range keys {
			check, ok := schema[key]
			if !ok {
				t.Errorf("key %s.%s is not one Relay 25.10 accepts here", section, key)
				continue
			}
			if !check(value) {
				t.Errorf("value %v of %s.%s is not one Relay 25.10 accepts", value, section, key)
			}
		}
	}
	return doc
}

func TestWriteManaged(t *testing.T) {
	dir := t.TempDir()
	if err := WriteManaged(dir, testCreds, DefaultSettings()); err != nil {
		t.Fatal(err)
	}

	assertFiles(t, dir, ConfigFile, CredentialsFile)
	assertMode(t, filepath.Join(dir, CredentialsFile), 0o400)
	assertMode(t, filepath.Join(dir, ConfigFile), 0o444)

	data := readFile(t, filepath.Join(dir, CredentialsFile))
	var got map[string]string
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"secret_key": testSecret, "public_key": testPublic, "id": testID}
	if len(got) != len(want) || got["secret_key"] != want["secret_key"] || got["public_key"] != want["public_key"] || got["id"] != want["id"] {
		t.Errorf("credentials.json = %v, want %v", got, want)
	}

	doc := checkRelaySchema(t, readFile(t, filepath.Join(dir, ConfigFile)))
	if doc["relay"]["mode"] != ModeManaged || doc["relay"]["host"] != "0.0.0.0" || doc["relay"]["port"] != 3000 {
		t.Errorf("relay section = %v, want managed mode on 0.0.0.0:3000", doc["relay"])
	}
}

func TestWriteProxyRemovesStaleCredentials(t *testing.T) {
	dir := t.TempDir()
	if err := WriteManaged(dir, testCreds, DefaultSettings()); err != nil {
		t.Fatal(err)
	}
	if err := WriteProxy(dir, DefaultSettings()); err != nil {
		t.Fatal(err)
	}

	assertFiles(t, dir, ConfigFile)
	doc := checkRelaySchema(t, readFile(t, filepath.Join(dir, ConfigFile)))
	if doc["relay"]["mode"] != ModeProxy {
		t.Errorf("relay.mode = %v, want proxy", doc["relay"]["mode"])
	}
}

func TestWriteOverReadOnlyFiles(t *testing.T) {
	// A restarted init container finds its earlier 0400/0444 files; rename
	// must replace them.
	dir := t.TempDir()
	for range 2 {
		if err := WriteManaged(dir, testCreds, DefaultSettings()); err != nil {
			t.Fatal(err)
		}
	}
	assertFiles(t, dir, ConfigFile, CredentialsFile)
}

func TestCustomSettingsPassSchema(t *testing.T) {
	settings := Settings{Upstream: "https://relay.internal.example:8443", Host: "::", Port: 8080, LogLevel: "debug", LogFormat: "json"}
	if err := settings.Validate(); err != nil {
		t.Fatal(err)
	}
	data, err := MarshalConfig(NewConfig(ModeManaged, settings))
	if err != nil {
		t.Fatal(err)
	}
	doc := checkRelaySchema(t, data)
	if doc["logging"]["format"] != "json" {
		t.Errorf("logging.format = %v, want json", doc["logging"]["format"])
	}
}

func TestSettingsValidate(t *testing.T) {
	tests := []struct {
		name    string
		change  func(*Settings)
		wantErr string
	}{
		{"upstream with path", func(s *Settings) { s.Upstream = "https://sentry.io/api/" }, "only an origin"},
		{"upstream not url", func(s *Settings) { s.Upstream = "sentry.io" }, "http or https origin"},
		{"host name", func(s *Settings) { s.Host = "localhost" }, "IP address"},
		{"port zero", func(s *Settings) { s.Port = 0 }, "1 to 65535"},
		{"port too large", func(s *Settings) { s.Port = 70000 }, "1 to 65535"},
		{"log level", func(s *Settings) { s.LogLevel = "verbose" }, "log level"},
		{"log format", func(s *Settings) { s.LogFormat = "xml" }, "log format"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := DefaultSettings()
			tt.change(&s)
			err := s.Validate()
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Validate() = %v, want an error containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestWriteFileAtomicFailureLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "sub") // a directory: rename over it fails
	if err := os.Mkdir(target, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(target, "keep"), nil, 0o600); err != nil {
		t.Fatal(err)
	}

	if err := WriteFileAtomic(target, []byte("data"), 0o400); err == nil {
		t.Fatal("WriteFileAtomic over a non-empty directory: error = nil")
	}
	assertFiles(t, dir, "sub")
}

func assertFiles(t *testing.T, dir string, want ...string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	sort.Strings(got)
	sort.Strings(want)
	if !slices.Equal(got, want) {
		t.Errorf("files in %s = %v, want %v", dir, got, want)
	}
}

func assertMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := info.Mode().Perm(); got != want {
		t.Errorf("mode of %s = %o, want %o", filepath.Base(path), got, want)
	}
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestRemoveStaleTemporaries(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{".credentials.json.tmp-123", ".config.yml.tmp-9", "keep.txt", ConfigFile} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := RemoveStaleTemporaries(dir); err != nil {
		t.Fatal(err)
	}
	assertFiles(t, dir, ConfigFile, "keep.txt")
}
