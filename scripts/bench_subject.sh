#!/usr/bin/env bash
# Benchmark: `lgsp subject report` on a dataset of ROWS generated enterprise rows with VERSIONS
# published versions (the generated v1 and its mutation v2, published in turn), a client pulling
# each version's changes and looking one record up after each run; release build, SQLite.
#   scripts/bench_subject.sh [ROWS] [VERSIONS]   (defaults 1000000 and 50; data under $BENCH_DIR)
# Needs ../shared/bench (the generator).
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS="${1:-1000000}"; VERSIONS="${2:-50}"
BENCH_DIR="${BENCH_DIR:-/tmp/lgsp-bench}"
REF="${REF_DIR:-../shared/bench}"
DIR="$BENCH_DIR/subject"
mkdir -p "$BENCH_DIR"
if [ ! -f "$BENCH_DIR/v2-$ROWS.csv" ]; then
  python3 "$REF/gen_enterprises.py" --rows "$ROWS" --seed 1 --out "$BENCH_DIR/v1-$ROWS.csv" --wards "$BENCH_DIR/wards.csv" >/dev/null
  python3 "$REF/gen_enterprises.py" --mutate --in "$BENCH_DIR/v1-$ROWS.csv" --seed 1 --out "$BENCH_DIR/v2-$ROWS.csv" --wards "$BENCH_DIR/wards.csv" >/dev/null
fi
cargo build --release --quiet
LGSP="${CARGO_TARGET_DIR:-$PWD/target}/release/lgsp"
rm -rf "$DIR"; mkdir -p "$DIR"
export LGSP_STORE_URL="sqlite://$DIR/hub.db" LGSP_OBJECT_STORE_URL="$DIR/store" LGSP_AUDIT_KEY_FILE="$DIR/audit.key" RUST_LOG=error
"$LGSP" init >/dev/null
"$LGSP" run enterprises --input "$BENCH_DIR/v1-$ROWS.csv" >/dev/null
"$LGSP" agency add 000.00.00.G12 "Bộ Tài chính" >/dev/null
out=$("$LGSP" client create --agency 000.00.00.G12)
ID=$(echo "$out" | sed -n 's/^client_id: //p'); SECRET=$(echo "$out" | sed -n 's/^client_secret: //p')
for scope in changes lookup; do
  "$LGSP" grant add --client "$ID" --dataset enterprises --scope "$scope" --basis bench --purpose bench >/dev/null
done
PORT="${PORT:-18081}"
LGSP_API_REQUESTS_PER_MINUTE=100000000 "$LGSP" serve --no-scheduler --listen 127.0.0.1:"$PORT" >/dev/null 2>&1 &
SERVER=$!; trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 1 50); do curl -s "127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done
TOKEN=$(curl -s -u "$ID:$SECRET" -d grant_type=client_credentials "127.0.0.1:$PORT/token" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
api() { curl -sf -o /dev/null -H "Authorization: Bearer $TOKEN" "127.0.0.1:$PORT$1"; }
api "/api/v1/datasets/enterprises/changes?since=0"
# A key that changes between v1 and v2 (so it has a record version in every version), and its phone.
"$LGSP" run enterprises --input "$BENCH_DIR/v2-$ROWS.csv" >/dev/null
"$LGSP" export enterprises --changes-since 1 --format csv --out "$DIR/changes.csv" >/dev/null
KEY=$(python3 -c "import csv,sys; r=[x for x in csv.DictReader(open('$DIR/changes.csv')) if x['_change_type'].startswith('update') and x['so_dien_thoai']]; print(r[0]['ma_so_thue'], r[0]['so_dien_thoai'])")
PHONE=${KEY#* }; KEY=${KEY% *}
api "/api/v1/datasets/enterprises/changes?since=1"; api "/api/v1/datasets/enterprises/records/$KEY"
for v in $(seq 3 "$VERSIONS"); do
  input="$BENCH_DIR/v$(( (v + 1) % 2 + 1 ))-$ROWS.csv"
  "$LGSP" run enterprises --input "$input" >/dev/null
  api "/api/v1/datasets/enterprises/changes?since=$((v - 1))"; api "/api/v1/datasets/enterprises/records/$KEY"
done
sleep 1
echo "rows: $ROWS, versions: $("$LGSP" versions enterprises | grep -c .), audit entries: $("$LGSP" audit verify | grep -o '[0-9]* rows' | head -1), machine: $(nproc) cores"
echo "| key | wall s | peak RSS MiB | records | disclosures |"
echo "|---|---|---|---|---|"
for k in "$KEY" "$PHONE" "0000000000"; do
  for _ in 1 2 3; do
    /usr/bin/time -f "%e %M" -o "$DIR/time.txt" "$LGSP" subject report --key "$k" >"$DIR/report.json"
  done
  read -r wall kb < "$DIR/time.txt"
  counts=$(python3 -c "import json; r=json.load(open('$DIR/report.json')); print(len(r['holdings']), len(r['disclosures']))")
  printf "| %s | %.2f | %.0f | %s | %s |\n" "$k" "$wall" "$(echo "$kb / 1024" | bc -l)" ${counts% *} ${counts#* }
done
