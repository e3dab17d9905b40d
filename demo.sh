#!/usr/bin/env bash
# Runs the hub on the embedded default (SQLite + local folder): initializes the store, runs the
# sample pipelines (enterprises v1 then v2, and the VNI-encoded health facilities), and shows
# what was published.
set -euo pipefail
cd "$(dirname "$0")"
cargo build --release --quiet
lgsp=target/release/lgsp
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
echo "== published files"
find data/store -type f | sort
