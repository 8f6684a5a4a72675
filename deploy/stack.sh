#!/usr/bin/env bash
# Local dev/CI stack: PostgreSQL + Kafka, state in $STACK_DIR (default <repo>/.stack), defaults in
# deploy/stack.env. Installs/fetches whatever is missing (Debian packages, Kafka jars) on first use.
#
#   deploy/stack.sh up       start both (idempotent; waits until they answer)
#   deploy/stack.sh down     stop both (data is kept in $STACK_DIR)
#   deploy/stack.sh status   exit 0 only if both run
#   deploy/stack.sh env      print `export` lines for the admin tools: eval "$(deploy/stack.sh env)"
set -euo pipefail
DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=common.sh
. "$DIR/common.sh"

case "${1:-}" in
  up)
    "$DIR/postgres.sh" start
    "$DIR/kafka.sh" start
    echo "[stack] up in ${SECONDS}s"
    ;;
  down)
    "$DIR/kafka.sh" stop
    "$DIR/postgres.sh" stop
    ;;
  status)
    rc=0
    "$DIR/postgres.sh" status || rc=1
    "$DIR/kafka.sh" status || rc=1
    exit "$rc"
    ;;
  env)
    # The administration role's connection (psql, the tests' namespaces), read from the secrets file.
    printf 'export STACK_DIR=%q SECRETS_FILE=%q KAFKA_BOOTSTRAP=%q PGHOST=%q PGPORT=%q PGUSER=%q PGPASSWORD=%q\n' \
      "$STACK_DIR" "$SECRETS_FILE" "$KAFKA_BOOTSTRAP" "$PGHOST" "$PGPORT" "$PGUSER" "$(secret "PG_${PGUSER^^}_PASSWORD")"
    ;;
  *)
    echo "usage: $0 up|down|status|env" >&2
    exit 2
    ;;
esac
