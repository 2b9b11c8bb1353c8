#!/usr/bin/env bash
# Builds the external binaries the tests need (helm3, helm4, kube-apiserver,
# etcd) from source through the Go module proxy, at the versions pinned in
# hack/tools/*/go.mod, and installs them into TOOLS_DIR.
#
# Usage: hack/install-tools.sh [TOOL...]
#   TOOL is one of: helm3 helm4 kube-apiserver etcd (default: all of them).
#
# Environment:
#   TOOLS_DIR   where the binaries go (default: <repo>/.cache/tools)
#   TOOLS_JOBS  parallel compile jobs passed to go build -p (default: 2)
#
# A binary is rebuilt only when it is missing or when its stamp file
# (TOOLS_DIR/<tool>.stamp) does not match the pinned version, the Go version
# and the checksum of the module's go.mod and go.sum.
set -euo pipefail

ROOT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
MODULES_DIR="${ROOT_DIR}/hack/tools"
TOOLS_DIR="${TOOLS_DIR:-${ROOT_DIR}/.cache/tools}"
TOOLS_JOBS="${TOOLS_JOBS:-2}"
ALL_TOOLS=(helm3 helm4 kube-apiserver etcd)

log() { printf 'install-tools: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

command -v go >/dev/null 2>&1 || die "go not found on PATH: install Go 1.26 or later"
GO_VERSION="$(go env GOVERSION)"

# module_version DIR MODULE prints the version of MODULE selected in DIR/go.mod.
module_version() {
  (cd "$1" && go list -m -f '{{.Version}}' "$2") ||
    die "failed to read the version of $2 from $1/go.mod"
}

# sha256 prints the SHA-256 digest of its standard input.
sha256() {
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum | cut -d' ' -f1
  else
    shasum -a 256 | cut -d' ' -f1
  fi
}

# stamp_for DIR VERSION prints the stamp line describing a build.
stamp_for() {
  local sum
  sum="$(cat "$1/go.mod" "$1/go.sum" | sha256)"
  printf 'version=%s go=%s modsum=%s\n' "$2" "${GO_VERSION}" "${sum}"
}

# build_tool NAME MODULE_DIR PACKAGE VERSION TAGS LDFLAGS
build_tool() {
  local name="$1" dir="$2" pkg="$3" version="$4" tags="$5" ldflags="$6"
  local out="${TOOLS_DIR}/${name}" stamp="${TOOLS_DIR}/${name}.stamp"
  local want start elapsed tmp rc=0
  want="$(stamp_for "${dir}" "${version}")"
  start="${SECONDS}"

  if [[ -x "${out}" && -f "${stamp}" && "$(cat "${stamp}")" == "${want}" ]]; then
    log "${name} ${version}: cached (0s)"
    return 0
  fi

  rm -f "${stamp}"
  # A unique temporary name lets concurrent runs build without clobbering each
  # other, and the rename keeps a half-written binary out of TOOLS_DIR.
  tmp="$(mktemp "${out}.XXXXXX")"
  (
    cd "${dir}" &&
      CGO_ENABLED=0 go build -trimpath -buildvcs=false -p "${TOOLS_JOBS}" \
        -tags "${tags}" -ldflags "${ldflags}" -o "${tmp}" "${pkg}"
  ) || rc=$?
  if [[ "${rc}" -ne 0 ]]; then
    rm -f "${tmp}"
    die "building ${name} ${version} (${pkg} in ${dir#"${ROOT_DIR}"/}) failed with exit code ${rc}: see the go build output above"
  fi
  mv -f "${tmp}" "${out}"
  printf '%s\n' "${want}" >"${stamp}"
  elapsed=$((SECONDS - start))
  log "${name} ${version}: built in ${elapsed}s"
}

install_helm3() {
  local dir="${MODULES_DIR}/helm3" version kube_minor
  version="$(module_version "${dir}" helm.sh/helm/v3)"
  # Helm 3 uses these variables as the default Kubernetes version for
  # `helm template` and `helm lint`. Helm's Makefile sets them from the
  # client-go minor version, so this script does the same.
  kube_minor="$(module_version "${dir}" k8s.io/client-go | cut -d. -f2)"
  build_tool helm3 "${dir}" helm.sh/helm/v3/cmd/helm "${version}" "" \
    "-s -w \
-X helm.sh/helm/v3/internal/version.version=${version} \
-X helm.sh/helm/v3/internal/version.gitTreeState=clean \
-X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMajor=1 \
-X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMinor=${kube_minor} \
-X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=1 \
-X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=${kube_minor}"
}

install_helm4() {
  local dir="${MODULES_DIR}/helm4" version
  version="$(module_version "${dir}" helm.sh/helm/v4)"
  build_tool helm4 "${dir}" helm.sh/helm/v4/cmd/helm "${version}" "" \
    "-s -w \
-X helm.sh/helm/v4/internal/version.version=${version} \
-X helm.sh/helm/v4/internal/version.gitTreeState=clean"
}

install_kube_apiserver() {
  local dir="${MODULES_DIR}/kube" version major minor flags="" pkg
  version="$(module_version "${dir}" k8s.io/kubernetes)"
  major="$(cut -d. -f1 <<<"${version#v}")"
  minor="$(cut -d. -f2 <<<"${version}")"
  # Without these variables, `kube-apiserver --version` reports v0.0.0-master.
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    flags+=" -X ${pkg}.gitVersion=${version}"
    flags+=" -X ${pkg}.gitMajor=${major}"
    flags+=" -X ${pkg}.gitMinor=${minor}"
    flags+=" -X ${pkg}.gitTreeState=clean"
  done
  build_tool kube-apiserver "${dir}" k8s.io/kubernetes/cmd/kube-apiserver \
    "${version}" "notest,grpcnotrace" "-s -w${flags}"
}

install_etcd() {
  local dir="${MODULES_DIR}/etcd" version
  version="$(module_version "${dir}" go.etcd.io/etcd/server/v3)"
  build_tool etcd "${dir}" go.etcd.io/etcd/server/v3 "${version}" "" "-s -w"
}

main() {
  local tools=("$@") tool
  if [[ ${#tools[@]} -eq 0 ]]; then
    tools=("${ALL_TOOLS[@]}")
  fi
  mkdir -p "${TOOLS_DIR}"
  # go build runs inside each module directory, so -o needs an absolute path.
  TOOLS_DIR="$(cd "${TOOLS_DIR}" && pwd)"
  for tool in "${tools[@]}"; do
    case "${tool}" in
      helm3) install_helm3 ;;
      helm4) install_helm4 ;;
      kube-apiserver) install_kube_apiserver ;;
      etcd) install_etcd ;;
      *) die "unknown tool '${tool}' (known: ${ALL_TOOLS[*]})" ;;
    esac
  done
}

main "$@"
