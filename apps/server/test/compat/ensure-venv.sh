#!/usr/bin/env bash
# Creates (once) the Python venv in which the compatibility tests run Dioptra's and Arvados's
# own Python clients, and prints its python's path. A stamp file records what was installed,
# so that later runs reuse the venv at once; changing requirements.txt rebuilds it.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
venv=${ROSTER_COMPAT_VENV:-$(cd "$here/../.." && pwd)/.cache/venv}
dioptra_pin='dioptra-platform==1.2.2'
stamp="$venv/.roster-stamp"
want="$(cat "$here/requirements.txt") $dioptra_pin"

# Test files run in parallel: one builds the venv while the others wait for it.
mkdir -p "$(dirname "$venv")"
exec 9>"$venv.lock"
flock 9

if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -x "$venv/bin/python" ]; then
  echo "$venv/bin/python"
  exit 0
fi

python=""
for candidate in python3.11 python3.12 python3.13 python3; do
  if command -v "$candidate" >/dev/null 2>&1 &&
    "$candidate" -c 'import sys, venv, ensurepip; sys.exit(0 if sys.version_info >= (3, 10) else 1)' 2>/dev/null; then
    python=$candidate
    break
  fi
done
if [ -z "$python" ]; then
  echo "ensure-venv: needs Python 3.10 or newer with the venv module (python3.11 preferred)" >&2
  exit 1
fi

echo "ensure-venv: creating $venv with $($python --version 2>&1)" >&2
rm -rf "$venv"
"$python" -m venv "$venv"
pip=("$venv/bin/python" -m pip --disable-pip-version-check --no-input -q)

if ! "${pip[@]}" install -r "$here/requirements.txt" >&2; then
  # pycurl builds from source where no wheel fits; it needs libcurl's and OpenSSL's headers.
  echo "ensure-venv: pip install failed; installing libcurl and OpenSSL headers for pycurl and retrying" >&2
  if command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq >&2 && apt-get install -y -qq libcurl4-openssl-dev libssl-dev >&2
  fi
  "${pip[@]}" install -r "$here/requirements.txt" >&2
fi
"${pip[@]}" install --no-deps "$dioptra_pin" >&2
"$venv/bin/python" -c 'import arvados, dioptra.client' >&2

echo "$want" >"$stamp"
echo "$venv/bin/python"
