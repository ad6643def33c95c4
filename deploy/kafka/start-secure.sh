#!/bin/sh
# The compose broker with SASL_SSL (the `secure` variant, docker-compose.secure.yml): writes the
# broker's configuration, formats its storage once, starts it, then creates the SCRAM users and
# applies the ACLs of deploy/kafka/acls.txt before the health check passes.
#
#   SASL_SSL   kafka:9092 (the compose network): SCRAM-SHA-512 over TLS, the only listener
#              other containers reach; certificate from EGOV_KAFKA_TLS_DIR/kafka.p12
#   LOCAL      127.0.0.1:9094 inside the container only (plain text): the broker's own
#              inter-broker listener, and how this script creates the users and ACLs
#   CONTROLLER 127.0.0.1:9093 inside the container only (KRaft, one node)
#
# The authorizer refuses what no ACL allows; User:admin (and the container-local listeners)
# are super users. Environment: KAFKA_KEYSTORE_PASSWORD, KAFKA_PASSWORD_ADMIN, and
# KAFKA_PASSWORD_<PRINCIPAL> (upper case, - as _) for each principal of acls.txt; a principal
# without a password gets no user. deploy/kafka/trial-secrets.sh makes them for a local trial.
#
#   start-secure.sh                 run the broker (the container's entrypoint)
#   start-secure.sh --print-config  print the broker's configuration and stop
set -eu

home=${KAFKA_HOME:-/opt/kafka}
tls=${EGOV_KAFKA_TLS_DIR:-/etc/kafka/egov-tls}
acls=${EGOV_KAFKA_ACLS:-/etc/kafka/egov/acls.txt}
work=${EGOV_KAFKA_WORK_DIR:-/tmp/egov-kafka}
data=${KAFKA_LOG_DIRS:-/var/lib/kafka/data}
: "${KAFKA_KEYSTORE_PASSWORD:?set KAFKA_KEYSTORE_PASSWORD (deploy/kafka/trial-secrets.sh)}"
: "${KAFKA_PASSWORD_ADMIN:?set KAFKA_PASSWORD_ADMIN (deploy/kafka/trial-secrets.sh)}"

config() {
  cat <<EOF
node.id=1
process.roles=broker,controller
controller.quorum.voters=1@127.0.0.1:9093
controller.listener.names=CONTROLLER
listeners=SASL_SSL://:9092,LOCAL://127.0.0.1:9094,CONTROLLER://127.0.0.1:9093
advertised.listeners=SASL_SSL://kafka:9092,LOCAL://127.0.0.1:9094
listener.security.protocol.map=SASL_SSL:SASL_SSL,LOCAL:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=LOCAL
sasl.enabled.mechanisms=SCRAM-SHA-512
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
ssl.keystore.type=PKCS12
ssl.keystore.location=$tls/kafka.p12
ssl.keystore.password=$KAFKA_KEYSTORE_PASSWORD
ssl.key.password=$KAFKA_KEYSTORE_PASSWORD
ssl.enabled.protocols=TLSv1.3,TLSv1.2
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
allow.everyone.if.no.acl.found=false
super.users=User:admin;User:ANONYMOUS
log.dirs=$data
num.partitions=12
auto.create.topics.enable=false
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
EOF
}

if [ "${1:-}" = "--print-config" ]; then
  config
  exit 0
fi

# the principals of acls.txt, and admin
principals() {
  echo admin
  sed -n 's/^--allow-principal User:\([^ ]*\) .*/\1/p' "$acls" | sort -u
}

password_of() {
  var="KAFKA_PASSWORD_$(echo "$1" | tr 'a-z-' 'A-Z_')"
  eval "printf '%s' \"\${$var:-}\""
}

mkdir -p "$work"
rm -f "$work/ready"
config > "$work/server.properties"
"$home/bin/kafka-storage.sh" format --ignore-formatted \
  -t "${CLUSTER_ID:-5L6g3nShT-eMCtK--X86sw}" -c "$work/server.properties"
"$home/bin/kafka-server-start.sh" "$work/server.properties" &
broker=$!
trap 'kill -TERM "$broker"; wait "$broker"; exit 0' TERM INT

local_admin="--bootstrap-server 127.0.0.1:9094"
until "$home/bin/kafka-broker-api-versions.sh" $local_admin >/dev/null 2>&1; do
  kill -0 "$broker" 2>/dev/null || { echo "kafka exited before it answered" >&2; exit 1; }
  sleep 2
done

# Users and ACLs again only when the ACL file or a password changed (each call starts a JVM).
state=$( (cat "$acls"; for p in $(principals); do printf '%s=%s\n' "$p" "$(password_of "$p")"; done) \
  | sha256sum | cut -d' ' -f1)
if [ "$(cat "$data/.egov-secure-state" 2>/dev/null || true)" != "$state" ]; then
  for p in $(principals); do
    password=$(password_of "$p")
    if [ -z "$password" ]; then
      echo "no KAFKA_PASSWORD for $p: no SCRAM user" >&2
      continue
    fi
    "$home/bin/kafka-configs.sh" $local_admin --alter --entity-type users --entity-name "$p" \
      --add-config "SCRAM-SHA-512=[iterations=8192,password=$password]" >/dev/null
  done
  grep -v '^#' "$acls" | while read -r acl; do
    [ -n "$acl" ] || continue
    # shellcheck disable=SC2086  # one ACL's arguments, split on purpose
    "$home/bin/kafka-acls.sh" $local_admin --add $acl >/dev/null
  done
  echo "$state" > "$data/.egov-secure-state"
  echo "SCRAM users and ACLs applied"
fi
touch "$work/ready"
wait "$broker"
