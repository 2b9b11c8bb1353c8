package overlay

import (
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/helm-vault-relay/helm-vault-relay/internal/credentials"
)

var testCreds = credentials.Credentials{
	ID:        "5c1d8ba4-5c6e-4bc1-8a3c-b4e2ac4cbd21",
	PublicKey: "JOaR2bHZ31zYjFojC7UhPOidzfT3qOQgT9WEBw1JAKU",
	SecretKey: "OvXFVm1tIUi8xDTuyHX1SSqdMc8nCt2qU9IUaH5p7oU",
	SentryDSN: "https://0123456789abcdef@o1.ingest.sentry.io/42",
}

func TestBundledChartOverlay(t *testing.T) {
	tests := []struct {
		name  string
		creds credentials.Credentials
		want  string
	}{
		{"with dsn", testCreds, `backend:
    secrets:
        SENTRY_DSN: https://0123456789abcdef@o1.ingest.sentry.io/42
relay:
    credentials:
        id: 5c1d8ba4-5c6e-4bc1-8a3c-b4e2ac4cbd21
        publicKey: JOaR2bHZ31zYjFojC7UhPOidzfT3qOQgT9WEBw1JAKU
        secretKey: OvXFVm1tIUi8xDTuyHX1SSqdMc8nCt2qU9IUaH5p7oU
    vault:
        enabled: false
        objectVersion: ver_9
`},
		{"without dsn", credentials.Credentials{ID: testCreds.ID, PublicKey: testCreds.PublicKey, SecretKey: testCreds.SecretKey}, `relay:
    credentials:
        id: 5c1d8ba4-5c6e-4bc1-8a3c-b4e2ac4cbd21
        publicKey: JOaR2bHZ31zYjFojC7UhPOidzfT3qOQgT9WEBw1JAKU
        secretKey: OvXFVm1tIUi8xDTuyHX1SSqdMc8nCt2qU9IUaH5p7oU
    vault:
        enabled: false
        objectVersion: ver_9
`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			values, err := Build(Source{Credentials: tt.creds, VersionID: "ver_9"}, BundledChart(), Options{DisableVault: true})
			if err != nil {
				t.Fatal(err)
			}
			data, err := Marshal(values, true)
			if err != nil {
				t.Fatal(err)
			}
			body := string(data[strings.Index(string(data), "\n")+1:])
			if body != tt.want {
				t.Errorf("overlay =\n%s\nwant\n%s", body, tt.want)
			}
			if !strings.HasPrefix(string(data), "# ") {
				t.Error("overlay has no warning header")
			}
		})
	}
}

func TestCustomMapping(t *testing.T) {
	mapping, err := ParseMapping([]string{
		"secret_key=relay.auth.secret",
		"public_key=relay.auth.public",
		`id=podAnnotations.relay\.sentry\.io/id`,
	})
	if err != nil {
		t.Fatal(err)
	}
	values, err := Build(Source{Credentials: testCreds}, mapping, Options{})
	if err != nil {
		t.Fatal(err)
	}
	data, _ := Marshal(values, mapping.HoldsSecret())
	var got map[string]any
	if err := yaml.Unmarshal(data, &got); err != nil {
		t.Fatal(err)
	}
	auth := got["relay"].(map[string]any)["auth"].(map[string]any)
	if auth["secret"] != testCreds.SecretKey.Reveal() || auth["public"] != testCreds.PublicKey {
		t.Errorf("relay.auth = %v", auth)
	}
	if got["podAnnotations"].(map[string]any)["relay.sentry.io/id"] != testCreds.ID {
		t.Errorf("escaped dot path not honoured: %v", got["podAnnotations"])
	}
	if _, ok := got["backend"]; ok {
		t.Error("unmapped sentry_dsn was written")
	}
}

func TestParseMappingInvalid(t *testing.T) {
	tests := []struct {
		entries []string
		wantErr string
	}{
		{[]string{"secret_key"}, "expected FIELD=values.path"},
		{[]string{"secret_key="}, "expected FIELD=values.path"},
		{[]string{"token=relay.token"}, `unknown field "token"; known fields: id, public_key, secret_key, sentry_dsn, object_version`},
		{[]string{"id=relay..id"}, "empty key"},
		{[]string{"id=a.b", "id=a.c"}, "mapped twice"},
	}
	for _, tt := range tests {
		_, err := ParseMapping(tt.entries)
		if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("ParseMapping(%q) = %v, want an error containing %q", tt.entries, err, tt.wantErr)
		}
	}
}

func TestBuildRejectsCollidingPaths(t *testing.T) {
	mapping, err := ParseMapping([]string{"id=relay.id", "public_key=relay.id.public"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Build(Source{Credentials: testCreds}, mapping, Options{}); err == nil || !strings.Contains(err.Error(), "already a value") {
		t.Errorf("Build with colliding paths = %v, want an error", err)
	}
}

func TestVersionOnly(t *testing.T) {
	values, err := Build(Source{Credentials: testCreds, VersionID: "ver_2"}, VersionOnly(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	data, err := Marshal(values, VersionOnly().HoldsSecret())
	if err != nil {
		t.Fatal(err)
	}
	want := "# Helm values overlay written by vault-relay.\nrelay:\n    vault:\n        objectVersion: ver_2\n"
	if string(data) != want {
		t.Errorf("version-only overlay =\n%s\nwant\n%s", data, want)
	}
}
