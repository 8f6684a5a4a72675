#!/usr/bin/env bash
# Project-owned PostgreSQL cluster for local dev and CI: data in $STACK_DIR/postgres, listening
# on 127.0.0.1:$PGPORT only, run as the invoking user (as root: as `postgres`). Debian's own "main"
# cluster is left alone (and stopped if our install of the package started it).
#
#   deploy/postgres.sh start|stop|status
set -euo pipefail
LOG_TAG=postgres
# shellcheck source=common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

# DATABASES, ADMIN_ROLE and provision_sql: the same roles and SQL as docker-compose's Postgres.
# shellcheck source=postgres-roles.sh
. "$DEPLOY_DIR/postgres-roles.sh"

# Who runs the server. It refuses to run as root: as root, the `postgres` system user; as anyone else,
# that user (initdb and pg_ctl as yourself, no sudo needed once the package is installed). The cluster's
# superuser has the same name and is reached only over the private unix socket (peer authentication).
if [[ $(id -u) == 0 ]]; then
  PG_OS_USER=postgres
  as_pg() { (cd / && runuser -u postgres -- "$@"); }   # cd /: the caller's cwd may be closed to postgres
else
  PG_OS_USER="$(id -un)"
  as_pg() { (cd / && "$@"); }
fi

# Where the cluster lives: PG_STATE_DIR, else $STACK_DIR/postgres; as root, when the postgres user
# cannot enter that folder (a clone under /root, mode 700), a folder of its own under /var/lib/postgresql
# (linked from $STACK_DIR/postgres, so the logs are where they always are).
state_dir() {
  STATE="${PG_STATE_DIR:-$STACK_DIR/postgres}"
  [[ -n ${PG_STATE_DIR:-} || $PG_OS_USER != postgres ]] && return
  if [[ -L $STATE ]]; then STATE="$(readlink -f "$STATE")"; return; fi
  id postgres >/dev/null 2>&1 || return 0
  runuser -u postgres -- test -x "$(dirname "$STACK_DIR")" 2>/dev/null && return
  local own
  own="/var/lib/postgresql/medins-$(printf '%s' "$STACK_DIR" | sha256sum | cut -c1-8)"
  log "the postgres user cannot enter $STACK_DIR: the cluster goes to $own ($STACK_DIR/postgres links to it; PG_STATE_DIR chooses)"
  mkdir -p "$own"
  [[ -e $STACK_DIR/postgres ]] || ln -s "$own" "$STACK_DIR/postgres"
  STATE="$own"
}
state_dir
DATA="$STATE/data"
RUN="$STATE/run"        # unix socket directory
LOGS="$STATE/logs"

install_hint="apt-get install -y postgresql"
ensure_installed() {
  if ! compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null; then
    apt_install postgresql
    # The package creates a "main" cluster on 5432 and may start it; we use our own.
    pg_lsclusters --no-header 2>/dev/null | awk '$4 == "online" { print $1, $2 }' |
      while read -r ver name; do
        log "stopping Debian's cluster $ver/$name (not used by this project)"
        $(as_root_prefix || true) pg_ctlcluster "$ver" "$name" stop || true
      done
  fi
  if [[ $PG_OS_USER == postgres ]] && ! id postgres >/dev/null 2>&1; then
    useradd --system --user-group --no-create-home --home-dir /var/lib/postgresql --shell /usr/sbin/nologin postgres
  fi
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
  if [[ $PG_OS_USER == postgres ]]; then
    [[ $STATE == "$STACK_DIR"/* ]] && chmod o+x "$STACK_DIR"   # only the stack's folder is opened up
    chown postgres:postgres "$STATE" "$DATA" "$RUN" "$LOGS"
  fi
  chmod 700 "$DATA" "$RUN"   # the socket directory is private: only the cluster's user reaches it
  as_pg test -w "$STATE" ||
    die "user $PG_OS_USER cannot write $STATE: set PG_STATE_DIR (or STACK_DIR) to a folder it can reach"
}

init_once() {
  [[ -f $DATA/PG_VERSION ]] && return
  log "initdb $DATA ($BIN)"
  # Local socket: peer (only the cluster's OS user, for provisioning). TCP: passwords (SCRAM).
  as_pg "$BIN/initdb" -D "$DATA" -U "$PG_OS_USER" -E UTF8 --no-locale \
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
  [[ $PG_OS_USER != postgres ]] || chown postgres:postgres "$DATA/stack.conf"
}

pg_running() { as_pg "$BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; }

# Is the server accepting TCP connections? Without PGPASSWORD, so the probe does not try to log
# in (and log an auth failure) before the role exists.
pg_ready() { env -u PGPASSWORD "$BIN/pg_isready" -q -h 127.0.0.1 -p "$PGPORT" -U "$PG_OS_USER" -d postgres "$@"; }

# Roles and databases (docs/database-roles.md); safe to run on every start, and a password changed in
# the secrets file (a rotation) is set again here. As the cluster's superuser over the private socket.
provision() {
  local sql
  ensure_secrets "$ADMIN_ROLE" "${DATABASES[@]}"
  # Passwords go to psql on its standard input, never on a command line (which `ps` shows to everyone).
  sql="$(password_lines secret)" || die "the secrets file $SECRETS_FILE is incomplete"
  as_pg "$BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$RUN" -p "$PGPORT" -U "$PG_OS_USER" -d postgres -v admin="$ADMIN_ROLE" \
    >"$LOGS/provision.log" 2>&1 <<<"$sql"$'\n'"$(provision_sql)" ||
    { cat "$LOGS/provision.log" >&2; die "provisioning roles and databases failed"; }
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
  log "ready on 127.0.0.1:$PGPORT (databases ${DATABASES[*]}, each owned by its own role; admin role $ADMIN_ROLE; passwords in $SECRETS_FILE)"
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
