#!/usr/bin/env bash
# Runs a command with the lab up. A lab that is already running (this $BERTH_LAB_DIR) is reused and left
# running; otherwise the lab is started here and stopped (and purged) afterwards, whatever the command did,
# keeping its exit code. A lab that cannot start fails the run: tests never skip silently.
set -euo pipefail
cd "$(dirname "$0")/.."
if node test/lab/lab.mjs status > /dev/null 2>&1; then
  echo "with-lab: reusing the running lab in ${BERTH_LAB_DIR:-/tmp/berth-lab}"
  exec "$@"
fi
node test/lab/lab.mjs start
set +e
"$@"
rc=$?
set -e
node test/lab/lab.mjs stop --purge || rc=1
exit "$rc"
