#!/usr/bin/env bash
# What `npm test` needs before any suite starts, on a fresh machine too: shellcheck (the shell lint and
# the generator's rendered-files test) and a Docker engine with Compose and buildx plus the offline base
# (the generator's `docker compose config` check and the e2e suite). Targets run in parallel, so
# installing these inside whichever target happens to run first would leave the others racing it.
set -euo pipefail
here=$(dirname "$0")
bash "$here/ensure-shellcheck.sh"
bash "$here/../docker/ensure-engine.sh"
bash "$here/warm-npm-cache.sh"
