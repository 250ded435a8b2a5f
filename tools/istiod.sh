#!/usr/bin/env bash
# Runs istiod on the embedded default: the demo config directory, no cluster.
# Extra arguments are passed to `istiod discovery` (e.g. --configDir other/dir).
# It runs as the image does: the JVM flags of deploy/image/jvm.args and an ahead-of-time cache, made by
# tools/image/train.sh once per build of the jar (istiod/target/istiod.aot).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=tools/java-home.sh
source "$root/tools/java-home.sh"
jar="$root/istiod/target/istiod.jar"
aot="$root/istiod/target/istiod.aot"
if [[ ! -f "$jar" || -n "$(find "$root" -path '*/src/main/*' -newer "$jar" -print -quit)" ]]; then
  (cd "$root" && mvn -B -q -DskipTests -Dmaven.compiler.release="$JAVA_RELEASE" package)
fi
args=("$@")
if [[ ! " ${args[*]-} " =~ " --configDir" ]]; then
  args+=(--configDir "$root/examples/demo/config")
fi
# The image's flags need JDK 25 (compact object headers, the AOT cache); an older JDK runs the jar plainly.
major="$("$JAVA_HOME/bin/java" -XshowSettings:properties -version 2>&1 \
  | awk -F'= ' '/java.specification.version/ {print $2}')"
if (( ${major%%.*} < 25 )); then
  echo "istiod.sh: JDK $major: running without the image's JVM flags and AOT cache (they need JDK 25)" >&2
  exec "$JAVA_HOME/bin/java" -jar "$jar" discovery "${args[@]}"
fi
if [[ ! -f "$aot" || "$jar" -nt "$aot" || "$root/deploy/image/jvm.args" -nt "$aot"
      || "$root/deploy/image/training.yaml" -nt "$aot" || "$root/tools/image/train.sh" -nt "$aot" ]]; then
  echo "istiod.sh: making the ahead-of-time cache for this build (once)" >&2
  JAVA="$JAVA_HOME/bin/java" "$root/tools/image/train.sh" "$jar" "$aot"
fi
exec "$JAVA_HOME/bin/java" "@$root/deploy/image/jvm.args" -XX:AOTCache="$aot" -jar "$jar" discovery "${args[@]}"
