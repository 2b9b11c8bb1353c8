package credentials

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"

	"github.com/google/uuid"
)

// Field names of the credentials document.
const (
	FieldPublicKey = "public_key"
	FieldSecretKey = "secret_key"
	FieldID        = "id"
	FieldSentryDSN = "sentry_dsn"
)

// ErrInvalid is wrapped by every validation error, so callers can treat an
// invalid document like a missing one with errors.Is.
var ErrInvalid = errors.New("invalid credentials document")

// ErrKeyMismatch is wrapped, beside ErrInvalid, by the error for a public
// key that does not belong to the secret key.
var ErrKeyMismatch = errors.New("key pair mismatch")

// FieldError names the field of the document that failed validation and why.
// It never holds the field's value.
type FieldError struct {
	Field    string // document field, or "" for the document as a whole
	Reason   string
	mismatch bool
}

func (e *FieldError) Error() string {
	if e.Field == "" {
		return ErrInvalid.Error() + ": " + e.Reason
	}
	return fmt.Sprintf("%s: field %q %s", ErrInvalid, e.Field, e.Reason)
}

// Unwrap makes errors.Is(err, ErrInvalid) true, and errors.Is(err,
// ErrKeyMismatch) for a mismatched key pair.
func (e *FieldError) Unwrap() []error {
	if e.mismatch {
		return []error{ErrInvalid, ErrKeyMismatch}
	}
	return []error{ErrInvalid}
}

// Credentials are the key pair and id Relay authenticates with upstream.
type Credentials struct {
	ID        string // Relay id, a lowercase hyphenated UUID
	PublicKey string // Ed25519 public key, unpadded URL-safe base64 (43 characters)
	SecretKey Secret // Ed25519 seed (43 characters) or seed+public key (86 characters)
	SentryDSN Secret // optional DSN of the Sentry project the backend reports to
}

// Parse decodes and validates a credentials document. Errors are *FieldError
// values that wrap ErrInvalid and never contain document values.
func Parse(document []byte) (Credentials, error) {
	fields, err := decodeObject(document)
	if err != nil {
		return Credentials{}, err
	}

	creds := Credentials{
		ID:        fields[FieldID],
		PublicKey: fields[FieldPublicKey],
		SecretKey: Secret(fields[FieldSecretKey]),
		SentryDSN: Secret(fields[FieldSentryDSN]),
	}
	if err := creds.Validate(); err != nil {
		return Credentials{}, err
	}
	return creds, nil
}

// decodeObject reads a JSON object whose known fields are strings. Unknown
// fields are ignored, as Relay ignores them in credentials.json.
func decodeObject(document []byte) (map[string]string, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(document, &raw); err != nil {
		return nil, &FieldError{Reason: describeJSONError(document, err)}
	}
	if raw == nil {
		return nil, &FieldError{Reason: "is not a JSON object"}
	}

	fields := make(map[string]string, 4)
	for _, name := range []string{FieldPublicKey, FieldSecretKey, FieldID, FieldSentryDSN} {
		value, ok := raw[name]
		if !ok || bytes.Equal(bytes.TrimSpace(value), []byte("null")) {
			continue
		}
		var s string
		if err := json.Unmarshal(value, &s); err != nil {
			return nil, &FieldError{Field: name, Reason: "is not a JSON string"}
		}
		fields[name] = s
	}
	return fields, nil
}

// describeJSONError turns a decoding error into a message without any part of
// the input: encoding/json quotes the offending character, which could be a
// piece of a secret.
func describeJSONError(document []byte, err error) string {
	var syntaxErr *json.SyntaxError
	var typeErr *json.UnmarshalTypeError
	switch {
	case len(bytes.TrimSpace(document)) == 0:
		return "is empty"
	case errors.As(err, &syntaxErr):
		return "is not valid JSON (syntax error at byte offset " + strconv.FormatInt(syntaxErr.Offset, 10) + ")"
	case errors.As(err, &typeErr):
		return "is a JSON " + typeErr.Value + ", not an object"
	default:
		return "is not valid JSON"
	}
}

// Validate checks every field as Relay and Sentry will read it, and that the
// public key derives from the secret key, which Relay itself does not check.
// The checks run in the order a diagnosis wants them: the fields' formats,
// then the key pair, then the optional DSN.
func (c Credentials) Validate() error {
	public, err := decodeKey(FieldPublicKey, c.PublicKey, ed25519.PublicKeySize)
	if err != nil {
		return err
	}
	secret, err := decodeKey(FieldSecretKey, c.SecretKey.Reveal(), ed25519.SeedSize, ed25519.PrivateKeySize)
	if err != nil {
		return err
	}
	if err := validateID(c.ID); err != nil {
		return err
	}

	if !bytes.Equal(derivePublicKey(secret[:ed25519.SeedSize]), public) {
		return &FieldError{Field: FieldPublicKey, Reason: "does not match the public key derived from secret_key", mismatch: true}
	}
	if len(secret) == ed25519.PrivateKeySize && !bytes.Equal(secret[ed25519.SeedSize:], public) {
		return &FieldError{Field: FieldSecretKey, Reason: "contains a public key half that does not match public_key", mismatch: true}
	}

	if !c.SentryDSN.IsZero() {
		if err := ValidateDSN(c.SentryDSN.Reveal()); err != nil {
			return err
		}
	}
	return nil
}

func decodeKey(field, encoded string, sizes ...int) ([]byte, error) {
	if encoded == "" {
		return nil, &FieldError{Field: field, Reason: "is missing or empty"}
	}
	key, err := base64.RawURLEncoding.Strict().DecodeString(encoded)
	if err != nil {
		return nil, &FieldError{Field: field, Reason: "is not unpadded URL-safe base64"}
	}
	for _, size := range sizes {
		if len(key) == size {
			return key, nil
		}
	}
	return nil, &FieldError{Field: field, Reason: fmt.Sprintf("decodes to %d bytes, expected %s", len(key), joinSizes(sizes))}
}

func joinSizes(sizes []int) string {
	parts := make([]string, len(sizes))
	for i, size := range sizes {
		parts[i] = strconv.Itoa(size)
	}
	return strings.Join(parts, " or ")
}

// validateID accepts only the hyphenated form, because Relay stores and
// compares the id as text in its upstream registration.
func validateID(id string) error {
	if id == "" {
		return &FieldError{Field: FieldID, Reason: "is missing or empty"}
	}
	parsed, err := uuid.Parse(id)
	if err != nil || len(id) != 36 {
		return &FieldError{Field: FieldID, Reason: "is not a hyphenated UUID"}
	}
	if parsed.String() != id {
		return &FieldError{Field: FieldID, Reason: "is not lowercase"}
	}
	return nil
}

// ValidateDSN checks the shape Sentry SDKs parse:
// {http|https}://{public_key}[:{secret_key}]@{host}[:{port}]/[{path}/]{project_id}.
func ValidateDSN(dsn string) error {
	invalid := func(reason string) error { return &FieldError{Field: FieldSentryDSN, Reason: reason} }

	u, err := url.Parse(dsn)
	if err != nil {
		return invalid("is not a URL")
	}
	if u.Scheme != "https" && u.Scheme != "http" {
		return invalid("must use the http or https scheme")
	}
	if u.User == nil || u.User.Username() == "" {
		return invalid("has no public key before the @")
	}
	if u.Hostname() == "" {
		return invalid("has no host")
	}
	project := u.Path[strings.LastIndex(u.Path, "/")+1:]
	if project == "" {
		return invalid("has no project id at the end of its path")
	}
	if _, err := strconv.ParseUint(project, 10, 64); err != nil {
		return invalid("has a project id that is not a number")
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return invalid("must not have a query or fragment")
	}
	return nil
}

// MarshalDocument encodes the credentials as the vault document. The output
// holds the secret key in clear text.
func MarshalDocument(c Credentials) ([]byte, error) {
	doc := map[string]string{
		FieldPublicKey: c.PublicKey,
		FieldSecretKey: c.SecretKey.Reveal(),
		FieldID:        c.ID,
	}
	if !c.SentryDSN.IsZero() {
		doc[FieldSentryDSN] = c.SentryDSN.Reveal()
	}
	return json.Marshal(doc)
}

// Generate creates a new key pair and a random v4 id in Relay's format. The
// secret key is the 32-byte seed (43 characters), the form of the relay-auth
// test vectors, which every Relay version reads.
func Generate(random io.Reader) (Credentials, error) {
	public, private, err := ed25519.GenerateKey(random)
	if err != nil {
		return Credentials{}, fmt.Errorf("generate Ed25519 key pair: %w", err)
	}
	id, err := uuid.NewRandomFromReader(random)
	if err != nil {
		return Credentials{}, fmt.Errorf("generate relay id: %w", err)
	}

	return Credentials{
		ID:        id.String(),
		PublicKey: base64.RawURLEncoding.EncodeToString(public),
		SecretKey: Secret(base64.RawURLEncoding.EncodeToString(private.Seed())),
	}, nil
}
