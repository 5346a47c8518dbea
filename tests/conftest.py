"""Shared fixtures: a fresh store on each backend, the shared real data, CI strictness.

PostgreSQL tests use the server in ``QUICKTURN_TEST_PG_URL`` (``make test`` starts a
throwaway one on 127.0.0.1).  Browser tests need ``/usr/bin/chromium``.  Outside CI those
tests skip with the reason; under ``CI=true`` a missing server or browser is an error.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from quickturn.store import Store, open_store

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = (ROOT / ".." / "shared" / "data").resolve()
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
PG_URL = os.environ.get("QUICKTURN_TEST_PG_URL")
CHROMIUM = os.environ.get("QUICKTURN_CHROMIUM", "/usr/bin/chromium")


def require(condition: bool, reason: str) -> None:
    """Skip with ``reason``, or fail under CI where the dependency must be present."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"required in CI but unavailable: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    require(
        SHARED_DATA.is_dir(),
        f"real data folder {SHARED_DATA} not found (it sits beside the clone in CI)",
    )
    return SHARED_DATA


@pytest.fixture(scope="session")
def chromium_path() -> str:
    require(
        Path(CHROMIUM).exists() and shutil.which(CHROMIUM) is not None,
        f"Chromium not found at {CHROMIUM} (apt-get install chromium)",
    )
    return CHROMIUM


@pytest.fixture()
def pg_url() -> Iterator[str]:
    """URL of a fresh, empty PostgreSQL schema (dropped afterwards)."""
    require(bool(PG_URL), "no PostgreSQL server: set QUICKTURN_TEST_PG_URL (make test starts one)")
    import psycopg

    assert PG_URL is not None
    schema = "t_" + uuid.uuid4().hex[:12]
    with psycopg.connect(PG_URL, autocommit=True) as con:
        con.execute(f"CREATE SCHEMA {schema}")
    sep = "&" if "?" in PG_URL else "?"
    try:
        yield f"{PG_URL}{sep}options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(PG_URL, autocommit=True) as con:
            con.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


@pytest.fixture()
def duck_store(tmp_path: Path) -> Iterator[Store]:
    s = open_store(tmp_path / "test.duckdb")
    yield s
    s.close()


@pytest.fixture(params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh store URL on each backend (tests using it run twice)."""
    if request.param == "duckdb":
        yield str(tmp_path / "test.duckdb")
    else:
        yield request.getfixturevalue("pg_url")


@pytest.fixture()
def store(store_url: str) -> Iterator[Store]:
    s = open_store(store_url)
    yield s
    s.close()
