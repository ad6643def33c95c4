#!/bin/sh
# Fills deploy/alertmanager/alertmanager.yml's ${...} from the environment (Alertmanager reads no
# environment variables itself):  render.sh TEMPLATE OUTPUT
# SMTP_HOST and ALERT_MAIL_TO are required; SMTP_TLS=none turns STARTTLS off (465 is implicit
# TLS in Alertmanager). Values must not hold double quotes or backslashes (YAML strings).
set -eu
[ $# -eq 2 ] || { echo "usage: $0 TEMPLATE OUTPUT" >&2; exit 2; }
: "${SMTP_HOST:?render.sh: set SMTP_HOST (the mail relay) for Alertmanager}"
: "${ALERT_MAIL_TO:?render.sh: set ALERT_MAIL_TO (who receives the alerts) for Alertmanager}"
SMTP_PORT=${SMTP_PORT:-587}
SMTP_USER=${SMTP_USER:-}
SMTP_PASSWORD=${SMTP_PASSWORD:-}
ALERT_MAIL_FROM=${ALERT_MAIL_FROM:-canhbao@egov.example.vn}
if [ "${SMTP_TLS:-starttls}" = "none" ]; then require_tls=false; else require_tls=true; fi
for value in "$SMTP_HOST" "$SMTP_PORT" "$SMTP_USER" "$SMTP_PASSWORD" "$ALERT_MAIL_FROM" "$ALERT_MAIL_TO"; do
  case $value in
    *\"* | *\\*) echo "render.sh: a value holds a double quote or a backslash" >&2; exit 1 ;;
  esac
done
esc() { printf '%s' "$1" | sed 's/[|&]/\\&/g'; }
sed -e "s|\${SMTP_HOST}|$(esc "$SMTP_HOST")|g" \
  -e "s|\${SMTP_PORT}|$(esc "$SMTP_PORT")|g" \
  -e "s|\${SMTP_USER}|$(esc "$SMTP_USER")|g" \
  -e "s|\${SMTP_PASSWORD}|$(esc "$SMTP_PASSWORD")|g" \
  -e "s|\${ALERT_MAIL_FROM}|$(esc "$ALERT_MAIL_FROM")|g" \
  -e "s|\${ALERT_MAIL_TO}|$(esc "$ALERT_MAIL_TO")|g" \
  -e "s|\${ALERT_SMTP_REQUIRE_TLS}|$require_tls|g" \
  "$1" >"$2"
