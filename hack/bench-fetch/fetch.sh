#!/bin/sh
# The same fetch as `vault-relay fetch`, done with curl and jq: read the
# object by name, extract the document from its value, write
# credentials.json and a managed config.yml. It checks less than vault-relay
# (no key validation, no retries), so the comparison favours it.
# Inputs: WORKOS_API_BASE, AUTH_HEADER_FILE (a file holding the
# Authorization header, so the key stays off argv), OUT.
set -eu
umask 077
curl -sS --fail -H "@$AUTH_HEADER_FILE" "$WORKOS_API_BASE/vault/v1/kv/name/runlayer-sentry-credentials" |
	jq -r .value | jq '{secret_key, public_key, id}' >"$OUT/credentials.json.tmp"
mv "$OUT/credentials.json.tmp" "$OUT/credentials.json"
cat >"$OUT/config.yml.tmp" <<YAML
relay:
  mode: managed
  upstream: https://sentry.io/
  host: 0.0.0.0
  port: 3000
YAML
mv "$OUT/config.yml.tmp" "$OUT/config.yml"
