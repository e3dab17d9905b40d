#!/usr/bin/env bash
# Renders a report's HTML page to a PNG of its first screen with headless Chromium (Debian
# package `chromium`): scripts/report_screenshot.sh data/reports/monthly-2026-11.html docs/report-sample.png
set -euo pipefail
html=$(realpath "$1"); png=$2
profile=$(mktemp -d); trap 'rm -rf "$profile"' EXIT
chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking \
  --disable-component-update --disable-sync --hide-scrollbars --user-data-dir="$profile" \
  --window-size=1200,1500 --screenshot="$png" "file://$html" 2>/dev/null
echo "$png"
