"""DuckDB backend: one embedded file (the default store)."""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from quickturn.errors import StoreError
from quickturn.schema import Table
from quickturn.store.base import Store

_counter = itertools.count()


class DuckDBStore(Store):
    backend = "duckdb"

    def __init__(
        self, path: str | Path, *, read_only: bool = False, threads: int | None = None
    ) -> None:
        super().__init__()
        self.url = str(path)
        if self.url != ":memory:":
            Path(self.url).parent.mkdir(parents=True, exist_ok=True)
        try:
            config: dict[str, Any] = {}
            if threads:
                config["threads"] = threads
            self.con = duckdb.connect(self.url, read_only=read_only, config=config)
            self.con.execute("SET enable_progress_bar = false")
        except duckdb.Error as exc:
            raise StoreError(f"cannot open DuckDB database {self.url!r}: {exc}") from None
        self.read_only = read_only

    def close(self) -> None:
        with contextlib.suppress(duckdb.Error):
            self.con.close()

    def _exec(self, sql: str, params: Sequence[Any] | None = None) -> int:
        try:
            cur = self.con.execute(sql, list(params) if params else None)
            if sql.lstrip()[:6].upper() in ("DELETE", "INSERT", "UPDATE"):
                row = cur.fetchone()
                return int(row[0]) if row else -1
            return -1
        except duckdb.Error as exc:
            raise StoreError(f"DuckDB error in {sql[:200]!r}: {exc}") from exc

    def _fetch(self, sql: str, params: Sequence[Any] | None = None) -> pl.DataFrame:
        try:
            rel = self.con.sql(sql, params=list(params) if params else None)
            tbl = rel.to_arrow_table()
        except duckdb.Error as exc:
            raise StoreError(f"DuckDB error in {sql[:200]!r}: {exc}") from exc
        df = pl.from_arrow(tbl)
        assert isinstance(df, pl.DataFrame)
        return df

    def _stage(self, frame: pl.DataFrame, table: Table) -> str:
        name = f"qt_stage_{next(_counter)}"
        self.con.register(name, frame.to_arrow())
        return name

    def _unstage(self, name: str) -> None:
        # may run while a failed transaction is being unwound: never mask the first error
        with contextlib.suppress(duckdb.Error):
            self.con.unregister(name)

    def _begin(self) -> None:
        self.con.execute("BEGIN TRANSACTION")

    def _commit(self) -> None:
        self.con.execute("COMMIT")

    def _rollback(self) -> None:
        with contextlib.suppress(duckdb.Error):
            self.con.execute("ROLLBACK")

    def existing_tables(self) -> set[str]:
        df = self._fetch(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'"
        )
        return set(df["table_name"].to_list())

    def raw_connection(self) -> duckdb.DuckDBPyConnection:
        """The DuckDB connection, for vectorised module queries that need it (store-only)."""
        return self.con
