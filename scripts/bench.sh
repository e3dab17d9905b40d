#!/usr/bin/env bash
# Benchmark: the hub's run on 1M generated enterprise rows (v1, then v2 = v1 mutated), against the
# same job written by hand in Python Polars, on the same files and machine.
#   scripts/bench.sh [--rows N] [--store sqlite|postgres] [--pairs P] [ROWS]
#   (default 1000000 rows on SQLite, one pass; data and stores under $BENCH_DIR; PostgreSQL at
#   $LGSP_BENCH_POSTGRES, default postgres://postgres@127.0.0.1:5432/postgres, in a database
#   made for each pass and dropped after)
# Each pass starts from an empty store and alternates hub and reference: hub v1, Polars v1, hub
# v2, Polars v2; each run's wall and CPU (user + system) time and peak memory. With --pairs P > 1
# it ends with the medians and the ratios of the wall medians (one pass moves by ±10% on a 2-core
# virtual machine).
# Needs python3 with polars (pip install polars) for the reference, and ../shared/bench.
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=1000000; STORE=sqlite; PAIRS=1
while [ $# -gt 0 ]; do
  case "$1" in
    --rows) ROWS="$2"; shift 2 ;;
    --store) STORE="$2"; shift 2 ;;
    --pairs) PAIRS="$2"; shift 2 ;;
    *) ROWS="$1"; shift ;;
  esac
done
BENCH_DIR="${BENCH_DIR:-/tmp/lgsp-bench}"
REF="${REF_DIR:-../shared/bench}"
ADMIN="${LGSP_BENCH_POSTGRES:-postgres://postgres@127.0.0.1:5432/postgres}"
DB="lgsp_bench_$$"
case "$STORE" in sqlite | postgres) ;; *) echo "--store sqlite or postgres" >&2; exit 2 ;; esac
mkdir -p "$BENCH_DIR"
if [ ! -f "$BENCH_DIR/v1-$ROWS.csv" ]; then
  python3 "$REF/gen_enterprises.py" --rows "$ROWS" --seed 1 --out "$BENCH_DIR/v1-$ROWS.csv" --wards "$BENCH_DIR/wards.csv" >/dev/null
  python3 "$REF/gen_enterprises.py" --mutate --in "$BENCH_DIR/v1-$ROWS.csv" --seed 1 --out "$BENCH_DIR/v2-$ROWS.csv" --wards "$BENCH_DIR/wards.csv" >/dev/null
fi
cargo build --release --quiet
LGSP="${CARGO_TARGET_DIR:-$PWD/target}/release/lgsp"
export LGSP_OBJECT_STORE_URL="$BENCH_DIR/store" LGSP_AUDIT_KEY_FILE="$BENCH_DIR/audit.key"
HAVE_POLARS=1
python3 -c "import polars" 2>/dev/null || HAVE_POLARS=0
if [ "$STORE" = postgres ]; then
  trap 'psql "$ADMIN" -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true' EXIT
fi

# An empty store for a pass.
fresh_store() {
  rm -rf "$BENCH_DIR/hub.db"* "$BENCH_DIR/store" "$BENCH_DIR"/*.parquet "$BENCH_DIR/audit.key"
  case "$STORE" in
    sqlite) export LGSP_STORE_URL="sqlite://$BENCH_DIR/hub.db" ;;
    postgres)
      psql "$ADMIN" -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1
      psql "$ADMIN" -qc "CREATE DATABASE $DB"
      export LGSP_STORE_URL="${ADMIN%/*}/$DB" ;;
  esac
  "$LGSP" init >/dev/null
}

measure() { # key, label, command...
  local key="$1" label="$2"; shift 2
  # What earlier runs left in the page cache is written out first, and PostgreSQL's own dirty
  # pages too (its checkpoint would otherwise fall on the next run), not during this run.
  sync
  if [ "$STORE" = postgres ]; then psql "$ADMIN" -qc CHECKPOINT; fi
  /usr/bin/time -f "%e %M %U %S" -o "$BENCH_DIR/time.txt" "$@" >"$BENCH_DIR/out.txt" 2>"$BENCH_DIR/err.txt" || { cat "$BENCH_DIR/err.txt"; exit 1; }
  read -r wall kb user sys < "$BENCH_DIR/time.txt"
  local cpu; cpu=$(echo "$user + $sys" | bc -l)
  echo "$key $wall $kb $cpu" >> "$BENCH_DIR/runs.txt"
  printf "| %-28s | %7.2f | %6.2f | %10.0f | %7.0f |\n" "$label" "$wall" "$cpu" "$(echo "$ROWS / $wall" | bc -l)" "$(echo "$kb / 1024" | bc -l)"
}

csv_mib=$(du -m "$BENCH_DIR/v1-$ROWS.csv" | cut -f1)
echo "rows: $ROWS, v1 CSV: ${csv_mib} MiB, machine: $(nproc) cores, $(free -g | awk '/Mem/{print $2}') GiB"
echo "| job | wall s | CPU s | rows/s | peak RSS MiB |"
echo "|---|---|---|---|---|"
: > "$BENCH_DIR/runs.txt"
for _ in $(seq 1 "$PAIRS"); do
  fresh_store
  measure hub_v1 "lgsp run v1 ($STORE)" "$LGSP" run enterprises --input "$BENCH_DIR/v1-$ROWS.csv" --json
  if [ "$HAVE_POLARS" = 1 ]; then
    measure ref_v1 "python polars v1" python3 "$REF/job_polars.py" --csv "$BENCH_DIR/v1-$ROWS.csv" --wards "$BENCH_DIR/wards.csv" \
      --snapshot "$BENCH_DIR/s1.parquet" --quarantine "$BENCH_DIR/q1.parquet"
  fi
  measure hub_v2 "lgsp run v2 ($STORE)" "$LGSP" run enterprises --input "$BENCH_DIR/v2-$ROWS.csv" --json
  cp "$BENCH_DIR/out.txt" "$BENCH_DIR/run-v2.json"
  if [ "$HAVE_POLARS" = 1 ]; then
    measure ref_v2 "python polars v2 (+delta)" python3 "$REF/job_polars.py" --csv "$BENCH_DIR/v2-$ROWS.csv" --wards "$BENCH_DIR/wards.csv" \
      --snapshot "$BENCH_DIR/s2.parquet" --quarantine "$BENCH_DIR/q2.parquet" --prev "$BENCH_DIR/s1.parquet" --delta "$BENCH_DIR/d2.parquet"
  fi
done
if [ "$HAVE_POLARS" = 0 ]; then
  echo "(python polars not installed: pip install polars)"
elif [ "$PAIRS" -gt 1 ]; then
  python3 - "$BENCH_DIR/runs.txt" <<'PY'
import statistics, sys
runs = {}
for line in open(sys.argv[1]):
    key, wall, kb, cpu = line.split()
    runs.setdefault(key, []).append((float(wall), int(kb) / 1024, float(cpu)))
med = {k: statistics.median(r[0] for r in v) for k, v in runs.items()}
cpu = {k: statistics.median(r[2] for r in v) for k, v in runs.items()}
peak = {k: max(r[1] for r in v) for k, v in runs.items()}
print(f"\nmedians of {len(runs['hub_v1'])} passes:")
for v in ("v1", "v2"):
    print(f"  {v}: hub {med['hub_' + v]:.2f} s (CPU {cpu['hub_' + v]:.2f} s, peak {peak['hub_' + v]:.0f} MiB), "
          f"polars {med['ref_' + v]:.2f} s (CPU {cpu['ref_' + v]:.2f} s, peak {peak['ref_' + v]:.0f} MiB), "
          f"ratio {med['hub_' + v] / med['ref_' + v]:.2f}x")
PY
fi
