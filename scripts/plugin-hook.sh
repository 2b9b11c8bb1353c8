#!/bin/sh
# Install and update hook of the Helm plugin: builds bin/vault-relay from
# the plugin's source with Go. Without Go it prints where to put a release
# binary instead, and fails so that Helm reports the plugin as not ready.
set -eu
cd "${HELM_PLUGIN_DIR:?HELM_PLUGIN_DIR is not set: run this through helm plugin install}"

if ! command -v go >/dev/null 2>&1; then
	echo "vault-relay: Go is not installed, so the plugin cannot build its binary." >&2
	echo "Install Go 1.26 or later and run 'helm plugin update vault-relay', or put a vault-relay" >&2
	echo "release binary for $(uname -s)/$(uname -m) at $HELM_PLUGIN_DIR/bin/vault-relay." >&2
	exit 1
fi

mkdir -p bin
CGO_ENABLED=0 go build -trimpath -o bin/vault-relay.tmp ./cmd/vault-relay
mv bin/vault-relay.tmp bin/vault-relay
echo "vault-relay: built $HELM_PLUGIN_DIR/bin/vault-relay"
