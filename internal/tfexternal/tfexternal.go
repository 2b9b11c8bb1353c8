// Package tfexternal implements the protocol of Terraform's external data
// source (hashicorp/terraform-provider-external): the program reads the
// query as one JSON object of strings on stdin and must print exactly one
// JSON object of strings on stdout.
package tfexternal

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/helm-vault-relay/helm-vault-relay/internal/credentials"
)

// Query keys accepted on stdin.
const (
	KeyAPIKey     = "api_key"
	KeyAPIBase    = "api_base"
	KeySecretName = "secret_name"
)

// acceptedKeys lists the query keys in the order messages show them.
var acceptedKeys = []string{KeyAPIKey, KeyAPIBase, KeySecretName}

// MaxQueryBytes bounds stdin; a query of three short strings is far below it.
const MaxQueryBytes = 64 << 10

// ErrInvalidQuery is wrapped by every error ParseQuery returns.
var ErrInvalidQuery = errors.New("invalid query on stdin")

// Query is the data source's query. Empty fields were absent or null.
type Query struct {
	APIKey     credentials.Secret
	APIBase    string
	SecretName string
}

// ReadQuery reads stdin up to MaxQueryBytes and parses it.
func ReadQuery(r io.Reader) (Query, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxQueryBytes+1))
	if err != nil {
		return Query{}, fmt.Errorf("read query from stdin: %w", err)
	}
	if len(data) > MaxQueryBytes {
		return Query{}, fmt.Errorf("%w: larger than %d bytes", ErrInvalidQuery, MaxQueryBytes)
	}
	return ParseQuery(data)
}

// ParseQuery decodes a query. Errors name the offending key and the JSON
// type found, never a value, because api_key is a secret.
func ParseQuery(data []byte) (Query, error) {
	invalid := func(format string, args ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrInvalidQuery}, args...)...)
	}

	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 {
		return Query{}, invalid("stdin is empty; expected a JSON object such as {%q: \"...\"}", KeyAPIKey)
	}
	if !json.Valid(trimmed) {
		return Query{}, invalid("stdin is not valid JSON")
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(trimmed, &raw); err != nil || raw == nil {
		return Query{}, invalid("expected a JSON object, got a JSON %s", jsonKind(trimmed))
	}

	values := make(map[string]string, len(raw))
	for key, value := range raw {
		if !isAccepted(key) {
			return Query{}, invalid("unknown key %q; accepted keys: %s", key, strings.Join(acceptedKeys, ", "))
		}
		if kind := jsonKind(value); kind == "null" {
			continue
		} else if kind != "string" {
			return Query{}, invalid("key %q must be a string, got a JSON %s", key, kind)
		}
		var s string
		if err := json.Unmarshal(value, &s); err != nil {
			return Query{}, invalid("key %q must be a string", key)
		}
		values[key] = s
	}

	return Query{
		APIKey:     credentials.Secret(values[KeyAPIKey]),
		APIBase:    values[KeyAPIBase],
		SecretName: values[KeySecretName],
	}, nil
}

func isAccepted(key string) bool {
	for _, accepted := range acceptedKeys {
		if key == accepted {
			return true
		}
	}
	return false
}

// jsonKind names the JSON type of a valid JSON value.
func jsonKind(value []byte) string {
	value = bytes.TrimSpace(value)
	if len(value) == 0 {
		return "empty value"
	}
	switch value[0] {
	case '{':
		return "object"
	case '[':
		return "array"
	case '"':
		return "string"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	default:
		return "number"
	}
}

// Result is the data source's result. Terraform reads it as the map
// data.external.NAME.result.
type Result struct {
	PublicKey string
	SecretKey credentials.Secret
	RelayID   string
	SentryDSN credentials.Secret
}

// ResultFrom converts credentials to a result.
func ResultFrom(c credentials.Credentials) Result {
	return Result{PublicKey: c.PublicKey, SecretKey: c.SecretKey, RelayID: c.ID, SentryDSN: c.SentryDSN}
}

// Marshal encodes the result as one JSON object of strings followed by a
// newline. An empty Result encodes every key as "", which is what the
// graceful deployment promises when credentials are not available. The
// output holds the secret key in clear text.
func (r Result) Marshal() ([]byte, error) {
	data, err := json.Marshal(map[string]string{
		"public_key": r.PublicKey,
		"secret_key": r.SecretKey.Reveal(),
		"relay_id":   r.RelayID,
		"sentry_dsn": r.SentryDSN.Reveal(),
	})
	if err != nil {
		return nil, fmt.Errorf("encode result: %w", err)
	}
	return append(data, '\n'), nil
}
