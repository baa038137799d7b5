#!/usr/bin/env bash
# Make sure the system packages hexops runs on are present:
#   PostgreSQL + PostGIS (the private cluster), nats-server (JetStream ingestion; the live demo),
#   chromium + chromium-driver (browser tests and screenshots), gdal-bin (ogrinfo/ogr2ogr:
#   the real GIS client the shared-layer tests read the OGC API and the tiles with), npm (installs
#   the partner web map's MapLibre GL and axe-core for the browser tests: scripts/ensure_web_test_deps.sh,
#   and the pages' Chinese font for the demo and the tests: scripts/ensure_web_assets.sh).
# As root (or with passwordless sudo) on Debian/Ubuntu it installs what is missing
# with apt-get; elsewhere it stops and names what to install.
# Usage: scripts/ensure_system_deps.sh [--for demo|test]
set -euo pipefail
purpose="${2:-test}"
[ "${1:-}" = "--for" ] || purpose="test"

missing=()
pg_major=""
for d in /usr/lib/postgresql/*/bin; do
  [ -x "$d/pg_ctl" ] && pg_major=$(basename "$(dirname "$d")")
done
if [ -z "$pg_major" ]; then
  missing+=(postgresql)
  pg_major=$(apt-cache policy postgresql 2>/dev/null | awk '/Candidate/ {print $2}' | sed -E 's/^([0-9]+).*/\1/' || true)
  [[ "$pg_major" =~ ^[0-9]+$ ]] || pg_major=15
fi
[ -f "/usr/share/postgresql/${pg_major}/extension/postgis.control" ] || missing+=("postgresql-${pg_major}-postgis-3")
# The live demo (make demo) replays detections through JetStream: it needs nats-server too.
command -v nats-server >/dev/null 2>&1 || [ -x /usr/sbin/nats-server ] || missing+=(nats-server)
# The pages serve their own Chinese font, installed from npm (scripts/ensure_web_assets.sh): demo and tests.
command -v npm >/dev/null 2>&1 || missing+=(npm)
if [ "$purpose" = "test" ]; then
  command -v chromium >/dev/null 2>&1 || missing+=(chromium)
  command -v chromedriver >/dev/null 2>&1 || missing+=(chromium-driver)
  command -v ogr2ogr >/dev/null 2>&1 || missing+=(gdal-bin)
fi

[ ${#missing[@]} -eq 0 ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
  echo "hexops needs these system packages (Debian names): ${missing[*]}" >&2
  echo "Install PostgreSQL with PostGIS 3, nats-server, Chromium with its driver and gdal-bin, then re-run." >&2
  exit 1
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if sudo -n true 2>/dev/null; then SUDO="sudo -n"; else
    echo "hexops needs: ${missing[*]}" >&2
    echo "Run: sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
fi
echo "installing system packages: ${missing[*]}"
# The package lists may be stale or absent on a fresh machine.
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
