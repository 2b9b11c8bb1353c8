#!/usr/bin/env bash
# Builds the tools bench-postrender compares vault-relay post-render with,
# kustomize and yq, from source through the Go module proxy with
# `go install`, into BENCH_TOOLS_DIR.
#
# Usage: hack/bench-postrender/install-tools.sh
#
# Environment:
#   BENCH_TOOLS_DIR  where the binaries go (default: <repo>/.cache/bench-tools)
#
# The versions are pinned below. kustomize v5.8.2 is the newest release whose
# go.mod requires Go 1.26 or older: v5.8.3 requires go 1.27, through
# sigs.k8s.io/kustomize/api v0.21.3. A binary is rebuilt only when its
# stamp file (BENCH_TOOLS_DIR/<tool>.stamp) does not match the pinned version
# and the Go version.
set -euo pipefail

KUSTOMIZE_VERSION=v5.8.2
YQ_VERSION=v4.54.3

ROOT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BENCH_TOOLS_DIR="${BENCH_TOOLS_DIR:-${ROOT_DIR}/.cache/bench-tools}"

log() { printf 'bench-postrender install-tools: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

command -v go >/dev/null 2>&1 || die "go not found on PATH: install Go 1.26 or later"
GO_VERSION="$(go env GOVERSION)"

# install_tool NAME PACKAGE VERSION builds PACKAGE@VERSION as NAME, unless
# the stamp shows the same build is already there.
install_tool() {
  local name="$1" pkg="$2" version="$3"
  local stamp="${BENCH_TOOLS_DIR}/${name}.stamp"
  local want="version=${version} go=${GO_VERSION}"
  local start="${SECONDS}" binary

  if [[ -x "${BENCH_TOOLS_DIR}/${name}" && -f "${stamp}" && "$(cat "${stamp}")" == "${want}" ]]; then
    log "${name} ${version}: cached"
    return 0
  fi

  rm -f "${stamp}"
  # go install names the binary after the last path element that is not a
  # major version suffix, which is the tool's name for both packages here.
  GOBIN="${BENCH_TOOLS_DIR}" CGO_ENABLED=0 GOFLAGS=-buildvcs=false \
    go install -trimpath -ldflags='-s -w' "${pkg}@${version}" ||
    die "go install ${pkg}@${version} failed: see the go output above"
  binary="${BENCH_TOOLS_DIR}/${name}"
  [[ -x "${binary}" ]] || die "go install ${pkg}@${version} did not produce ${binary}"
  printf '%s\n' "${want}" >"${stamp}"
  log "${name} ${version}: built in $((SECONDS - start))s"
}

mkdir -p "${BENCH_TOOLS_DIR}"
BENCH_TOOLS_DIR="$(cd "${BENCH_TOOLS_DIR}" && pwd)"
install_tool kustomize sigs.k8s.io/kustomize/kustomize/v5 "${KUSTOMIZE_VERSION}"
install_tool yq github.com/mikefarah/yq/v4 "${YQ_VERSION}"
