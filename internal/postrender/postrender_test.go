package postrender

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/helm-vault-relay/helm-vault-relay/internal/credentials"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

// testInit is the init container every golden file is rendered with.
var testInit = InitContainer{
	Image:           "ghcr.io/helm-vault-relay/vault-relay:0.1.0",
	APIKeySecret:    "backend-secret",
	APIKeySecretKey: "AUTH_API_KEY",
	APIBase:         "https://api.workos.com",
	ObjectName:      "runlayer-sentry-credentials",
	Timeout:         "60s",
	Upstream:        "https://sentry.io/",
	Port:            3000,
	LogLevel:        "info",
	Resources:       map[string]map[string]string{"requests": {"cpu": "10m", "memory": "16Mi"}, "limits": {"memory": "32Mi"}},
}

const testSecretKey = "OvXFVm1tIUi8xDTuyHX1SSqdMc8nCt2qU9IUaH5p7oU"

var testInline = Inline{
	Credentials: credentials.Credentials{
		ID:        "5c1d8ba4-5c6e-4bc1-8a3c-b4e2ac4cbd21",
		PublicKey: "JOaR2bHZ31zYjFojC7UhPOidzfT3qOQgT9WEBw1JAKU",
		SecretKey: testSecretKey,
	},
	VersionID:  "ver_01",
	SecretName: "sentry-relay-credentials",
}

// goldenCase renders one input in one mode.
type goldenCase struct {
	input string
	mode  Mode
	opts  func(*Options)
}

func (c goldenCase) name() string {
	return strings.TrimSuffix(c.input, ".yaml") + "." + string(c.mode)
}

func (c goldenCase) options() Options {
	opts := Options{Mode: c.mode, InitContainer: testInit, Inline: testInline}
	if c.opts != nil {
		c.opts(&opts)
	}
	return opts
}

var goldenCases = []goldenCase{
	{input: "sentry-chart-relay.yaml", mode: ModeInitContainer},
	{input: "sentry-chart-relay.yaml", mode: ModeInline},
	{input: "statefulset.yaml", mode: ModeInitContainer},
	{input: "hooks.yaml", mode: ModeInitContainer},
	{input: "list.yaml", mode: ModeInitContainer},
	{input: "configmap-dashes.yaml", mode: ModeInitContainer},
	{input: "json.yaml", mode: ModeInitContainer, opts: func(o *Options) { o.Selector.Workload = "Deployment/relay-json" }},
	{input: "helm4-stream.yaml", mode: ModeInitContainer},
	{input: "helm4-stream.yaml", mode: ModeInline},
	{input: "crlf.yaml", mode: ModeInitContainer},
	{input: "anchors.yaml", mode: ModeInitContainer},
}

func readInput(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "input", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestGolden(t *testing.T) {
	for _, c := range goldenCases {
		t.Run(c.name(), func(t *testing.T) {
			result, err := Render(readInput(t, c.input), c.options())
			if err != nil {
				t.Fatal(err)
			}

			golden := filepath.Join("testdata", "golden", c.name()+".yaml")
			if *update {
				if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, result.Output, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if !bytes.Equal(result.Output, want) {
				t.Errorf("output differs from %s (run go test -update and review the diff):\n%s", golden, result.Output)
			}
		})
	}
}

func TestIdempotent(t *testing.T) {
	for _, c := range goldenCases {
		t.Run(c.name(), func(t *testing.T) {
			first, err := Render(readInput(t, c.input), c.options())
			if err != nil {
				t.Fatal(err)
			}
			second, err := Render(first.Output, c.options())
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(first.Output, second.Output) {
				t.Errorf("second run changed the output:\nfirst:\n%s\nsecond:\n%s", first.Output, second.Output)
			}
			if strings.Join(first.Selected, ",") != strings.Join(second.Selected, ",") {
				t.Errorf("selected %v, then %v", first.Selected, second.Selected)
			}
		})
	}
}

// TestUnselectedPassThrough checks that every document that is not a
// selected workload leaves Render byte for byte.
func TestUnselectedPassThrough(t *testing.T) {
	for _, c := range goldenCases {
		t.Run(c.name(), func(t *testing.T) {
			input := readInput(t, c.input)
			result, err := Render(input, c.options())
			if err != nil {
				t.Fatal(err)
			}
			for _, doc := range splitDocuments(input) {
				if documentSelected(doc, result.Selected) {
					continue
				}
				if !bytes.Contains(result.Output, doc.raw()) {
					t.Errorf("%s changed although it was not selected:\n%s", doc.describe(), doc.raw())
				}
			}
		})
	}
}

// documentSelected reports whether one of the selected Kind/name pairs
// could come from doc.
func documentSelected(doc document, selected []string) bool {
	for _, id := range selected {
		_, name, _ := strings.Cut(id, "/")
		if bytes.Contains(doc.body, []byte("name: "+name+"\n")) || bytes.Contains(doc.body, []byte("name: "+name+"\r\n")) ||
			bytes.Contains(doc.body, []byte(`"name": "`+name+`"`)) || bytes.Contains(doc.body, []byte("kind: List")) {
			return true
		}
	}
	return false
}

func TestSelection(t *testing.T) {
	tests := []struct {
		name     string
		input    string
		selector Selector
		want     string
	}{
		{"default by label", "hooks.yaml", Selector{}, "CronJob/app-relay-probe"},
		{"default by image", "statefulset.yaml", Selector{}, "StatefulSet/edge-relay"},
		{"label selector", "hooks.yaml", Selector{Labels: "app=web"}, "Deployment/app-web"},
		{"label selector not equal", "sentry-chart-relay.yaml", Selector{Labels: "role=relay,release!=other"}, "Deployment/sentry-relay"},
		{"workload", "hooks.yaml", Selector{Workload: "Job/app-migrate"}, "Job/app-migrate"},
		{"container by name", "statefulset.yaml", Selector{Workload: "StatefulSet/edge-relay", Container: "relay"}, "StatefulSet/edge-relay"},
		{"list item", "list.yaml", Selector{}, "DaemonSet/relay"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			result, err := Render(readInput(t, tt.input), Options{Mode: ModeInitContainer, Selector: tt.selector, InitContainer: testInit})
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(result.Selected, ","); got != tt.want {
				t.Errorf("selected %q, want %q", got, tt.want)
			}
		})
	}
}

func TestArgs(t *testing.T) {
	tests := []struct {
		name    string
		args    string
		command string
		want    string
	}{
		{"image default command", "", "", "args: [run, --config, /.relay]"},
		{"run only", "args: [run]", "", "args: [run, --config, /.relay]"},
		{"existing config", "args: [run, --config, /etc/relay, -u, x]", "", "args: [run, --config, /.relay, -u, x]"},
		{"config with equals", "args: [run, --config=/etc/relay]", "", "args: [run, --config=/.relay]"},
		{"short flag", "args: [-c, /etc/relay, run]", "", "args: [-c, /.relay, run]"},
		{"command holds run", "", "command: [/bin/relay, run]", "args: [--config, /.relay]"},
		{"config in command", "", "command: [/bin/relay, --config, /etc/relay, run]", "command: [/bin/relay, --config, /.relay, run]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			input := "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: r}\nspec:\n  template:\n    spec:\n      containers:\n      - name: relay\n        image: getsentry/relay\n"
			for _, field := range []string{tt.args, tt.command} {
				if field != "" {
					input += "        " + field + "\n"
				}
			}
			result, err := Render([]byte(input), Options{Mode: ModeInitContainer, InitContainer: testInit})
			if err != nil {
				t.Fatal(err)
			}
			flat := flowStyle(t, result.Output)
			if !strings.Contains(flat, tt.want) {
				t.Errorf("output lacks %q:\n%s", tt.want, result.Output)
			}
		})
	}
}

// flowStyle collapses block lists of the form "key:\n- a\n- b" into
// "key: [a, b]" so tests can compare argument lists on one line.
func flowStyle(t *testing.T, data []byte) string {
	t.Helper()
	lines := strings.Split(string(data), "\n")
	var out []string
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		trimmed := strings.TrimSpace(line)
		if strings.HasSuffix(trimmed, ":") && i+1 < len(lines) && strings.HasPrefix(strings.TrimSpace(lines[i+1]), "- ") && !strings.Contains(lines[i+1], ": ") {
			var items []string
			for i+1 < len(lines) && strings.HasPrefix(strings.TrimSpace(lines[i+1]), "- ") && !strings.Contains(lines[i+1], ": ") {
				items = append(items, strings.TrimPrefix(strings.TrimSpace(lines[i+1]), "- "))
				i++
			}
			out = append(out, trimmed+" ["+strings.Join(items, ", ")+"]")
			continue
		}
		out = append(out, trimmed)
	}
	return strings.Join(out, "\n")
}

func TestErrors(t *testing.T) {
	tests := []struct {
		name    string
		input   string
		opts    Options
		wantErr string
		isErr   error
	}{
		{"nothing selected", "---\n# Source: a/b.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n", Options{},
			"no workload selected: looked for Deployments, StatefulSets", ErrNothingSelected},
		{"bad yaml names document and line", "---\n# Source: a/ok.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n---\n# Source: a/bad.yaml\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: [unclosed\n", Options{},
			"document 2 (a/bad.yaml), line 10: invalid YAML", nil},
		{"flow document without kind line", "---\n{\"kind\": \"Deployment\", \"metadata\": {\"name\": \"x\"\n", Options{},
			"document 1, line", nil},
		{"ambiguous container", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: two}\nspec:\n  template:\n    metadata: {labels: {app.kubernetes.io/component: sentry-relay}}\n    spec:\n      containers: [{name: a, image: x}, {name: b, image: y}]\n", Options{},
			"Deployment/two: 2 containers and none runs a getsentry/relay image: name Relay's container with --container", nil},
		{"missing container", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: r}\nspec:\n  template:\n    spec:\n      containers: [{name: relay, image: getsentry/relay}]\n", Options{Selector: Selector{Container: "other"}},
			`no container named "other"`, nil},
		{"bad selector", "kind: List\nitems: []\n", Options{Selector: Selector{Labels: "env in (a,b)"}},
			"set-based selectors (in, notin) are not supported", nil},
		{"bad workload", "kind: List\nitems: []\n", Options{Selector: Selector{Workload: "Service/x"}},
			`kind "Service" has no pod template`, nil},
		{"mount conflict", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: r}\nspec:\n  template:\n    spec:\n      containers: [{name: relay, image: getsentry/relay, volumeMounts: [{name: other, mountPath: /.relay}]}]\n", Options{},
			`already mounts volume "other" at /.relay`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.InitContainer = testInit
			result, err := Render([]byte(tt.input), tt.opts)
			if err == nil {
				t.Fatalf("Render() error = nil, want %q", tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %q does not contain %q", err, tt.wantErr)
			}
			if tt.isErr != nil && !errors.Is(err, tt.isErr) {
				t.Errorf("errors.Is(%v, %v) = false", err, tt.isErr)
			}
			if result.Output != nil {
				t.Error("Render returned output with its error")
			}
		})
	}
}

func TestAllowNonePassesThrough(t *testing.T) {
	input := readInput(t, "configmap-dashes.yaml")
	input = input[:bytes.Index(input, []byte("---\n# Source: docs/templates/relay.yaml"))]
	result, err := Render(input, Options{AllowNone: true, InitContainer: testInit})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(result.Output, input) {
		t.Errorf("output differs from the input:\n%s", result.Output)
	}
}

func TestInlineSecretOnlyInSecret(t *testing.T) {
	result, err := Render(readInput(t, "sentry-chart-relay.yaml"), Options{Mode: ModeInline, Inline: testInline})
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(result.Output, []byte(testSecretKey)) {
		t.Error("output holds the secret key in clear text; it belongs base64-encoded in the Secret only")
	}
	if n := bytes.Count(result.Output, []byte("kind: Secret")); n != 1 {
		t.Errorf("output has %d Secrets, want 1", n)
	}
}

func TestIsRelayImage(t *testing.T) {
	for image, want := range map[string]bool{
		"getsentry/relay":                                true,
		"getsentry/relay:25.10.0":                        true,
		"ghcr.io/getsentry/relay:25.10.0":                true,
		"registry.local:5000/getsentry/relay@sha256:abc": true,
		"mirror.example.com/getsentry/relay":             true,
		"getsentry/relay-proxy:1":                        false,
		"notgetsentry/relay":                             false,
		"getsentry/snuba":                                false,
	} {
		if got := IsRelayImage(image); got != want {
			t.Errorf("IsRelayImage(%q) = %v, want %v", image, got, want)
		}
	}
}

func TestInitContainerRemovesCredentialVariables(t *testing.T) {
	input := `apiVersion: apps/v1
kind: Deployment
metadata: {name: r}
spec:
  template:
    spec:
      containers:
      - name: relay
        image: getsentry/relay
        env:
        - {name: RELAY_ID, valueFrom: {secretKeyRef: {name: old, key: id}}}
        - {name: RELAY_PORT, value: "3000"}
        - {name: RELAY_SECRET_KEY, valueFrom: {secretKeyRef: {name: old, key: secret_key}}}
        - {name: RELAY_PUBLIC_KEY, valueFrom: {secretKeyRef: {name: old, key: public_key}}}
`
	result, err := Render([]byte(input), Options{Mode: ModeInitContainer, InitContainer: testInit})
	if err != nil {
		t.Fatal(err)
	}
	relayPart := string(result.Output[bytes.Index(result.Output, []byte("containers:")):])
	for _, name := range []string{"RELAY_ID", "RELAY_PUBLIC_KEY", "RELAY_SECRET_KEY"} {
		if strings.Contains(relayPart, "name: "+name) {
			t.Errorf("relay container still sets %s, which would override credentials.json", name)
		}
	}
	if !strings.Contains(relayPart, "RELAY_PORT") {
		t.Error("unrelated RELAY_PORT was removed")
	}
}
