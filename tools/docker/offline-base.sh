#!/usr/bin/env bash
# Makes a Debian bookworm base image without a registry (none is reachable here): debootstrap a
# minimal root file system and `docker import` it. It stands in for docker.io/cloudflare/sandbox:0.7.0
# as the production Dockerfile's BASE_IMAGE in CI. Reused when it already exists.
#
# It carries Debian's nodejs and npm (so the Dockerfiles can `npm install -g node@22`), curl, and this
# host's CA bundle: inside containers the npm registry is reached through a TLS chain only that bundle
# trusts (otherwise SELF_SIGNED_CERT_IN_CHAIN).
#
#   tools/docker/offline-base.sh [image]      (default loa-offline-base:bookworm)
set -euo pipefail

IMAGE=${1:-loa-offline-base:bookworm}
log() { printf '[offline-base] %s\n' "$*"; }

if docker image inspect "$IMAGE" >/dev/null 2>&1; then
  log "reusing $IMAGE"
  exit 0
fi

if ! command -v debootstrap >/dev/null 2>&1; then
  log "installing debootstrap"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >/dev/null
fi

# The Debian mirror this machine's apt already uses.
mirror=$(awk '/^URIs:/ && $2 ~ /\/debian\/?$/ {print $2; exit}' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
if [ -z "$mirror" ]; then
  mirror=$(awk '/^deb / && $2 ~ /\/debian\/?$/ {print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
fi
if [ -z "$mirror" ]; then
  echo "no Debian mirror found in /etc/apt/sources.list{,.d}: cannot debootstrap" >&2
  exit 1
fi

rootfs=$(mktemp -d /var/tmp/loa-rootfs.XXXXXX)
trap 'rm -rf "$rootfs"' EXIT
log "debootstrap bookworm (minbase, ca-certificates, curl) into $rootfs — about 90 s"
debootstrap --variant=minbase --include=ca-certificates,curl bookworm "$rootfs" "$mirror" >"$rootfs.log" 2>&1 || {
  tail -n 30 "$rootfs.log" >&2
  exit 1
}
rm -f "$rootfs.log"
cp /etc/ssl/certs/ca-certificates.crt "$rootfs/etc/ssl/certs/ca-certificates.crt"
rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*

rootfs_image="$IMAGE-rootfs"
log "importing as $rootfs_image"
tar -C "$rootfs" -c . | docker import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt' \
  --change 'CMD ["/bin/bash"]' \
  - "$rootfs_image" >/dev/null

# Debian's nodejs and npm do not configure inside debootstrap; an ordinary apt-get in a build does.
log "adding nodejs and npm (apt-get in a build, host network)"
docker buildx build --network host --progress plain -t "$IMAGE" - >"$rootfs.build.log" 2>&1 <<DOCKERFILE || { tail -n 30 "$rootfs.build.log" >&2; exit 1; }
FROM $rootfs_image
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends nodejs npm \
    && apt-get clean && rm -rf /var/lib/apt/lists/*
DOCKERFILE
rm -f "$rootfs.build.log"
docker image rm "$rootfs_image" >/dev/null
log "$IMAGE: $(docker image inspect -f '{{.Size}}' "$IMAGE" | awk '{printf "%.0f MB", $1/1e6}')"
