"""Fixtures of the web tests: the test demo shop with every module's results, on DuckDB and
PostgreSQL, a TestClient, and a live uvicorn server for the browser tests."""

from __future__ import annotations

import importlib
import os
import shutil
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from web_support import ROOT, LiveServer, plan_module_installed, seed_plan_tables

from quickturn.config import Settings
from quickturn.schema import TABLES_BY_NAME
from quickturn.store import open_store

ARTIFACTS = ROOT / "test-artifacts"


@pytest.fixture(scope="session")
def web_demo_file(demo_db_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The test demo after every module's demo step (ledger, sense, plan, health, comply),
    written once per session.  Copy it before writing.  Without the plan module in this
    build, the plan tables get a fixture run (:func:`web_support.seed_plan_tables`)."""
    from quickturn.services.demo import STEPS, DemoContext

    path = tmp_path_factory.mktemp("webdemo") / "demo.duckdb"
    shutil.copyfile(demo_db_file, path)
    store = open_store(path)
    try:
        marker = store.get_state("demo", "marker")
        ctx = DemoContext(
            store=store,
            settings=Settings(db=str(path)),
            today=date.fromisoformat(marker["as_of"]),
            seed=int(marker["seed"]),
        )
        for name in STEPS:
            section = importlib.import_module(f"quickturn.services.{name}").demo_step(ctx)
            ctx.results[name] = section
        if not plan_module_installed():
            # the plan lands separately: its tables, as the web reads them (see web_support)
            seed_plan_tables(store, as_of=ctx.today)
        store._exec("CHECKPOINT")
    finally:
        store.close()
    return path


@pytest.fixture()
def web_db(web_demo_file: Path, tmp_path: Path) -> Path:
    """A private copy of the full test demo (DuckDB)."""
    copy = tmp_path / "web.duckdb"
    shutil.copyfile(web_demo_file, copy)
    return copy


def copy_to_postgres(src: Path, url: str) -> None:
    """Every table of the DuckDB demo (input and module results) into a PostgreSQL schema."""
    duck = open_store(src, read_only=True)
    pg = open_store(url)
    try:
        have = duck.existing_tables()
        with pg.transaction():
            for t in TABLES_BY_NAME.values():
                if t.name in have:
                    pg.write(t.name, duck.table(t.name), mode="append")
    finally:
        duck.close()
        pg.close()


@pytest.fixture(
    scope="module", params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def web_url(
    request: pytest.FixtureRequest, web_demo_file: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """The full test demo on DuckDB and on PostgreSQL, shared by the tests of a module (they
    only read; tests using it run twice)."""
    if request.param == "duckdb":
        path = tmp_path_factory.mktemp("weburl") / "demo.duckdb"
        shutil.copyfile(web_demo_file, path)
        yield str(path)
        return
    pg = os.environ.get("QUICKTURN_TEST_PG_URL")
    require(bool(pg), "no PostgreSQL server: set QUICKTURN_TEST_PG_URL (make test starts one)")
    import psycopg

    assert pg is not None
    schema = "w_" + uuid.uuid4().hex[:12]
    with psycopg.connect(pg, autocommit=True) as con:
        con.execute(f"CREATE SCHEMA {schema}")
    sep = "&" if "?" in pg else "?"
    url = f"{pg}{sep}options=-csearch_path%3D{schema}"
    try:
        copy_to_postgres(web_demo_file, url)
        yield url
    finally:
        with psycopg.connect(pg, autocommit=True) as con:
            con.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


def require(condition: bool, reason: str) -> None:
    """Skip, or fail under CI (as ``tests/conftest.py`` does)."""
    if condition:
        return
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"required in CI but unavailable: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def live_server(
    web_demo_file: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """The dashboard over the full test demo, served for the whole session."""
    path = tmp_path_factory.mktemp("live") / "demo.duckdb"
    shutil.copyfile(web_demo_file, path)
    server = LiveServer(path)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
