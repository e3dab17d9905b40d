#!/usr/bin/env bash
# Runs the hub on the embedded default (SQLite + local folder): initializes the store, runs the
# sample pipelines (enterprises v1 then v2, and the VNI-encoded health facilities), and shows
# what was published.
set -euo pipefail
cd "$(dirname "$0")"
cargo build --release --quiet
lgsp="${CARGO_TARGET_DIR:-target}/release/lgsp"
$lgsp init
$lgsp check pipelines/
$lgsp run enterprises --input data/samples/enterprises_v1.csv
$lgsp run enterprises --input data/samples/enterprises_v2.csv
$lgsp run enterprises --input data/samples/enterprises_v2.csv
$lgsp run health_facilities
echo
echo "== versions of enterprises"
$lgsp versions enterprises
echo "== runs"
$lgsp runs --limit 10
echo "== shared catalogs: one code on each side of the 2025-07-01 reform"
$lgsp catalog lookup communes 00004 --as-of 2025-06-30
$lgsp catalog lookup communes 00004 --as-of 2025-07-01
$lgsp catalog lookup communes 00001 --as-of 2025-07-01
$lgsp catalog match communes "Xã Hòa Tiến, Huyện Hòa Vang, Đà Nẵng"
echo "== published dataset files"
find data/store/datasets -type f | sort
echo "== a consuming agency pulls over the API (port ${LGSP_DEMO_PORT:=18080})"
$lgsp agency add 000.00.12.H48 "Sở Tài chính" 2>/dev/null || true
$lgsp agency add 000.00.20.H48 "Sở Y tế" 2>/dev/null || true
$lgsp agency add 000.00.00.G12 "Bộ Tài chính" 2>/dev/null || true
client=$($lgsp client create --agency 000.00.00.G12)
id=$(sed -n 's/^client_id: //p' <<<"$client"); secret=$(sed -n 's/^client_secret: //p' <<<"$client")
$lgsp grant add --client "$id" --dataset enterprises --scope snapshot --basis "Điều 9, Nghị định 47/2020/NĐ-CP"
$lgsp grant add --client "$id" --dataset enterprises --scope changes --basis "Điều 9, Nghị định 47/2020/NĐ-CP"
$lgsp serve --listen 127.0.0.1:$LGSP_DEMO_PORT --no-scheduler >/dev/null 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
base=http://127.0.0.1:$LGSP_DEMO_PORT
for _ in $(seq 50); do curl -sf $base/healthz >/dev/null && break; sleep 0.2; done
curl -sf $base/healthz >/dev/null || { echo "lgsp serve did not start on port $LGSP_DEMO_PORT (in use?): run LGSP_DEMO_PORT=another ./demo.sh" >&2; exit 1; }
token=$(curl -sf -u "$id:$secret" -d grant_type=client_credentials $base/token | sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p')
for path in "snapshot?format=csv&version=1" "changes?since=1&format=csv" "snapshot?format=csv"; do
  curl -s -o /dev/null -w "GET enterprises/$path → %{http_code}\n" -H "Authorization: Bearer $token" "$base/api/v1/datasets/enterprises/$path"
done
curl -s -o /dev/null -w "GET health_facilities/snapshot (no grant) → %{http_code}\n" -H "Authorization: Bearer $token" "$base/api/v1/datasets/health_facilities/snapshot"
kill $server; wait $server 2>/dev/null || true
echo "== this month's operation report"
mkdir -p data/reports
month=$(date -u +%Y-%m)
$lgsp report monthly --month "$month" --format html --out "data/reports/monthly-$month.html"
$lgsp report monthly --month "$month" --format xlsx --out "data/reports/monthly-$month.xlsx"
echo "data/reports/monthly-$month.html and .xlsx written"
echo "== audit log"
$lgsp audit verify
