#!/usr/bin/env bash
# Runs a command with the lab up, then stops the lab whatever the command did, keeping its exit code.
# A lab that cannot start fails the run: tests never skip silently.
set -euo pipefail
cd "$(dirname "$0")/.."
node test/lab/lab.mjs start
set +e
"$@"
rc=$?
set -e
node test/lab/lab.mjs stop --purge || rc=1
exit "$rc"
