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
echo "== shared catalogs: one code on each side of the 2025-07-01 reform"
$lgsp catalog lookup communes 00004 --as-of 2025-06-30
$lgsp catalog lookup communes 00004 --as-of 2025-07-01
$lgsp catalog lookup communes 00001 --as-of 2025-07-01
$lgsp catalog match communes "Xã Hòa Tiến, Huyện Hòa Vang, Đà Nẵng"
echo "== published dataset files"
find data/store/datasets -type f | sort
echo "== audit log"
$lgsp audit verify
