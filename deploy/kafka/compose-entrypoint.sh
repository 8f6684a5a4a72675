#!/bin/sh
# docker-compose's Kafka (apache/kafka image): the native broker's configuration, rendered from the same
# deploy/kafka/server.properties.template, so both have SASL/SCRAM-SHA-512 on every listener, the
# StandardAuthorizer and no access without an ACL (docs/security.md).
#
# The admin password comes from the platform's secrets file, mounted as the compose secret `platform`
# (`make secrets` writes .stack/secrets.env before `docker compose up`). The storage is formatted once,
# with admin's SCRAM credential; every other principal's credential and the ACLs are added by the
# `topics` job (python -m libs.messaging.admin), as `make up` does natively.
#
# KAFKA_HOST_LISTENER=host:port adds a listener for the host's tools (published on that port), also
# SASL/SCRAM.
set -eu
# Paths are the image's; overridable so that tests/test_compose.py can run this script outside Docker.
SECRETS="${SECRETS:-/run/secrets/platform}"
TEMPLATE="${TEMPLATE:-/platform/kafka/server.properties.template}"
DATA="${DATA:-/var/lib/kafka/data}"
CONF="${CONF:-/tmp/server.properties}"
ADMIN_PROPS="${ADMIN_PROPS:-/tmp/admin.properties}"
KAFKA_BIN="${KAFKA_BIN:-/opt/kafka/bin}"

ADMIN_PASSWORD="$(sed -n 's/^KAFKA_USER_ADMIN_PASSWORD=//p' "$SECRETS")"
[ -n "$ADMIN_PASSWORD" ] || { echo "no KAFKA_USER_ADMIN_PASSWORD in $SECRETS: run 'make secrets' first" >&2; exit 1; }

umask 077
sed -e "s|{{HOST}}|0.0.0.0|g" -e "s|{{ADVERTISED_HOST}}|kafka|g" -e "s|{{BROKER_PORT}}|9092|g" \
    -e "s|{{CONTROLLER_PORT}}|9093|g" -e "s|{{DATA_DIR}}|$DATA|g" -e "s|{{ADMIN_PASSWORD}}|$ADMIN_PASSWORD|g" \
    "$TEMPLATE" >"$CONF"
if [ -n "${KAFKA_HOST_LISTENER:-}" ]; then
  port="${KAFKA_HOST_LISTENER##*:}"
  sed -i -e "s|^listeners=\(.*\)|listeners=\1,HOST://0.0.0.0:$port|" \
         -e "s|^advertised.listeners=\(.*\)|advertised.listeners=\1,HOST://$KAFKA_HOST_LISTENER|" \
         -e "s|^listener.security.protocol.map=\(.*\)|listener.security.protocol.map=\1,HOST:SASL_PLAINTEXT|" "$CONF"
  echo "listener.name.host.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username=\"admin\" password=\"$ADMIN_PASSWORD\";" >>"$CONF"
fi
cat >"$ADMIN_PROPS" <<PROPS
security.protocol=SASL_PLAINTEXT
sasl.mechanism=SCRAM-SHA-512
sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="$ADMIN_PASSWORD";
PROPS

if [ ! -f "$DATA/meta.properties" ]; then
  "$KAFKA_BIN/kafka-storage.sh" format -t "${CLUSTER_ID:-5L6g3nShT-eMCtK--X86sw}" -c "$CONF" \
    --add-scram "SCRAM-SHA-512=[name=admin,password=$ADMIN_PASSWORD]"
fi
exec "$KAFKA_BIN/kafka-server-start.sh" "$CONF"
