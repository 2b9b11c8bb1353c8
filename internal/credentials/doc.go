// Package credentials models the Relay credentials document kept in WorkOS
// Vault: it parses and validates the JSON document, generates new key pairs in
// Relay's own format, and keeps secret values out of every printed form.
//
// The document is one JSON object of strings:
//
//	{"public_key": "...", "secret_key": "...", "id": "...", "sentry_dsn": "..."}
//
// Keys are Ed25519, encoded as URL-safe base64 without padding, the format
// Relay's relay-auth crate reads and writes. sentry_dsn is optional.
package credentials
