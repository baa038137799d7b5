#!/usr/bin/env bash
# Compile the pages' message catalogue (hexops/dashboard/translations/*/LC_MESSAGES/messages.po)
# into the .mo files Flask-Babel reads, with Babel from the project's virtual environment.
# Re-runs only for a catalogue newer than its compiled file.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
python="${PYTHON_BIN:-$root/.venv/bin/python}"
for po in "$root"/hexops/dashboard/translations/*/LC_MESSAGES/messages.po; do
  mo="${po%.po}.mo"
  if [ ! -f "$mo" ] || [ "$po" -nt "$mo" ]; then
    "$python" -m babel.messages.frontend compile --statistics -i "$po" -o "$mo" \
      -l "$(basename "$(dirname "$(dirname "$po")")")"
  fi
done
