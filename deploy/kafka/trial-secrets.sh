#!/bin/sh
# Certificates and SCRAM passwords for a LOCAL TRIAL of the secure broker
# (docker-compose.secure.yml; never for production, where the data centre's CA signs the
# broker's certificate and the passwords come from the province's secret store):
#   deploy/kafka/trial-secrets.sh [DIR] >> .env
# writes into DIR (default deploy/kafka/certs, which git ignores) a CA (ca.crt, ca.key), the
# broker's certificate for the host name `kafka` signed by it (kafka.crt, kafka.key) and the
# PKCS12 keystore the broker reads (kafka.p12), valid 30 days; prints on stdout the .env lines:
# COMPOSE_FILE (the secure variant), the keystore password and one SCRAM password per principal.
set -eu
if [ $# -gt 1 ]; then
  echo "usage: $0 [DIR] >> .env" >&2
  exit 2
fi
here=$(dirname "$0")
dir=${1:-$here/certs}
mkdir -p "$dir"
secret() { openssl rand -hex 24; }  # letters and digits only: safe in SCRAM configs and URLs

openssl req -x509 -newkey rsa:3072 -nodes -days 30 -subj "/CN=egov-events trial Kafka CA" \
  -addext "basicConstraints=critical,CA:true" -addext "keyUsage=critical,keyCertSign,cRLSign" \
  -keyout "$dir/ca.key" -out "$dir/ca.crt" 2>/dev/null
openssl req -newkey rsa:3072 -nodes -subj "/CN=kafka" -keyout "$dir/kafka.key" \
  -out "$dir/kafka.csr" 2>/dev/null
extensions=$(mktemp)
printf 'subjectAltName=DNS:kafka,DNS:localhost\nextendedKeyUsage=serverAuth\n' > "$extensions"
openssl x509 -req -in "$dir/kafka.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" -CAcreateserial \
  -days 30 -extfile "$extensions" -out "$dir/kafka.crt" 2>/dev/null
rm -f "$extensions" "$dir/kafka.csr" "$dir/ca.srl"
keystore_password=$(secret)
openssl pkcs12 -export -name kafka -in "$dir/kafka.crt" -inkey "$dir/kafka.key" \
  -certfile "$dir/ca.crt" -passout "pass:$keystore_password" -out "$dir/kafka.p12"
chmod 600 "$dir/ca.key" "$dir/kafka.key"
# the broker runs as another user in its container: the keystore is password-protected
chmod 644 "$dir/kafka.p12" "$dir/ca.crt" "$dir/kafka.crt"

echo "# secure Kafka (local trial, $(date -u +%Y-%m-%d)): deploy/kafka/trial-secrets.sh"
echo "COMPOSE_FILE=docker-compose.yml:docker-compose.secure.yml"
case $dir in /* | ./* | ../*) ;; *) dir=./$dir ;; esac  # compose reads a bare name as a volume
echo "EGOV_KAFKA_TLS_DIR=$dir"
echo "KAFKA_KEYSTORE_PASSWORD=$keystore_password"
principals=$(sed -n 's/^--allow-principal User:\([^ ]*\) .*/\1/p' "$here/acls.txt" | sort -u)
for principal in admin $principals; do
  echo "KAFKA_PASSWORD_$(echo "$principal" | tr 'a-z-' 'A-Z_')=$(secret)"
done
echo "wrote $dir/ca.crt, kafka.crt, kafka.p12 (30 days) and printed the .env lines" >&2
