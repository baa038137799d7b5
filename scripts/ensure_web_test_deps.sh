#!/usr/bin/env bash
# Install the npm packages of the browser tests' partner web page (tests/e2e/partner_map: MapLibre GL),
# from the npm registry by its lock file, into that folder's node_modules. Nothing is fetched at test
# time and nothing comes from a CDN: the test serves these files itself.
# Re-runs only when the lock file is newer than the installed tree.
set -euo pipefail
page="$(dirname "$0")/../tests/e2e/partner_map"
cd "$page"
if [ -f node_modules/.package-lock.json ] && [ node_modules/.package-lock.json -nt package-lock.json ]; then
  exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
  echo "npm is needed for the partner web map test (Debian: apt-get install npm)" >&2
  exit 1
fi
echo "installing the partner web map's npm packages (maplibre-gl)"
npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
