#!/usr/bin/env bash
# The console's browser tests (tests/ui) drive Debian's Chromium with Playwright (never a downloaded browser),
# with a CJK font so Chinese pages render in screenshots. Installed when missing, as root or with password-less
# sudo, a line per package as apt goes (Chromium is a few minutes the first time); otherwise the command that
# installs them is printed and the browser tests skip.
set -euo pipefail
LOG_TAG=ui-deps
# shellcheck source=common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
missing=()
[[ -x $CHROMIUM ]] || missing+=(chromium)
# (a here-string, not a pipe: with pipefail, grep -q leaving early made fc-list's SIGPIPE read as "no font")
grep -qi "wenquanyi\|noto sans cjk" <<<"$(fc-list 2>/dev/null)" || missing+=(fonts-wqy-microhei)
((${#missing[@]})) || exit 0
if ! as_root_prefix >/dev/null; then
  log "the console's browser tests will skip: as root, run  sudo apt-get install -y ${missing[*]}"
  exit 0
fi
apt_install "${missing[@]}"
