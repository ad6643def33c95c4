#!/bin/sh
# Restores one pg_dump custom-format dump (made by backup.sh) into an EMPTY database and checks
# that every table has as many rows as the dump holds and, when SOURCE_URL is given, as the
# source database has now (run it against a source that stopped writing, or expect a difference).
#
#   deploy/backup/restore.sh DUMP TARGET_URL [SOURCE_URL]
#
# TARGET_URL is a libpq connection string of a database that exists and has no tables (create
# it first: createdb -O egov_procedures egov_procedures); objects are owned by TARGET_URL's role
# (the dump carries no owners or grants). Exit 0 only when the restore and every count agree.
set -eu
export LC_ALL=C

if [ $# -lt 2 ] || [ $# -gt 3 ]; then
  echo "usage: $0 DUMP TARGET_URL [SOURCE_URL]" >&2
  exit 2
fi
dump=$1
target=$2
source_url=${3:-}
[ -r "$dump" ] || { echo "restore: cannot read $dump" >&2; exit 2; }

tables_sql="SELECT quote_ident(schemaname) || '.' || quote_ident(tablename) FROM pg_tables
  WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1"

existing=$(psql "$target" -XAtqc "SELECT count(*) FROM pg_tables
  WHERE schemaname NOT IN ('pg_catalog', 'information_schema')")
if [ "$existing" != "0" ]; then
  echo "restore: the target database already has $existing tables; restore only into an empty one" >&2
  exit 1
fi

# rows per table as the dump holds them: a COPY block has one line per row (newlines inside
# values are escaped in COPY's text format) and ends with \.
expected=$(mktemp) actual=$(mktemp) live=$(mktemp)
trap 'rm -f "$expected" "$actual" "$live"' EXIT
pg_restore --data-only --file=- "$dump" | awk '
  /^COPY / { table = $2; rows = 0; copying = 1; next }
  copying && $0 == "\\." { print table "\t" rows; copying = 0; next }
  copying { rows++ }
' | sort >"$expected"

pg_restore --no-owner --no-acl --exit-on-error --single-transaction --dbname="$target" "$dump"

count_rows() {
  psql "$1" -XAtqc "$tables_sql" | while read -r table; do
    printf '%s\t%s\n' "$table" "$(psql "$1" -XAtqc "SELECT count(*) FROM $table")"
  done | sort
}

count_rows "$target" >"$actual"
# tables the dump holds no rows for appear in the target with 0 rows
join -t "$(printf '\t')" -a 2 -e 0 -o 2.1,1.2 "$expected" "$actual" | sort >"$expected.all"
mv "$expected.all" "$expected"
status=0
if ! diff -u "$expected" "$actual"; then
  echo "restore: row counts in the target differ from the dump (- dump, + target)" >&2
  status=1
fi
if [ -n "$source_url" ]; then
  count_rows "$source_url" >"$live"
  if ! diff -u "$live" "$actual"; then
    echo "restore: row counts in the target differ from the source (- source, + target)" >&2
    status=1
  fi
fi
if [ $status -eq 0 ]; then
  echo "restore: $(wc -l <"$actual") tables, $(awk -F '\t' '{s += $2} END {print s + 0}' "$actual") rows, counts agree"
fi
exit $status
