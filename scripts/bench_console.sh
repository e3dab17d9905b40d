#!/usr/bin/env bash
# Benchmark: the web console's pages on a 1M-row dataset with 20 versions. Publishes the
# enterprises pipeline 20 times (v1 generated, each next version mutated from the one before),
# serves the hub, signs in as a steward and as an analyst, and times each page: the first
# request (cold: the version's file is copied from the object store) and the median of 5 more.
#   scripts/bench_console.sh [ROWS] [VERSIONS]   (default 1000000 20; data under $BENCH_DIR)
# Needs ../shared/bench (the data generator) and curl.
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS="${1:-1000000}"; VERSIONS="${2:-20}"
BENCH_DIR="${BENCH_DIR:-/tmp/lgsp-bench-console}"
REF="${REF_DIR:-../shared/bench}"
mkdir -p "$BENCH_DIR"
if [ ! -f "$BENCH_DIR/v$VERSIONS-$ROWS.csv" ]; then
  python3 "$REF/gen_enterprises.py" --rows "$ROWS" --seed 1 --out "$BENCH_DIR/v1-$ROWS.csv" --wards "$BENCH_DIR/wards.csv" >/dev/null
  for v in $(seq 2 "$VERSIONS"); do
    python3 "$REF/gen_enterprises.py" --mutate --in "$BENCH_DIR/v$((v - 1))-$ROWS.csv" --seed "$v" \
      --out "$BENCH_DIR/v$v-$ROWS.csv" --wards "$BENCH_DIR/wards.csv" >/dev/null
  done
fi
cargo build --release --quiet
LGSP="${CARGO_TARGET_DIR:-$PWD/target}/release/lgsp"
export LGSP_STORE_URL="sqlite://$BENCH_DIR/hub.db" LGSP_OBJECT_STORE_URL="$BENCH_DIR/store"
export LGSP_AUDIT_KEY_FILE="$BENCH_DIR/audit.key" TMPDIR="$BENCH_DIR/tmp"
mkdir -p "$TMPDIR"
if [ ! -f "$BENCH_DIR/published-$ROWS-$VERSIONS" ]; then
  rm -rf "$BENCH_DIR/hub.db"* "$BENCH_DIR/store" "$BENCH_DIR/audit.key"
  "$LGSP" init >/dev/null
  for v in $(seq 1 "$VERSIONS"); do
    "$LGSP" run enterprises --input "$BENCH_DIR/v$v-$ROWS.csv" --force >/dev/null
  done
  printf '%s\n' "mật khẩu của người đo 2026" | "$LGSP" user add steward --role steward --password-stdin >/dev/null
  printf '%s\n' "mật khẩu của người đo 2026" | "$LGSP" user add analyst --role analyst --password-stdin >/dev/null
  touch "$BENCH_DIR/published-$ROWS-$VERSIONS"
fi
rm -rf "$TMPDIR/lgsp-console-snapshots"
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$LGSP" serve --no-scheduler --listen "127.0.0.1:$PORT" >/dev/null 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
BASE="http://127.0.0.1:$PORT"
for _ in $(seq 1 100); do curl -s -o /dev/null "$BASE/login" && break; sleep 0.1; done

session() { # user → a cookie header
  local jar="$BENCH_DIR/jar-$1"; rm -f "$jar"
  local csrf; csrf=$(curl -s -c "$jar" "$BASE/login" | sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' | head -n1)
  curl -s -o /dev/null -c "$jar" -b "$jar" --data-urlencode "csrf=$csrf" --data-urlencode "name=$1" \
    --data-urlencode "password=mật khẩu của người đo 2026" "$BASE/login"
  echo "$jar"
}
STEWARD=$(session steward); ANALYST=$(session analyst)
RUN=$(curl -s -b "$STEWARD" "$BASE/runs" | sed -n 's/.*href="\/runs\/\([^"?]*\)".*/\1/p' | head -n1)
LAST_PAGE=$(( ROWS / 50 - 1 ))

time_page() { # jar, path → "| path | status | first ms | median ms |"
  local jar="$1" path="$2" first rest status
  read -r status first < <(curl -s -o /dev/null -b "$jar" -w '%{http_code} %{time_total}\n' "$BASE$path")
  rest=$(for _ in 1 2 3 4 5; do curl -s -o /dev/null -b "$jar" -w '%{time_total}\n' "$BASE$path"; done | sort -n | sed -n 3p)
  printf "| \`%s\` | %s | %.0f | %.0f |\n" "$path" "$status" "$(echo "$first * 1000" | bc -l)" "$(echo "$rest * 1000" | bc -l)"
}

echo "rows: $ROWS, versions: $VERSIONS, machine: $(nproc) cores, $(free -g | awk '/Mem/{print $2}') GiB, build $(git rev-parse --short HEAD)"
echo "| page | status | first ms | median of 5 ms |"
echo "|---|---|---|---|"
for path in "/" "/datasets" "/datasets/enterprises" "/datasets/enterprises?version=1" \
  "/datasets/enterprises/changes?version=$VERSIONS" "/datasets/enterprises/changes?version=$VERSIONS&page=20" \
  "/datasets/enterprises/changes?version=1&page=2000" \
  "/datasets/enterprises/rows?version=$VERSIONS" "/datasets/enterprises/rows?version=$VERSIONS&page=$LAST_PAGE" \
  "/datasets/enterprises/rows?version=1&page=10000" \
  "/datasets/enterprises/rows?version=$VERSIONS&field=ma_xa&value=00004" \
  "/datasets/enterprises/quarantine.csv?version=$VERSIONS" \
  "/runs" "/runs/$RUN" "/pipelines" "/catalogs" "/catalogs/communes" "/catalogs/communes/crosswalk?parent=49" \
  "/catalogs/provinces/versions/1"; do
  time_page "$STEWARD" "$path"
done
for path in "/reports" "/reports?kind=monthly&period=$(date +%Y-%m)"; do
  time_page "$ANALYST" "$path"
done
