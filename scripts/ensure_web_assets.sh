#!/usr/bin/env bash
# Install the files the pages serve themselves, from the npm registry by web/package-lock.json:
# the Traditional Chinese font Noto Sans HK (@fontsource/noto-sans-hk, SIL Open Font License 1.1).
# Its regular weight (woff2 slices with their unicode ranges, so a browser fetches only the slices a
# page's characters need) and its stylesheet are copied into hexops/dashboard/assets/fonts/, which
# Dash serves from this server: nothing is loaded from the internet. Also compiles the message
# catalogue. Re-runs only when the lock file is newer than the copied font.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bash "$root/scripts/compile_translations.sh"
web="$root/web"
fonts="$root/hexops/dashboard/assets/fonts"
if [ -f "$fonts/noto-sans-hk-400.css" ] && [ "$fonts/noto-sans-hk-400.css" -nt "$web/package-lock.json" ]; then
  exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
  echo "npm is needed for the pages' Chinese font (Debian: apt-get install npm)" >&2
  exit 1
fi
echo "installing the pages' Chinese font (@fontsource/noto-sans-hk)"
(cd "$web" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error)
package="$web/node_modules/@fontsource/noto-sans-hk"
rm -rf "$fonts"
mkdir -p "$fonts/files"
cp "$package"/files/*-400-normal.woff2 "$fonts/files/"
cp "$package/LICENSE" "$fonts/LICENSE-OFL.txt"
# The package's stylesheet, without its .woff fallbacks (every browser the pages support reads woff2).
sed -E "s#, url\(\./files/[^)]*\.woff\) format\('woff'\)##" "$package/400.css" > "$fonts/noto-sans-hk-400.css"
