#!/usr/bin/env bash
# Installs what berth and its lab need on Debian 12 (as root): the lab's Debian packages when any is
# missing, and node_modules when it is missing or older than package-lock.json. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

# ruby and ruby-dotenv: ERB beyond berth's subset is rendered by Ruby (lib/config/ruby-erb.ts), and unit tests compare
# the subset with it byte for byte
packages=(docker.io openssh-server openssh-client docker-registry busybox-static curl iproute2 ruby ruby-dotenv)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${packages[@]}"
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules ] || [ "${BERTH_FORCE_NPM_CI:-}" = 1 ]; then
  echo "setup: npm ci"
  npm ci --no-audit --no-fund
  touch node_modules
fi
