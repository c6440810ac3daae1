# Shared by the bin/ scripts: where the jars are, and building them when they are missing or
# older than the sources. Sourced, not run.

shardkv_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
shardkv_version="0.1.0-SNAPSHOT"
shardkv_java="${JAVA_HOME:+$JAVA_HOME/bin/}java"

# The classpath of a module's main code: its jar and the runtime jars copied next to it.
shardkv_classpath() {
  local module="$1"
  echo "$shardkv_root/$module/target/shardkv-$module-$shardkv_version.jar:$shardkv_root/$module/target/lib/*"
}

# True when a module's jar is missing or any source it is built from changed after it.
shardkv_stale() {
  local module="$1"
  local jar="$shardkv_root/$module/target/shardkv-$module-$shardkv_version.jar"
  [[ ! -f "$jar" || ! -d "$shardkv_root/$module/target/lib" ]] && return 0
  [[ -n "$(find "$shardkv_root/$module/src/main" "$shardkv_root/raft/src/main" "$shardkv_root/proto/src/main" \
      "$shardkv_root/common/src/main" "$shardkv_root/security/src/main" "$shardkv_root/server-ops/src/main" "$shardkv_root/kv-client/src/main" \
      "$shardkv_root/$module/pom.xml" "$shardkv_root/pom.xml" -newer "$jar" -print -quit 2>/dev/null)" ]]
}

# Builds the server and client jars (without running tests) when any is missing or stale.
# SHARDKV_REBUILD=1 forces a build; SHARDKV_NO_BUILD=1 never builds (and fails if jars are missing).
shardkv_ensure_built() {
  local need=0 m
  for m in meta-server kv-server kvctl; do
    if shardkv_stale "$m"; then need=1; fi
  done
  [[ "${SHARDKV_REBUILD:-0}" == "1" ]] && need=1
  if [[ "$need" == "1" ]]; then
    if [[ "${SHARDKV_NO_BUILD:-0}" == "1" ]]; then
      echo "$(basename "$0"): the jars are missing or stale and SHARDKV_NO_BUILD=1 is set; run ./mvnw -B package -DskipTests" >&2
      exit 1
    fi
    echo "$(basename "$0"): building the jars (./mvnw -B -q -DskipTests package)..." >&2
    (cd "$shardkv_root" && ./mvnw -B -q -pl meta-server,kv-server,kvctl -am package -DskipTests) >&2
  fi
}
