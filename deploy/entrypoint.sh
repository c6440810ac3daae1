#!/bin/sh
# The image's entry point: `meta-server ARGS`, `kv-server ARGS`, `kvctl ARGS`, `certs` (makes a
# cluster's certificates, see below), or `probe PORT PATH` for healthchecks (the image has no curl).
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
  certs)
    # Makes what a cluster's processes need in $SHARDKV_CERTS_DIR (default /certs): the CA, the
    # admin user root's certificate, and server certificates for meta-servers 1..$SHARDKV_METAS and
    # kv-servers 1..$SHARDKV_KVS (default 3 each), naming the hosts metaN / kvN and
    # $SHARDKV_CERT_HOSTS (space-separated). Files that exist are kept, so it runs at every start.
    dir="${SHARDKV_CERTS_DIR:-/certs}"
    kvctl() { java -Xmx128m -XX:TieredStopAtLevel=1 -cp "/opt/shardkv/kvctl/*:/opt/shardkv/lib/*" \
      io.shardkv.kvctl.Kvctl --certs-dir "$dir" "$@"; }
    mkdir -p "$dir"
    if [ ! -f "$dir/ca.crt" ]; then
      kvctl cert create-ca
      kvctl cert create-client root --role admin
    fi
    for kind in meta kv; do
      if [ "$kind" = meta ]; then n="${SHARDKV_METAS:-3}"; else n="${SHARDKV_KVS:-3}"; fi
      ids="" hosts=""
      i=1
      while [ "$i" -le "$n" ]; do
        [ -f "$dir/server.$kind-$i.crt" ] || ids="$ids $i"
        hosts="$hosts --host $kind$i"
        i=$((i + 1))
      done
      for h in ${SHARDKV_CERT_HOSTS:-}; do hosts="$hosts --host $h"; done
      # shellcheck disable=SC2086
      [ -z "$ids" ] || kvctl cert create-server --kind "$kind" $hosts $ids
    done
    # Run as root to write into a host directory; the servers run as the image's user (shardkv),
    # so the files become its, the keys readable by it alone.
    if [ "$(id -u)" = 0 ]; then chown -R "${SHARDKV_CERTS_OWNER:-shardkv}" "$dir"; fi
    kvctl cert list ;;
  probe)
    # Exit 0 when this container's server answers GET PATH on PORT with 200. The server binds the
    # container's host name (SHARDKV_*_LISTEN=kv1:...) unless SHARDKV_PROBE_HOST says otherwise.
    [ $# -eq 2 ] || { echo "usage: probe PORT PATH" >&2; exit 2; }
    exec bash -c 'exec 3<>"/dev/tcp/${SHARDKV_PROBE_HOST:-$(hostname)}/$1" || exit 1
      printf "GET %s HTTP/1.0\r\n\r\n" "$2" >&3
      read -r _ code _ <&3
      [ "$code" = 200 ]' probe "$@" ;;
  *)
    echo "usage: (meta-server | kv-server | kvctl | certs | probe PORT PATH) [ARGS]; each server takes --help" >&2
    exit 2 ;;
esac
