package tfexternal

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestParseQuery(t *testing.T) {
	tests := []struct {
		name  string
		input string
		want  Query
	}{
		{"all keys", `{"api_key":"sk_test_1","api_base":"http://127.0.0.1:9","secret_name":"relay"}`,
			Query{APIKey: "sk_test_1", APIBase: "http://127.0.0.1:9", SecretName: "relay"}},
		{"empty object", `{}`, Query{}},
		{"null values dropped", `{"api_key":null,"secret_name":"x"}`, Query{SecretName: "x"}},
		{"surrounding whitespace", "\n  {\"secret_name\": \"x\"}\n", Query{SecretName: "x"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseQuery([]byte(tt.input))
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("ParseQuery() = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestParseQueryInvalid(t *testing.T) {
	tests := []struct {
		name    string
		input   string
		wantErr string
	}{
		{"empty", "", "stdin is empty"},
		{"not json", "api_key=sk_live_secret", "not valid JSON"},
		{"two objects", `{} {}`, "not valid JSON"},
		{"array", `["sk_live_secret"]`, "got a JSON array"},
		{"string", `"sk_live_secret"`, "got a JSON string"},
		{"number value", `{"api_key": 12345}`, `key "api_key" must be a string, got a JSON number`},
		{"boolean value", `{"secret_name": true}`, "got a JSON boolean"},
		{"object value", `{"api_base": {"url": "x"}}`, "got a JSON object"},
		{"unknown key", `{"apikey": "sk_live_secret"}`, `unknown key "apikey"; accepted keys: api_key, api_base, secret_name`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseQuery([]byte(tt.input))
			if !errors.Is(err, ErrInvalidQuery) {
				t.Fatalf("error = %v, want ErrInvalidQuery", err)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %q does not contain %q", err, tt.wantErr)
			}
			if strings.Contains(err.Error(), "sk_live_secret") {
				t.Errorf("error %q shows a value", err)
			}
		})
	}
}

func TestReadQueryTooLarge(t *testing.T) {
	input := `{"secret_name":"` + strings.Repeat("a", MaxQueryBytes) + `"}`
	_, err := ReadQuery(strings.NewReader(input))
	if !errors.Is(err, ErrInvalidQuery) || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("error = %v, want a size error", err)
	}
}

func TestResultMarshal(t *testing.T) {
	tests := []struct {
		name   string
		result Result
		want   map[string]string
	}{
		{"empty", Result{}, map[string]string{"public_key": "", "secret_key": "", "relay_id": "", "sentry_dsn": ""}},
		{"full", Result{PublicKey: "p", SecretKey: "s", RelayID: "i", SentryDSN: "d"},
			map[string]string{"public_key": "p", "secret_key": "s", "relay_id": "i", "sentry_dsn": "d"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, err := tt.result.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasSuffix(string(data), "}\n") || strings.Count(string(data), "\n") != 1 {
				t.Errorf("output %q is not one line holding one object", data)
			}
			var got map[string]string
			if err := json.Unmarshal(data, &got); err != nil {
				t.Fatalf("output is not a JSON object of strings: %v", err)
			}
			if len(got) != len(tt.want) {
				t.Errorf("keys = %v, want %v", got, tt.want)
			}
			for k, v := range tt.want {
				if got[k] != v {
					t.Errorf("%s = %q, want %q", k, got[k], v)
				}
			}
		})
	}
}
