package plugin

import (
	"encoding/base64"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/helm-vault-relay/helm-vault-relay/test/testenv"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

// templateNamespace is the -n of every template run; the golden files
// contain it.
const templateNamespace = "relay-template"

// Relay ids that the user's own values set, which differ from testRelayID.
const (
	setFlagRelayID    = "11111111-2222-4333-8444-555555555555"
	valuesFileRelayID = "66666666-7777-4888-9999-aaaaaaaaaaaa"
)

func TestPluginTemplate(t *testing.T) {
	_, vaultURL := startFakeVault(t, testDocument)
	userValues := filepath.Join(t.TempDir(), "user-values.yaml")
	err := os.WriteFile(userValues, []byte("relay:\n  vault:\n    enabled: true\n  credentials:\n    id: "+valuesFileRelayID+"\n"), 0o600)
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name         string
		args         []string
		golden       bool
		wantReplicas int
		wantID       string
	}{
		{"overlay alone", nil, true, 1, testRelayID},
		{"set flags override overlay", []string{"--set", "relay.replicas=4", "--set", "relay.credentials.id=" + setFlagRelayID}, false, 4, setFlagRelayID},
		{"overlay overrides values file", []string{"-f", userValues, "--set", "relay.replicas=4"}, false, 4, testRelayID},
	}
	for _, helmName := range testenv.HelmVersions {
		for _, tt := range tests {
			t.Run(helmName+"/"+tt.name, func(t *testing.T) {
				h := newHelmEnv(t, helmName, vaultURL)
				args := append([]string{"template", releaseName, chartDir(), "-n", templateNamespace}, tt.args...)

				res := h.mustPlugin(t, args...)

				if tt.golden {
					compareGolden(t, "template-"+helmName+".yaml", res.stdout)
				}
				objects := decodeManifests(t, res.stdout)
				for _, object := range objects {
					if got := dig(object, "metadata", "namespace"); got != templateNamespace {
						t.Errorf("%s %v has namespace %v, want %s from -n", object["kind"], dig(object, "metadata", "name"), got, templateNamespace)
					}
				}

				pod := dig(findObject(t, objects, "Deployment", ""), "spec", "template", "spec").(map[string]any)
				if names := containerNames(pod["initContainers"]); len(names) > 0 {
					t.Errorf("deployment has init containers %v, want none because the overlay sets relay.vault.enabled=false", names)
				}
				if got := dig(findObject(t, objects, "Deployment", ""), "spec", "replicas"); got != tt.wantReplicas {
					t.Errorf("deployment replicas = %v, want %d", got, tt.wantReplicas)
				}

				credentials := findObject(t, objects, "Secret", "sentry-relay-secret")
				if got := secretValue(t, credentials, "id"); got != tt.wantID {
					t.Errorf("Secret sentry-relay-secret id = %q, want %q", got, tt.wantID)
				}
				if secretValue(t, credentials, "public_key") != testPublicKey {
					t.Error("Secret sentry-relay-secret public_key is not the test public key")
				}
				if secretValue(t, credentials, "secret_key") != testSecretKey {
					t.Error("Secret sentry-relay-secret secret_key is not the test secret key")
				}
				if secretValue(t, findObject(t, objects, "Secret", "backend-secret"), "SENTRY_DSN") != testDSN {
					t.Error("Secret backend-secret SENTRY_DSN is not the test DSN")
				}
			})
		}
	}
}

// compareGolden compares got with testdata/golden/name, or rewrites that
// file with -update.
// versionID matches the fake vault's object version ids, which change with
// every run; golden files hold a placeholder instead.
var versionID = regexp.MustCompile(`ver_[0-9A-Z]{26}`)

func compareGolden(t *testing.T, name, got string) {
	got = versionID.ReplaceAllString(got, "ver_FAKEVERSION")
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}

	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file: %v; run `go test ./test/plugin -update` to create it", err)
	}
	if got == string(want) {
		return
	}
	gotLines, wantLines := strings.Split(got, "\n"), strings.Split(string(want), "\n")
	for i := range max(len(gotLines), len(wantLines)) {
		gotLine, wantLine := lineAt(gotLines, i), lineAt(wantLines, i)
		if gotLine != wantLine {
			t.Errorf("output differs from %s at line %d:\n got: %s\nwant: %s\nRun `go test ./test/plugin -update` and review the diff if the change is intended.",
				path, i+1, redact(gotLine), redact(wantLine))
			return
		}
	}
}

func lineAt(lines []string, i int) string {
	if i < len(lines) {
		return lines[i]
	}
	return "(end of output)"
}

// decodeManifests splits helm template output into its objects.
func decodeManifests(t *testing.T, manifests string) []map[string]any {
	t.Helper()
	decoder := yaml.NewDecoder(strings.NewReader(manifests))
	var objects []map[string]any
	for {
		var object map[string]any
		err := decoder.Decode(&object)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("helm template output is not YAML: %v", err)
		}
		if object != nil {
			objects = append(objects, object)
		}
	}
	if len(objects) == 0 {
		t.Fatal("helm template rendered no objects")
	}
	return objects
}

// findObject returns the object of kind named name, or the only one of
// kind when name is "".
func findObject(t *testing.T, objects []map[string]any, kind, name string) map[string]any {
	t.Helper()
	var found []map[string]any
	for _, object := range objects {
		if object["kind"] == kind && (name == "" || dig(object, "metadata", "name") == name) {
			found = append(found, object)
		}
	}
	if len(found) != 1 {
		t.Fatalf("found %d objects of kind %s named %q, want 1", len(found), kind, name)
	}
	return found[0]
}

// secretValue decodes one key of a Secret's data.
func secretValue(t *testing.T, secret map[string]any, key string) string {
	t.Helper()
	encoded, ok := dig(secret, "data", key).(string)
	if !ok {
		t.Fatalf("Secret %v has no data key %s", dig(secret, "metadata", "name"), key)
	}
	decoded, err := base64.StdEncoding.DecodeString(encoded)
	if err != nil {
		t.Fatalf("Secret %v data key %s is not base64: %v", dig(secret, "metadata", "name"), key, err)
	}
	return string(decoded)
}

// containerNames returns the names in a pod spec's container list.
func containerNames(containers any) []string {
	list, _ := containers.([]any)
	var names []string
	for _, c := range list {
		if container, ok := c.(map[string]any); ok {
			names = append(names, container["name"].(string))
		}
	}
	return names
}

// dig walks nested maps; it returns nil when a key is missing.
func dig(object map[string]any, keys ...string) any {
	var current any = object
	for _, key := range keys {
		m, ok := current.(map[string]any)
		if !ok {
			return nil
		}
		current = m[key]
	}
	return current
}
