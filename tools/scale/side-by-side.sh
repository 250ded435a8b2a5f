#!/usr/bin/env bash
# Side-by-side benchmark: upstream istiod (pilot-discovery) against istiod-java, one after the other with nothing
# else of ours running, against the same local kube-apiserver holding the same objects. Prints both columns and
# the ratio istiod-java/upstream for every number, and writes them to bench/results/ (Markdown and JSON).
#
#   tools/scale/side-by-side.sh [--services N] [--proxies P] [--gateways G] [--delta-percent D]
#       [--connect-rate R] [--endpoints E] [--namespaces K] [--idle-seconds S] [--settle-seconds S]
#       [--quiet-ms MS] [--timeout SEC] [--ready-timeout SEC] [--only upstream|istiod-java]
#       [--env NAME=VALUE]... [--results-dir DIR] [--keep]
#
# --env sets an environment variable for BOTH control planes (they share upstream's knobs), e.g.
# --env PILOT_ENABLE_EDS_DEBOUNCE=false: an endpoint change is then pushed at once instead of after
# PILOT_DEBOUNCE_AFTER (100 ms) of quiet, the only way either can deliver it in under 100 ms. The report names
# the variables, and the results' file names get -env-<NAME>-<VALUE> so they never overwrite the defaults' run.
#
# ISTIOD_EXTRA_JVM_FLAGS (space-separated) adds JVM flags to istiod-java's command, for profiling (e.g.
# -XX:StartFlightRecording=filename=/tmp/istiod.jfr,settings=profile); the report names them with the rest.
#
# Defaults: 1000 Services x 2 ready endpoints (Pods) in 4 namespaces, 1000 simulated sidecars, no gateways, all
# SotW, 20 new streams a second (below upstream's admission limit, see below), 60 s idle window after 5 s of
# settling, loadgen --quiet-ms 2000 --timeout 600. Runs as root here (the cluster's etcd and apiserver are
# ordinary processes; nothing needs privileges, but the caches live in $HOME). MVN_ARGS adds Maven arguments to
# the jar's build (e.g. -o -Dmaven.repo.local=...).
# Bounded: every wait has a timeout; a trap stops every process this script started (by PID) and the cluster.
#
# What happens:
#   1. tools/kube/install.sh and tools/istio/install.sh (cached) give the apiserver and upstream pilot-discovery;
#      istiod/target/istiod.jar is built when missing or older than the sources; the load generator
#      (tools/loadgen.sh) is built by a --help call before anything is measured.
#   2. tools/kube/cluster.sh starts etcd + kube-apiserver on loopback (no controller manager: nothing may change
#      the objects behind the control planes' backs, and it would burn CPU during the idle window); Istio's CRDs
#      (deploy/charts/base/files/crd-all.gen.yaml) are applied; tools/scale/load-cluster.py creates the
#      namespaces, Services, Pods (Running, Ready), EndpointSlices and a handful of Istio configs, and writes the
#      load generator's workloads file (every simulated proxy is a real Pod behind a Service).
#   3. For upstream, then istiod-java: the cluster is put back into the same state (the CA Secret, root-cert
#      ConfigMaps, leader-election Leases/ConfigMaps removed; the edited VirtualService and EndpointSlice
#      restored), the ports are checked free, the control plane starts, and the script measures process start ->
#      /ready 200 on :8080, CPU-seconds to ready (utime+stime from /proc/PID/stat), VmRSS/VmHWM at ready, idle CPU
#      over --idle-seconds after --settle-seconds, VmRSS/VmHWM at rest; then tools/loadgen.sh runs the initial,
#      vs-edit (VirtualService svc-0-split: weights 80/20 -> 70/30; svc-0 is http on port 80, so every sidecar's
#      route "80" carries it; with --gateways, the same kubectl call moves the weights of the gateways'
#      VirtualService ingress-routes too) and eds-edit (one address added to svc-2's EndpointSlice; cluster
#      outbound|80||svc-2.ns-2.svc.cluster.local) phases with --pid; then VmRSS/VmHWM under load; then it stops.
#   4. tools/scale/report.py prints the table, checks that both control planes sent every proxy the same number of
#      resources per type (a loud WARNING when not), and writes bench/results/side-by-side-<date>-<commit>-<N>x<P>
#      .md and .json.
#
# Both control planes get identical inputs: the same flags (every address on 127.0.0.1), the same mesh config
# file, the same clean environment (env -i: PATH, HOME=its scratch directory, POD_NAMESPACE=istio-system,
# POD_NAME, REVISION=default), each in its own empty working directory.
#
# Upstream pilot-discovery outside a cluster (observed with 1.31-dev at the project's pin) needs:
#   - `discovery --kubeconfig FILE`: without it, it looks for in-cluster config (KUBERNETES_SERVICE_HOST) and
#     fails. The namespace istio-system must exist: its CA Secret istio-ca-secret, the leader-election Leases
#     (istio-leader, istio-namespace-controller-election, istio-gateway-status-leader-default,
#     istio-gateway-deployment-default, istio-ip-autoallocate) and the `istio` ConfigMap it reads live there.
#   - POD_NAMESPACE (default istio-system), POD_NAME (leader-election identity), REVISION (default "default").
#   - --meshConfig FILE: without the file it reads the `istio` ConfigMap (key mesh), else built-in defaults; we
#     pass the same small file to both. --networksConfig (./etc/istio/config/meshNetworks, relative to the
#     working directory) may be absent: then the ConfigMap, else defaults.
#   - The CA: with no ./etc/cacerts (plugged-in root) it logs "CASecret istio-ca-secret not found, will create
#     one", creates a self-signed root there (RSA key generation at start; istiod-java does the same, and the
#     Secret is deleted before each run so both pay it) and signs its own serving certificate for
#     istiod.istio-system.svc (15012, 15017). It writes nothing to its working directory.
#   - Its other remarks, all harmless here: "Skipping sidecar injector, template not found" (no
#     ./var/lib/istio/inject: the injection webhook is off, and no apiserver webhook calls it), "memory is not
#     limited, skipping" (automemlimit sets GOMEMLIMIT only under a cgroup memory limit), "discovery is not
#     ready" until its caches sync. ControlZ listens on localhost:9876 (loopback by default).
#   - On 2 cores it admits 25 new ADS streams a second (PILOT_MAX_REQUESTS_PER_SECOND unset: 15 + 5 x
#     GOMAXPROCS, burst 1, 1 s wait) and refuses the rest with RESOURCE_EXHAUSTED ("exceeded rate limit"); the
#     load generator reopens them after a back-off, as Envoy does, and the report counts them. istiod-java
#     has the same limiter (same variable and default; before commit b8afa4a it admitted every stream at once).
#     Hence the default --connect-rate 20: both control planes see the same ramp, neither should refuse a
#     stream, and the initial phase measures generation rather than the generator's back-off against the
#     limiter. --connect-rate 0 opens every stream at once (the reconnect storm after a restart; results get the
#     suffix -all-at-once).
#   - Addresses: --grpcAddr, --secureGRPCAddr, --httpAddr, --httpsAddr, --monitoringAddr (same names and
#     defaults in istiod-java) are all pinned to 127.0.0.1.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
here="$root/tools/scale"
# shellcheck source=tools/java-home.sh
source "$root/tools/java-home.sh"

services=1000 proxies="" gateways=0 delta_percent=0 connect_rate=20 endpoints=2 namespaces=4
idle_seconds=60 settle_seconds=5 quiet_ms=2000 timeout=600 ready_timeout=300 only="" keep=false
cp_env=()
results_dir="$root/bench/results"
ports=(15010 15012 15014 15017 8080)

log() { echo "side-by-side: $*" >&2; }
die() { log "$*"; exit 1; }
usage() { sed -n '/^#   tools\/scale/,/^# Bounded/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//' >&2; exit "${1:-2}"; }

while [ $# -gt 0 ]; do
  case "$1" in
    --services) services="$2"; shift 2 ;;
    --proxies) proxies="$2"; shift 2 ;;
    --gateways) gateways="$2"; shift 2 ;;
    --delta-percent) delta_percent="$2"; shift 2 ;;
    --connect-rate) connect_rate="$2"; shift 2 ;;
    --endpoints) endpoints="$2"; shift 2 ;;
    --namespaces) namespaces="$2"; shift 2 ;;
    --idle-seconds) idle_seconds="$2"; shift 2 ;;
    --settle-seconds) settle_seconds="$2"; shift 2 ;;
    --quiet-ms) quiet_ms="$2"; shift 2 ;;
    --timeout) timeout="$2"; shift 2 ;;
    --ready-timeout) ready_timeout="$2"; shift 2 ;;
    --only) only="$2"; shift 2 ;;
    --env)
      [[ "$2" =~ ^[A-Z_][A-Z0-9_]*=.*$ ]] || die "--env wants NAME=VALUE, got '$2'"
      cp_env+=("$2"); shift 2 ;;
    --results-dir) results_dir="$2"; shift 2 ;;
    --keep) keep=true; shift ;;
    -h|--help) usage 0 ;;
    *) log "unknown argument: $1"; usage ;;
  esac
done
proxies="${proxies:-$services}"
for v in services proxies gateways delta_percent endpoints namespaces idle_seconds settle_seconds quiet_ms \
  timeout ready_timeout; do
  [[ "${!v}" =~ ^[0-9]+$ ]] || die "--${v//_/-} must be a whole number: ${!v}"
done
[[ "$connect_rate" =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "--connect-rate must be a number: $connect_rate"
case "$only" in ''|upstream|istiod-java) ;; *) die "--only must be upstream or istiod-java" ;; esac

# ---- prerequisites (built before anything is measured) ----
KUBE_BIN="${KUBE_BIN:-$("$root/tools/kube/install.sh")}"
upstream_bin=""
if [ "$only" != istiod-java ]; then
  ISTIO_BIN="${ISTIO_BIN:-$(WITH_PILOT_DISCOVERY=1 "$root/tools/istio/install.sh")}"
  upstream_bin="$ISTIO_BIN/pilot-discovery"
  [ -x "$upstream_bin" ] || die "$upstream_bin is missing: run WITH_PILOT_DISCOVERY=1 tools/istio/install.sh"
fi
kubectl="$KUBE_BIN/kubectl"
jar="$root/istiod/target/istiod.jar"
if [[ ! -f "$jar" || -n "$(find "$root" -path '*/src/main/*' -newer "$jar" -print -quit)" ]]; then
  log "building $jar"
  # shellcheck disable=SC2086
  (cd "$root" && mvn -B -q -Dmaven.compiler.release="$JAVA_RELEASE" ${MVN_ARGS:-} -pl istiod -am package -DskipTests)
fi
# SIDE_BY_SIDE_LOADGEN points at another checkout's generator, for trying an unmerged one; results name it.
loadgen="${SIDE_BY_SIDE_LOADGEN:-$root/tools/loadgen.sh}"
[ -x "$loadgen" ] || die "$loadgen is missing (the load generator of issue 11 item 3)"
loadgen_help="$("$loadgen" --help 2>&1)" || die "$loadgen --help failed (does it build?)"
# The generator's address flag: --xds-address (its first name) or --xds.
xds_flag=--xds
[[ "$loadgen_help" == *--xds-address* ]] && xds_flag=--xds-address

clk_tck="$(getconf CLK_TCK)"
work="$(mktemp -d /tmp/side-by-side.XXXXXX)"
cp_pid="" lg_pid=""

stop_pid() {
  # stop_pid PID [grace seconds]: TERM, wait, then KILL. Only PIDs this script started are passed here.
  local pid="$1" grace="${2:-20}" i
  [ -n "$pid" ] && [ -d "/proc/$pid" ] || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < grace * 10; i++)); do
    [ -d "/proc/$pid" ] || break
    sleep 0.1
  done
  if [ -d "/proc/$pid" ]; then
    log "pid $pid ignored SIGTERM for ${grace}s; killing it"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
}

cleanup() {
  local status=$?
  trap - EXIT INT TERM
  stop_pid "$lg_pid" 10
  stop_pid "$cp_pid" 20
  [ -d "$work/kube" ] && "$root/tools/kube/cluster.sh" stop "$work/kube" >/dev/null 2>&1 || true
  if [ "$keep" = true ] || [ "$status" -ne 0 ]; then
    log "work directory kept: $work (logs in $work/runs/*/)"
  else
    rm -rf "$work"
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- the image's JVM flags for istiod-java ----
# One function, so that the source of the flags is switched in one place: deploy/image/Dockerfile's ENTRYPOINT
# ["java", flags..., "-jar", ...], read from the checkout. An argfile of the image (@/opt/istiod/jvm.args) is
# replaced by that file of deploy/image/ expanded into its flags ('#' comments dropped); an archive of the image
# (-XX:AOTCache= or -XX:SharedArchiveFile= under /opt/istiod/) by a cache keyed by the jar, the flags and the
# JVM, made once: by tools/image/train.sh JAR ARCHIVE for an AOT cache, by the Dockerfile's AppCDS training run
# (train_appcds) for a CDS archive. Sets the array jvm_flags.
image_jvm_flags() {
  local cache key flag file archive="" archive_flag="" entry=() words=() out=()
  cache="${XDG_CACHE_HOME:-$HOME/.cache}/istiod-java/side-by-side"
  mkdir -p "$cache"
  mapfile -t entry < <(sed -n '/^ENTRYPOINT/,/]/p' "$root/deploy/image/Dockerfile" | tr -d '\\\n' |
    sed 's/^ENTRYPOINT//' | python3 -c 'import json,sys; a=json.load(sys.stdin); print("\n".join(a[1:a.index("-jar")]))')
  [ ${#entry[@]} -gt 0 ] || die "no JVM flags in deploy/image/Dockerfile's ENTRYPOINT"
  for flag in "${entry[@]}"; do
    case "$flag" in
      @/opt/istiod/*)
        file="$root/deploy/image/${flag##*/}"
        [ -f "$file" ] || die "the image's $flag has no $file"
        read -r -a words <<<"$(sed 's/#.*//' "$file" | tr '\n' ' ')"
        out+=("${words[@]}") ;;
      -XX:AOTCache=/opt/istiod/*|-XX:SharedArchiveFile=/opt/istiod/*)
        archive_flag="${flag%%=*}"
        out+=("$archive_flag=ARCHIVE") ;;
      *) out+=("$flag") ;;
    esac
  done
  if [ -n "$archive_flag" ]; then
    # The training run's script and mesh shape the cache as much as the jar does.
    key="$( (sha256sum "$jar" "$root/tools/image/train.sh" "$root/deploy/image/training.yaml"
      printf '%s\n' "${out[@]}" "TRAIN_WITH_KUBE=${TRAIN_WITH_KUBE:-1}"; "$JAVA_HOME/bin/java" -version 2>&1) |
      sha256sum | cut -c1-16)"
    archive="$cache/$key.jsa"
    if [ "$archive_flag" = -XX:AOTCache ]; then archive="$cache/$key.aot"; fi
    out=("${out[@]/#$archive_flag=ARCHIVE/$archive_flag=$archive}")
    if [ ! -s "$archive" ]; then
      case "$archive_flag" in
        -XX:AOTCache)
          [ -x "$root/tools/image/train.sh" ] || die "the image uses an AOT cache but tools/image/train.sh is missing"
          log "training the AOT cache: tools/image/train.sh -> $archive"
          JAVA="$JAVA_HOME/bin/java" "$root/tools/image/train.sh" "$jar" "$archive" >&2 ;;
        -XX:SharedArchiveFile)
          log "training the AppCDS archive as deploy/image/Dockerfile does -> $archive"
          train_appcds "$archive" ;;
      esac
    fi
  fi
  jvm_flags=("${out[@]}")
}

train_appcds() {
  # The Dockerfile's training run: start on an empty config directory, wait for /ready, stop; the JVM writes the
  # classes it loaded at exit. Its throwaway CA lands in the scratch directory.
  local archive="$1" dir="$work/cds-training" pid i
  wait_ports_free
  mkdir -p "$dir/config"
  (cd "$dir" && exec env -i PATH="$PATH" HOME="$dir" ISTIOD_LOCAL_CA_DIR="$dir/ca" "$JAVA_HOME/bin/java" \
    -XX:+UseG1GC -XX:ArchiveClassesAtExit="$archive.tmp" -Xlog:cds=error -Xlog:cds+dynamic=error \
    -jar "$jar" discovery --configDir "$dir/config" "${address_flags[@]}") >"$dir/train.log" 2>&1 &
  pid=$!
  cp_pid="$pid"
  for ((i = 0; i < 600; i++)); do
    ready && break
    [ -d "/proc/$pid" ] || break
    sleep 0.2
  done
  stop_pid "$pid" 30
  cp_pid=""
  [ -s "$archive.tmp" ] || { tail -n 20 "$dir/train.log" >&2; die "the training run wrote no archive"; }
  mv "$archive.tmp" "$archive"
}

# ---- measurements ----
ready() { [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 http://127.0.0.1:8080/ready)" = 200 ]; }
cpu_seconds() {
  # utime + stime of the whole process (all threads), from /proc/PID/stat (fields 14 and 15 after the comm).
  awk -v hz="$clk_tck" '{ sub(/^.*\) /, ""); printf "%.2f\n", ($12 + $13) / hz }' "/proc/$1/stat"
}
mem_kb() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
# A sleep that a TERM or INT ends at once (bash runs traps only between foreground commands, but during `wait`).
pause() { sleep "$1" & wait "$!"; }

wait_ports_free() {
  local p busy deadline=$((SECONDS + 120))
  while :; do
    busy=""
    for p in "${ports[@]}"; do
      [ -n "$(ss -Hltn "sport = :$p" 2>/dev/null)" ] && busy+=" $p"
    done
    [ -z "$busy" ] && return 0
    [ "$SECONDS" -ge "$deadline" ] && die "ports still in use after 120s:$busy (ss -ltnp shows by whom)"
    sleep 1
  done
}

address_flags=(--grpcAddr 127.0.0.1:15010 --secureGRPCAddr 127.0.0.1:15012 --httpAddr 127.0.0.1:8080
  --httpsAddr 127.0.0.1:15017 --monitoringAddr 127.0.0.1:15014)

reset_cluster() {
  # The state each control plane starts from: no CA Secret or published root cert, no leader-election
  # records, the edited VirtualService and EndpointSlice as loaded.
  local k=("$kubectl" --kubeconfig "$KUBECONFIG")
  "${k[@]}" delete secret istio-ca-secret -n istio-system --ignore-not-found >/dev/null
  "${k[@]}" delete configmap --all -n istio-system >/dev/null
  "${k[@]}" delete lease --all -n istio-system >/dev/null
  "${k[@]}" delete configmap -A --field-selector metadata.name=istio-ca-root-cert >/dev/null
  "${k[@]}" replace -f "$data/edits/vs-original.json" -f "$data/edits/ingress-vs-original.json" >/dev/null
  "${k[@]}" replace -f "$data/edits/slice-original.json" >/dev/null
}

run_control_plane() {
  # run_control_plane NAME: starts it, measures, runs the load generator, stops it; writes $work/runs/NAME/.
  local name="$1" dir="$work/runs/$1" t0 t_ready cpu_ready idle_a idle_b lg_status=0 cmd=()
  mkdir -p "$dir/cwd"
  case "$name" in
    upstream) cmd=("$upstream_bin" discovery) ;;
    istiod-java) cmd=("$JAVA_HOME/bin/java" "${jvm_flags[@]}" ${ISTIOD_EXTRA_JVM_FLAGS:-} -jar "$jar" discovery) ;;
  esac
  cmd+=(--kubeconfig "$KUBECONFIG" --meshConfig "$work/mesh.yaml" --domain cluster.local "${address_flags[@]}")
  reset_cluster
  wait_ports_free
  sleep 2  # let the apiserver settle after the reset
  local load_before; load_before="$(loadavg)"
  log "$name: ${cmd[*]}"
  t0="$EPOCHREALTIME"
  (cd "$dir/cwd" && exec env -i PATH="$PATH" HOME="$dir/cwd" POD_NAMESPACE=istio-system \
    POD_NAME=istiod-side-by-side REVISION=default ${cp_env[@]+"${cp_env[@]}"} "${cmd[@]}") \
    >"$dir/control-plane.log" 2>&1 &
  cp_pid=$!
  until ready; do
    if [ ! -d "/proc/$cp_pid" ]; then
      tail -n 30 "$dir/control-plane.log" >&2
      die "$name exited before /ready (log: $dir/control-plane.log)"
    fi
    if (($(date +%s) - ${t0%.*} > ready_timeout)); then
      tail -n 30 "$dir/control-plane.log" >&2
      die "$name: no /ready 200 after ${ready_timeout}s"
    fi
    sleep 0.05
  done
  t_ready="$EPOCHREALTIME"
  cpu_ready="$(cpu_seconds "$cp_pid")"
  local rss_ready hwm_ready; rss_ready="$(mem_kb "$cp_pid" VmRSS)"; hwm_ready="$(mem_kb "$cp_pid" VmHWM)"
  log "$name: ready after $(awk -v a="$t0" -v b="$t_ready" 'BEGIN{printf "%.2f", b-a}')s, ${cpu_ready} CPU-s;" \
    "idle window ${idle_seconds}s after ${settle_seconds}s"
  pause "$settle_seconds"
  idle_a="$(cpu_seconds "$cp_pid")"
  pause "$idle_seconds"
  idle_b="$(cpu_seconds "$cp_pid")"
  local rss_rest hwm_rest; rss_rest="$(mem_kb "$cp_pid" VmRSS)"; hwm_rest="$(mem_kb "$cp_pid" VmHWM)"

  local k="$kubectl --kubeconfig $KUBECONFIG" vs_files="-f $data/edits/vs-edited.json"
  # A mesh VirtualService never reaches a gateway's RDS: with gateways, the same call edits theirs too.
  [ "$gateways" -eq 0 ] || vs_files+=" -f $data/edits/ingress-vs-edited.json"
  "$loadgen" "$xds_flag" 127.0.0.1:15010 --proxies "$proxies" --gateways "$gateways" --delta-percent "$delta_percent" \
    --connect-rate "$connect_rate" --workloads "$data/workloads.tsv" --pid "$cp_pid" --quiet-ms "$quiet_ms" --timeout "$timeout" \
    --vs-edit-cmd "$k replace $vs_files" \
    --eds-edit-cmd "$k replace -f $data/edits/slice-edited.json" --eds-cluster "$eds_cluster" \
    --out "$dir/loadgen.json" >"$dir/loadgen.txt" 2>"$dir/loadgen.log" &
  lg_pid=$!
  wait "$lg_pid" || lg_status=$?
  lg_pid=""
  cat "$dir/loadgen.txt" >&2
  [ -d "/proc/$cp_pid" ] || die "$name died during the load (log: $dir/control-plane.log)"
  local rss_end hwm_end; rss_end="$(mem_kb "$cp_pid" VmRSS)"; hwm_end="$(mem_kb "$cp_pid" VmHWM)"
  stop_pid "$cp_pid" 20
  cp_pid=""
  [ -s "$dir/loadgen.json" ] || { tail -n 30 "$dir/loadgen.log" >&2; die "$name: the load generator wrote no report"; }
  local version
  case "$name" in
    upstream) version="$("$upstream_bin" version --short 2>/dev/null || echo unknown)"; version="${version#client version: }" ;;
    istiod-java) version="$(git -C "$root" rev-parse --short HEAD)" ;;
  esac
  printf '%s\n' "${cmd[@]}" >"$dir/command.txt"
  # key=value, read by report.py; times in seconds, memory in kB (as /proc reports it).
  cat >"$dir/measures.env" <<EOF
name=$name
version=$version
startEpoch=$t0
readyEpoch=$t_ready
readyCpuSeconds=$cpu_ready
rssReadyKb=$rss_ready
hwmReadyKb=$hwm_ready
idleSeconds=$idle_seconds
idleCpuStart=$idle_a
idleCpuEnd=$idle_b
rssRestKb=$rss_rest
hwmRestKb=$hwm_rest
rssEndKb=$rss_end
hwmEndKb=$hwm_end
loadgenExit=$lg_status
loadBefore=$load_before
loadAfter=$(loadavg)
EOF
}

# ---- the cluster and its objects ----
mkdir -p "$work/runs" "$work/data"
data="$work/data"
log "work directory $work; machine: $(nproc) CPUs, load $(loadavg)"
load_start="$(loadavg)"
jvm_flags=()
if [ "$only" != upstream ]; then image_jvm_flags; fi

KUBE_BIN="$KUBE_BIN" "$root/tools/kube/cluster.sh" start --no-controller-manager "$work/kube"
eval "$("$root/tools/kube/cluster.sh" env "$work/kube")"
"$kubectl" apply -f "$root/deploy/charts/base/files/crd-all.gen.yaml" >/dev/null
# Right after the apply a CRD may have no status yet, which `kubectl wait` reports as an error: retry (bounded).
for i in $(seq 30); do
  "$kubectl" wait --for condition=established --timeout=60s crd --all >/dev/null 2>&1 && break
  [ "$i" -lt 30 ] || die "Istio's CRDs were not established"
  sleep 1
done
python3 "$here/load-cluster.py" --kubeconfig "$KUBECONFIG" --out "$data" --services "$services" \
  --endpoints "$endpoints" --namespaces "$namespaces" --proxies "$proxies"
eds_cluster="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["edsEdit"]["cluster"])' "$data/summary.json")"

# The same mesh config for both: upstream's defaults made explicit where they matter to generation.
cat >"$work/mesh.yaml" <<'EOF'
rootNamespace: istio-system
trustDomain: cluster.local
enableAutoMtls: true
defaultConfig:
  discoveryAddress: istiod.istio-system.svc:15012
EOF

for name in upstream istiod-java; do
  [ -z "$only" ] || [ "$only" = "$name" ] || continue
  run_control_plane "$name"
done

# Results of a non-default ramp are named apart, so that they never overwrite the default's.
case "$connect_rate" in 20) tag="" ;; 0) tag="-all-at-once" ;; *) tag="-r$connect_rate" ;; esac
for kv in ${cp_env[@]+"${cp_env[@]}"}; do tag+="-env-${kv%%=*}-${kv#*=}"; done
commit="$(git -C "$root" rev-parse --short HEAD)"
[ -z "$(git -C "$root" status --porcelain -- istiod xds model serviceregistry configstore ca webhook pom.xml)" ] ||
  commit+="-dirty"
python3 "$here/report.py" --work "$work" --results-dir "$results_dir" --commit "$commit" \
  --load-start "$load_start" --load-end "$(loadavg)" --loadgen "$loadgen" \
  --jvm-flags="${jvm_flags[*]}${ISTIOD_EXTRA_JVM_FLAGS:+ $ISTIOD_EXTRA_JVM_FLAGS}" --proxies "$proxies" --gateways "$gateways" --delta-percent "$delta_percent" \
  --control-plane-env="${cp_env[*]-}" \
  --connect-rate "$connect_rate" --tag="$tag" --idle-seconds "$idle_seconds" --settle-seconds "$settle_seconds"
