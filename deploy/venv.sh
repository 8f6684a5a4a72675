#!/usr/bin/env bash
# The project's virtualenv (.venv): Python >= 3.11 with the venv module, then the pinned packages
# (requirements.txt + requirements-dev.txt under constraints.txt) and the project itself in editable
# mode (its console scripts: .venv/bin/medins-*). Prints a line per package as pip goes.
set -euo pipefail
LOG_TAG=venv
# shellcheck source=common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$REPO_ROOT"

PYTHON="${PYTHON:-python3}"
command -v "$PYTHON" >/dev/null || apt_install python3
"$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' ||
  die "$("$PYTHON" --version 2>&1) is too old: Python 3.11 or newer is needed (PYTHON=python3.12 make ... to choose one)"
# Debian splits the venv module (ensurepip) into python3-venv.
if ! "$PYTHON" -c 'import ensurepip, venv' 2>/dev/null; then
  apt_install "python3-venv" ||
    die "Python's venv module is missing. Install it with:  sudo apt-get install -y python3-venv"
fi

# A .venv linked to another checkout's environment (a worktree borrowing the main one) is used as it is:
# installing this clone into it in editable mode would point the other checkout's project here.
if [[ -L .venv ]]; then
  log ".venv links to $(readlink -f .venv): using it as it is, nothing installed into it (remove the link for an environment of this clone's own)"
  exit 0
fi

if [[ ! -x .venv/bin/python ]]; then
  log "creating .venv with $("$PYTHON" --version)"
  rm -rf .venv
  "$PYTHON" -m venv .venv || die "python3 -m venv failed. On Debian/Ubuntu:  sudo apt-get install -y python3-venv"
fi

total="$(grep -c '^[A-Za-z]' constraints.txt)"
log "installing $total pinned packages and the project into .venv (the first time takes a minute or two; log: .venv/pip.log)"
# A line per package as pip reaches it. Read line by line in bash: Debian's awk (mawk) reads a pipe in
# large blocks, and its lines came in two bursts minutes apart.
progress() {
  local line n=0
  while IFS= read -r line; do
    case $line in
      "Collecting "*) n=$((n + 1)); read -r _ line <<<"$line"; log "$n/$total ${line%% *}" ;;
      "Installing collected packages"*) log "installing ..." ;;
      "Successfully installed"*) log "done" ;;
      ERROR*) printf '%s\n' "$line" ;;
    esac
  done
}
.venv/bin/python -m pip install --disable-pip-version-check --progress-bar off \
    -c constraints.txt -r requirements.txt -r requirements-dev.txt -e . 2>&1 | tee .venv/pip.log | progress ||
  { tail -n 20 .venv/pip.log >&2; die "pip install failed (see .venv/pip.log)"; }
