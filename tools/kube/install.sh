#!/usr/bin/env bash
# Builds the local test cluster's binaries and prints the directory that holds them:
#   kube-apiserver, kube-controller-manager  (k8s.io/kubernetes, built from the Go module proxy)
#   etcd                                     (go.etcd.io/etcd/server/v3, same)
#   kubectl                                  (a link to the machine's kubectl of the same minor version, or built)
#
# Cache: ${XDG_CACHE_HOME:-$HOME/.cache}/istiod-java/kube-<KUBE_VERSION>/bin. A run that finds every binary there
# reporting the pinned version prints the directory and does nothing else. Go's module and build caches default
# to .../istiod-java/go/{mod,build} (kept between runs; a warm build cache turns a rebuild into a link step);
# set GOMODCACHE / GOCACHE in the environment to use others. Progress goes to stderr, so
# `KUBE_BIN=$(tools/kube/install.sh)` works.
#
# Why a wrapper module: k8s.io/kubernetes requires its staging modules (k8s.io/api, k8s.io/client-go, ...) at
# v0.0.0 and points them at ./staging with replace directives, which Go ignores in a dependency; `go install
# ...@version` refuses such modules outright. Every k8s.io/kubernetes v1.X.Y is published with staging modules
# at v0.X.Y, so the wrapper replaces each staging module with that version (the list is read from the
# release's own go.mod). etcd gets its own wrapper: its gRPC/OpenTelemetry pins differ from Kubernetes'.
#
# Needs: go (1.24+; the machine's), and network access to the Go module proxy for a cold build.
set -euo pipefail

KUBE_VERSION="${KUBE_VERSION:-1.33.13}"   # matches kubectl 1.33, the newest the machine's Cloud SDK ships
ETCD_VERSION="${ETCD_VERSION:-3.5.21}"    # the etcd kubeadm pins for Kubernetes 1.33
kube_minor="${KUBE_VERSION#*.}"; kube_minor="${kube_minor%%.*}"
kube_major="${KUBE_VERSION%%.*}"
staging_version="0.$kube_minor.${KUBE_VERSION##*.}"

cache_root="${XDG_CACHE_HOME:-$HOME/.cache}/istiod-java"
home="$cache_root/kube-$KUBE_VERSION"
bin="$home/bin"

log() { echo "install.sh: $*" >&2; }

version_of() {
  # Prints the first line of `$1 --version`, or nothing if it does not run. (No pipe into grep -q: with
  # pipefail an early-exiting grep can SIGPIPE the binary and make a good install look broken.)
  local out
  out="$("$1" --version 2>/dev/null)" || return 0
  printf '%s\n' "${out%%$'\n'*}"
}

kubectl_minor() {
  local out
  out="$("$1" version --client 2>/dev/null)" || return 0
  out="${out#*Client Version: v}"
  out="${out#*.}"
  printf '%s\n' "${out%%.*}"
}

installed() {
  [[ "$(version_of "$bin/kube-apiserver")" == "Kubernetes v$KUBE_VERSION" ]] &&
    [[ "$(version_of "$bin/kube-controller-manager")" == "Kubernetes v$KUBE_VERSION" ]] &&
    [[ "$(version_of "$bin/etcd")" == "etcd Version: $ETCD_VERSION" ]] &&
    [ -x "$bin/kubectl" ] && [ "$(kubectl_minor "$bin/kubectl")" = "$kube_minor" ]
}

if installed; then
  printf '%s\n' "$bin"
  exit 0
fi

if ! command -v go >/dev/null 2>&1; then
  for g in /usr/local/go/bin/go /usr/lib/go/bin/go; do
    if [ -x "$g" ]; then PATH="$(dirname "$g"):$PATH"; break; fi
  done
fi
if ! command -v go >/dev/null 2>&1; then
  log "Go is required to build kube-apiserver and etcd (https://go.dev/dl, or apt-get install golang-go if >= 1.24)"
  exit 1
fi

mkdir -p "$bin"
# One builder at a time; a second run waits and then finds the first one's result.
if command -v flock >/dev/null 2>&1; then
  exec 9>"$home/.install.lock"
  flock 9
  if installed; then
    printf '%s\n' "$bin"
    exit 0
  fi
fi

export GOMODCACHE="${GOMODCACHE:-$cache_root/go/mod}"
export GOCACHE="${GOCACHE:-$cache_root/go/build}"
export GOFLAGS="-modcacherw -buildvcs=false"   # a read-only module cache is painful to delete
export GOTOOLCHAIN=local                       # never download another Go toolchain
export CGO_ENABLED=0                           # static binaries, like the release build
log "Go $(go env GOVERSION); GOMODCACHE=$GOMODCACHE GOCACHE=$GOCACHE"
started=$SECONDS

build_kube() {
  local src="$home/src/k8s" gomod mods m ldflags
  rm -rf "$src" && mkdir -p "$src"
  cd "$src"
  go mod init example.local/k8sbin >/dev/null 2>&1
  # GODEBUG defaults follow the main module's go line; keep those Kubernetes itself builds with.
  gomod="$(go mod download -json "k8s.io/kubernetes@v$KUBE_VERSION" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",*$/\1/p')"
  [ -f "$gomod" ] || { log "could not download k8s.io/kubernetes@v$KUBE_VERSION"; return 1; }
  go mod edit -go="$(sed -n 's/^go \([0-9.]*\)$/\1/p' "$gomod")"
  if grep -q '^godebug default=' "$gomod"; then
    go mod edit -godebug="$(sed -n 's/^godebug \(default=.*\)$/\1/p' "$gomod")"
  fi
  mods="$(sed -n 's#^[[:space:]]*\(k8s\.io/[a-z0-9-]*\) => \./staging/src/.*#\1#p' "$gomod")"
  [ -n "$mods" ] || { log "no staging replaces found in $gomod"; return 1; }
  for m in $mods; do go mod edit -replace="$m=$m@v$staging_version"; done
  log "k8s.io/kubernetes v$KUBE_VERSION: resolving modules ($(wc -w <<<"$mods") staging modules at v$staging_version)"
  go get -tool "k8s.io/kubernetes/cmd/kube-apiserver@v$KUBE_VERSION" \
    "k8s.io/kubernetes/cmd/kube-controller-manager@v$KUBE_VERSION" \
    ${build_kubectl:+"k8s.io/kubernetes/cmd/kubectl@v$KUBE_VERSION"} >&2
  # Without these, --version and the apiserver's /version say v0.0.0-master.
  ldflags="-s -w"
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldflags+=" -X $p.gitVersion=v$KUBE_VERSION -X $p.gitMajor=$kube_major -X $p.gitMinor=$kube_minor"
    ldflags+=" -X $p.gitTreeState=clean -X $p.buildDate=1970-01-01T00:00:00Z"
  done
  log "building kube-apiserver, kube-controller-manager${build_kubectl:+, kubectl} (a cold build takes a long while)"
  go build -trimpath -tags selinux,notest -ldflags "$ldflags" -o "$bin/" \
    k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
    ${build_kubectl:+k8s.io/kubernetes/cmd/kubectl} >&2
}

build_etcd() {
  local src="$home/src/etcd"
  rm -rf "$src" && mkdir -p "$src"
  cd "$src"
  go mod init example.local/etcdbin >/dev/null 2>&1
  log "building etcd v$ETCD_VERSION"
  go get -tool "go.etcd.io/etcd/server/v3@v$ETCD_VERSION" >&2
  go build -trimpath -ldflags "-s -w" -o "$bin/etcd" go.etcd.io/etcd/server/v3 >&2
}

# kubectl: the machine's, when one of the same minor version exists (skew within one minor is supported, but
# `create token` and `--subresource` need a recent one); otherwise built beside the apiserver.
build_kubectl=""
rm -f "$bin/kubectl"
for k in "${KUBECTL:-}" "/usr/lib/google-cloud-sdk/bin/kubectl.$kube_major.$kube_minor" "$(command -v kubectl || true)" \
    /usr/lib/google-cloud-sdk/bin/kubectl; do
  if [ -n "$k" ] && [ -x "$k" ] && [ "$(kubectl_minor "$k")" = "$kube_minor" ]; then
    ln -s "$(readlink -f "$k")" "$bin/kubectl"
    log "kubectl: $k"
    break
  fi
done
[ -e "$bin/kubectl" ] || build_kubectl=1

if [[ "$(version_of "$bin/kube-apiserver")" != "Kubernetes v$KUBE_VERSION" ]] ||
    [[ "$(version_of "$bin/kube-controller-manager")" != "Kubernetes v$KUBE_VERSION" ]] || [ -n "$build_kubectl" ]; then
  build_kube
fi
if [[ "$(version_of "$bin/etcd")" != "etcd Version: $ETCD_VERSION" ]]; then
  build_etcd
fi

if ! installed; then
  log "built, but the binaries in $bin do not report Kubernetes v$KUBE_VERSION / etcd $ETCD_VERSION"
  exit 1
fi
log "ready in $((SECONDS - started))s: $(version_of "$bin/kube-apiserver"), $(version_of "$bin/etcd")"
printf '%s\n' "$bin"
