# shellcheck shell=bash disable=SC2034  # JAVA, FERRY_JVM_OPTS etc. are for the callers
# Helpers shared by Ferry's scripts. Source this file; it defines functions and
# FERRY_ROOT (the repository root), and runs nothing else.
#
#   ferry_find_java        sets and exports JAVA_HOME, sets JAVA (a JDK >= 25)
#   ferry_build_if_needed  builds the jars with Maven when they are missing or stale
#   ferry_java_opts [OPT]  sets the array FERRY_JVM_OPTS: common flags, then OPT...,
#                          then the words of $FERRY_JAVA_OPTS (so the user's win)
#   ferry_mvn ARGS...      runs the system Maven (never a wrapper) from FERRY_ROOT
#
# Functions report problems on stderr and return non-zero; callers decide to exit.

FERRY_ROOT=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)
FERRY_MIN_JAVA=25
FERRY_AGENT_JAR="$FERRY_ROOT/agent/target/ferry-agent.jar"
FERRY_CONTROLLER_JAR="$FERRY_ROOT/controller/target/ferry-controller.jar"
FERRY_BENCH_JAR="$FERRY_ROOT/bench/target/ferry-bench.jar"

ferry_err() { printf 'ferry: %s\n' "$*" >&2; }

# Prints the feature release (17, 21, 25, ...) of the java binary $1, or nothing.
ferry_java_major() {
  local version
  [[ -x "$1" ]] || return 1
  version=$("$1" -version 2>&1 | awk -F'"' '/version "/ { print $2; exit }') || return 1
  [[ -n "$version" ]] || return 1
  case "$version" in
    1.*) version=${version#1.} ;;   # 1.8.0_392 -> 8
  esac
  version=${version%%[.+-]*}         # 25.0.3 -> 25, 25-ea -> 25
  [[ "$version" =~ ^[0-9]+$ ]] || return 1
  printf '%s\n' "$version"
}

# Succeeds if $1 is a JDK home with a java binary of release >= FERRY_MIN_JAVA.
ferry_java_home_ok() {
  local major
  major=$(ferry_java_major "$1/bin/java") || return 1
  (( major >= FERRY_MIN_JAVA ))
}

# Finds a JDK 25 or newer, in this order:
#   1. $JAVA_HOME, if it is one (if it is set but older, say so and keep looking);
#   2. /usr/lib/jvm/*25* (e.g. temurin-25-jdk-amd64), then any other /usr/lib/jvm/*;
#   3. the `java` on PATH.
# Sets JAVA_HOME (exported, so Maven uses it too) and JAVA.
ferry_find_java() {
  local candidate major path_java
  if [[ -n "${JAVA_HOME:-}" ]]; then
    if ferry_java_home_ok "$JAVA_HOME"; then
      JAVA="$JAVA_HOME/bin/java"
      export JAVA_HOME
      return 0
    fi
    major=$(ferry_java_major "$JAVA_HOME/bin/java" || true)
    ferry_err "JAVA_HOME=$JAVA_HOME is ${major:+Java $major, }not a JDK $FERRY_MIN_JAVA or newer; looking elsewhere"
  fi
  for candidate in /usr/lib/jvm/*25* /usr/lib/jvm/*; do
    [[ -d "$candidate" ]] || continue
    if ferry_java_home_ok "$candidate"; then
      JAVA_HOME=$candidate
      JAVA="$JAVA_HOME/bin/java"
      export JAVA_HOME
      return 0
    fi
  done
  if path_java=$(command -v java 2>/dev/null); then
    path_java=$(readlink -f "$path_java")
    candidate=$(dirname "$(dirname "$path_java")")
    if ferry_java_home_ok "$candidate"; then
      JAVA_HOME=$candidate
      JAVA="$path_java"
      export JAVA_HOME
      return 0
    fi
  fi
  ferry_err "Ferry needs a JDK $FERRY_MIN_JAVA or newer and found none (checked \$JAVA_HOME, /usr/lib/jvm, java on PATH)."
  ferry_err "Install a JDK $FERRY_MIN_JAVA and set JAVA_HOME to it, e.g. export JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64"
  return 1
}

# Runs the system Maven from the repository root. Needs ferry_find_java first.
ferry_mvn() {
  if ! command -v mvn >/dev/null 2>&1; then
    ferry_err "Maven (mvn, 3.8.7 or newer) is needed and is not on PATH; install it (Debian: apt-get install maven)"
    return 1
  fi
  # Maven 3.8's own libraries touch sun.misc.Unsafe, which JDK 25 warns about on every run.
  ( cd "$FERRY_ROOT" && MAVEN_OPTS="${MAVEN_OPTS-"--sun-misc-unsafe-memory-access=allow"}" mvn "$@" )
}

# Succeeds (and needs a build) if a jar is missing or a pom.xml or anything under
# */src is newer than either jar.
ferry_build_needed() {
  local jar newer
  for jar in "$FERRY_AGENT_JAR" "$FERRY_CONTROLLER_JAR" "$FERRY_BENCH_JAR"; do
    [[ -f "$jar" ]] || return 0
    newer=$(find "$FERRY_ROOT"/pom.xml "$FERRY_ROOT"/*/pom.xml "$FERRY_ROOT"/*/src \
                 -newer "$jar" -print -quit 2>/dev/null || true)
    [[ -z "$newer" ]] || return 0
  done
  return 1
}

# Builds the jars if needed. Set FERRY_SKIP_BUILD=1 to skip the check (the demo does,
# after building once, so its daemons don't each scan the tree).
# Concurrent callers serialise on a lock on the root pom.xml (if flock exists).
ferry_build_if_needed() {
  [[ "${FERRY_SKIP_BUILD:-0}" == 1 ]] && return 0
  ferry_build_needed || return 0
  if command -v flock >/dev/null 2>&1; then
    ( flock 9 && ferry_build_locked ) 9<"$FERRY_ROOT/pom.xml"
  else
    ferry_build_locked
  fi
}

ferry_build_locked() {
  ferry_build_needed || return 0   # someone else built it while we waited
  local log status=0
  ferry_err "building Ferry (first run downloads dependencies, a few minutes)..."
  # Maven 3.8 prints stray colour codes even with -q -B: keep its output unless it fails.
  log=$(mktemp "${TMPDIR:-/tmp}/ferry-build.XXXXXX")
  ferry_mvn -q -B -DskipTests package >"$log" 2>&1 || status=$?
  if (( status != 0 )); then
    cat "$log" >&2
    rm -f "$log"
    ferry_err "build failed; run 'mvn -B -DskipTests package' in $FERRY_ROOT for the full output"
    return 1
  fi
  rm -f "$log"
  if [[ ! -f "$FERRY_AGENT_JAR" || ! -f "$FERRY_CONTROLLER_JAR" ]]; then
    ferry_err "build finished but $FERRY_AGENT_JAR or $FERRY_CONTROLLER_JAR is missing"
    return 1
  fi
}

# Sets the array FERRY_JVM_OPTS: the flags every Ferry JVM gets, then the caller's
# defaults ("$@"), then $FERRY_JAVA_OPTS split on whitespace. Later flags win in the
# JVM, so FERRY_JAVA_OPTS=-Xmx2g overrides an agent's default -Xmx512m.
ferry_java_opts() {
  local -a user_opts=()
  read -r -a user_opts <<<"${FERRY_JAVA_OPTS:-}"
  FERRY_JVM_OPTS=(--enable-native-access=ALL-UNNAMED "$@" ${user_opts[@]+"${user_opts[@]}"})
}
