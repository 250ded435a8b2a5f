#!/usr/bin/env bash
# Runs the JMH benchmarks of config generation (module bench/) and prints the median of each.
#
#   tools/bench.sh                       # every benchmark of GenerationBenchmark (about 6 minutes)
#   tools/bench.sh 'cdsLdsRds$'          # one benchmark (a JMH regex over benchmark names)
#   tools/bench.sh cdsLdsRds -f 1 -i 3   # extra arguments go to JMH (here: 1 fork, 3 iterations)
#
# Builds bench/target/benchmarks.jar (Maven profile -Pbench, with the modules it depends on) unless
# BENCH_SKIP_BUILD=1; MVN_ARGS adds Maven arguments (e.g. MVN_ARGS=-o). Forks, warm-up and measurement
# defaults come from the benchmark's annotations (2 forks, 5 × 2 s warm-up, 5 × 2 s measurement, 2 GB heap),
# sized for a small, shared machine. Full JMH output: bench/target/jmh.txt; CSV: bench/target/jmh.csv.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
# shellcheck source=tools/java-home.sh
source "$root/tools/java-home.sh"

pattern="${1:-dev.istiod.bench.GenerationBenchmark}"
[ $# -gt 0 ] && shift

if [ -z "${BENCH_SKIP_BUILD:-}" ]; then
  echo "== Building bench/target/benchmarks.jar"
  # shellcheck disable=SC2086
  mvn -q -B -Dmaven.compiler.release="$JAVA_RELEASE" ${MVN_ARGS:-} -Pbench -pl bench -am package -DskipTests
fi
jar="$root/bench/target/benchmarks.jar"
[ -f "$jar" ] || { echo "bench.sh: $jar is missing (build failed?)" >&2; exit 1; }

echo "== Machine: $(nproc) CPUs, $(uptime | sed 's/.*load average/load average/'), $(java -version 2>&1 | head -n1)"
java -Duser.language=en -Duser.country=US -jar "$jar" "$pattern" -rf csv -rff "$root/bench/target/jmh.csv" "$@" | tee "$root/bench/target/jmh.txt"
echo "== Machine after: $(uptime | sed 's/.*load average/load average/')"

echo "== Medians (p0.50 of sampled operation times)"
# CSV rows of sample-mode percentiles are named "<benchmark>:p0.50" (older JMH: "·p0.50").
awk -F, 'NR > 1 && $1 ~ /p0\.50"$/ {
  name = $1; gsub(/"/, "", name); sub(/p0\.50$/, "", name); sub(/[^A-Za-z0-9_]+$/, "", name); sub(/^.*\./, "", name);
  unit = $NF; gsub(/"/, "", unit);
  printf "  %-32s %10.3f %s\n", name, $5, unit; found++
}
END { if (!found) { print "bench.sh: no results (see the JMH output above)" > "/dev/stderr"; exit 1 } }' \
  "$root/bench/target/jmh.csv"
