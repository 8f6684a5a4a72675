#!/usr/bin/env bash
# Single-node KRaft Kafka for local dev and CI, run straight from Maven-resolved
# jars (deploy/kafka/pom.xml) because no Kafka tarball can be downloaded here.
#
#   deploy/kafka.sh start|stop|status
#   deploy/kafka.sh tool CLASS [ARGS...]   run a Kafka CLI class on the same classpath, e.g.
#       deploy/kafka.sh tool org.apache.kafka.tools.TopicCommand --bootstrap-server 127.0.0.1:19092 \
#           --command-config .stack/kafka/admin.properties --list
#
# Every listener authenticates (SASL/SCRAM-SHA-512 for clients, PLAIN between broker and controller)
# and the StandardAuthorizer denies what no ACL allows (docs/security.md). The passwords come from the
# secrets file (deploy/secrets.py, created here if missing); admin.properties is the admin's client
# configuration for the CLI tools (0600).
set -euo pipefail
LOG_TAG=kafka
# shellcheck source=common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

CONF_DIR="$DEPLOY_DIR/kafka"
LIB="$CONF_DIR/lib"
STATE="$STACK_DIR/kafka"
DATA="$STATE/data"
LOGS="$STATE/logs"
PIDFILE="$STATE/kafka.pid"
HOST="${KAFKA_BOOTSTRAP%:*}"
PORT="${KAFKA_BOOTSTRAP##*:}"
CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-$((PORT + 1))}"
HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xms256m -Xmx512m}"
START_TIMEOUT="${KAFKA_START_TIMEOUT:-90}"
STOP_TIMEOUT="${KAFKA_STOP_TIMEOUT:-30}"
ADMIN_PROPS="$STATE/admin.properties"

# The secrets file (made here if missing: system python3, the standard library only).
load_admin_password() {
  local file
  need_cmd python3 python3
  file="$(STACK_DIR="$STACK_DIR" python3 "$DEPLOY_DIR/secrets.py" path)"
  STACK_DIR="$STACK_DIR" python3 "$DEPLOY_DIR/secrets.py" ensure >/dev/null 2>&1 \
    || STACK_DIR="$STACK_DIR" python3 "$DEPLOY_DIR/secrets.py" ensure
  ADMIN_PASSWORD="$(sed -n 's/^KAFKA_USER_ADMIN_PASSWORD=//p' "$file")"
  [[ -n $ADMIN_PASSWORD ]] || die "no KAFKA_USER_ADMIN_PASSWORD in $file"
}

# The admin's client configuration for the CLI tools (readiness check, kafka-acls, kafka-configs...).
write_admin_props() {
  (umask 077 && cat >"$ADMIN_PROPS" <<PROPS
security.protocol=SASL_PLAINTEXT
sasl.mechanism=SCRAM-SHA-512
sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="$ADMIN_PASSWORD";
PROPS
  )
}

# Resolve the jars into lib/ when it is empty or pom.xml changed since the last fetch.
fetch_jars() {
  local stamp="$LIB/.pom.sha256" want
  want="$(sha256sum "$CONF_DIR/pom.xml" | cut -d' ' -f1)"
  if [[ -f $stamp && $(<"$stamp") == "$want" ]] && compgen -G "$LIB/*.jar" >/dev/null; then return; fi
  need_cmd mvn maven
  log "fetching Kafka's jars with Maven into deploy/kafka/lib (a minute or two the first time; log: $LOGS/mvn.log) ..."
  rm -rf "$LIB"
  mkdir -p "$LOGS"
  # A line per jar downloaded (Maven's own repository, ~/.m2, serves the ones it already has).
  mvn -B -f "$CONF_DIR/pom.xml" dependency:copy-dependencies 2>&1 | tee "$LOGS/mvn.log" |
    sed -un 's|^\(\[INFO\] \)\{0,1\}Downloaded from [^:]*: .*/\([^/]*\.jar\) (\(.*\))$|  fetched \2 (\3)|p' \
    || { tail -n 30 "$LOGS/mvn.log" >&2; die "Maven could not fetch the Kafka jars (see $LOGS/mvn.log)"; }
  echo "$want" >"$stamp"
  log "fetched $(compgen -G "$LIB/*.jar" | wc -l) jars"
}

# Run a Kafka class (CLI tool) with quiet logging.
tool() { java -cp "$LIB/*" -Dlog4j.configuration="file:$CONF_DIR/tools-log4j.properties" "$@"; }

# Our broker is running if the pid file names a live kafka.Kafka JVM (guards against stale pids).
running() {
  local pid
  pid="$(cat "$PIDFILE" 2>/dev/null)" || return 1
  grep -qa 'kafka\.Kafka' "/proc/$pid/cmdline" 2>/dev/null
}

# Right after the fork the pid is still this script's subshell (then setsid, then java): wait until it
# is the JVM, so that the readiness loop below never mistakes "not Java yet" for "exited". For as long
# as the process lives (a loaded machine may be slow to exec), within the start's time limit.
wait_for_java() {
  local pid="$1" deadline=$((SECONDS + START_TIMEOUT))
  until grep -qa 'kafka\.Kafka' "/proc/$pid/cmdline" 2>/dev/null; do
    kill -0 "$pid" 2>/dev/null || return 1
    ((SECONDS < deadline)) || return 1
    sleep 0.1
  done
}

# The port opens before the broker has registered with the controller; ask for API versions,
# which only succeeds once the broker really serves requests.
answering() {
  port_open "$HOST" "$PORT" || return 1
  # The tool's whole answer, then grep (a pipe into grep -q under pipefail could fail on the tool's SIGPIPE).
  grep -q '(id: 1 ' <<<"$(timeout 30 java -cp "$LIB/*" -Dlog4j.configuration="file:$CONF_DIR/tools-log4j.properties" \
    kafka.admin.BrokerApiVersionsCommand --bootstrap-server "$KAFKA_BOOTSTRAP" --command-config "$ADMIN_PROPS" 2>/dev/null)"
}

fail_start() {
  # Kafka logs stack traces: show the error lines and root causes, not just the tail.
  # `|| true`: no error line (or no log yet) is not a reason to abort before saying what happened.
  { echo "--- errors in $LOGS/server.log:"
    grep -E '^\[[^]]*\] (ERROR|FATAL) |^Caused by' "$LOGS/server.log" 2>/dev/null | tail -n 8 || true
    if grep -qs 'Authentication failed' "$LOGS/server.log"; then
      echo "(authentication failed: the admin password in the secrets file is not the one this broker's data"
      echo " was formatted with; restore the file, or move $DATA away to start afresh)"
    fi
    echo "--- end of $LOGS/kafka.out:"; tail -n 5 "$LOGS/kafka.out" 2>/dev/null || true; } >&2
  if running; then set -- "$1; it is still running as pid $(<"$PIDFILE") ('$0 stop' kills it)"; fi
  die "$1 (full log: $LOGS/server.log)"
}

wait_ready() {
  local deadline=$((SECONDS + START_TIMEOUT))
  until answering; do
    running || fail_start "Kafka exited during startup"
    ((SECONDS < deadline)) || fail_start "Kafka did not answer on $KAFKA_BOOTSTRAP within ${START_TIMEOUT}s"
    sleep 1
  done
}

render_config() {
  (umask 077 && sed -e "s|{{HOST}}|$HOST|g" -e "s|{{ADVERTISED_HOST}}|$HOST|g" -e "s|{{BROKER_PORT}}|$PORT|g" \
      -e "s|{{CONTROLLER_PORT}}|$CONTROLLER_PORT|g" -e "s|{{DATA_DIR}}|$DATA|g" \
      -e "s|{{ADMIN_PASSWORD}}|$ADMIN_PASSWORD|g" \
      "$CONF_DIR/server.properties.template" >"$STATE/server.properties")
  write_admin_props
}

# KRaft storage must be formatted once with a cluster id; the id is kept next to the data.
# The admin's SCRAM credential is written into the metadata log at format time (KIP-900): the broker
# needs it for its own inter-broker login before anyone could add it over the network.
# Data formatted before authentication existed (no marker) has no credential: it is moved aside.
format_once() {
  if [[ -f $DATA/meta.properties && ! -f $STATE/scram.formatted ]]; then
    local aside="$STATE/data.before-auth.$(date +%Y%m%d%H%M%S)"
    log "the data in $DATA predates authentication (no SCRAM users): moved to $aside, formatting anew"
    mv "$DATA" "$aside"
    mkdir -p "$DATA"
  fi
  [[ -f $DATA/meta.properties ]] && return
  [[ -s $STATE/cluster.id ]] || tool kafka.tools.StorageTool random-uuid >"$STATE/cluster.id"
  log "formatting $DATA (cluster id $(<"$STATE/cluster.id")) with the admin's SCRAM credential"
  tool kafka.tools.StorageTool format --ignore-formatted -t "$(<"$STATE/cluster.id")" \
    -c "$STATE/server.properties" --add-scram "SCRAM-SHA-512=[name=admin,password=$ADMIN_PASSWORD]" \
    >"$LOGS/format.log" 2>&1 \
    || { cat "$LOGS/format.log" >&2; die "kafka storage format failed"; }
  touch "$STATE/scram.formatted"
}

start() {
  load_admin_password
  if running; then
    if ! grep -qs '^sasl.enabled.mechanisms=' "$STATE/server.properties"; then
      die "the running broker (pid $(<"$PIDFILE")) was started before authentication existed: restart it with '$0 stop' then '$0 start'"
    fi
    log "already running (pid $(<"$PIDFILE")), checking it answers on $KAFKA_BOOTSTRAP"
    write_admin_props
    wait_ready
    return
  fi
  if port_open "$HOST" "$PORT"; then
    log "something already answers on $KAFKA_BOOTSTRAP (no pid file of ours); leaving it alone"
    return
  fi
  need_cmd java openjdk-17-jre-headless
  fetch_jars
  mkdir -p "$DATA" "$LOGS"
  render_config
  format_once
  log "starting broker on $KAFKA_BOOTSTRAP (controller :$CONTROLLER_PORT, heap $HEAP_OPTS)"
  # setsid: own session, so Ctrl-C / the caller's process group ending does not take Kafka down.
  # No job control in this script, so setsid execs in place and $! is the JVM's pid.
  # shellcheck disable=SC2086  # HEAP_OPTS is a list of JVM flags
  setsid java $HEAP_OPTS -server -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:+ExitOnOutOfMemoryError \
    -Djava.awt.headless=true -Dkafka.logs.dir="$LOGS" \
    -Dlog4j.configuration="file:$CONF_DIR/log4j.properties" \
    -cp "$LIB/*" kafka.Kafka "$STATE/server.properties" >"$LOGS/kafka.out" 2>&1 </dev/null 9>&- &
  echo $! >"$PIDFILE"
  local t0=$SECONDS
  wait_for_java "$(<"$PIDFILE")" || fail_start "Kafka's JVM did not start"
  wait_ready
  log "ready on $KAFKA_BOOTSTRAP (pid $(<"$PIDFILE"), $((SECONDS - t0))s)"
}

stop() {
  if ! running; then
    rm -f "$PIDFILE"
    log "not running"
    return
  fi
  local pid i
  pid="$(<"$PIDFILE")"
  log "stopping (pid $pid) ..."
  kill -TERM "$pid" 2>/dev/null || true   # controlled shutdown: flushes logs, closes the metadata log
  for ((i = 0; i < STOP_TIMEOUT; i++)); do
    running || break
    sleep 1
  done
  if running; then
    log "still alive after ${STOP_TIMEOUT}s, sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    sleep 1
  fi
  rm -f "$PIDFILE"
  log "stopped"
}

status() {
  if running && port_open "$HOST" "$PORT"; then
    log "running (pid $(<"$PIDFILE")) on $KAFKA_BOOTSTRAP"
  elif running; then
    log "process $(<"$PIDFILE") alive but $KAFKA_BOOTSTRAP not answering (starting or broken; see $LOGS/server.log)"
    return 1
  else
    log "stopped"
    return 1
  fi
}

cmd="${1:-}"
case "$cmd" in
  start | stop)
    mkdir -p "$STATE"
    # Serialize concurrent start/stop of the same stack (e.g. two `stack.sh up` at once);
    # the broker is started with fd 9 closed so it does not inherit the lock.
    exec 9>"$STATE/.lock"
    flock 9
    "$cmd"
    ;;
  status) status ;;
  tool)
    shift
    [[ $# -ge 1 ]] || die "usage: $0 tool CLASS [ARGS...]"
    fetch_jars
    [[ -f $ADMIN_PROPS ]] || { load_admin_password; mkdir -p "$STATE"; write_admin_props; }
    tool "$@"
    ;;
  *) die "usage: $0 start|stop|status|tool CLASS [ARGS...]" ;;
esac
