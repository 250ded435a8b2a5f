#!/usr/bin/env bash
# A local Kubernetes control plane on loopback for tests and for trying istiod against a real API server:
# etcd + kube-apiserver (+ kube-controller-manager), with generated certificates and an admin kubeconfig.
# No kubelet, scheduler or kube-proxy: Pods are never run (tests create them with spec.nodeName and patch their
# status), and ClusterIPs route nowhere.
#
# Usage:
#   cluster.sh start [--no-controller-manager] <dir>
#       Generates certificates (first time), picks free loopback ports (first time), starts every component that
#       is not already running, waits until /readyz answers, and writes <dir>/kubeconfig and <dir>/cluster.env.
#       Running it again on the same <dir> reuses the certificates, ports and etcd data: after
#       `cluster.sh stop <dir> kube-apiserver` it brings the same API server back, with the same state.
#   cluster.sh stop <dir> [etcd|kube-apiserver|kube-controller-manager ...]
#       Stops the named components (all by default) by their recorded PIDs. Idempotent.
#   cluster.sh env <dir>
#       Prints shell exports (KUBECONFIG, KUBECTL, KUBE_APISERVER_URL, ...): eval "$(cluster.sh env <dir>)".
#   cluster.sh status <dir>
#       Prints each component's state; exits non-zero if one that was started is not running.
#
# Environment: KUBE_BIN (directory with the binaries; default: what tools/kube/install.sh prints),
# CLUSTER_READY_TIMEOUT (seconds, default 120).
#
# Files in <dir>: certs/ (ca, apiserver serving cert, admin client cert in system:masters, service-account
# signing key), etcd/ (data), logs/<component>.log, pids/<component>.pid, kubeconfig, cluster.env.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
components=(etcd kube-apiserver kube-controller-manager)
# The `kubernetes` Service's endpoint may not be loopback, and auto-detection needs a default route. Nothing
# ever connects to it (no Endpoints are written: --endpoint-reconciler-type=none); it only has to be valid.
advertise_address="10.250.255.254"
service_cidr="10.96.0.0/16"
service_account_issuer="https://kubernetes.default.svc.cluster.local"
# The controllers whose work tests rely on; the rest (nodes, deployments, jobs ...) would only burn CPU.
controllers="namespace-controller,garbage-collector-controller,serviceaccount-controller"
controllers+=",root-ca-certificate-publisher-controller,endpointslice-controller,endpointslice-mirroring-controller"
controllers+=",endpoints-controller"

die() { echo "cluster.sh: $*" >&2; exit 1; }
log() { echo "cluster.sh: $*" >&2; }

usage() {
  sed -n '/^# Usage:/,/^# Environment/p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

pid_of() {
  # Prints the PID recorded for component $1 if that process still runs that component's binary.
  local file="$dir/pids/$1.pid" pid
  [ -f "$file" ] || return 1
  pid="$(cat "$file")"
  [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] || return 1
  # argv[0] must be that binary: a PID reused by another process is not ours to report (or kill).
  local argv0=""
  IFS= read -r -d '' argv0 <"/proc/$pid/cmdline" || true
  [ "$(basename -- "$argv0")" = "$1" ] || return 1
  printf '%s\n' "$pid"
}

free_ports() {
  # Prints $1 distinct free TCP ports on 127.0.0.1 (bound together, so they differ; released before use).
  python3 - "$1" <<'EOF'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
EOF
}

make_certs() {
  local c="$dir/certs"
  [ -f "$c/admin.crt" ] && return 0
  command -v openssl >/dev/null || die "openssl is required (apt-get install -y openssl)"
  mkdir -p "$c"
  log "generating certificates in $c"
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj /CN=istiod-java-test-ca \
    -keyout "$c/ca.key" -out "$c/ca.crt" 2>/dev/null
  # Go rejects CN-only server certificates: the SANs carry the names.
  issue_cert apiserver /CN=kube-apiserver \
    "subjectAltName=IP:127.0.0.1,IP:10.96.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local
extendedKeyUsage=serverAuth
keyUsage=digitalSignature,keyEncipherment"
  issue_cert admin "/O=system:masters/CN=istiod-java-admin" \
    "extendedKeyUsage=clientAuth
keyUsage=digitalSignature,keyEncipherment"
  openssl genrsa -out "$c/sa.key" 2048 2>/dev/null
  openssl rsa -in "$c/sa.key" -pubout -out "$c/sa.pub" 2>/dev/null
  # A static bearer token for scripts (curl); kubectl and istiod use the client certificate.
  printf '%s,istiod-java-admin,istiod-java-admin,"system:masters"\n' "$(openssl rand -hex 24)" >"$c/tokens.csv"
  chmod 600 "$c"/*.key "$c/tokens.csv"
}

issue_cert() {
  local c="$dir/certs" name="$1" subject="$2" ext="$3"
  openssl req -newkey rsa:2048 -nodes -subj "$subject" -keyout "$c/$name.key" -out "$c/$name.csr" 2>/dev/null
  openssl x509 -req -in "$c/$name.csr" -CA "$c/ca.crt" -CAkey "$c/ca.key" -CAcreateserial -days 365 \
    -extfile <(printf '%s\n' "$ext") -out "$c/$name.crt" 2>/dev/null
  rm -f "$c/$name.csr"
}

load_or_pick_ports() {
  if [ -f "$dir/ports.env" ]; then
    # shellcheck disable=SC1091
    source "$dir/ports.env"
    return 0
  fi
  local ports
  read -r -a ports <<<"$(free_ports 3)"
  etcd_client_port="${ports[0]}" etcd_peer_port="${ports[1]}" apiserver_port="${ports[2]}"
  printf 'etcd_client_port=%s\netcd_peer_port=%s\napiserver_port=%s\n' \
    "$etcd_client_port" "$etcd_peer_port" "$apiserver_port" >"$dir/ports.env"
}

write_kubeconfig() {
  local c="$dir/certs" b64="base64 -w0"
  cat >"$dir/kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: istiod-java-test
  cluster:
    server: https://127.0.0.1:$apiserver_port
    certificate-authority-data: $($b64 <"$c/ca.crt")
users:
- name: admin
  user:
    client-certificate-data: $($b64 <"$c/admin.crt")
    client-key-data: $($b64 <"$c/admin.key")
contexts:
- name: istiod-java-test
  context:
    cluster: istiod-java-test
    user: admin
    namespace: default
current-context: istiod-java-test
EOF
  chmod 600 "$dir/kubeconfig"
  cat >"$dir/cluster.env" <<EOF
export KUBECONFIG='$dir/kubeconfig'
export KUBECTL='$kube_bin/kubectl'
export KUBE_BIN='$kube_bin'
export KUBE_APISERVER_URL='https://127.0.0.1:$apiserver_port'
export KUBE_CA_FILE='$c/ca.crt'
export ETCD_URL='http://127.0.0.1:$etcd_client_port'
EOF
}

launch() {
  # Starts component $1 with the remaining arguments, detached from the caller's session, logging to its file.
  local name="$1"; shift
  mkdir -p "$dir/logs" "$dir/pids"
  printf '\n==== %s start %s\n' "$(date -u +%FT%TZ)" "$name" >>"$dir/logs/$name.log"
  setsid "$kube_bin/$name" "$@" >>"$dir/logs/$name.log" 2>&1 </dev/null &
  local pid=$! i
  echo "$pid" >"$dir/pids/$name.pid"
  # Until the forked shell has exec'd the binary, its PID still reads as bash/setsid, and pid_of would take
  # it for "exited". Wait for the exec (bounded) so that every later check sees the real process.
  for ((i = 0; i < 100; i++)); do
    pid_of "$name" >/dev/null && return 0
    [ -d "/proc/$pid" ] || return 0
    sleep 0.05
  done
}

wait_until() {
  # wait_until <component> <description> <command...>: polls the command until it succeeds; fails with the log.
  local name="$1" what="$2" deadline=$((SECONDS + ${CLUSTER_READY_TIMEOUT:-120})); shift 2
  until "$@" >/dev/null 2>&1; do
    if ! pid_of "$name" >/dev/null; then
      tail -n 40 "$dir/logs/$name.log" >&2 || true
      die "$name exited while waiting for $what (log: $dir/logs/$name.log)"
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      tail -n 40 "$dir/logs/$name.log" >&2 || true
      die "$name: no $what after ${CLUSTER_READY_TIMEOUT:-120}s (log: $dir/logs/$name.log)"
    fi
    sleep 0.5
  done
}

admin_token() { cut -d, -f1 "$dir/certs/tokens.csv"; }

http_ok() {
  # http_ok <url> [curl args...]: true when the URL answers 200.
  local url="$1"; shift
  [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$@" "$url")" = 200 ]
}

start_etcd() {
  pid_of etcd >/dev/null && return 0
  log "starting etcd on 127.0.0.1:$etcd_client_port"
  local peer="http://127.0.0.1:$etcd_peer_port" client="http://127.0.0.1:$etcd_client_port"
  # --unsafe-no-fsync: test data is disposable, and fsync on a shared CI disk makes every write slow.
  launch etcd --name default --data-dir "$dir/etcd" \
    --listen-client-urls "$client" --advertise-client-urls "$client" \
    --listen-peer-urls "$peer" --initial-advertise-peer-urls "$peer" --initial-cluster "default=$peer" \
    --unsafe-no-fsync --log-level warn
  wait_until etcd "health" http_ok "$client/health"
}

start_apiserver() {
  pid_of kube-apiserver >/dev/null && return 0
  local c="$dir/certs"
  log "starting kube-apiserver on https://127.0.0.1:$apiserver_port"
  # Admission: the ServiceAccount plugin would reject Pods whose service account does not exist yet and mount
  # token volumes nobody uses (envtest disables it too). Aggregator routing resolves webhook/APIService service
  # references through Endpoints, since no kube-proxy makes ClusterIPs reachable.
  launch kube-apiserver \
    --etcd-servers="http://127.0.0.1:$etcd_client_port" \
    --bind-address=127.0.0.1 --secure-port="$apiserver_port" \
    --advertise-address="$advertise_address" --endpoint-reconciler-type=none \
    --tls-cert-file="$c/apiserver.crt" --tls-private-key-file="$c/apiserver.key" \
    --client-ca-file="$c/ca.crt" --token-auth-file="$c/tokens.csv" \
    --authorization-mode=RBAC --allow-privileged=true \
    --service-cluster-ip-range="$service_cidr" \
    --service-account-issuer="$service_account_issuer" \
    --service-account-key-file="$c/sa.pub" --service-account-signing-key-file="$c/sa.key" \
    --disable-admission-plugins=ServiceAccount --enable-aggregator-routing=true \
    --cert-dir="$c" --profiling=false --v=1
  wait_until kube-apiserver "/readyz" http_ok "https://127.0.0.1:$apiserver_port/readyz" \
    --cacert "$c/ca.crt" -H "Authorization: Bearer $(admin_token)"
}

start_controller_manager() {
  pid_of kube-controller-manager >/dev/null && return 0
  log "starting kube-controller-manager ($controllers)"
  # --secure-port=0: no serving endpoint to allocate a port for; readiness is judged by its work below.
  launch kube-controller-manager --kubeconfig="$dir/kubeconfig" --leader-elect=false \
    --bind-address=127.0.0.1 --secure-port=0 --controllers="$controllers" \
    --root-ca-file="$dir/certs/ca.crt" --profiling=false --v=1
  # The serviceaccount controller creates `default` in every namespace: its appearance shows the controllers
  # have synced their informers and run.
  wait_until kube-controller-manager "default ServiceAccount" \
    "$kube_bin/kubectl" --kubeconfig "$dir/kubeconfig" get serviceaccount default -n default
}

stop_component() {
  local name="$1" pid i
  pid="$(pid_of "$name")" || { rm -f "$dir/pids/$name.pid"; return 0; }
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 100; i++)); do
    [ -d "/proc/$pid" ] || break
    sleep 0.1
  done
  if [ -d "/proc/$pid" ]; then
    log "$name (pid $pid) ignored SIGTERM for 10s; killing it"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$dir/pids/$name.pid"
  log "stopped $name"
}

[ $# -ge 1 ] || usage
cmd="$1"; shift
with_kcm=true
if [ "$cmd" = start ] && [ "${1:-}" = --no-controller-manager ]; then with_kcm=false; shift; fi
[ $# -ge 1 ] || usage
mkdir -p "$1"
dir="$(cd "$1" && pwd)"; shift

case "$cmd" in
  start)
    [ $# -eq 0 ] || usage
    kube_bin="${KUBE_BIN:-$("$here/install.sh")}"
    for b in etcd kube-apiserver kube-controller-manager kubectl; do
      [ -x "$kube_bin/$b" ] || die "$kube_bin/$b is missing: run tools/kube/install.sh"
    done
    command -v curl >/dev/null || die "curl is required (apt-get install -y curl)"
    make_certs
    load_or_pick_ports
    write_kubeconfig
    start_etcd
    start_apiserver
    if [ "$with_kcm" = true ]; then start_controller_manager; fi
    log "ready: export KUBECONFIG=$dir/kubeconfig (or eval \"\$(tools/kube/cluster.sh env $dir)\")"
    ;;
  stop)
    names=("$@")
    [ ${#names[@]} -gt 0 ] || names=(kube-controller-manager kube-apiserver etcd)
    for n in "${names[@]}"; do
      [[ " ${components[*]} " == *" $n "* ]] || die "unknown component $n (one of: ${components[*]})"
      stop_component "$n"
    done
    ;;
  env)
    [ -f "$dir/cluster.env" ] || die "no cluster in $dir (run: cluster.sh start $dir)"
    cat "$dir/cluster.env"
    ;;
  status)
    failed=0
    for n in "${components[@]}"; do
      if pid="$(pid_of "$n")"; then echo "$n running (pid $pid)"
      elif [ -f "$dir/pids/$n.pid" ]; then echo "$n DEAD (log: $dir/logs/$n.log)"; failed=1
      else echo "$n stopped"; fi
    done
    exit "$failed"
    ;;
  *) usage ;;
esac
