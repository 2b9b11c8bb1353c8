// Package overlay builds the Helm values overlay that carries Relay
// credentials into a chart: by default the bundled chart's values
// (vault disabled, relay.credentials.*, backend.secrets.SENTRY_DSN), or any
// chart's values paths through a field mapping.
package overlay

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/helm-vault-relay/helm-vault-relay/internal/credentials"
)

// FieldObjectVersion is the Vault object's version id, which a mapping can
// place beside the document's fields so that a rotation changes the values.
const FieldObjectVersion = "object_version"

// Fields that a mapping can place: the credentials document's and the
// object's version.
var Fields = []string{credentials.FieldID, credentials.FieldPublicKey, credentials.FieldSecretKey, credentials.FieldSentryDSN, FieldObjectVersion}

// Mapping places document fields at values paths. A path is a dot-separated
// list of keys; write `\.` for a dot inside a key.
type Mapping map[string][]string

// BundledChart is the mapping for charts/sentry-relay.
func BundledChart() Mapping {
	return Mapping{
		credentials.FieldID:        {"relay", "credentials", "id"},
		credentials.FieldPublicKey: {"relay", "credentials", "publicKey"},
		credentials.FieldSecretKey: {"relay", "credentials", "secretKey"},
		credentials.FieldSentryDSN: {"backend", "secrets", "SENTRY_DSN"},
		FieldObjectVersion:         {"relay", "vault", "objectVersion"},
	}
}

// VersionOnly is the mapping for the bundled chart with its init container
// kept: only the object's version, so an upgrade after a rotation rolls the
// pods and no secret leaves the vault.
func VersionOnly() Mapping {
	return Mapping{FieldObjectVersion: {"relay", "vault", "objectVersion"}}
}

// Source is the input of an overlay.
type Source struct {
	Credentials credentials.Credentials
	VersionID   string // Vault object version; empty when the API reports none
}

// ParseMapping reads FIELD=values.path entries as given to --map.
func ParseMapping(entries []string) (Mapping, error) {
	mapping := Mapping{}
	for _, entry := range entries {
		field, path, ok := strings.Cut(entry, "=")
		if !ok || path == "" {
			return nil, fmt.Errorf("invalid mapping %q: expected FIELD=values.path, such as secret_key=relay.secretKey", entry)
		}
		if !isField(field) {
			return nil, fmt.Errorf("invalid mapping %q: unknown field %q; known fields: %s", entry, field, strings.Join(Fields, ", "))
		}
		keys, err := splitPath(path)
		if err != nil {
			return nil, fmt.Errorf("invalid mapping %q: %w", entry, err)
		}
		if _, dup := mapping[field]; dup {
			return nil, fmt.Errorf("invalid mapping %q: field %q is mapped twice", entry, field)
		}
		mapping[field] = keys
	}
	return mapping, nil
}

func isField(name string) bool {
	for _, f := range Fields {
		if f == name {
			return true
		}
	}
	return false
}

// splitPath splits on dots that are not escaped as `\.`.
func splitPath(path string) ([]string, error) {
	var keys []string
	var key strings.Builder
	for i := 0; i < len(path); i++ {
		switch {
		case path[i] == '\\' && i+1 < len(path) && path[i+1] == '.':
			key.WriteByte('.')
			i++
		case path[i] == '.':
			keys = append(keys, key.String())
			key.Reset()
		default:
			key.WriteByte(path[i])
		}
	}
	keys = append(keys, key.String())
	for _, k := range keys {
		if k == "" {
			return nil, errors.New("values path has an empty key")
		}
	}
	return keys, nil
}

// Options select what Build writes besides the mapped fields.
type Options struct {
	// DisableVault adds relay.vault.enabled: false, so the bundled chart
	// uses the overlay's credentials instead of its init container.
	DisableVault bool
}

// Build returns the overlay values for src. A field that is empty, such as
// an absent sentry_dsn, is left out.
func Build(src Source, mapping Mapping, opts Options) (map[string]any, error) {
	creds := src.Credentials
	values := map[string]any{}
	if opts.DisableVault {
		if err := set(values, []string{"relay", "vault", "enabled"}, false); err != nil {
			return nil, err
		}
	}

	fieldValues := map[string]string{
		credentials.FieldID:        creds.ID,
		credentials.FieldPublicKey: creds.PublicKey,
		credentials.FieldSecretKey: creds.SecretKey.Reveal(),
		credentials.FieldSentryDSN: creds.SentryDSN.Reveal(),
		FieldObjectVersion:         src.VersionID,
	}
	for _, field := range sortedFields(mapping) {
		if fieldValues[field] == "" {
			continue
		}
		if err := set(values, mapping[field], fieldValues[field]); err != nil {
			return nil, fmt.Errorf("place %s: %w", field, err)
		}
	}
	return values, nil
}

func sortedFields(m Mapping) []string {
	fields := make([]string, 0, len(m))
	for f := range m {
		fields = append(fields, f)
	}
	sort.Strings(fields)
	return fields
}

// set stores value at path, creating maps on the way. Two mappings whose
// paths collide, one a prefix of the other, fail instead of overwriting.
func set(values map[string]any, path []string, value any) error {
	current := values
	for i, key := range path[:len(path)-1] {
		next, exists := current[key]
		if !exists {
			child := map[string]any{}
			current[key] = child
			current = child
			continue
		}
		child, ok := next.(map[string]any)
		if !ok {
			return fmt.Errorf("values path %s is already a value", strings.Join(path[:i+1], "."))
		}
		current = child
	}
	last := path[len(path)-1]
	if _, exists := current[last]; exists {
		return fmt.Errorf("values path %s is set twice", strings.Join(path, "."))
	}
	current[last] = value
	return nil
}

// Marshal encodes the overlay as YAML, with a header that warns when it
// holds the secret key.
func Marshal(values map[string]any, holdsSecret bool) ([]byte, error) {
	body, err := yaml.Marshal(values)
	if err != nil {
		return nil, fmt.Errorf("encode values overlay: %w", err)
	}
	header := "# Helm values overlay written by vault-relay.\n"
	if holdsSecret {
		header = "# Helm values overlay written by vault-relay. It contains Relay's secret key: do not commit it.\n"
	}
	return append([]byte(header), body...), nil
}

// HoldsSecret reports whether the mapping places the secret key.
func (m Mapping) HoldsSecret() bool {
	_, ok := m[credentials.FieldSecretKey]
	return ok
}
