#!/usr/bin/env bash
# Creates the virtualenv with the Python peer programs used by the side-by-side
# benchmarks (outside the repository, in $PEERS_VENV, default ../../target/peers-venv).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="${PEERS_VENV:-$here/../../target/peers-venv}"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/pip" install --quiet --upgrade pip
"$venv/bin/pip" install --quiet -r "$here/requirements.txt"
echo "$venv"
