#!/bin/sh
# The image's entry point: `meta-server ARGS`, `kv-server ARGS` or `kvctl ARGS`.
set -eu
role="${1:-}"
[ $# -gt 0 ] && shift
case "$role" in
  meta-server)
    exec java ${SHARDKV_JAVA_OPTS:--Xmx256m} -cp "/opt/shardkv/meta-server/*:/opt/shardkv/lib/*" \
      io.shardkv.meta.MetaServerMain "$@" ;;
  kv-server)
    exec java ${SHARDKV_JAVA_OPTS:--Xmx512m} -cp "/opt/shardkv/kv-server/*:/opt/shardkv/lib/*" \
      io.shardkv.kv.KvServerMain "$@" ;;
  kvctl)
    exec java -Xmx256m -cp "/opt/shardkv/kvctl/*:/opt/shardkv/lib/*" \
      io.shardkv.kvctl.Kvctl "$@" ;;
  *)
    echo "usage: (meta-server | kv-server | kvctl) [ARGS]; each takes --help" >&2
    exit 2 ;;
esac
