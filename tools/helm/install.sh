#!/usr/bin/env bash
# Builds Helm v3 from the Go module proxy with the machine's Go and prints the path of the binary:
#   ${XDG_CACHE_HOME:-$HOME/.cache}/istiod-java/helm-<HELM_VERSION>/bin/helm
# A run that finds that binary reporting the pinned version prints the path and does nothing else, so
# `HELM_BIN=$(tools/helm/install.sh)` is cheap after the first time. Progress goes to stderr.
#
# helm.sh/helm/v3 has no replace directives, so a plain `go install module@version` builds it. The ldflags are
# the ones Helm's own Makefile sets: without internal/version.version `helm version` says "v3.21"; without
# chartutil/lint k8sVersion{Major,Minor} `helm template` and `helm lint` assume Kubernetes 1.20 (the Makefile
# derives them from the k8s.io/client-go version in Helm's go.mod: v0.X.Y -> 1.X; so do we).
#
# Go's module and build caches default to .../istiod-java/go/{mod,build}, shared with tools/kube/install.sh;
# set GOMODCACHE / GOCACHE to use others. Needs: go >= the go line of Helm's go.mod (1.26 for v3.21), and
# network access to the Go module proxy for a cold build.
set -euo pipefail

HELM_VERSION="${HELM_VERSION:-3.21.4}"
cache_root="${XDG_CACHE_HOME:-$HOME/.cache}/istiod-java"
home="$cache_root/helm-$HELM_VERSION"
helm="$home/bin/helm"

log() { echo "install.sh: $*" >&2; }

installed() {
  local out
  [ -x "$helm" ] || return 1
  out="$("$helm" version --template '{{.Version}}' 2>/dev/null)" || return 1
  [ "$out" = "v$HELM_VERSION" ]
}

if installed; then
  printf '%s\n' "$helm"
  exit 0
fi

if ! command -v go >/dev/null 2>&1; then
  for g in /usr/local/go/bin/go /usr/lib/go/bin/go; do
    if [ -x "$g" ]; then PATH="$(dirname "$g"):$PATH"; break; fi
  done
fi
command -v go >/dev/null 2>&1 || { log "Go is required to build Helm (https://go.dev/dl)"; exit 1; }

mkdir -p "$home/bin"
# One builder at a time; a second run waits and then finds the first one's result.
if command -v flock >/dev/null 2>&1; then
  exec 9>"$home/.install.lock"
  flock 9
  if installed; then
    printf '%s\n' "$helm"
    exit 0
  fi
fi

export GOMODCACHE="${GOMODCACHE:-$cache_root/go/mod}"
export GOCACHE="${GOCACHE:-$cache_root/go/build}"
export GOFLAGS="-modcacherw -buildvcs=false"   # a read-only module cache is painful to delete
export GOTOOLCHAIN=local                       # never download another Go toolchain
export CGO_ENABLED=0                           # a static binary, like Helm's release build
log "Go $(go env GOVERSION); GOMODCACHE=$GOMODCACHE GOCACHE=$GOCACHE"
started=$SECONDS

module="helm.sh/helm/v3"
work="$home/src"
rm -rf "$work" && mkdir -p "$work"
cd "$work"   # outside any module, so `go mod download` / `go install m@v` see only Helm's own go.mod
meta="$(go mod download -json "$module@v$HELM_VERSION")" || { log "could not download $module@v$HELM_VERSION"; exit 1; }
field() { sed -n "s/^[[:space:]]*\"$1\": \"\\(.*\\)\",*\$/\\1/p" <<<"$meta" | head -n1; }
gomod="$(field GoMod)"
info="$(field Info)"
client_go="$(sed -n 's/^[[:space:]]*k8s\.io\/client-go v0\.\([0-9]*\)\..*/\1/p' "$gomod" | head -n1)"
[ -n "$client_go" ] || { log "no k8s.io/client-go requirement in $gomod"; exit 1; }
commit="$(sed -n 's/.*"Hash":"\([0-9a-f]*\)".*/\1/p' "$info")"

p="$module"
ldflags="-s -w -X $p/internal/version.version=v$HELM_VERSION -X $p/internal/version.metadata="
ldflags+=" -X $p/internal/version.gitCommit=${commit} -X $p/internal/version.gitTreeState=clean"
for pkg in pkg/lint/rules pkg/chartutil; do
  ldflags+=" -X $p/$pkg.k8sVersionMajor=1 -X $p/$pkg.k8sVersionMinor=$client_go"
done
log "building helm v$HELM_VERSION (commit ${commit:-unknown}, Kubernetes 1.$client_go libraries)"
GOBIN="$work/bin" go install -trimpath -ldflags "$ldflags" "$module/cmd/helm@v$HELM_VERSION" >&2
mv -f "$work/bin/helm" "$helm"
rm -rf "$work"

installed || { log "built, but $helm does not report v$HELM_VERSION"; exit 1; }
log "ready in $((SECONDS - started))s: $("$helm" version --short)"
printf '%s\n' "$helm"
