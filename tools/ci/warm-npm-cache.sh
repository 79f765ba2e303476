#!/usr/bin/env bash
# Puts into npm's cache everything the installed-plugin e2e test (apps/loa-e2e/src/installed-plugin.e2e.spec.ts)
# installs into its fresh workspace: nx, @nx/devkit and @nx/js 23.2.1, @loa/plugin's dependencies, and
# the wrangler the generator adds.
# The test then installs with `npm install --offline`: tests reach loopback only; this provisioning step,
# like the Docker engine's, is where the network is used. Quick when the cache is warm already.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
nx_version=$(node -p "require('$root/node_modules/nx/package.json').version")
# The wrangler nx g @loa/plugin:setup adds (the root package.json's, which the generator pins too).
wrangler_version=$(node -p "require('$root/package.json').devDependencies.wrangler")
mapfile -t plugin_deps < <(node -e "
  const deps = require('$root/libs/plugin/package.json').dependencies;
  for (const [name, version] of Object.entries(deps)) console.log(name + '@' + version);
")
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
cd "$scratch"
echo '{ "name": "loa-npm-cache-warmup", "private": true }' > package.json
echo "[warm-npm-cache] nx@$nx_version, @nx/devkit, @nx/js and ${#plugin_deps[@]} plugin dependencies"
npm install --prefer-offline --no-audit --no-fund --ignore-scripts --loglevel=error \
  "nx@$nx_version" "@nx/devkit@$nx_version" "@nx/js@$nx_version" "wrangler@$wrangler_version" "${plugin_deps[@]}" >/dev/null
echo "[warm-npm-cache] done"
