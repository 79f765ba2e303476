#!/usr/bin/env bash
# Installs and starts a Docker engine on a machine like this project's CI (Debian bookworm, root, no
# engine running, no container registry, no bridge networking). Idempotent: whatever is already
# there is kept. What it sets up, and why (see shared/CONTEXT.md):
#   - Debian's docker.io (engine 20.10) for dockerd, containerd and runc;
#   - the Compose v2 and buildx CLI plugins from Debian's trixie suite (static binaries, unpacked with
#     dpkg -x: trixie's packages do not install on bookworm);
#   - dockerd with --iptables=false --bridge=none: containers and builds use host networking.
set -euo pipefail

log() { printf '[provision-engine] %s\n' "$*"; }
PLUGINS=/usr/local/lib/docker/cli-plugins
DOCKERD_LOG=${DOCKERD_LOG:-/var/log/loa-dockerd.log}

if [ "$(id -u)" -ne 0 ]; then
  echo "provision-engine.sh must run as root (it installs packages and starts dockerd)" >&2
  exit 1
fi

apt_updated=0
apt_update_once() {
  if [ "$apt_updated" = 0 ]; then
    log "apt-get update"
    apt-get update -qq
    apt_updated=1
  fi
}

if ! command -v dockerd >/dev/null 2>&1; then
  apt_update_once
  log "installing docker.io (dockerd, containerd, runc)"
  # The docker.io package brings its own client; keep a newer client that is already on PATH first.
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker.io >/dev/null
fi

need_plugin() { ! docker "$1" version >/dev/null 2>&1; }
if need_plugin compose || need_plugin buildx; then
  log "fetching the compose and buildx plugins from Debian trixie"
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  mkdir -p "$work/lists/partial" "$work/debs"
  echo "deb http://deb.debian.org/debian trixie main" > "$work/trixie.list"
  # _apt cannot read a root-only temp dir; download as root (the files are checked by apt's signatures).
  apt_opts=(-o "APT::Sandbox::User=root" -o "Dir::Etc::sourcelist=$work/trixie.list" -o "Dir::Etc::sourceparts=-" -o "Dir::State::Lists=$work/lists" -o "APT::Get::List-Cleanup=0")
  apt-get "${apt_opts[@]}" update -qq
  (cd "$work/debs" && apt-get "${apt_opts[@]}" download docker-compose docker-buildx >/dev/null)
  mkdir -p "$PLUGINS"
  for deb in "$work"/debs/*.deb; do dpkg -x "$deb" "$work/root"; done
  for plugin in compose buildx; do
    binary="$work/root/usr/libexec/docker/cli-plugins/docker-$plugin"
    if [ ! -f "$binary" ]; then
      echo "docker-$plugin not found in the trixie package (expected usr/libexec/docker/cli-plugins/docker-$plugin)" >&2
      exit 1
    fi
    install -m 0755 "$binary" "$PLUGINS/docker-$plugin"
  done
fi

# A daemon that was killed (a CI machine is handed over with its processes ended) leaves pid files
# behind, and the next dockerd refuses to start while they exist.
clear_stale_pid() {
  local file=$1 pid
  [ -f "$file" ] || return 0
  pid=$(cat "$file" 2>/dev/null || true)
  if [ -z "$pid" ] || ! kill -0 "$pid" 2>/dev/null; then
    log "removing stale $file"
    rm -f "$file"
  fi
}

if ! docker info >/dev/null 2>&1; then
  clear_stale_pid /var/run/docker.pid
  clear_stale_pid /var/run/docker/containerd/containerd.pid
  log "starting dockerd (no iptables, no bridge: host networking only); log: $DOCKERD_LOG"
  nohup dockerd --iptables=false --bridge=none >"$DOCKERD_LOG" 2>&1 &
  dockerd_pid=$!
  for _ in $(seq 1 60); do
    docker info >/dev/null 2>&1 && break
    kill -0 "$dockerd_pid" 2>/dev/null || break
    sleep 1
  done
  if ! docker info >/dev/null 2>&1; then
    echo "dockerd did not come up; last lines of $DOCKERD_LOG:" >&2
    tail -n 30 "$DOCKERD_LOG" >&2 || true
    exit 1
  fi
fi

log "engine $(docker version --format '{{.Server.Version}}'), $(docker compose version --short 2>/dev/null | sed 's/^/compose /'), $(docker buildx version 2>/dev/null | awk '{print "buildx " $2}')"
