# shellcheck shell=bash
# Sourced by deploy/*.sh: paths derived from this file's location (any cwd, any
# clone path), stack.env defaults, and small helpers.
DEPLOY_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(dirname "$DEPLOY_DIR")"
STACK_DIR="$REPO_ROOT/.stack"     # all runtime state (data, logs, pids); gitignored

set -a
# shellcheck source=stack.env
. "$DEPLOY_DIR/stack.env"
set +a

log() { printf '[%s] %s\n' "${LOG_TAG:-stack}" "$*"; }
die() { printf '[%s] ERROR: %s\n' "${LOG_TAG:-stack}" "$*" >&2; exit 1; }

# True if something accepts TCP connections on host:port (bash's /dev/tcp, no extra tools).
# shellcheck disable=SC2016  # $0/$1 expand in the inner bash
port_open() { timeout 3 bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$1" "$2" 2>/dev/null; }

# Fresh machines (CI) may lack a tool: install its Debian package. Needs root.
apt_updated=
apt_install() {
  [[ $(id -u) == 0 ]] || die "missing packages ($*) and not root: apt-get install $* by hand"
  log "apt-get install $* ..."
  export DEBIAN_FRONTEND=noninteractive
  mkdir -p "$STACK_DIR"
  if [[ -z $apt_updated ]]; then apt-get update -qq >"$STACK_DIR/apt.log" 2>&1 || { cat "$STACK_DIR/apt.log" >&2; die "apt-get update failed"; }; apt_updated=1; fi
  apt-get install -y -qq --no-install-recommends "$@" >>"$STACK_DIR/apt.log" 2>&1 \
    || { tail -n 30 "$STACK_DIR/apt.log" >&2; die "apt-get install $* failed (see $STACK_DIR/apt.log)"; }
}
need_cmd() { command -v "$1" >/dev/null || apt_install "$2"; }   # need_cmd COMMAND DEBIAN_PACKAGE
