#!/bin/sh
# Dumps every service database with pg_dump (custom format, compressed) into
# $BACKUP_DIR/<database>/<database>-<Vietnam time>.dump and deletes dumps older than
# $BACKUP_RETENTION_DAYS days. One run by default (or --once); with --nightly it runs every day at
# $BACKUP_AT (HH:MM, Vietnam time, Asia/Ho_Chi_Minh) and never exits (the compose `backup` service).
#
# Connection: the libpq variables (PGHOST, PGPORT, PGUSER, PGPASSWORD); the role must be able to
# read every table of the databases it dumps (the cluster's owner role in docker-compose.yml).
set -eu

BACKUP_DIR=${BACKUP_DIR:-/backups}
BACKUP_DATABASES=${BACKUP_DATABASES:-egov_procedures egov_indicators egov_nominations egov_notifier egov_console}
BACKUP_RETENTION_DAYS=${BACKUP_RETENTION_DAYS:-14}
BACKUP_AT=${BACKUP_AT:-01:30}
export TZ=Asia/Ho_Chi_Minh

log() { echo "$(date +%Y-%m-%dT%H:%M:%S%:z) backup: $*"; }

run_once() {
  status=0
  stamp=$(date +%Y-%m-%dT%H%M%S%z)
  for db in $BACKUP_DATABASES; do
    mkdir -p "$BACKUP_DIR/$db"
    target="$BACKUP_DIR/$db/$db-$stamp.dump"
    # written under a temporary name, renamed only when pg_dump succeeded: a partial dump is
    # never taken for a good one (restore.sh reads only *.dump)
    if pg_dump --format=custom --no-owner --no-acl --dbname="$db" --file="$target.partial"; then
      mv "$target.partial" "$target"
      log "$db -> $target ($(wc -c <"$target") bytes)"
    else
      rm -f "$target.partial"
      log "$db FAILED"
      status=1
    fi
    # retention: dumps older than the window go; the newest dump is always kept
    newest=$(ls -1t "$BACKUP_DIR/$db"/*.dump 2>/dev/null | head -n 1 || true)
    find "$BACKUP_DIR/$db" -name '*.dump' -type f -mtime "+$((BACKUP_RETENTION_DAYS - 1))" \
      ! -path "$newest" -print -delete | sed 's/^/  expired: /'
  done
  return $status
}

seconds_until() {
  now=$(date +%s)
  next=$(date -d "today $1" +%s)
  [ "$next" -gt "$now" ] || next=$(date -d "tomorrow $1" +%s)
  echo $((next - now))
}

if [ "${1:-}" = "--nightly" ]; then
  log "dumping $BACKUP_DATABASES every day at $BACKUP_AT (+07:00), keeping $BACKUP_RETENTION_DAYS days"
  while :; do
    sleep "$(seconds_until "$BACKUP_AT")"
    run_once || log "some databases were not dumped; next try tomorrow"
  done
else
  run_once
fi
