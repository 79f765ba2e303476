#!/usr/bin/env bash
# Production start, run by the Worker through @cloudflare/sandbox. The Worker waits up to 180 s for
# the gateway on port 18789. The identity service listens on 3001 here: the sandbox base's control
# server owns port 3000 in production.
set -euo pipefail

log() { printf '[loa] %s %s\n' "$(date -Iseconds)" "$*"; }
cd /workspace

export LOA_DATA_DIR=${LOA_DATA_DIR:-/data}
export LOA_GRIMOIRES_DIR=${LOA_GRIMOIRES_DIR:-/workspace/grimoires}
export LOA_WORKSPACE_DIR=${LOA_WORKSPACE_DIR:-/root/.openclaw/workspace}
export LOA_IDENTITY_PORT=${LOA_IDENTITY_PORT:-3001}
export CLAUDE_CONFIG_DIR=${CLAUDE_CONFIG_DIR:-/workspace/.claude}
export OPENCLAW_SKIP_CHANNELS=${OPENCLAW_SKIP_CHANNELS:-0}
mkdir -p "$LOA_DATA_DIR" "$LOA_WORKSPACE_DIR"

# SOUL.md first, so the gateway finds the current one when it starts.
node libs/loa-identity/src/regenerate-soul.ts

node libs/loa-identity/src/main.ts &
identity=$!
trap 'kill -TERM "$identity" 2>/dev/null; wait "$identity"' EXIT

if ! command -v openclaw >/dev/null; then
  log "gateway not installed in this image: serving identity only"
  wait "$identity"
  exit $?
fi
# A token is required for a non-loopback bind; openclaw reads it from OPENCLAW_GATEWAY_TOKEN.
log "starting gateway on 18789"
openclaw gateway --port 18789 --bind lan --allow-unconfigured
