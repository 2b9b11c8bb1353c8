// Package relayconfig writes the files Sentry Relay reads at start with
// `relay run --config DIR`: config.yml (required) and credentials.json
// (optional). Each file is written to a temporary file in DIR and renamed, so
// Relay never reads a half-written file.
package relayconfig
