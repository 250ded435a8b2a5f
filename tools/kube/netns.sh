#!/usr/bin/env bash
# Test hosts for workloads whose addresses must not be loopback (EndpointSlice and Pod IPs): a network namespace
# joined to this host by a veth pair. Traffic to them never leaves the machine.
#
# Usage (as root):
#   netns.sh up <name> <ip> [<extra-ip> ...]
#       Creates network namespace <name> with address <ip> on its end of a veth pair; this host's end takes the
#       other usable address of <ip>'s /30 (so <ip>'s last octet must be 1 or 2 modulo 4; e.g. 10.250.0.2 gives
#       this host 10.250.0.1). Extra IPs are added to the namespace as /32s with host routes to them here, for
#       several workloads on one test host. Idempotent: an existing <name> is removed first.
#   netns.sh down <name>
#       Removes the namespace and its veth pair. Idempotent.
#   netns.sh exec <name> <command...>
#       Runs a command inside the namespace (e.g. a backend: netns.sh exec h1 python3 -m http.server 8080).
#
# Names: 1-12 characters of [a-z0-9-] (the veth ends are vh-<name> here and vn-<name> inside, and Linux caps
# interface names at 15). Use addresses in 10.250.0.0/16, which this project keeps for test hosts.
set -euo pipefail

die() { echo "netns.sh: $*" >&2; exit 1; }

usage() {
  sed -n '/^# Usage/,/^# Names/p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

check_name() {
  [[ "$1" =~ ^[a-z0-9-]{1,12}$ ]] || die "bad name '$1': use 1-12 characters of [a-z0-9-]"
}

ip_to_int() {
  local a b c d
  [[ "$1" =~ ^([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})$ ]] || die "not an IPv4 address: $1"
  a="${BASH_REMATCH[1]}" b="${BASH_REMATCH[2]}" c="${BASH_REMATCH[3]}" d="${BASH_REMATCH[4]}"
  ((a < 256 && b < 256 && c < 256 && d < 256)) || die "not an IPv4 address: $1"
  echo $(((a << 24) | (b << 16) | (c << 8) | d))
}

int_to_ip() {
  echo "$((($1 >> 24) & 255)).$((($1 >> 16) & 255)).$((($1 >> 8) & 255)).$(($1 & 255))"
}

down() {
  local name="$1"
  # Deleting either veth end deletes both; the namespace may hold processes a test forgot: kill them first so
  # nothing keeps serving on a removed address.
  if [ -e "/run/netns/$name" ]; then
    local pids
    pids="$(ip netns pids "$name" 2>/dev/null || true)"
    if [ -n "$pids" ]; then
      # shellcheck disable=SC2086
      kill -TERM $pids 2>/dev/null || true
      sleep 0.2
      # shellcheck disable=SC2086
      kill -KILL $pids 2>/dev/null || true
    fi
    ip netns del "$name"
  fi
  ip link del "vh-$name" 2>/dev/null || true
}

up() {
  local name="$1" ip="$2" n base peer host_ip; shift 2
  n="$(ip_to_int "$ip")"
  base=$((n & ~3 & 0xffffffff))
  case $((n - base)) in
    1) peer=$((base + 2)) ;;
    2) peer=$((base + 1)) ;;
    *) die "$ip is a network or broadcast address of its /30: use one ending in 1 or 2 modulo 4" ;;
  esac
  host_ip="$(int_to_ip "$peer")"
  local extra
  for extra in "$@"; do ip_to_int "$extra" >/dev/null; done

  down "$name"
  ip netns add "$name"
  ip link add "vh-$name" type veth peer name "vn-$name"
  ip link set "vn-$name" netns "$name"
  ip addr add "$host_ip/30" dev "vh-$name"
  ip link set "vh-$name" up
  ip netns exec "$name" ip link set lo up
  ip netns exec "$name" ip addr add "$ip/30" dev "vn-$name"
  ip netns exec "$name" ip link set "vn-$name" up
  for extra in "$@"; do
    ip netns exec "$name" ip addr add "$extra/32" dev "vn-$name"
    ip route replace "$extra/32" dev "vh-$name" src "$host_ip"
  done
  echo "netns.sh: test host $name at $ip${*:+ (+ $*)}; this host's end is $host_ip" >&2
}

[ $# -ge 2 ] || usage
command -v ip >/dev/null || die "iproute2 is required (apt-get install -y iproute2)"
[ "$(id -u)" = 0 ] || die "network namespaces need root"
cmd="$1" name="$2"; shift 2
check_name "$name"
case "$cmd" in
  up) [ $# -ge 1 ] || usage; up "$name" "$@" ;;
  down) [ $# -eq 0 ] || usage; down "$name" ;;
  exec) [ $# -ge 1 ] || usage; exec ip netns exec "$name" "$@" ;;
  *) usage ;;
esac
