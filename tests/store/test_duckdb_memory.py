"""DuckDB's own memory is bounded for a database file (its default, 80% of RAM, kept a 10M-row
journal's pages and key index resident: issue 16), and the bound can be set or lifted."""

from __future__ import annotations

from pathlib import Path

import pytest

from quickturn.store.duckdb import DEFAULT_MEMORY_LIMIT, DuckDBStore, memory_limit


def _limit(store: DuckDBStore) -> str:
    return str(store.query("SELECT current_setting('memory_limit') AS m")["m"][0])


def test_a_database_file_gets_the_default_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("QUICKTURN_DUCKDB_MEMORY_LIMIT", raising=False)
    assert DEFAULT_MEMORY_LIMIT == "1GB"
    with DuckDBStore(tmp_path / "a.duckdb") as s:
        assert _limit(s) == "953.6 MiB"  # 1 GB
    assert memory_limit(":memory:") is None  # an in-memory database keeps DuckDB's default


def test_the_limit_can_be_set_or_lifted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QUICKTURN_DUCKDB_MEMORY_LIMIT", "3GB")
    with DuckDBStore(tmp_path / "b.duckdb") as s:
        assert _limit(s) == "2.7 GiB"  # 3 GB
    monkeypatch.setenv("QUICKTURN_DUCKDB_MEMORY_LIMIT", "default")
    assert memory_limit(str(tmp_path / "c.duckdb")) is None
