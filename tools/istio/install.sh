#!/usr/bin/env bash
# Builds Istio's real pilot-agent, istioctl and, with WITH_PILOT_DISCOVERY=1, pilot-discovery (upstream istiod, for
# the side-by-side benchmark tools/scale/side-by-side.sh) from the Go module proxy and prints the directory that
# holds them.
#
# Cache: ${XDG_CACHE_HOME:-$HOME/.cache}/istiod-java/istio-<ISTIO_VERSION>-<revision>/: bin/pilot-agent,
# bin/istioctl, bin/pilot-discovery and var/lib/istio/envoy/envoy_bootstrap_tmpl.json (the Envoy bootstrap
# template the proxy image ships). A run that finds all four, every binary reporting the pinned version and
# revision, prints the bin directory and does nothing else; a run that finds only some builds just the missing
# ones (a cache from before pilot-discovery was added gains only pilot-discovery).
# Go's module and build caches default to .../istiod-java/go/{mod,build}, shared with tools/kube/install.sh;
# set GOMODCACHE / GOCACHE to use others. Progress goes to stderr: `ISTIO_BIN=$(tools/istio/install.sh)`.
#
# Which Istio: istio.io/istio is published on the proxy only as pseudo-versions (Istio's tags have no `v`, so
# `@1.28.0` is a revision query the proxy answers with v0.0.0-<commit time>-<12 hex>). Pin one with
#   ISTIO_MODULE_VERSION   the pseudo-version to build, and
#   ISTIO_VERSION          the version stamped into the binary (what istiod sees as ISTIO_VERSION metadata).
# Known pins for releases: 1.28.0 v0.0.0-20251030121105-b8d1df544650, 1.29.0 v0.0.0-20260211003324-2300e2458ab7,
# 1.30.0 v0.0.0-20260515231858-badd809ed7d5, 1.30.3 v0.0.0-20260713165634-56df41f63e51.
# The proxy this project's machines reach serves none of those (403 "This module version is not available").
# Of the three istio.io/istio versions it lists, only the oldest has every dependency there too: master at
# b01690e6db7d (2026-04-23, `git describe` 1.30.0-alpha.1-48, VERSION file 1.31, grpc-go 1.80). That is the
# default, stamped the way Istio's Makefile stamps a branch build: "<VERSION file>-dev". (The other two,
# release-1.30 9739e10eb9d7 and 1.31 eed52ebb66ad, pin go-control-plane and istio.io/api pseudo-versions the
# proxy refuses.)
#
# Build flags follow Istio's Makefile.core.mk: CGO off, -trimpath, the agent's build tags
# (AGENT_TAGS=agent,disable_pgv,grpcnotrace,retrynotrace), the standard binaries' for istioctl and
# pilot-discovery (STANDARD_TAGS=vtprotobuf,disable_pgv) and pkg/version ldflags (without them every binary
# reports "unknown").
#
# Needs: go (the version istio's go.mod names or newer; the machine's 1.26 builds 1.28–1.31), and the proxy for
# a cold build.
set -euo pipefail

ISTIO_MODULE_VERSION="${ISTIO_MODULE_VERSION:-v0.0.0-20260423205519-b01690e6db7d}"
ISTIO_VERSION="${ISTIO_VERSION:-1.31-dev}"
revision="${ISTIO_MODULE_VERSION##*-}"

cache_root="${XDG_CACHE_HOME:-$HOME/.cache}/istiod-java"
home="$cache_root/istio-$ISTIO_VERSION-$revision"
bin="$home/bin"
template_dir="$home/var/lib/istio/envoy"

log() { echo "istio/install.sh: $*" >&2; }

agent_installed() {
  # `pilot-agent version` (the long form) carries the stamped version and the revision.
  local out
  [ -x "$bin/pilot-agent" ] && [ -f "$template_dir/envoy_bootstrap_tmpl.json" ] || return 1
  out="$("$bin/pilot-agent" version 2>/dev/null)" || return 1
  [[ "$out" == *"Version:\"$ISTIO_VERSION\""* && "$out" == *"GitRevision:\"$revision"* ]]
}

istioctl_installed() {
  # Without --remote=false istioctl would look for a cluster; its JSON carries the version and the revision.
  local out
  [ -x "$bin/istioctl" ] || return 1
  out="$("$bin/istioctl" version --remote=false -o json 2>/dev/null)" || return 1
  [[ "$out" == *"\"version\": \"$ISTIO_VERSION\""* && "$out" == *"\"revision\": \"$revision"* ]]
}

discovery_installed() {
  # pilot-discovery's `version` is the same long form as the agent's.
  local out
  [ -x "$bin/pilot-discovery" ] || return 1
  out="$("$bin/pilot-discovery" version 2>/dev/null)" || return 1
  [[ "$out" == *"Version:\"$ISTIO_VERSION\""* && "$out" == *"GitRevision:\"$revision"* ]]
}

# pilot-discovery only on request (WITH_PILOT_DISCOVERY=1, as tools/scale/side-by-side.sh sets it): the tests do not
# need it, and CI should not spend minutes building it.
want_discovery() { [ "${WITH_PILOT_DISCOVERY:-0}" = 1 ]; }

installed() { agent_installed && istioctl_installed && { ! want_discovery || discovery_installed; }; }

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
  log "Go is required to build pilot-agent (https://go.dev/dl)"
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
export CGO_ENABLED=0                           # a static binary, like the release build
log "Go $(go env GOVERSION); GOMODCACHE=$GOMODCACHE GOCACHE=$GOCACHE"
started=$SECONDS

# Built inside the module's own tree, with its go.mod and go.sum as the main module: that is how Istio builds
# itself, and go.sum then vouches for every dependency (`go install pkg@version` would ask the checksum
# database instead, which does not know some of the pseudo-versions Istio pins).
log "downloading istio.io/istio@$ISTIO_MODULE_VERSION"
src="$(go mod download -json "istio.io/istio@$ISTIO_MODULE_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",*$/\1/p')"
[ -d "$src" ] || { log "could not download istio.io/istio@$ISTIO_MODULE_VERSION"; exit 1; }

p=istio.io/istio/pkg/version
ldflags="-s -w -X $p.buildVersion=$ISTIO_VERSION -X $p.buildTag=$ISTIO_VERSION -X $p.buildStatus=Clean"
ldflags+=" -X $p.buildGitRevision=$revision -X $p.buildOS=linux -X $p.buildArch=$(go env GOARCH)"
if ! agent_installed; then
  log "building pilot-agent $ISTIO_VERSION (a cold build takes minutes)"
  rm -f "$bin/pilot-agent"
  (cd "$src" && go build -trimpath -tags agent,disable_pgv,grpcnotrace,retrynotrace -ldflags "$ldflags" \
    -o "$bin/pilot-agent" ./pilot/cmd/pilot-agent) >&2

  # The agent renders Envoy's bootstrap from ./var/lib/istio/envoy/envoy_bootstrap_tmpl.json (relative to its
  # working directory); the proxy image copies this file there. Keep it beside the binary, in the same layout.
  mkdir -p "$template_dir"
  cp "$src/tools/packaging/common/envoy_bootstrap.json" "$template_dir/envoy_bootstrap_tmpl.json"
  chmod 644 "$template_dir/envoy_bootstrap_tmpl.json"
fi

if ! istioctl_installed; then
  log "building istioctl $ISTIO_VERSION (a cold build takes minutes)"
  rm -f "$bin/istioctl"
  (cd "$src" && go build -trimpath -tags vtprotobuf,disable_pgv -ldflags "$ldflags" \
    -o "$bin/istioctl" ./istioctl/cmd/istioctl) >&2
fi

if want_discovery && ! discovery_installed; then
  log "building pilot-discovery $ISTIO_VERSION (a cold build takes minutes)"
  rm -f "$bin/pilot-discovery"
  (cd "$src" && go build -trimpath -tags vtprotobuf,disable_pgv -ldflags "$ldflags" \
    -o "$bin/pilot-discovery" ./pilot/cmd/pilot-discovery) >&2
fi

if ! installed; then
  log "built, but pilot-agent, istioctl or pilot-discovery in $bin does not report version $ISTIO_VERSION at revision $revision"
  exit 1
fi
log "ready in $((SECONDS - started))s: pilot-agent, istioctl and pilot-discovery $("$bin/istioctl" version --remote=false --short 2>/dev/null)"
printf '%s\n' "$bin"
