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

if [[ ! -x .venv/bin/python ]]; then
  log "creating .venv with $("$PYTHON" --version)"
  rm -rf .venv
  "$PYTHON" -m venv .venv || die "python3 -m venv failed. On Debian/Ubuntu:  sudo apt-get install -y python3-venv"
fi

total="$(grep -c '^[A-Za-z]' constraints.txt)"
log "installing $total pinned packages and the project into .venv (the first time takes a minute or two; log: .venv/pip.log)"
.venv/bin/python -m pip install --disable-pip-version-check --progress-bar off \
    -c constraints.txt -r requirements.txt -r requirements-dev.txt -e . 2>&1 | tee .venv/pip.log |
  awk -v total="$total" -v tag="[venv]" '
    /^Collecting / { n++; printf "%s %d/%d %s\n", tag, n, total, $2; fflush() }
    /^Installing collected packages/ { print tag " installing ..."; fflush() }
    /^Successfully installed/ { print tag " done"; fflush() }
    /^ERROR/ { print; fflush() }' ||
  { tail -n 20 .venv/pip.log >&2; die "pip install failed (see .venv/pip.log)"; }
