package chart

import (
	"strings"
	"testing"
)

// TestSchemaRejects checks that values.schema.json rejects misspelt keys and
// wrong types with an error naming the key.
func TestSchemaRejects(t *testing.T) {
	tests := []struct {
		name   string
		values string
		want   []string // substrings of the error
	}{
		{"misspelt vault key", "relay: {vault: {vaultSecretNme: x}}", []string{"/relay/vault", "vaultSecretNme"}},
		{"misspelt top-level key", "relays: {enabled: true}", []string{"relays"}},
		{"misspelt backend key", "backend: {secrets: {AUTH_API_KYE: x}}", []string{"/backend/secrets", "AUTH_API_KYE"}},
		{"replicas a string", `relay: {replicas: "three"}`, []string{"/relay/replicas", "integer"}},
		{"replicas negative", "relay: {replicas: -1}", []string{"/relay/replicas"}},
		{"port zero", "relay: {port: 0}", []string{"/relay/port"}},
		{"port too high", "relay: {port: 65536}", []string{"/relay/port"}},
		{"service port a string", `relay: {service: {port: "http"}}`, []string{"/relay/service/port"}},
		{"unknown log level", "relay: {logLevel: verbose}", []string{"/relay/logLevel"}},
		{"api base not http", "relay: {vault: {apiBase: api.workos.com}}", []string{"/relay/vault/apiBase"}},
		{"upstream with path", "relay: {upstream: https://sentry.io/api/}", []string{"/relay/upstream"}},
		{"timeout without unit", "relay: {vault: {timeout: '60'}}", []string{"/relay/vault/timeout"}},
		{"strict a string", `relay: {vault: {strict: "yes"}}`, []string{"/relay/vault/strict"}},
		{"pull policy", "relay: {image: {pullPolicy: Sometimes}}", []string{"/relay/image/pullPolicy"}},
		{"init image misspelt", "relay: {vault: {initContainer: {image: {repo: x}}}}", []string{"/relay/vault/initContainer/image", "repo"}},
		{"resources misspelt", "relay: {resources: {request: {cpu: 1}}}", []string{"/relay/resources", "request"}},
		{"pod label not a string", "relay: {podLabels: {tier: 1}}", []string{"/relay/podLabels/tier"}},
		{"public key wrong length", "relay: {credentials: {publicKey: abc}}", []string{"/relay/credentials/publicKey"}},
		{"id not a uuid", "relay: {credentials: {id: relay-1}}", []string{"/relay/credentials/id"}},
		{"service type", "relay: {service: {type: ExternalName}}", []string{"/relay/service/type"}},
		{"pdb percent malformed", "relay: {podDisruptionBudget: {minAvailable: half}}", []string{"/relay/podDisruptionBudget/minAvailable"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := renderYAML(t, tt.values)
			if err == nil {
				t.Fatalf("values %s rendered; want a schema error", tt.values)
			}
			if !strings.Contains(err.Error(), "values don't meet the specifications of the schema") {
				t.Errorf("error is not a schema error: %v", err)
			}
			for _, want := range tt.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error does not name %q:\n%v", want, err)
				}
			}
		})
	}
}

// TestSchemaAccepts checks values the schema must let through, so the
// rejections above do not come from a schema that rejects everything.
func TestSchemaAccepts(t *testing.T) {
	tests := []struct {
		name   string
		values string
	}{
		{"empty", "{}"},
		{"replicas zero", "relay: {replicas: 0}"},
		{"percent budget", "relay: {podDisruptionBudget: {enabled: true, minAvailable: 50%}}"},
		{"upstream with port", "relay: {upstream: 'http://relay-upstream.internal:3000'}"},
		{"timeout compound", "relay: {vault: {timeout: 1m30s}}"},
		{"loopback api base", "relay: {vault: {apiBase: 'http://127.0.0.1:8080'}}"},
		{"free-form scheduling", "relay: {affinity: {nodeAffinity: {}}, tolerations: [{operator: Exists}]}"},
		{"global", "global: {imageRegistry: x}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := renderYAML(t, tt.values); err != nil {
				t.Errorf("values %s rejected: %v", tt.values, err)
			}
		})
	}
}

// TestRenderFails checks the chart's own fail messages for combinations the
// schema cannot express.
func TestRenderFails(t *testing.T) {
	const credentialsMessage = "relay.vault.enabled is false, so Relay needs its credentials from the chart: " +
		"set relay.credentials.existingSecret to a Secret with the keys id, public_key and secret_key, " +
		"or set relay.credentials.id, relay.credentials.publicKey and relay.credentials.secretKey"
	tests := []struct {
		name   string
		values string
		want   []string
	}{
		{
			name:   "vault off without credentials",
			values: "relay: {vault: {enabled: false}}",
			want:   []string{credentialsMessage, "(missing: relay.credentials.id, relay.credentials.publicKey, relay.credentials.secretKey)"},
		},
		{
			name:   "vault off with only an id",
			values: "relay: {vault: {enabled: false}, credentials: {id: 5c1d8ba4-5c6e-4bc1-8a3c-b4e2ac4cbd21}}",
			want:   []string{credentialsMessage, "(missing: relay.credentials.publicKey, relay.credentials.secretKey)"},
		},
		{
			name:   "sentry dsn without api key",
			values: "backend: {secrets: {SENTRY_DSN: 'https://k@o1.ingest.example.test/1'}}",
			want:   []string{"backend.secrets.SENTRY_DSN is set but backend.secrets.AUTH_API_KEY is empty", "relay.vault.enabled"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := renderYAML(t, tt.values)
			if err == nil {
				t.Fatalf("values %s rendered; want an error", tt.values)
			}
			for _, want := range tt.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error lacks %q:\n%v", want, err)
				}
			}
		})
	}
}
