# shellcheck shell=bash
# Sourced by deploy/*.sh: paths derived from this file's location (any cwd, any
# clone path), stack.env defaults, and small helpers.
DEPLOY_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(dirname "$DEPLOY_DIR")"
# All runtime state (data, logs, pids, secrets.env): STACK_DIR, by default <repo>/.stack (gitignored).
STACK_DIR="${STACK_DIR:-$REPO_ROOT/.stack}"
mkdir -p "$STACK_DIR"
STACK_DIR="$(cd "$STACK_DIR" && pwd)"
export STACK_DIR

set -a
# shellcheck source=stack.env
. "$DEPLOY_DIR/stack.env"
set +a

log() { printf '[%s] %s\n' "${LOG_TAG:-stack}" "$*"; }
die() { printf '[%s] ERROR: %s\n' "${LOG_TAG:-stack}" "$*" >&2; exit 1; }

# True if something accepts TCP connections on host:port (bash's /dev/tcp, no extra tools).
# shellcheck disable=SC2016  # $0/$1 expand in the inner bash
port_open() { timeout 3 bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$1" "$2" 2>/dev/null; }

# Root, or a user whose sudo needs no password here: the command prefix that runs as root; else fails.
as_root_prefix() {
  if [[ $(id -u) == 0 ]]; then echo ""; return 0; fi
  command -v sudo >/dev/null && sudo -n true 2>/dev/null && { echo "sudo"; return 0; }
  return 1
}

# Fresh machines (CI) may lack a tool: install its Debian package, as root or with sudo; otherwise say
# which command installs it. `apt-get` prints a line per package it fetches and unpacks (progress).
apt_updated=
apt_install() {
  local sudo
  sudo="$(as_root_prefix)" ||
    die "missing: $* (and not root, no password-less sudo). Install it with:  sudo apt-get install -y $*"
  export DEBIAN_FRONTEND=noninteractive
  if [[ -z $apt_updated ]]; then
    log "apt-get update (first use of $*) ..."
    $sudo apt-get update -q >"$STACK_DIR/apt.log" 2>&1 || { cat "$STACK_DIR/apt.log" >&2; die "apt-get update failed"; }
    apt_updated=1
  fi
  log "apt-get install $* (a few minutes the first time; full log: $STACK_DIR/apt.log) ..."
  $sudo apt-get install -y -q --no-install-recommends "$@" 2>&1 | tee -a "$STACK_DIR/apt.log" |
    sed -un -e 's/^Get:[0-9]* [^ ]* [^ ]* [^ ]* \([^ ]*\) .*/  fetched \1/p' -e 's/^Setting up \([^ ]*\).*/  set up \1/p' ||
    { tail -n 30 "$STACK_DIR/apt.log" >&2; die "apt-get install $* failed (see $STACK_DIR/apt.log)"; }
}
need_cmd() { command -v "$1" >/dev/null || apt_install "$2"; }   # need_cmd COMMAND DEBIAN_PACKAGE

# The secrets file (deploy/secrets.py writes it: every password of the stack, mode 0600, never in the
# repository). Until that generator exists, the Postgres entries are made here, with the same names.
SECRETS_FILE="${SECRETS_FILE:-$STACK_DIR/secrets.env}"
ensure_secrets() {
  if [[ -f $DEPLOY_DIR/secrets.py ]]; then
    need_cmd python3 python3
    SECRETS_FILE="$SECRETS_FILE" STACK_DIR="$STACK_DIR" python3 "$DEPLOY_DIR/secrets.py" ensure >/dev/null 2>&1 ||
      SECRETS_FILE="$SECRETS_FILE" STACK_DIR="$STACK_DIR" python3 "$DEPLOY_DIR/secrets.py" ensure
    return
  fi
  local role name
  (umask 077 && touch "$SECRETS_FILE")
  for role in "$@"; do
    name="PG_${role^^}_PASSWORD"
    grep -q "^$name=." "$SECRETS_FILE" ||
      echo "$name=$(head -c 32 /dev/urandom | base64 | tr -d '/+=\n' | head -c 40)" >>"$SECRETS_FILE"
  done
}
secret() {   # secret NAME: its value in the secrets file (empty if absent)
  sed -n "s/^$1=//p" "$SECRETS_FILE" 2>/dev/null | tail -n 1
}
