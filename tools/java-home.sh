# shellcheck shell=bash
# Sourced by every project script: selects the JDK that builds and runs istiod.
#
# Picks the newest JDK under /usr/lib/jvm whose feature version is >= 21 (the project's target release)
# and exports JAVA_HOME and PATH. Never relies on the machine's default `java`, which may be older.
# When no JDK >= 21 exists, falls back to the newest >= 17, warns, and exports JAVA_RELEASE=17 so the
# build can target it (scripts pass -Dmaven.compiler.release="$JAVA_RELEASE").
# An explicit ISTIOD_JAVA_HOME overrides the search; ISTIOD_JVM_ROOT replaces /usr/lib/jvm (for testing this script).

_istiod_jdk_feature_version() {
  # Prints the feature version (e.g. 25) of the JDK in $1, or nothing if it is not a JDK.
  local dir="$1" v
  [ -x "$dir/bin/javac" ] || return 0
  if [ -f "$dir/release" ]; then
    v="$(sed -n 's/^JAVA_VERSION="\([^"]*\)".*/\1/p' "$dir/release" | head -n1)"
  fi
  if [ -z "${v:-}" ]; then
    v="$("$dir/bin/java" -version 2>&1 | sed -n 's/.*version "\([^"]*\)".*/\1/p' | head -n1)"
  fi
  v="${v#1.}"            # 1.8 style -> 8
  printf '%s\n' "${v%%[.+-]*}"
}

_istiod_pick_jdk() {
  # Prints "<feature> <dir>" of the newest JDK with feature version >= $1, or nothing.
  local min="$1" best_v=0 best_d="" d v
  for d in "${ISTIOD_JVM_ROOT:-/usr/lib/jvm}"/*; do
    [ -d "$d" ] || continue
    d="$(readlink -f "$d")"
    v="$(_istiod_jdk_feature_version "$d")"
    case "$v" in ''|*[!0-9]*) continue ;; esac
    if [ "$v" -ge "$min" ] && [ "$v" -gt "$best_v" ]; then
      best_v="$v"; best_d="$d"
    fi
  done
  [ -n "$best_d" ] && printf '%s %s\n' "$best_v" "$best_d"
  return 0
}

if [ -n "${ISTIOD_JAVA_HOME:-}" ]; then
  _istiod_choice="$(_istiod_jdk_feature_version "$ISTIOD_JAVA_HOME") $ISTIOD_JAVA_HOME"
else
  _istiod_choice="$(_istiod_pick_jdk 21)"
fi
if [ -n "$_istiod_choice" ]; then
  export JAVA_RELEASE=21
else
  _istiod_choice="$(_istiod_pick_jdk 17)"
  if [ -z "$_istiod_choice" ]; then
    echo "java-home.sh: no JDK >= 17 under /usr/lib/jvm; install one (e.g. apt-get install openjdk-17-jdk-headless)" >&2
    return 1 2>/dev/null || exit 1
  fi
  echo "java-home.sh: WARNING: no JDK >= 21 under /usr/lib/jvm; building for Java 17 with ${_istiod_choice#* }" >&2
  export JAVA_RELEASE=17
fi
export JAVA_HOME="${_istiod_choice#* }"
export PATH="$JAVA_HOME/bin:$PATH"
unset _istiod_choice
unset -f _istiod_jdk_feature_version _istiod_pick_jdk

# Maven 3.8's bundled Guava calls sun.misc.Unsafe, which JDK 24+ warns about on every run; the warning is noise.
if [ -x "$JAVA_HOME/bin/java" ] && [[ "${MAVEN_OPTS:-}" != *sun-misc-unsafe-memory-access* ]]; then
  _istiod_feature="$("$JAVA_HOME/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')"
  if [ "${_istiod_feature:-0}" -ge 23 ] 2>/dev/null; then
    export MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow"
  fi
  unset _istiod_feature
fi
