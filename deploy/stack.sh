#!/usr/bin/env bash
# Local dev/CI stack: PostgreSQL + Kafka (+ Prometheus, deploy/prometheus.sh), state in <repo>/.stack, defaults in deploy/stack.env.
# Installs/fetches whatever is missing (Debian packages, Kafka jars) on first use.
#
#   deploy/stack.sh up       start both (idempotent; waits until they answer)
#   deploy/stack.sh down     stop both (data is kept in .stack)
#   deploy/stack.sh status   exit 0 only if both run
set -euo pipefail
DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

case "${1:-}" in
  up)
    "$DIR/postgres.sh" start
    "$DIR/kafka.sh" start
    "$DIR/prometheus.sh" start
    echo "[stack] up in ${SECONDS}s"
    ;;
  down)
    "$DIR/prometheus.sh" stop
    "$DIR/kafka.sh" stop
    "$DIR/postgres.sh" stop
    ;;
  status)
    rc=0
    "$DIR/postgres.sh" status || rc=1
    "$DIR/kafka.sh" status || rc=1
    "$DIR/prometheus.sh" status || rc=1
    exit "$rc"
    ;;
  *)
    echo "usage: $0 up|down|status" >&2
    exit 2
    ;;
esac
