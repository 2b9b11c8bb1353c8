// Package postrender patches rendered Kubernetes manifests so that a Relay
// workload from any chart gets its credentials from WorkOS Vault, as a Helm
// post-renderer does between rendering and installing.
//
// The stream is split at document markers ("---" at the start of a line,
// which YAML never allows inside a block scalar). Documents that cannot be
// workloads pass through byte for byte; workloads are parsed with kyaml,
// and only the selected ones are patched and written back. Patching is
// idempotent: a second run over its own output changes nothing.
//
// Two modes exist. ModeInitContainer adds the fetch-credentials init
// container, an in-memory volume for Relay's config directory and
// `--config /.relay` to Relay's arguments, so no secret passes through
// Helm. ModeInline takes credentials fetched at render time, adds a Secret
// that contains them and points RELAY_ID, RELAY_PUBLIC_KEY and
// RELAY_SECRET_KEY at it. The Helm release then stores that Secret.
package postrender
