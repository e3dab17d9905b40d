#!/usr/bin/env bash
# Benchmark: the hub's run on 1M generated enterprise rows (v1, then v2 = v1 mutated), against the
# same job written by hand in Python Polars, on the same files and machine.
#   scripts/bench.sh [--rows N] [--store sqlite|postgres] [ROWS]
#   (default 1000000 rows on SQLite; data and stores under $BENCH_DIR; PostgreSQL at
#   $LGSP_BENCH_POSTGRES, default postgres://postgres@127.0.0.1:5432/postgres, in a database
#   made for the run and dropped after)
# Needs python3 with polars (pip install polars) for the reference, and ../shared/bench.
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=1000000; STORE=sqlite
while [ $# -gt 0 ]; do
  case "$1" in
    --rows) ROWS="$2"; shift 2 ;;
    --store) STORE="$2"; shift 2 ;;
    *) ROWS="$1"; shift ;;
  esac
done
BENCH_DIR="${BENCH_DIR:-/tmp/lgsp-bench}"
REF="${REF_DIR:-../shared/bench}"
mkdir -p "$BENCH_DIR"
if [ ! -f "$BENCH_DIR/v1-$ROWS.csv" ]; then
  python3 "$REF/gen_enterprises.py" --rows "$ROWS" --seed 1 --out "$BENCH_DIR/v1-$ROWS.csv" --wards "$BENCH_DIR/wards.csv" >/dev/null
  python3 "$REF/gen_enterprises.py" --mutate --in "$BENCH_DIR/v1-$ROWS.csv" --seed 1 --out "$BENCH_DIR/v2-$ROWS.csv" --wards "$BENCH_DIR/wards.csv" >/dev/null
fi
cargo build --release --quiet
LGSP="${CARGO_TARGET_DIR:-$PWD/target}/release/lgsp"
export LGSP_OBJECT_STORE_URL="$BENCH_DIR/store" LGSP_AUDIT_KEY_FILE="$BENCH_DIR/audit.key"
rm -rf "$BENCH_DIR/hub.db"* "$BENCH_DIR/store" "$BENCH_DIR"/*.parquet "$BENCH_DIR/audit.key"
case "$STORE" in
  sqlite) export LGSP_STORE_URL="sqlite://$BENCH_DIR/hub.db" ;;
  postgres)
    ADMIN="${LGSP_BENCH_POSTGRES:-postgres://postgres@127.0.0.1:5432/postgres}"
    DB="lgsp_bench_$$"
    psql "$ADMIN" -qc "CREATE DATABASE $DB"
    trap 'psql "$ADMIN" -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true' EXIT
    export LGSP_STORE_URL="${ADMIN%/*}/$DB" ;;
  *) echo "--store sqlite or postgres" >&2; exit 2 ;;
esac
"$LGSP" init >/dev/null

measure() { # label, command...
  local label="$1"; shift
  # What earlier runs left in the page cache is written out first, not during this run.
  sync
  /usr/bin/time -f "%e %M" -o "$BENCH_DIR/time.txt" "$@" >"$BENCH_DIR/out.txt" 2>"$BENCH_DIR/err.txt" || { cat "$BENCH_DIR/err.txt"; exit 1; }
  read -r wall kb < "$BENCH_DIR/time.txt"
  printf "| %-28s | %7.2f | %10.0f | %7.0f |\n" "$label" "$wall" "$(echo "$ROWS / $wall" | bc -l)" "$(echo "$kb / 1024" | bc -l)"
}

csv_mib=$(du -m "$BENCH_DIR/v1-$ROWS.csv" | cut -f1)
echo "rows: $ROWS, v1 CSV: ${csv_mib} MiB, machine: $(nproc) cores, $(free -g | awk '/Mem/{print $2}') GiB"
echo "| job | wall s | rows/s | peak RSS MiB |"
echo "|---|---|---|---|"
measure "lgsp run v1 ($STORE)" "$LGSP" run enterprises --input "$BENCH_DIR/v1-$ROWS.csv" --json
measure "lgsp run v2 ($STORE)" "$LGSP" run enterprises --input "$BENCH_DIR/v2-$ROWS.csv" --json
cp "$BENCH_DIR/out.txt" "$BENCH_DIR/run-v2.json"
if python3 -c "import polars" 2>/dev/null; then
  measure "python polars v1" python3 "$REF/job_polars.py" --csv "$BENCH_DIR/v1-$ROWS.csv" --wards "$BENCH_DIR/wards.csv" \
    --snapshot "$BENCH_DIR/s1.parquet" --quarantine "$BENCH_DIR/q1.parquet"
  measure "python polars v2 (+delta)" python3 "$REF/job_polars.py" --csv "$BENCH_DIR/v2-$ROWS.csv" --wards "$BENCH_DIR/wards.csv" \
    --snapshot "$BENCH_DIR/s2.parquet" --quarantine "$BENCH_DIR/q2.parquet" --prev "$BENCH_DIR/s1.parquet" --delta "$BENCH_DIR/d2.parquet"
else
  echo "(python polars not installed: pip install polars)"
fi
