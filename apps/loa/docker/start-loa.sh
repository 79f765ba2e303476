#!/usr/bin/env bash
# Production start, run by the Worker through @cloudflare/sandbox (and by the production-image e2e as
# the container's command). The Worker waits up to 180 s for the gateway on port 18789. The identity
# service listens on 3001 here: the sandbox base's control server owns port 3000 in production.
#
# The gateway binds beyond loopback, so it needs OPENCLAW_GATEWAY_TOKEN (the Worker passes its secret).
set -euo pipefail

log() { printf '[loa] %s %s\n' "$(date -Iseconds)" "$*"; }
cd "${LOA_WORKSPACE_ROOT:-/workspace}"

export LOA_DATA_DIR=${LOA_DATA_DIR:-/data}
export LOA_GRIMOIRES_DIR=${LOA_GRIMOIRES_DIR:-/workspace/grimoires}
export LOA_WORKSPACE_DIR=${LOA_WORKSPACE_DIR:-/root/.openclaw/workspace}
export LOA_IDENTITY_PORT=${LOA_IDENTITY_PORT:-3001}
export CLAUDE_CONFIG_DIR=${CLAUDE_CONFIG_DIR:-/workspace/.claude}
export OPENCLAW_SKIP_CHANNELS=${OPENCLAW_SKIP_CHANNELS:-0}
# The gateway reads its workspace (SOUL.md, AGENTS.md, …) from OPENCLAW_WORKSPACE_DIR, else
# $OPENCLAW_STATE_DIR/workspace, else ~/.openclaw/workspace: point it at the folder identity writes
# SOUL.md to, whatever else is set, so the persona the gateway reads is the one identity regenerated.
export OPENCLAW_WORKSPACE_DIR=$LOA_WORKSPACE_DIR
GATEWAY_PORT=${LOA_GATEWAY_PORT:-18789}
GATEWAY_BIND=${LOA_GATEWAY_BIND:-lan}
IDENTITY_WAIT_SECONDS=${LOA_IDENTITY_WAIT_SECONDS:-30}
mkdir -p "$LOA_DATA_DIR" "$LOA_WORKSPACE_DIR"

gateway_installed=0
if command -v openclaw >/dev/null; then gateway_installed=1; fi
# openclaw refuses a non-loopback bind without auth (exit 78, after a cold start of ~10 s): say why at once.
if [ "$gateway_installed" = 1 ] && [ "$GATEWAY_BIND" != loopback ] \
  && [ -z "${OPENCLAW_GATEWAY_TOKEN:-}${CLAWDBOT_GATEWAY_TOKEN:-}${OPENCLAW_GATEWAY_PASSWORD:-}" ]; then
  log "ERROR: OPENCLAW_GATEWAY_TOKEN is not set, and the gateway refuses to bind to $GATEWAY_BIND without it — set the Worker secret (npx wrangler secret put OPENCLAW_GATEWAY_TOKEN) or pass it in the environment"
  exit 78
fi

# Identity first: it regenerates SOUL.md on start, so the gateway finds the current one when it starts.
node libs/loa-identity/src/main.ts &
identity=$!
children=("$identity")
# shellcheck disable=SC2317  # reached through the traps below
stop_all() {
  trap - TERM INT EXIT
  kill -TERM "${children[@]}" 2>/dev/null || true
  wait "${children[@]}" 2>/dev/null || true
}
trap 'stop_all; exit 143' TERM
trap 'stop_all; exit 130' INT
trap stop_all EXIT

deadline=$((SECONDS + IDENTITY_WAIT_SECONDS))
until curl -sf -o /dev/null "http://127.0.0.1:$LOA_IDENTITY_PORT/health"; do
  if ! kill -0 "$identity" 2>/dev/null; then
    wait "$identity" && status=0 || status=$?
    log "ERROR: identity exited ($status) before serving /health — see its output above"
    exit "$status"
  fi
  if [ "$SECONDS" -ge "$deadline" ]; then
    log "ERROR: identity did not answer http://127.0.0.1:$LOA_IDENTITY_PORT/health within ${IDENTITY_WAIT_SECONDS} s"
    exit 1
  fi
  sleep 0.2
done
log "identity healthy on $LOA_IDENTITY_PORT; SOUL.md in $LOA_WORKSPACE_DIR"

if [ "$gateway_installed" = 0 ]; then
  log "gateway not installed in this image: serving identity only"
  wait "$identity" && status=0 || status=$?
  exit "$status"
fi

# The token comes from OPENCLAW_GATEWAY_TOKEN in the environment, never from the command line.
log "starting gateway on $GATEWAY_PORT (bind $GATEWAY_BIND, workspace $OPENCLAW_WORKSPACE_DIR)"
openclaw gateway --port "$GATEWAY_PORT" --bind "$GATEWAY_BIND" --allow-unconfigured &
gateway=$!
children+=("$gateway")
# Whichever ends first ends the container: the Worker restarts it as a whole.
wait -n "$identity" "$gateway" && status=0 || status=$?
if kill -0 "$gateway" 2>/dev/null; then which=identity; else which=gateway; fi
log "$which exited ($status): stopping"
exit "$status"
