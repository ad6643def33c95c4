#!/bin/sh
# A self-signed certificate for a LOCAL TRIAL of the edge proxy (browsers warn; never for
# production, where the operations team provides the province's certificate and key):
#   deploy/edge/self-signed.sh DOMAIN [DIR]
# writes DIR/tls.crt and DIR/tls.key (default DIR: deploy/edge/certs, which git ignores), valid
# 30 days for DOMAIN and *.DOMAIN (procedures.DOMAIN, console.DOMAIN, ...).
set -eu
if [ $# -lt 1 ] || [ $# -gt 2 ]; then
  echo "usage: $0 DOMAIN [DIR]" >&2
  exit 2
fi
domain=$1
dir=${2:-$(dirname "$0")/certs}
mkdir -p "$dir"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 30 \
  -subj "/CN=$domain" -addext "subjectAltName=DNS:$domain,DNS:*.$domain" \
  -keyout "$dir/tls.key" -out "$dir/tls.crt" 2>/dev/null
chmod 600 "$dir/tls.key"
echo "wrote $dir/tls.crt and $dir/tls.key for $domain and *.$domain (self-signed, 30 days)"
