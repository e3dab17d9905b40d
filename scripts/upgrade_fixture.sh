#!/usr/bin/env bash
# Makes a store with a released `lgsp` for the in-place upgrade test (tests/upgrade.rs): two
# versions of the enterprises sample, the health facilities, an agency, a client with a grant,
# a console account and the audit entries of all of it, on SQLite and on PostgreSQL.
#
#   scripts/upgrade_fixture.sh PATH/TO/lgsp tests/fixtures/upgrade/NAME
#
# writes NAME/sqlite.tar.gz (hub.db, audit.key, store/) and NAME/postgres.tar.gz (dump.sql,
# audit.key, store/).
set -euo pipefail
lgsp=$(realpath "$1")
out=$2
admin=${LGSP_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}
cd "$(dirname "$0")/.."
rm -rf "$out"
mkdir -p "$out"

fill() {
  local dir=$1
  export LGSP_OBJECT_STORE_URL="$dir/store" LGSP_AUDIT_KEY_FILE="$dir/audit.key" RUST_LOG=error
  "$lgsp" init >/dev/null
  "$lgsp" run enterprises --input data/samples/enterprises_v1.csv >/dev/null
  "$lgsp" run enterprises --input data/samples/enterprises_v2.csv >/dev/null
  "$lgsp" run health_facilities >/dev/null
  "$lgsp" agency add 000.00.00.G12 "Bộ Tài chính" >/dev/null
  local id
  id=$("$lgsp" client create --agency 000.00.00.G12 | sed -n 's/^client_id: //p')
  "$lgsp" grant add --client "$id" --dataset enterprises --scope snapshot --basis "Điều 9, Nghị định 47/2020/NĐ-CP" --purpose "Đối chiếu hồ sơ thuế" >/dev/null
  echo "mật khẩu-kiểm-thử-1" | "$lgsp" user add steward1 --role steward --password-stdin >/dev/null
}

mkdir -p "$out/sqlite"
LGSP_STORE_URL="sqlite://$out/sqlite/hub.db" fill "$out/sqlite"
python3 -c "import sqlite3, sys; sqlite3.connect(sys.argv[1]).execute('PRAGMA wal_checkpoint(TRUNCATE)')" "$out/sqlite/hub.db"
rm -f "$out/sqlite/hub.db-wal" "$out/sqlite/hub.db-shm"

db="lgsp_fixture_$$"
psql "$admin" -qAtc "CREATE DATABASE $db"
trap 'psql "$admin" -qAtc "DROP DATABASE IF EXISTS $db WITH (FORCE)"' EXIT
mkdir -p "$out/postgres"
LGSP_STORE_URL="${admin%/*}/$db" fill "$out/postgres"
pg_dump --no-owner --no-privileges --format=plain "${admin%/*}/$db" > "$out/postgres/dump.sql"
tar -C "$out/sqlite" -czf "$out/sqlite.tar.gz" hub.db audit.key store
tar -C "$out/postgres" -czf "$out/postgres.tar.gz" dump.sql audit.key store
rm -rf "$out/sqlite" "$out/postgres"
echo "made $out with $("$lgsp" --version)"
