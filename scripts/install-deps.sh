#!/usr/bin/env bash
# Installs the named Debian packages when any is missing; quiet when all are there.
# Also checks for the Swift toolchain, which Debian 12 does not package.
set -euo pipefail
if ! command -v swift >/dev/null 2>&1; then
  echo "install-deps: no 'swift' on PATH; install the Swift 6.2+ toolchain for Debian 12 from swift.org" >&2
  exit 1
fi
missing=()
for p in "$@"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
((${#missing[@]})) || exit 0
if [ "$(id -u)" != 0 ]; then
  echo "install-deps: missing packages (${missing[*]}); run as root" >&2
  exit 1
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
