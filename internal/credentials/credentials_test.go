package credentials

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

// Relay's relay-auth test vector: this secret key derives this public key.
const (
	vectorSecret = "OvXFVm1tIUi8xDTuyHX1SSqdMc8nCt2qU9IUaH5p7oU"
	vectorPublic = "JOaR2bHZ31zYjFojC7UhPOidzfT3qOQgT9WEBw1JAKU"
	vectorID     = "5c1d8ba4-5c6e-4bc1-8a3c-b4e2ac4cbd21"
	vectorDSN    = "https://0123456789abcdef0123456789abcdef@o1.ingest.sentry.io/4505"
)

func document(t *testing.T, fields map[string]any) []byte {
	t.Helper()
	data, err := json.Marshal(fields)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func validFields() map[string]any {
	return map[string]any{"public_key": vectorPublic, "secret_key": vectorSecret, "id": vectorID}
}

func with(key string, value any) map[string]any {
	fields := validFields()
	if value == nil {
		delete(fields, key)
	} else {
		fields[key] = value
	}
	return fields
}

func TestParseValid(t *testing.T) {
	seed, _ := base64.RawURLEncoding.DecodeString(vectorSecret)
	public, _ := base64.RawURLEncoding.DecodeString(vectorPublic)
	longSecret := base64.RawURLEncoding.EncodeToString(append(seed, public...))

	tests := []struct {
		name   string
		fields map[string]any
	}{
		{"seed secret key", validFields()},
		{"seed and public secret key", with("secret_key", longSecret)},
		{"with dsn", with("sentry_dsn", vectorDSN)},
		{"dsn with secret and port", with("sentry_dsn", "http://pub:sec@sentry.local:9000/path/42")},
		{"null dsn", with("sentry_dsn", json.RawMessage("null"))},
		{"unknown field ignored", with("comment", "rotated in 2026")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			creds, err := Parse(document(t, tt.fields))
			if err != nil {
				t.Fatalf("Parse() error = %v", err)
			}
			if creds.PublicKey != vectorPublic {
				t.Errorf("PublicKey = %q, want %q", creds.PublicKey, vectorPublic)
			}
			if creds.ID != vectorID {
				t.Errorf("ID = %q, want %q", creds.ID, vectorID)
			}
		})
	}
}

func TestParseInvalid(t *testing.T) {
	otherPublic, _, _ := ed25519.GenerateKey(rand.Reader)
	seed, _ := base64.RawURLEncoding.DecodeString(vectorSecret)

	tests := []struct {
		name      string
		input     []byte
		wantField string
		wantText  string
	}{
		{"empty input", []byte("  "), "", "is empty"},
		{"not json", []byte("{public_key:"), "", "not valid JSON"},
		{"array", []byte(`["a"]`), "", "not an object"},
		{"string", []byte(`"abc"`), "", "not an object"},
		{"null", []byte(`null`), "", "not a JSON object"},
		{"missing public key", document(t, with("public_key", nil)), "public_key", "missing"},
		{"missing secret key", document(t, with("secret_key", nil)), "secret_key", "missing"},
		{"missing id", document(t, with("id", nil)), "id", "missing"},
		{"number id", document(t, with("id", 42)), "id", "not a JSON string"},
		{"padded public key", document(t, with("public_key", vectorPublic+"=")), "public_key", "base64"},
		{"standard base64 alphabet", document(t, with("public_key", "+"+vectorPublic[1:])), "public_key", "base64"},
		{"short public key", document(t, with("public_key", vectorPublic[:40])), "public_key", ""},
		{"secret key 33 bytes", document(t, with("secret_key", base64.RawURLEncoding.EncodeToString(append(seed, 1)))), "secret_key", "decodes to 33 bytes"},
		{"mismatched public key", document(t, with("public_key", base64.RawURLEncoding.EncodeToString(otherPublic))), "public_key", "does not match"},
		{"mismatched public half", document(t, with("secret_key", base64.RawURLEncoding.EncodeToString(append(seed, otherPublic...)))), "secret_key", "public key half"},
		{"id not uuid", document(t, with("id", "relay-1")), "id", "UUID"},
		{"id without hyphens", document(t, with("id", strings.ReplaceAll(vectorID, "-", ""))), "id", "hyphenated"},
		{"id upper case", document(t, with("id", strings.ToUpper(vectorID))), "id", "lowercase"},
		{"dsn ftp", document(t, with("sentry_dsn", "ftp://k@h/1")), "sentry_dsn", "scheme"},
		{"dsn without key", document(t, with("sentry_dsn", "https://h.example/1")), "sentry_dsn", "public key"},
		{"dsn without project", document(t, with("sentry_dsn", "https://k@h.example/")), "sentry_dsn", "project id"},
		{"dsn project not number", document(t, with("sentry_dsn", "https://k@h.example/abc")), "sentry_dsn", "not a number"},
		{"dsn with query", document(t, with("sentry_dsn", "https://k@h.example/1?x=1")), "sentry_dsn", "query"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(tt.input)
			if err == nil {
				t.Fatal("Parse() error = nil, want an error")
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("errors.Is(err, ErrInvalid) = false for %v", err)
			}
			var fieldErr *FieldError
			if !errors.As(err, &fieldErr) {
				t.Fatalf("error %T is not a *FieldError", err)
			}
			if fieldErr.Field != tt.wantField {
				t.Errorf("Field = %q, want %q", fieldErr.Field, tt.wantField)
			}
			if !strings.Contains(err.Error(), tt.wantText) {
				t.Errorf("error %q does not contain %q", err, tt.wantText)
			}
			if strings.Contains(err.Error(), vectorSecret[:10]) {
				t.Errorf("error %q contains the secret key", err)
			}
		})
	}
}

func TestParseErrorNeverQuotesInput(t *testing.T) {
	// encoding/json quotes the offending character; a secret that breaks
	// the syntax must not show up piece by piece.
	input := []byte(`{"secret_key": "` + vectorSecret + `" XYZZY}`)
	_, err := Parse(input)
	if err == nil {
		t.Fatal("Parse() error = nil, want a syntax error")
	}
	if strings.Contains(err.Error(), "X") || strings.Contains(err.Error(), vectorSecret) {
		t.Errorf("error %q quotes the input", err)
	}
}

func TestSecretRedactedEverywhere(t *testing.T) {
	creds := Credentials{ID: vectorID, PublicKey: vectorPublic, SecretKey: vectorSecret, SentryDSN: vectorDSN}

	var logs bytes.Buffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("event", "creds", creds, "secret", creds.SecretKey)
	slog.New(slog.NewTextHandler(&logs, nil)).Info("event", "creds", creds, "secret", creds.SecretKey)
	jsonData, err := json.Marshal(creds)
	if err != nil {
		t.Fatal(err)
	}

	outputs := map[string]string{
		"%v":      fmt.Sprintf("%v", creds),
		"%+v":     fmt.Sprintf("%+v", creds),
		"%#v":     fmt.Sprintf("%#v", creds),
		"%s":      fmt.Sprintf("%s", creds.SecretKey),
		"%q":      fmt.Sprintf("%q", creds.SecretKey),
		"%x":      fmt.Sprintf("%x", creds.SecretKey),
		"String":  creds.SecretKey.String(),
		"json":    string(jsonData),
		"slog":    logs.String(),
		"Println": fmt.Sprintln(creds.SecretKey, creds.SentryDSN),
	}
	for name, out := range outputs {
		if strings.Contains(out, vectorSecret) || strings.Contains(out, vectorDSN) {
			t.Errorf("%s output leaks a secret: %s", name, out)
		}
		if !strings.Contains(out, Redacted) {
			t.Errorf("%s output has no redaction marker: %s", name, out)
		}
	}
	if creds.SecretKey.Reveal() != vectorSecret {
		t.Errorf("Reveal() = %q, want the value", creds.SecretKey.Reveal())
	}
}

func TestGenerateRoundTrip(t *testing.T) {
	creds, err := Generate(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if len(creds.PublicKey) != 43 || len(creds.SecretKey.Reveal()) != 43 {
		t.Errorf("key lengths = %d, %d, want 43, 43", len(creds.PublicKey), len(creds.SecretKey.Reveal()))
	}

	doc, err := MarshalDocument(creds)
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := Parse(doc)
	if err != nil {
		t.Fatalf("Parse(MarshalDocument(Generate())) error = %v", err)
	}
	if parsed != creds {
		t.Errorf("round trip changed the credentials")
	}
}

func TestGenerateUsesRandomness(t *testing.T) {
	a, err := Generate(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Generate(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if a.PublicKey == b.PublicKey || a.ID == b.ID {
		t.Error("two generated credentials are equal")
	}
}

func TestKeyMismatchIsDistinct(t *testing.T) {
	otherPublic, _, _ := ed25519.GenerateKey(rand.Reader)
	_, err := Parse(document(t, with("public_key", base64.RawURLEncoding.EncodeToString(otherPublic))))
	if !errors.Is(err, ErrKeyMismatch) || !errors.Is(err, ErrInvalid) {
		t.Errorf("mismatched keys: error %v, want ErrKeyMismatch and ErrInvalid", err)
	}

	// A malformed id is reported before the key pair, which a diagnosis
	// checks after the fields' formats.
	_, err = Parse(document(t, map[string]any{"public_key": base64.RawURLEncoding.EncodeToString(otherPublic), "secret_key": vectorSecret, "id": "x"}))
	if errors.Is(err, ErrKeyMismatch) {
		t.Errorf("bad id and mismatched keys: error %v, want the id reported first", err)
	}
}
