#!/usr/bin/env bash
# What the e2e suite needs before it starts: a reachable Docker engine with Compose and buildx, and the
# offline base image. Uses what is there; provisions (as root, Debian) what is not; otherwise says why.
set -euo pipefail
here=$(dirname "$0")
if ! docker info >/dev/null 2>&1 || ! docker compose version >/dev/null 2>&1 || ! docker buildx version >/dev/null 2>&1; then
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "e2e needs a Docker engine with the compose and buildx plugins; none is reachable and this machine" >&2
    echo "cannot provision one (tools/docker/provision-engine.sh needs root and apt-get). Start Docker and retry." >&2
    exit 1
  fi
  bash "$here/provision-engine.sh"
fi
bash "$here/offline-base.sh"
