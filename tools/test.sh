#!/usr/bin/env bash
# Runs the whole test suite — the command the README documents and .ci/run executes:
#   1. every module's unit, golden and in-process tests (`mvn install` of the whole reactor; install so that
#      step 2 can build the e2e module alone against what step 1 built);
#   2. the end-to-end tests (JUnit tag "e2e", profile -Pe2e) in the e2e module only, against the istiod jar
#      from step 1 and a real upstream Envoy from tools/install-envoy.sh. Unit tests are not run twice.
# Extra arguments go to both Maven invocations (e.g. -o). Exits non-zero on any failure.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
# shellcheck source=tools/java-home.sh
source "$root/tools/java-home.sh"

started=$SECONDS
echo "== JDK: $JAVA_HOME (target release $JAVA_RELEASE)"
java -version 2>&1 | head -n1

ENVOY_BIN="$("$root/tools/install-envoy.sh")"
export ENVOY_BIN
echo "== Envoy: $ENVOY_BIN"
"$ENVOY_BIN" --version

# The real peers of the Kubernetes-mode, CA and chart e2e tests, built once from the Go module proxy and cached
# under ~/.cache/istiod-java: kube-apiserver/kube-controller-manager/etcd (+ the machine's kubectl), Istio's
# pilot-agent, and helm.
KUBE_BIN="$("$root/tools/kube/install.sh")"
export KUBE_BIN
echo "== Kubernetes test cluster binaries: $KUBE_BIN"
"$KUBE_BIN/kube-apiserver" --version
ISTIO_BIN="$("$root/tools/istio/install.sh")"
export ISTIO_BIN
echo "== pilot-agent: $ISTIO_BIN ($("$ISTIO_BIN/pilot-agent" version --short 2>/dev/null || true))"
HELM_BIN="$("$root/tools/helm/install.sh")"
export HELM_BIN
echo "== Helm: $HELM_BIN ($("$HELM_BIN" version --short))"

mvn_args=(-B -Dmaven.compiler.release="$JAVA_RELEASE" "$@")

echo "== Unit, golden and in-process tests (whole reactor)"
mvn "${mvn_args[@]}" install
unit_done=$SECONDS

echo "== End-to-end tests (real Envoy, istiod/target/istiod.jar)"
mvn "${mvn_args[@]}" -Pe2e -pl deploy-tests,e2e verify -Denvoy.bin="$ENVOY_BIN" -Distio.bin="$ISTIO_BIN"
echo "== Done: unit $((unit_done - started))s, e2e $((SECONDS - unit_done))s, total $((SECONDS - started))s"
echo "   (e2e logs: $root/e2e/target/e2e/)"
