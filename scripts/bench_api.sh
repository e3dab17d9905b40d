#!/usr/bin/env bash
# Benchmark: the consumer API under load (wrk), audit on, SQLite store, release build.
#   scripts/bench_api.sh [SECONDS] [CONNECTIONS]   (defaults 10 s, 16 connections)
set -euo pipefail
cd "$(dirname "$0")/.."
SECS="${1:-10}"; CONNS="${2:-16}"
DIR="${BENCH_DIR:-/tmp/lgsp-bench-api}"
rm -rf "$DIR"; mkdir -p "$DIR"
cargo build --release --quiet
LGSP="${CARGO_TARGET_DIR:-$PWD/target}/release/lgsp"
export LGSP_STORE_URL="sqlite://$DIR/hub.db" LGSP_OBJECT_STORE_URL="$DIR/store" RUST_LOG=error
"$LGSP" init >/dev/null
"$LGSP" run enterprises --input data/samples/enterprises_v1.csv >/dev/null
"$LGSP" agency add 000.00.00.G12 "Bộ Tài chính" >/dev/null
out=$("$LGSP" client create --agency 000.00.00.G12)
ID=$(echo "$out" | sed -n 's/^client_id: //p'); SECRET=$(echo "$out" | sed -n 's/^client_secret: //p')
"$LGSP" grant add --client "$ID" --dataset enterprises --scope lookup --basis bench --purpose bench >/dev/null
PORT=18080
LGSP_API_REQUESTS_PER_MINUTE=100000000 TOKIO_WORKER_THREADS="${WORKERS:-2}" "$LGSP" serve --no-scheduler --listen 127.0.0.1:$PORT >/dev/null 2>&1 &
SERVER=$!; trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 1 50); do curl -s "127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done
TOKEN=$(curl -s -u "$ID:$SECRET" -d grant_type=client_credentials "127.0.0.1:$PORT/token" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
KEY=$("$LGSP" export enterprises --format csv --out "$DIR/s.csv" >/dev/null 2>&1; sed -n 2p "$DIR/s.csv" | cut -d, -f1)
echo "machine: $(nproc) cores; wrk -t2 -c$CONNS -d${SECS}s --latency"
for url in "/api/v1/datasets/enterprises/records/$KEY" "/api/v1/catalogs/communes/codes/00004?asOf=2025-06-30"; do
  echo "== $url"
  wrk -t2 -c"$CONNS" -d"${SECS}s" --latency -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT$url" | grep -E "Requests/sec|^ +(50|75|90|99)%|Non-2xx|Latency "
done
"$LGSP" audit verify
