#!/usr/bin/env bash
# The training run of the istiod image, which makes its ahead-of-time cache (JDK 25: JEP 483 class loading and
# linking, JEP 515 method profiles):
#
#   tools/image/train.sh JAR ARCHIVE
#
# starts istiod from JAR with the image's JVM flags (jvm.args) plus -XX:AOTMode=record, on a config directory
# holding training.yaml (a small mesh of every kind istiod reads before /ready) and a stand-in API server from
# the same jar (dev.istiod.training.TrainingApiServer: a few hundred synthetic Services, Pods and
# EndpointSlices, Istio's CRDs, training.yaml's configs; loopback only), so that the Kubernetes path istiod
# takes in a cluster is in the cache too; a throwaway CA; all in a scratch directory that is removed. It waits
# for /ready and for the CA's servers, stops istiod with SIGTERM, then the API server, and only then creates
# ARCHIVE from what the run recorded (-XX:AOTMode=create, the same flags). One JVM at a time besides the API
# server: the image build runs under the Pod's memory limit in deploy-tests' ImageContractE2ETest (1 GiB),
# and the one-step -XX:AOTCacheOutput, whose assembling JVM runs while the trained one still holds its memory,
# did not fit beside the API server. TRAIN_WITH_KUBE=0 trains without the API server (embedded default only).
# Run istiod exactly as the image does to use the cache:
#
#   java @jvm.args -XX:AOTCache=ARCHIVE -jar JAR discovery ...
#
# The cache holds only for that JAR (same path, same file) and that JVM with the same flags; otherwise the JVM
# says so once ("[aot] ... mismatch") and starts without it. deploy/image/Dockerfile runs this script at build
# time; tools/scale/side-by-side.sh uses it to run istiod-java as the image does.
#
# Environment: JAVA (default: $JAVA_HOME/bin/java, else java on PATH); ISTIOD_JVM_ARGS, the flags file, and
# ISTIOD_TRAINING_CONFIG, the config (defaults: jvm.args and training.yaml beside this script, as in the image,
# else in deploy/image/ of this repository); TRAIN_WITH_KUBE (default 1). Every address istiod listens on is on
# 127.0.0.1 (the HTTP one on a free port from 18080 up, the others on port 0; the API server on a free port),
# so a training run never clashes with a running istiod. Bounded: /ready is awaited 120 s, the exit 120 s.
set -euo pipefail

log() { echo "train.sh: $*" >&2; }
die() { log "$*"; exit 1; }

[ $# -eq 2 ] || die "usage: train.sh JAR ARCHIVE"
jar="$(readlink -f "$1")"
archive="$(readlink -m "$2")"
[ -f "$jar" ] || die "no such jar: $jar"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# The file NAME beside this script (as in the image), else in deploy/image/ of this repository.
beside() {
  local candidate
  for candidate in "$here/$1" "$here/../../deploy/image/$1"; do
    if [ -f "$candidate" ]; then printf '%s\n' "$candidate"; return; fi
  done
}
args_file="${ISTIOD_JVM_ARGS:-$(beside jvm.args)}"
[ -n "$args_file" ] && [ -f "$args_file" ] || die "no jvm.args (set ISTIOD_JVM_ARGS)"
training="${ISTIOD_TRAINING_CONFIG:-$(beside training.yaml)}"
[ -n "$training" ] && [ -f "$training" ] || die "no training.yaml (set ISTIOD_TRAINING_CONFIG)"
java="${JAVA:-${JAVA_HOME:+$JAVA_HOME/bin/}java}"

# A free loopback port for /ready: nothing answers a connection to it.
port=18080
while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
  port=$((port + 1))
  [ "$port" -lt 18200 ] || die "no free port in 18080-18199"
done

scratch="$(mktemp -d "${TMPDIR:-/tmp}/istiod-train.XXXXXX")"
pid="" apiserver_pid=""
cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null || true; fi
  if [ -n "$apiserver_pid" ] && kill -0 "$apiserver_pid" 2>/dev/null; then kill -KILL "$apiserver_pid" 2>/dev/null || true; fi
  rm -rf "$scratch"
}
trap cleanup EXIT
mkdir -p "$scratch/config" "$(dirname "$archive")"
cp "$training" "$scratch/config/training.yaml"
rm -f "$archive"

kube_flags=()
if [ "${TRAIN_WITH_KUBE:-1}" != 0 ]; then
  # The stand-in API server (a plain JVM, not the one being trained) lives as long as its standard input: the
  # FIFO this script holds open on fd 5. It writes its kubeconfig (CA, token, port) once it listens.
  mkfifo "$scratch/apiserver.stdin"
  "$java" -cp "$jar" dev.istiod.training.TrainingApiServer "$scratch/kube" "$training" \
    <"$scratch/apiserver.stdin" >"$scratch/apiserver.log" 2>&1 &
  apiserver_pid=$!
  exec 5>"$scratch/apiserver.stdin"
  for _ in $(seq 300); do
    [ -s "$scratch/kube/kubeconfig" ] && break
    kill -0 "$apiserver_pid" 2>/dev/null || { cat "$scratch/apiserver.log" >&2; die "the training API server exited"; }
    sleep 0.1
  done
  [ -s "$scratch/kube/kubeconfig" ] || { cat "$scratch/apiserver.log" >&2; die "the training API server did not start"; }
  kube_flags=(--kubeconfig "$scratch/kube/kubeconfig")
fi

log "training $jar with $args_file and $training${kube_flags:+ and a stand-in API server} -> $archive"
# The scratch directory is the working directory (./etc, ./var resolve there) and holds the throwaway CA, so no
# key material outlives the run.
(cd "$scratch" && ISTIOD_LOCAL_CA_DIR="$scratch/ca" POD_NAME=istiod-training exec "$java" "@$args_file" \
  -XX:AOTMode=record -XX:AOTConfiguration="$scratch/istiod.aotconf" \
  -Xlog:aot=warning:file="$scratch/aot-record.log" -jar "$jar" discovery \
  "${kube_flags[@]}" --configDir "$scratch/config" \
  --httpAddr "127.0.0.1:$port" --grpcAddr 127.0.0.1:0 --secureGRPCAddr 127.0.0.1:0 \
  --httpsAddr 127.0.0.1:0 --monitoringAddr 127.0.0.1:0 >"$scratch/istiod.log" 2>&1) &
pid=$!

ready() {
  (exec 3<>"/dev/tcp/127.0.0.1/$port" && printf 'GET /ready HTTP/1.0\r\n\r\n' >&3 && head -n 1 <&3 | grep -q ' 200') \
    2>/dev/null
}
for _ in $(seq 600); do
  ready && break
  kill -0 "$pid" 2>/dev/null || { cat "$scratch/istiod.log" >&2; die "istiod exited before /ready"; }
  sleep 0.2
done
ready || { cat "$scratch/istiod.log" >&2; die "istiod was not ready within 120 s"; }
# The CA's servers (15012, the webhooks) may start just after /ready: give them time, so their classes and the
# TLS set-up are in the cache too.
for _ in $(seq 50); do
  grep -q "admission webhook server listening" "$scratch/istiod.log" && break
  sleep 0.2
done
sleep 1
kill -TERM "$pid"
for _ in $(seq 600); do
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.2
done
status=0
wait "$pid" || status=$?
pid=""
if [ -n "$apiserver_pid" ]; then
  exec 5>&-
  wait "$apiserver_pid" || true
  apiserver_pid=""
fi
# 143: stopped by SIGTERM before istiod's own handler ran; istiod itself exits 0 on SIGTERM.
[ "$status" = 0 ] || [ "$status" = 143 ] || { cat "$scratch/istiod.log" >&2; die "istiod exited with $status"; }
[ -s "$scratch/istiod.aotconf" ] \
  || { cat "$scratch/istiod.log" "$scratch/aot-record.log" >&2; die "no AOT configuration was recorded"; }

# The cache itself, made from what the run recorded by a JVM with the same flags, once the run and the API
# server are gone.
"$java" "@$args_file" -XX:AOTMode=create -XX:AOTConfiguration="$scratch/istiod.aotconf" \
  -XX:AOTCache="$archive" -Xlog:aot=warning:file="$scratch/aot-create.log" -cp "$jar" \
  >"$scratch/create.log" 2>&1 \
  || { cat "$scratch/create.log" "$scratch/aot-create.log" >&2; die "the AOT cache was not created"; }
[ -s "$archive" ] || { cat "$scratch/create.log" "$scratch/aot-create.log" >&2; die "no AOT cache was written"; }
log "wrote $archive ($(du -h "$archive" | cut -f1))"
