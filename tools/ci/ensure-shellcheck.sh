#!/usr/bin/env bash
# For the lint target: uses the shellcheck on PATH, installs Debian's as root, or says how.
set -euo pipefail
command -v shellcheck >/dev/null 2>&1 && exit 0
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends shellcheck >/dev/null
  exit 0
fi
echo "lint needs shellcheck: install it (apt-get install shellcheck, brew install shellcheck)" >&2
exit 1
