#!/usr/bin/env bash
# Install uv if missing and create .venv from the lock file (idempotent, quiet when done).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v uv >/dev/null 2>&1; then
  python3 -m pip install --quiet --disable-pip-version-check uv >/dev/null 2>&1 \
    || python3 -m pip install --quiet --user uv
  export PATH="$HOME/.local/bin:$PATH"
fi
py=3.11
command -v python3.11 >/dev/null 2>&1 || py=3
uv sync --frozen --python "$py" --quiet
