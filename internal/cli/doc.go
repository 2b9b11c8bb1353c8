// Package cli implements the vault-relay commands. Each command has an
// options struct that holds its flags and its dependencies (streams,
// environment, HTTP client), so tests run commands in-process without
// globals. This package is the only one that prints; exit codes are decided
// in one place, ExitCode.
package cli
