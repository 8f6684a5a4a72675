#!/usr/bin/env bash
# Prometheus for the native stack: Debian's `prometheus` package, scraping every service process
# (each announces itself in $STACK_DIR/prometheus/targets, libs/observability/targets.py) and
# evaluating the recording and alert rules of deploy/prometheus/rules (runbook: docs/operations.md).
#
#   deploy/prometheus.sh start|stop|status
#   deploy/prometheus.sh check     promtool: the configuration, the rules and their unit tests
#
# PROMETHEUS_PORT (default 9090) is where its web UI and API listen; data is kept 7 days in
# $STACK_DIR/prometheus/data.
set -euo pipefail
LOG_TAG=prometheus
# shellcheck source=common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

CONF_DIR="$DEPLOY_DIR/prometheus"
STATE="$STACK_DIR/prometheus"
TARGETS="$STATE/targets"
PIDFILE="$STATE/prometheus.pid"
PORT="${PROMETHEUS_PORT:-9090}"
RETENTION="${PROMETHEUS_RETENTION:-7d}"
START_TIMEOUT="${PROMETHEUS_START_TIMEOUT:-60}"

need_prometheus() { need_cmd prometheus prometheus; need_cmd promtool prometheus; }

running() {
  local pid
  pid="$(cat "$PIDFILE" 2>/dev/null)" || return 1
  grep -qa 'prometheus' "/proc/$pid/cmdline" 2>/dev/null
}

alive() { kill -0 "$1" 2>/dev/null && [[ "$(ps -o stat= -p "$1" 2>/dev/null)" != Z* ]]; }

answering() { timeout 3 bash -c "exec 3<>/dev/tcp/127.0.0.1/$PORT && printf 'GET /-/ready HTTP/1.0\r\n\r\n' >&3 && grep -q ' 200 ' <&3" 2>/dev/null; }

# The repository's file with its two relative paths (targets, rules) made absolute, and its own port.
render_config() {
  sed -e "s|\"\.\./\.\./\.stack/prometheus/targets/\*\.json\"|\"$TARGETS/*.json\"|" \
      -e "s|^  - rules/\*\.yml|  - $CONF_DIR/rules/*.yml|" \
      -e "s|127\.0\.0\.1:9090|127.0.0.1:$PORT|" \
      "$CONF_DIR/prometheus.yml" >"$STATE/prometheus.yml"
}

start() {
  need_prometheus
  mkdir -p "$STATE/data" "$TARGETS"
  render_config
  promtool check config --syntax-only "$STATE/prometheus.yml" >"$STATE/check.log" 2>&1 \
    || { cat "$STATE/check.log" >&2; die "invalid configuration (see $STATE/check.log)"; }
  if running; then
    log "already running (pid $(<"$PIDFILE")); reloading its configuration"
    kill -HUP "$(<"$PIDFILE")"
    return
  fi
  if port_open 127.0.0.1 "$PORT"; then
    log "something already answers on :$PORT (no pid file of ours); leaving it alone (PROMETHEUS_PORT=... to use another)"
    return
  fi
  log "starting on 127.0.0.1:$PORT"
  setsid prometheus --config.file="$STATE/prometheus.yml" --storage.tsdb.path="$STATE/data" \
    --storage.tsdb.retention.time="$RETENTION" --web.listen-address="127.0.0.1:$PORT" \
    --web.enable-lifecycle --web.console.templates=/etc/prometheus/consoles \
    --web.console.libraries=/etc/prometheus/console_libraries \
    >"$STATE/prometheus.log" 2>&1 </dev/null 9>&- &
  local pid=$! deadline=$((SECONDS + START_TIMEOUT))
  echo "$pid" >"$PIDFILE"
  until answering; do
    # Alive is what the kernel says, not the command line: right after the fork the pid is this script's
    # subshell, then setsid, then prometheus, and while a slow exec (a machine whose page cache was just
    # dropped) replaces the image /proc/<pid>/cmdline can read empty. A process that really ended is
    # reaped here, so its exit status can be told.
    if ! alive "$pid"; then
      local rc=0
      wait "$pid" 2>/dev/null || rc=$?
      tail -n 20 "$STATE/prometheus.log" >&2
      die "prometheus exited during startup with status $rc (see $STATE/prometheus.log)"
    fi
    ((SECONDS < deadline)) || die "prometheus did not answer on :$PORT within ${START_TIMEOUT}s"
    sleep 0.5
  done
  log "ready on http://127.0.0.1:$PORT (pid $(<"$PIDFILE"))"
}

stop() {
  if ! running; then
    rm -f "$PIDFILE"
    log "not running"
    return
  fi
  local pid i
  pid="$(<"$PIDFILE")"
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 60; i++)); do
    running || break
    sleep 0.5
  done
  running && kill -KILL "$pid" 2>/dev/null || true
  rm -f "$PIDFILE"
  log "stopped"
}

status() {
  if running && answering; then
    log "running (pid $(<"$PIDFILE")) on http://127.0.0.1:$PORT"
  elif running; then
    log "process $(<"$PIDFILE") alive but not answering on :$PORT (see $STATE/prometheus.log)"
    return 1
  else
    log "stopped"
    return 1
  fi
}

check() {
  need_prometheus
  promtool check config "$CONF_DIR/prometheus.yml"
  promtool check rules "$CONF_DIR"/rules/*.yml
  (cd "$CONF_DIR" && promtool test rules tests/*.yml)
}

cmd="${1:-}"
case "$cmd" in
  start | stop)
    mkdir -p "$STATE"
    exec 9>"$STATE/.lock"
    flock 9
    "$cmd"
    ;;
  status) status ;;
  check) check ;;
  *) die "usage: $0 start|stop|status|check" ;;
esac
