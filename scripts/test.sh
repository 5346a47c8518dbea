#!/usr/bin/env bash
# The whole test suite, from a fresh machine: system packages (as root), the locked Python
# environment, a throwaway PostgreSQL server on 127.0.0.1, lint, types, then pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.local/bin:$PATH"

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  need=()
  [ -x /usr/bin/chromium ] || need+=(chromium)
  compgen -G "/usr/lib/postgresql/*/bin/pg_ctl" >/dev/null || need+=(postgresql)
  [ -d /usr/share/fonts/opentype/noto ] || need+=(fonts-noto-cjk)
  if [ ${#need[@]} -gt 0 ]; then
    echo "installing Debian packages: ${need[*]}"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  fi
fi

scripts/bootstrap.sh

pgdir=""
if [ -z "${QUICKTURN_TEST_PG_URL:-}" ] && compgen -G "/usr/lib/postgresql/*/bin/pg_ctl" >/dev/null; then
  pgdir=$(mktemp -d /tmp/quickturn-pg.XXXXXX)
  chmod 755 "$pgdir"
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  trap 'scripts/pg.sh stop "$pgdir/data"; rm -rf "$pgdir"' EXIT
  url=$(scripts/pg.sh start "$pgdir/data" "$port")
  export QUICKTURN_TEST_PG_URL=$url
  echo "PostgreSQL for tests: $QUICKTURN_TEST_PG_URL"
fi

echo "== ruff"; uv run --frozen ruff check src tests benchmarks
echo "== mypy --strict (core, services)"; uv run --frozen mypy
echo "== pytest"
uv run --frozen pytest -n "${QUICKTURN_TEST_WORKERS:-2}" --timeout 900 "$@"
