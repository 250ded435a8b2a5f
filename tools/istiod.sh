#!/usr/bin/env bash
# Runs istiod on the embedded default: the demo config directory, no cluster.
# Extra arguments are passed to `istiod discovery` (e.g. --configDir other/dir).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=tools/java-home.sh
source "$root/tools/java-home.sh"
jar="$root/istiod/target/istiod.jar"
if [[ ! -f "$jar" || -n "$(find "$root" -path '*/src/main/*' -newer "$jar" -print -quit)" ]]; then
  (cd "$root" && mvn -B -q -DskipTests package)
fi
args=("$@")
if [[ ! " ${args[*]-} " =~ " --configDir" ]]; then
  args+=(--configDir "$root/examples/demo/config")
fi
exec "$JAVA_HOME/bin/java" -jar "$jar" discovery "${args[@]}"
