#!/usr/bin/env bash
# Dev start inside the loa-dev container. Hot reload, best first:
#   1. the loa dev engine (the same engine and routing rules as `nx run loa:dev` on the host);
#   2. the seed's entr loop (identity restarts on .ts changes; the loop survives entr's exit on new files);
#   3. no reload: the processes run once.
# Compose runs it under an init (init: true), which forwards signals; each branch stops its children.
set -uo pipefail

log() { printf '[loa-dev] %s %s\n' "$(date -Iseconds)" "$*"; }

WORKSPACE=${LOA_WORKSPACE_ROOT:-/workspace}
ENGINE=${LOA_ENGINE:-/opt/loa/engine/cli.mjs}
PROJECT=$WORKSPACE/apps/loa/project.json
IDENTITY=(node libs/loa-identity/src/main.ts)
cd "$WORKSPACE" || exit 1

log "starting development mode (BEAUVOIR_DEV_MODE=${BEAUVOIR_DEV_MODE:-not set})"

# The gateway reads SOUL.md from its workspace: the folder identity writes it to, in every runtime.
if [ -n "${LOA_WORKSPACE_DIR:-}" ]; then export OPENCLAW_WORKSPACE_DIR=$LOA_WORKSPACE_DIR; fi

# The gateway binds beyond loopback here (the host reaches it through the published port), and openclaw
# refuses that without a token: a new user's empty OPENCLAW_GATEWAY_TOKEN made it crash-loop. Without one,
# generate a local-only token on the first start and keep it in the data volume (dev-clean removes it).
# Never used in production: the Worker passes its own secret to start-loa.sh.
if [ -z "${OPENCLAW_GATEWAY_TOKEN:-}${CLAWDBOT_GATEWAY_TOKEN:-}" ]; then
  token_file=${LOA_DATA_DIR:-/data}/gateway-token
  if [ ! -s "$token_file" ]; then
    mkdir -p "$(dirname "$token_file")"
    (umask 077 && od -An -tx1 -N24 /dev/urandom | tr -d ' \n' > "$token_file")
    log "OPENCLAW_GATEWAY_TOKEN not set: generated a local-only gateway token in $token_file"
  else
    log "OPENCLAW_GATEWAY_TOKEN not set: using the local-only gateway token in $token_file"
  fi
  OPENCLAW_GATEWAY_TOKEN=$(cat "$token_file")
  export OPENCLAW_GATEWAY_TOKEN
fi
if [ "${BEAUVOIR_DEV_MODE:-0}" = "1" ]; then
  log "skipping recovery engine (dev mode)"
fi

gateway_command() {
  local bin
  for bin in "${LOA_GATEWAY_BIN:-}" openclaw clawdbot; do
    if [ -n "$bin" ] && command -v "$bin" >/dev/null 2>&1; then
      printf '%s\n' "$bin"
      return 0
    fi
  done
  return 1
}

start_gateway() {
  local bin
  if ! bin=$(gateway_command); then
    log "gateway not installed: skipped"
    return 0
  fi
  "$bin" gateway --port "${LOA_GATEWAY_PORT:-18789}" --bind "${LOA_GATEWAY_BIND:-lan}" --allow-unconfigured --verbose &
  log "gateway started ($bin, pid $!)"
}

if [ "${LOA_RELOAD:-engine}" = "engine" ] && [ -f "$ENGINE" ] && [ -f "$PROJECT" ]; then
  log "hot reload: loa dev engine, rules from apps/loa/project.json"
  exec node "$ENGINE" --project "$PROJECT" --root "$WORKSPACE" --runtime native
fi

# The fallbacks run several children: stop them all on the way out.
trap 'trap - TERM INT EXIT; kill -- -$$ 2>/dev/null; exit 143' TERM INT
trap 'kill $(jobs -p) 2>/dev/null' EXIT

if [ "${LOA_RELOAD:-engine}" != "none" ] && command -v entr >/dev/null 2>&1; then
  log "hot reload: entr fallback (identity restarts on .ts changes)"
  start_gateway
  # -n: no TTY in a container. -d: entr exits when a file is added to a watched folder; the loop
  # then rescans, so new files are watched too. -r: restart identity on each change.
  while true; do
    find libs/loa-identity .claude/lib -name '*.ts' 2>/dev/null | entr -n -d -r "${IDENTITY[@]}"
    log "rescanning for new files"
    sleep 1
  done
fi

log "no hot reload (no engine, no entr): changes need a container restart"
start_gateway
"${IDENTITY[@]}" &
wait
