#!/usr/bin/env bash
# Install the npm packages of the browser tests, from the npm registry by their lock files, into each
# folder's node_modules: the partner web page's MapLibre GL (tests/e2e/partner_map) and axe-core, the
# accessibility checker injected into every page (tests/e2e/a11y). Nothing is fetched at test time
# and nothing comes from a CDN: the tests serve or inject these files themselves.
# Each folder re-runs only when its lock file is newer than its installed tree.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
for page in "$here/tests/e2e/partner_map" "$here/tests/e2e/a11y"; do
  if [ -f "$page/node_modules/.package-lock.json" ] && [ "$page/node_modules/.package-lock.json" -nt "$page/package-lock.json" ]; then
    continue
  fi
  if ! command -v npm >/dev/null 2>&1; then
    echo "npm is needed for the browser tests' web packages (Debian: apt-get install npm)" >&2
    exit 1
  fi
  echo "installing the browser tests' npm packages in ${page#$here/}"
  (cd "$page" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error)
done
