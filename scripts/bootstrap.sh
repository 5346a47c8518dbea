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
# --compile-bytecode: write the .pyc files once (pip does the same on install); without them
# every start compiles the imported modules again (~0.1-0.3 s; PYTHONDONTWRITEBYTECODE=1
# machines never keep them).  Only new or changed packages are compiled on later runs.
uv sync --frozen --python "$py" --quiet --compile-bytecode
# the same for quickturn itself (an editable install); stale files are simply recompiled
uv run --frozen --quiet python -m compileall -q -j 0 src >/dev/null
