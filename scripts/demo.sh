#!/usr/bin/env bash
# Runs vault-relay against a fake WorkOS Vault on loopback, seeded with freshly
# generated credentials: fetch as the init container would, fetch again with
# the object missing (degraded mode), and the Terraform data source. Every
# file it writes lives in a temporary directory that is removed on exit.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
fake_pid=""
cleanup() {
	if [ -n "$fake_pid" ]; then kill "$fake_pid" 2>/dev/null || true; wait "$fake_pid" 2>/dev/null || true; fi
	rm -rf "$work"
}
trap cleanup EXIT

step() { printf '\n==> %s\n' "$*"; }

# redact hides the value of every secret_key and sentry_dsn in JSON on stdin.
redact() { sed -E 's/"(secret_key|sentry_dsn)": ?"[^"]+"/"\1":"[REDACTED]"/g'; }

step "Building vault-relay and fake-vault"
(cd "$repo" && go build -o "$work/bin/" ./cmd/vault-relay ./cmd/fake-vault)

step "Starting a fake WorkOS Vault on 127.0.0.1 with generated Relay credentials"
# A throwaway key for the fake; it protects nothing outside this run.
export FAKE_VAULT_API_KEY="sk_test_demo_$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
"$work/bin/fake-vault" --generate runlayer-sentry-credentials --ready-file "$work/url" 2>"$work/fake-vault.log" &
fake_pid=$!
for _ in $(seq 100); do [ -s "$work/url" ] && break; sleep 0.1; done
[ -s "$work/url" ] || { echo "fake-vault did not start:" >&2; cat "$work/fake-vault.log" >&2; exit 1; }
export WORKOS_API_BASE=$(cat "$work/url")
export WORKOS_API_KEY=$FAKE_VAULT_API_KEY
echo "WORKOS_API_BASE=$WORKOS_API_BASE"

step "vault-relay fetch --out \$dir   (the init container)"
"$work/bin/vault-relay" fetch --out "$work/relay"
ls -l "$work/relay"
echo "--- config.yml"
cat "$work/relay/config.yml"
echo "--- credentials.json (secret_key redacted here)"
redact <"$work/relay/credentials.json"; echo

step "vault-relay fetch with a missing object   (degraded: Relay starts in proxy mode)"
WORKOS_VAULT_SECRET_NAME=no-such-object "$work/bin/vault-relay" fetch --out "$work/relay"
ls -l "$work/relay"
echo "--- config.yml"
cat "$work/relay/config.yml"

step "vault-relay terraform   (external data source; secret_key redacted here)"
echo '{"secret_name": "runlayer-sentry-credentials"}' | "$work/bin/vault-relay" terraform 2>/dev/null | redact

step "vault-relay terraform with a missing object   (every value empty)"
echo '{"secret_name": "no-such-object"}' | "$work/bin/vault-relay" terraform 2>/dev/null

step "Building the pinned Helm 4 (cached under .cache/tools after the first run)"
"$repo/hack/install-tools.sh" helm4
helm="${TOOLS_DIR:-$repo/.cache/tools}/helm4"
export HELM_DATA_HOME="$work/helm/data" HELM_CONFIG_HOME="$work/helm/config" HELM_CACHE_HOME="$work/helm/cache"
# Helm 4 links a local plugin under HELM_DATA_HOME/plugins.
export HELM_PLUGINS="$HELM_DATA_HOME/plugins"
"$helm" plugin install "$repo" --verify=false >/dev/null

step "helm template of the bundled chart (vault mode: the init container fetches in the cluster)"
"$helm" template relay "$repo/charts/sentry-relay" -n relay --set backend.secrets.AUTH_API_KEY=sk_test_demo |
	sed -n '/initContainers:/,/resources:/p'

step "helm vault-relay template   (credentials fetched here, passed as a private overlay; secrets redacted)"
"$helm" vault-relay template relay "$repo/charts/sentry-relay" -n relay |
	awk '/^kind: Secret/,/^---/' | sed -E 's/^(  (secret_key|public_key|id)): .*/\1: [REDACTED]/'

step "Done; removing $work"
