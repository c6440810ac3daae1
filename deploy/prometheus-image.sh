#!/usr/bin/env bash
# Builds a Prometheus image from Debian's `prometheus` package, for the compose file's
# `monitoring` profile where no registry is reachable: FROM the offline base image that
# base-image.sh builds (default shardkv-base:local), apt installs the package inside the build.
#
#   deploy/prometheus-image.sh [TAG] [BASE_IMAGE]     (default shardkv-prometheus:local)
set -euo pipefail
tag="${1:-shardkv-prometheus:local}"
base="${2:-shardkv-base:local}"
docker image inspect "$base" >/dev/null 2>&1 || { echo "prometheus-image: no base image $base; run deploy/base-image.sh" >&2; exit 1; }
docker build -q -t "$tag" --build-arg BASE_IMAGE="$base" -f - "$(dirname "${BASH_SOURCE[0]}")/prometheus" <<'DOCKERFILE' >/dev/null
ARG BASE_IMAGE
FROM ${BASE_IMAGE}
USER root
RUN apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus \
    && rm -rf /var/lib/apt/lists/* /var/cache/apt/archives/*.deb && mkdir -p /prometheus && chown prometheus /prometheus
COPY prometheus.yml alerts.yml /etc/prometheus/
USER prometheus
EXPOSE 9090
ENTRYPOINT ["/usr/bin/prometheus", "--config.file=/etc/prometheus/prometheus.yml", "--storage.tsdb.path=/prometheus"]
DOCKERFILE
version="$(docker run --rm --entrypoint /usr/bin/prometheus "$tag" --version 2>&1)"
echo "${version%%$'\n'*}"
echo "prometheus-image: built $tag"
