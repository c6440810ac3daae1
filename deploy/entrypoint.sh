#!/bin/sh
# The image's entry point: `meta-server ARGS`, `kv-server ARGS`, `kvctl ARGS`, or
# `probe PORT PATH` for healthchecks (the image has no curl).
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
  probe)
    # Exit 0 when this container's server answers GET PATH on PORT with 200. The server binds the
    # container's host name (SHARDKV_*_LISTEN=kv1:...) unless SHARDKV_PROBE_HOST says otherwise.
    [ $# -eq 2 ] || { echo "usage: probe PORT PATH" >&2; exit 2; }
    exec bash -c 'exec 3<>"/dev/tcp/${SHARDKV_PROBE_HOST:-$(hostname)}/$1" || exit 1
      printf "GET %s HTTP/1.0\r\n\r\n" "$2" >&3
      read -r _ code _ <&3
      [ "$code" = 200 ]' probe "$@" ;;
  *)
    echo "usage: (meta-server | kv-server | kvctl | probe PORT PATH) [ARGS]; each server takes --help" >&2
    exit 2 ;;
esac
