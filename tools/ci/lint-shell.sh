#!/usr/bin/env bash
# Lints every shell script of the workspace: shellcheck clean and LF line endings.
set -euo pipefail
cd "$(dirname "$0")/../.."
bash tools/ci/ensure-shellcheck.sh
# Tracked scripts; outside a git checkout (an exported tree, a workspace copy), every script on disk.
mapfile -t scripts < <(git ls-files '*.sh' .ci/run 2>/dev/null ||
  find . \( -name node_modules -o -name .git -o -name tmp -o -name dist \) -prune -o \( -name '*.sh' -o -path ./.ci/run \) -type f -print | sed 's#^\./##' | sort)
if [ "${#scripts[@]}" -eq 0 ]; then
  echo "shell: no scripts found" >&2
  exit 1
fi
status=0
for script in "${scripts[@]}"; do
  if grep -q $'\r' "$script"; then
    echo "$script: CRLF line endings (a container runs it with exit 126) — convert to LF" >&2
    status=1
  fi
done
shellcheck "${scripts[@]}" || status=1
[ "$status" -eq 0 ] && echo "shell: ${#scripts[@]} scripts clean"
exit "$status"
