#!/usr/bin/env bash
# Runs the ADS load generator (module bench/, package dev.istiod.bench.load): simulated Envoy sidecars and
# gateways against a control plane's plaintext xDS port, measuring how fast every proxy converges.
#
#   tools/loadgen.sh --proxies 50                                   # 50 sidecars against 127.0.0.1:15010
#   tools/loadgen.sh --proxies 1000 --gateways 2 --delta-percent 50 --connect-rate 20 --pid "$ISTIOD_PID" \
#     --vs-edit-cmd 'kubectl apply -f vs-v2.yaml' \
#     --eds-edit-cmd 'kubectl apply -f slice-2.yaml' --eds-cluster 'outbound|80||svc-1.default.svc.cluster.local' \
#     --out result.json
#
# Phases: initial (connect every proxy; each gets CDS, then EDS for its EDS clusters, then LDS, then RDS for the
# routes its listeners name, ACKing every response as Envoy does), vs-edit (after --vs-edit-cmd, until every proxy
# got a route configuration whose content changed) and eds-edit (after --eds-edit-cmd, until every proxy got an
# EDS response carrying --eds-cluster); each ends once every proxy has it (or --timeout, default 600 s per wait),
# then waits for quiet (no response for --quiet-ms, default 2000). Each phase reports convergence, per-proxy
# p50/p90/p99/max, proxies not converged, resources and bytes per type, and, with --pid, the control plane's
# CPU-seconds (to convergence / to quiet) and VmRSS/VmHWM; lg-cpu is the generator's own CPU.
#
# Main flags (all: tools/loadgen.sh --help): --xds-address HOST:PORT (127.0.0.1:15010), --proxies N (100),
# --gateways G (0), --workloads FILE, --delta-percent P (0 = all SotW), --connect-rate PER_SECOND (0 = all at
# once; upstream istiod admits 25 new streams/s by default), --pid PID, --out FILE.json.
#
# --workloads FILE: one proxy per line, tab-separated: ip pod namespace serviceAccount labels [ports] [kind]
# (labels k=v,k=v or -, ports 9080,9090 or -, kind sidecar|router); '#' lines are comments. Without it the
# sidecars are synthesized: pod load-<i>-0 in namespace default, label app=load-<i>, ip 10.1.0.1 + i.
#
# Exit status: 0 when every proxy converged in every phase and no response was invalid (NACKed), 1 otherwise,
# 2 on bad usage. The table goes to stdout, progress and edit-command output to stderr.
#
# Builds bench/target/loadgen.jar (Maven profile -Ploadgen, with the modules bench depends on) when it is missing
# or older than its sources; LOADGEN_SKIP_BUILD=1 skips that, MVN_ARGS adds Maven arguments (e.g. -o
# -Dmaven.repo.local=...). LOADGEN_JAVA_OPTS replaces the JVM options (default: -Xmx1g -XX:+UseSerialGC
# -XX:TieredStopAtLevel=1: a small heap, one GC thread, and the quick JIT only, which cost the shared machine about
# half the CPU of the default JIT over a run; the generator's own CPU is reported per phase as lg-cpu).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=tools/java-home.sh
source "$root/tools/java-home.sh"

jar="$root/bench/target/loadgen.jar"
stale() {
  [ ! -f "$jar" ] && return 0
  [ -n "$(find "$root/bench/src/main/java/dev/istiod/bench/load" "$root/bench/pom.xml" "$root/pom.xml" \
    -newer "$jar" -print -quit)" ]
}
if [ -z "${LOADGEN_SKIP_BUILD:-}" ] && stale; then
  echo "loadgen.sh: building $jar" >&2
  # shellcheck disable=SC2086
  (cd "$root" && mvn -q -B -Dmaven.compiler.release="$JAVA_RELEASE" ${MVN_ARGS:-} -Ploadgen -pl bench -am package \
    -DskipTests) >&2
fi
[ -f "$jar" ] || { echo "loadgen.sh: $jar is missing (build failed?)" >&2; exit 1; }

echo "loadgen.sh: $(nproc) CPUs, $(uptime | sed 's/.*load average/load average/')" >&2
# shellcheck disable=SC2086
exec "$JAVA_HOME/bin/java" ${LOADGEN_JAVA_OPTS:--Xmx1g -XX:+UseSerialGC -XX:TieredStopAtLevel=1} -Duser.language=en \
  -jar "$jar" "$@"
