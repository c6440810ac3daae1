#!/usr/bin/env bash
# Builds a base image for deploy/Dockerfile without any registry: a minimal Debian bookworm
# root filesystem with a Java 17 runtime, made by debootstrap from Debian's packages and
# imported into Docker.
#
#   sudo deploy/base-image.sh [TAG]          TAG defaults to shardkv-base:local
#
# Needs root, debootstrap and a running Docker engine. DEBIAN_MIRROR overrides the mirror
# (default http://deb.debian.org/debian). Then:
#   docker build -f deploy/Dockerfile --build-arg BASE_IMAGE=shardkv-base:local -t shardkv:dev .
set -euo pipefail

tag="${1:-shardkv-base:local}"
mirror="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"

die() { echo "base-image: $*" >&2; exit 1; }
[[ "$(id -u)" == 0 ]] || die "debootstrap needs root"
command -v debootstrap >/dev/null || die "debootstrap is not installed (apt-get install debootstrap)"
docker info >/dev/null 2>&1 || die "no Docker engine answers"

root="$(mktemp -d)"
trap 'rm -rf "$root"' EXIT
echo "base-image: debootstrap bookworm with openjdk-17-jre-headless from $mirror"
if ! debootstrap --variant=minbase --include=openjdk-17-jre-headless bookworm "$root" "$mirror" \
    >"$root.log" 2>&1; then
  tail -n 20 "$root.log" >&2
  die "debootstrap failed (whole log: $root.log)"
fi
rm -f "$root.log"
# Package caches are of no use in an image.
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
tar -C "$root" -c . | docker import -c 'ENV LANG=C.UTF-8' - "$tag" >/dev/null
# Captured whole, then cut: with pipefail, `| head -n 1` could end docker run with SIGPIPE (exit 141).
version="$(docker run --rm "$tag" java -version 2>&1)"
echo "${version%%$'\n'*}"
echo "base-image: built $tag"
