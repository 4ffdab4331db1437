#!/usr/bin/env bash
# Creates a Python virtual environment with the given PyPI requirements (name==version), or does nothing when
# it already has them. Usage: install-venv.sh DIR REQUIREMENT...
set -euo pipefail
venv=$1
shift
stamp="$venv/.requirements"
if [ -x "$venv/bin/python" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$*" ]; then
  exit 0
fi
echo "install-venv: $venv ← $*"
rm -rf "$venv"
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check "$@"
echo "$*" >"$stamp"
