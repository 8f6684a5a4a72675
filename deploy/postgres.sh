#!/usr/bin/env bash
# Project-owned PostgreSQL cluster for local dev and CI: data in .stack/postgres, listening
# on 127.0.0.1:$PGPORT only. Debian's own "main" cluster is left alone (and stopped if our
# install of the package started it).
#
#   deploy/postgres.sh start|stop|status
set -euo pipefail
LOG_TAG=postgres
# shellcheck source=common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

STATE="$STACK_DIR/postgres"
DATA="$STATE/data"
RUN="$STATE/run"        # unix socket directory
LOGS="$STATE/logs"
DATABASES=(enrollment settlement wallet clearing console)

# The server refuses to run as root, so everything touching the cluster runs as the
# `postgres` system user. cd / first: the caller's cwd may be unreadable for that user.
as_pg() { (cd / && runuser -u postgres -- "$@"); }

ensure_installed() {
  if ! compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null; then
    apt_install postgresql
    # The package creates a "main" cluster on 5432 and may start it; we use our own.
    pg_lsclusters --no-header 2>/dev/null | awk '$4 == "online" { print $1, $2 }' |
      while read -r ver name; do
        log "stopping Debian's cluster $ver/$name (not used by this project)"
        pg_ctlcluster "$ver" "$name" stop || true
      done
  fi
  id postgres >/dev/null 2>&1 ||
    useradd --system --user-group --no-create-home --home-dir /var/lib/postgresql --shell /usr/sbin/nologin postgres
}

# Binaries of the major version the cluster was created with, else the newest installed.
find_bin() {
  if [[ -f $DATA/PG_VERSION && -x /usr/lib/postgresql/$(<"$DATA/PG_VERSION")/bin/postgres ]]; then
    BIN="/usr/lib/postgresql/$(<"$DATA/PG_VERSION")/bin"
  else
    BIN="$(dirname "$(compgen -G '/usr/lib/postgresql/*/bin/initdb' | sort -V | tail -n 1)")"
  fi
}

prepare_dirs() {
  mkdir -p "$DATA" "$RUN" "$LOGS"
  chmod o+x "$STACK_DIR"      # only .stack is opened up; its parents must already be traversable
  chown postgres:postgres "$STATE" "$DATA" "$RUN" "$LOGS"
  chmod 700 "$DATA"
  as_pg test -w "$STATE" ||
    die "user postgres cannot reach $STATE: a parent directory of the repo is not traversable (chmod o+x it, or clone elsewhere)"
}

init_once() {
  [[ -f $DATA/PG_VERSION ]] && return
  log "initdb $DATA ($BIN)"
  # Local socket: peer (only the postgres OS user, for provisioning). TCP: passwords.
  as_pg "$BIN/initdb" -D "$DATA" -U postgres -E UTF8 --no-locale \
    --auth-local=peer --auth-host=scram-sha-256 >"$LOGS/initdb.log" 2>&1 ||
    { cat "$LOGS/initdb.log" >&2; die "initdb failed"; }
  echo "include_if_exists = 'stack.conf'" >>"$DATA/postgresql.conf"
}

# Settings that depend on the environment (port, paths) are rewritten on every start.
write_conf() {
  cat >"$DATA/stack.conf" <<EOF
# Written by deploy/postgres.sh on every start; change it there.
listen_addresses = '127.0.0.1'
port = $PGPORT
unix_socket_directories = '$RUN'
max_connections = 200
# Sized for the 24 GiB reference machine: with 256 MB the backends evicted and wrote pages themselves
# under load; fewer, spread checkpoints mean fewer full-page images in the WAL (docs/performance.md).
shared_buffers = 1GB
checkpoint_timeout = 15min
max_wal_size = 4GB
# The working set is in memory (shared_buffers above, the page cache beyond it), so a page read out of
# order costs about what the next one does. At the default 4 the planner seq-scanned tables of a few
# thousand rows for a batch's 20 keys (accumulators, accounts, claim_payments), on the hospital's path:
# 1.5 ms where the index takes 0.2 (docs/performance.md, the fifth round).
random_page_cost = 1.1
# What each statement costs, for operators and for profiling (docs/performance.md): SELECT * FROM pg_stat_statements
shared_preload_libraries = 'pg_stat_statements'
pg_stat_statements.track = all
pg_stat_statements.track_planning = on
log_line_prefix = '%m [%p] %q%u@%d '
EOF
  chown postgres:postgres "$DATA/stack.conf"
}

pg_running() { as_pg "$BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; }

# Is the server accepting TCP connections? Without PGPASSWORD, so the probe does not try to log
# in (and log an auth failure) before the role exists.
pg_ready() { env -u PGPASSWORD "$BIN/pg_isready" -q -h 127.0.0.1 -p "$PGPORT" -U postgres -d postgres "$@"; }

# Role and databases the services expect; safe to run on every start.
provision() {
  as_pg "$BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$RUN" -p "$PGPORT" -U postgres -d postgres \
    -v role="$PGUSER" -v pass="$PGPASSWORD" -v dbs="${DATABASES[*]}" <<'SQL'
SELECT format('CREATE ROLE %I LOGIN SUPERUSER PASSWORD %L', :'role', :'pass')
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'role') \gexec
SELECT format('CREATE DATABASE %I OWNER %I', d, :'role')
  FROM unnest(string_to_array(:'dbs', ' ')) AS d
 WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = d) \gexec
SQL
}

start() {
  ensure_installed
  find_bin
  prepare_dirs
  init_once
  if pg_running; then
    log "already running (port $PGPORT)"
  else
    write_conf
    log "starting on 127.0.0.1:$PGPORT ($BIN)"
    as_pg "$BIN/pg_ctl" -D "$DATA" -l "$LOGS/postgres.log" -w -t 60 start >/dev/null ||
      { tail -n 20 "$LOGS/postgres.log" >&2; die "server did not start (see $LOGS/postgres.log)"; }
  fi
  pg_ready -t 30 ||
    die "not answering on 127.0.0.1:$PGPORT (see $LOGS/postgres.log)"
  provision
  log "ready on 127.0.0.1:$PGPORT (role $PGUSER; databases ${DATABASES[*]})"
}

stop() {
  find_bin
  if [[ ! -f $DATA/PG_VERSION ]] || ! pg_running; then
    log "not running"
    return
  fi
  log "stopping ..."
  as_pg "$BIN/pg_ctl" -D "$DATA" -m fast -w -t 60 stop >/dev/null
  log "stopped"
}

status() {
  if compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null && [[ -f $DATA/PG_VERSION ]]; then
    find_bin
    if pg_running && pg_ready; then
      log "running on 127.0.0.1:$PGPORT"
      return 0
    fi
  fi
  log "stopped"
  return 1
}

case "${1:-}" in
  start | stop | status) "$1" ;;
  *) die "usage: $0 start|stop|status" ;;
esac
