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
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from quickturn.store import Store, open_store

if TYPE_CHECKING:
    import polars as pl

    from quickturn.demo import DemoShop

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


# --- demo shop fixtures (shared by every module) -------------------------------------------
#: the small demo every test shares: 40 SKUs × 200 days, fixed seed and as-of day
DEMO_TEST_SKUS = 40
DEMO_TEST_DAYS = 200
DEMO_TEST_SEED = 11
DEMO_TEST_AS_OF = date(2026, 3, 2)


@pytest.fixture(scope="session")
def demo_today() -> date:
    """The as-of day of the test demo (history ends the day before)."""
    return DEMO_TEST_AS_OF


@pytest.fixture(scope="session")
def demo_shop() -> DemoShop:
    """The generated test demo (frames + ground truth), built once per session."""
    from quickturn.demo import DemoConfig, generate

    return generate(
        DemoConfig(
            n_skus=DEMO_TEST_SKUS, days=DEMO_TEST_DAYS, seed=DEMO_TEST_SEED, as_of=DEMO_TEST_AS_OF
        )
    )


@pytest.fixture(scope="session")
def demo_frames(demo_shop: DemoShop) -> dict[str, pl.DataFrame]:
    """Canonical frames of every input table of the test demo (do not mutate)."""
    return demo_shop.tables


def _demo_marker() -> dict[str, object]:
    return {
        "n_skus": DEMO_TEST_SKUS,
        "days": DEMO_TEST_DAYS,
        "seed": DEMO_TEST_SEED,
        "as_of": DEMO_TEST_AS_OF.isoformat(),
        "written_by": "tests",
    }


@pytest.fixture(scope="session")
def demo_db_file(
    demo_frames: dict[str, pl.DataFrame], tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """A DuckDB file holding the test demo, written once per session (copy it, never write)."""
    from quickturn.services.demo import write_demo_database

    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    write_demo_database(str(path), demo_frames, _demo_marker()).close()
    return path


@pytest.fixture()
def demo_store(demo_db_file: Path, tmp_path: Path) -> Iterator[Store]:
    """A private DuckDB copy of the test demo (fast: a file copy)."""
    copy = tmp_path / "demo.duckdb"
    shutil.copyfile(demo_db_file, copy)
    s = open_store(copy)
    yield s
    s.close()


@pytest.fixture(params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def demo_store_any(
    request: pytest.FixtureRequest,
    demo_db_file: Path,
    demo_frames: dict[str, pl.DataFrame],
    tmp_path: Path,
) -> Iterator[Store]:
    """The test demo on DuckDB and on PostgreSQL (a fresh schema; tests using it run twice)."""
    if request.param == "duckdb":
        copy = tmp_path / "demo.duckdb"
        shutil.copyfile(demo_db_file, copy)
        s = open_store(copy)
    else:
        from quickturn.services.demo import write_demo_database

        s = write_demo_database(request.getfixturevalue("pg_url"), demo_frames, _demo_marker())
    yield s
    s.close()
