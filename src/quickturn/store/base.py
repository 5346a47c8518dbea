"""The store interface shared by the DuckDB and PostgreSQL backends.

Data flow: frames in (Polars, typed by :mod:`quickturn.validate`) → ``write`` upserts them by
natural key inside a transaction → ``table`` / ``query`` return Polars (or pandas) frames.
This package is the only place that speaks SQL; the SQL it speaks is portable between the
two backends (DuckDB and PostgreSQL 13+).
"""

from __future__ import annotations

import json
import re
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from typing import TYPE_CHECKING, Any, Literal

from quickturn.errors import StoreError, UsageError
from quickturn.schema import TABLES_BY_NAME, Table, get_table
from quickturn.store.ddl import create_table_sql

if TYPE_CHECKING:
    import polars as pl

# Polars (and quickturn.validate, which needs it) are imported inside the methods that build
# frames: opening a store, migrating it and counting rows (``quickturn db info``) do not load
# them (docs/architecture.md, "Fast start").

WriteMode = Literal["upsert", "append", "replace"]
_IDENT = re.compile(r"^[a-z_][a-z0-9_]*$")


@dataclass(frozen=True)
class WriteResult:
    table: str
    inserted: int
    updated: int

    @property
    def rows(self) -> int:
        return self.inserted + self.updated


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


def load_migrations() -> list[Migration]:
    """Versioned migration files ``NNNN_name.sql`` shipped in ``store/migrations``."""
    out: list[Migration] = []
    folder = resources.files("quickturn.store") / "migrations"
    for entry in folder.iterdir():
        m = re.match(r"^(\d{4})_([a-z0-9_]+)\.sql$", entry.name)
        if m:
            out.append(Migration(int(m.group(1)), m.group(2), entry.read_text(encoding="utf-8")))
    out.sort(key=lambda m: m.version)
    versions = [m.version for m in out]
    if len(set(versions)) != len(versions):
        raise StoreError(f"two migrations share a version number: {versions}")
    return out


def split_sql(sql: str) -> list[str]:
    """Split a migration file into statements (``;`` at end of line; ``--`` comments)."""
    statements: list[str] = []
    buf: list[str] = []
    for line in sql.splitlines():
        stripped = line.strip()
        if stripped.startswith("--") or not stripped:
            continue
        buf.append(line)
        if stripped.endswith(";"):
            statements.append("\n".join(buf).rstrip().rstrip(";"))
            buf = []
    if buf:
        statements.append("\n".join(buf))
    return statements


def rebuild_name(name: str) -> str:
    """The name of table ``name``'s copy while it is rebuilt (:meth:`Store.start_rebuild`)."""
    return f"qt_rebuild_{name}"


def ident(name: str) -> str:
    if not _IDENT.match(name):
        raise UsageError(f"not a valid identifier: {name!r}")
    return name


def _has_duplicate_keys(frame: pl.DataFrame, keys: list[str]) -> bool:
    """Exact, but fast: 64-bit hashes of the keys first, the full comparison only when two
    hashes collide."""
    import polars as pl

    if frame.height < 2:
        return False
    hashes = frame.select(pl.struct(keys).hash().alias("h"))["h"]
    if hashes.n_unique() == frame.height:
        return False
    return bool(frame.select(pl.struct(keys).is_duplicated().any()).item())


class Store(ABC):
    """One interface, two backends.  Use :func:`quickturn.store.open_store` to get one."""

    url: str
    backend: str
    #: appended to a text expression to compare and sort it by bytes (as Polars does), not by
    #: a locale's collation (PostgreSQL: ``COLLATE "C"``; DuckDB compares bytes already)
    byte_order: str = ""

    def __init__(self) -> None:
        self._tx_depth = 0

    # -- lifecycle -------------------------------------------------------------------------
    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @abstractmethod
    def close(self) -> None: ...

    def checkpoint(self) -> None:
        """Make every committed write durable in the main database file (DuckDB: fold the
        write-ahead log in, so the file can be copied or moved alone); a no-op elsewhere."""
        return None

    # -- low level (backend specific) -----------------------------------------------------
    @abstractmethod
    def _exec(self, sql: str, params: Sequence[Any] | None = None) -> int:
        """Execute one statement; return the affected row count (or -1)."""

    @abstractmethod
    def _fetch(self, sql: str, params: Sequence[Any] | None = None) -> pl.DataFrame: ...

    @abstractmethod
    def _rows(self, sql: str, params: Sequence[Any] | None = None) -> list[tuple[Any, ...]]:
        """Rows of a small query as plain tuples (no frame: counts, versions, names)."""

    @abstractmethod
    def _stage(self, frame: pl.DataFrame, table: Table) -> str:
        """Make ``frame`` queryable as a temporary relation; return its name."""

    @abstractmethod
    def _unstage(self, name: str) -> None: ...

    @abstractmethod
    def _begin(self) -> None: ...

    @abstractmethod
    def _commit(self) -> None: ...

    @abstractmethod
    def _rollback(self) -> None: ...

    @abstractmethod
    def existing_tables(self) -> set[str]: ...

    # -- transactions ------------------------------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator[Store]:
        """All writes inside happen together or not at all (nesting joins the outer one)."""
        outer = self._tx_depth == 0
        if outer:
            self._begin()
        self._tx_depth += 1
        try:
            yield self
        except BaseException:
            self._tx_depth -= 1
            if outer:
                self._rollback()
            raise
        self._tx_depth -= 1
        if outer:
            self._commit()

    # -- migrations ----------------------------------------------------------------------
    def migrate(self) -> list[int]:
        """Apply pending migrations; return the versions applied."""
        self._exec(
            "CREATE TABLE IF NOT EXISTS qt_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMP NOT NULL)"
        )
        done = {int(r[0]) for r in self._rows("SELECT version FROM qt_migrations")}
        applied: list[int] = []
        for mig in load_migrations():
            if mig.version in done:
                continue
            with self.transaction():
                for stmt in split_sql(mig.sql):
                    self._exec(stmt)
                self._exec(
                    "INSERT INTO qt_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                    [mig.version, mig.name, datetime.now(UTC).replace(tzinfo=None)],
                )
            applied.append(mig.version)
        return applied

    def schema_version(self) -> int:
        rows = self._rows("SELECT max(version) AS v FROM qt_migrations")
        v = rows[0][0] if rows else None
        return int(v) if v is not None else 0

    # -- reads -----------------------------------------------------------------------------
    def table(
        self,
        name: str,
        *,
        columns: Sequence[str] | None = None,
        where: Mapping[str, Any] | None = None,
        order_by: Sequence[str] | None = None,
        limit: int | None = None,
        as_pandas: bool = False,
    ) -> Any:
        """Rows of a canonical table as a Polars DataFrame (pandas with ``as_pandas=True``).

        ``where`` maps column → value (equality) or a list/tuple/set of values (IN).
        """
        import polars as pl

        from quickturn.validate import polars_schema

        t = get_table(name)
        cols = list(columns) if columns else t.column_names
        for c in cols:
            t.column(c)
        sql = f"SELECT {', '.join(ident(c) for c in cols)} FROM {ident(t.name)}"
        clause, params = self._where(t, where)
        sql += clause
        if order_by:
            sql += " ORDER BY " + ", ".join(
                ident(c.split()[0]) + (" DESC" if c.endswith(" desc") else "") for c in order_by
            )
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        df = self._fetch(sql, params)
        schema = polars_schema(t)
        df = df.with_columns([pl.col(c).cast(schema[c]) for c in cols])
        return df.to_pandas() if as_pandas else df

    def _where(self, t: Table, where: Mapping[str, Any] | None) -> tuple[str, list[Any]]:
        if not where:
            return "", []
        parts: list[str] = []
        params: list[Any] = []
        for col, value in where.items():
            t.column(col)
            if isinstance(value, (list, tuple, set, frozenset)):
                values = list(value)
                if not values:
                    parts.append("1 = 0")
                    continue
                parts.append(f"{ident(col)} IN ({', '.join('?' for _ in values)})")
                params.extend(values)
            elif value is None:
                parts.append(f"{ident(col)} IS NULL")
            else:
                parts.append(f"{ident(col)} = ?")
                params.append(value)
        return " WHERE " + " AND ".join(parts), params

    def query(self, sql: str, params: Sequence[Any] | None = None) -> pl.DataFrame:
        """Run a portable SELECT (``?`` placeholders) and return a Polars frame."""
        return self._fetch(sql, params)

    def count(self, name: str) -> int:
        t = get_table(name)
        return int(self._rows(f"SELECT count(*) AS n FROM {ident(t.name)}")[0][0])

    def keys(self, reference: str) -> set[Any]:
        """Distinct values of ``table.column`` (used to check references on import)."""
        table, column = reference.split(".")
        t = get_table(table)
        t.column(column)
        df = self._fetch(f"SELECT DISTINCT {ident(column)} AS k FROM {ident(t.name)}")
        return set(df["k"].to_list())

    def info(self) -> list[dict[str, Any]]:
        """Tables of the canonical model with row counts."""
        have = self.existing_tables()
        rows = []
        for t in TABLES_BY_NAME.values():
            if t.name in have:
                rows.append({"table": t.name, "group": t.group, "rows": self.count(t.name)})
        return rows

    # -- writes ----------------------------------------------------------------------------
    def write(
        self,
        name: str,
        frame: pl.DataFrame,
        *,
        mode: WriteMode = "upsert",
        into: str | None = None,
    ) -> WriteResult:
        """Write a typed frame: ``upsert`` by natural key, ``append`` or ``replace`` the table.

        The frame must have the table's columns (missing ones are written as NULL) and no
        duplicate keys (validate first).  Runs inside a transaction.  ``into``: the name
        :meth:`start_rebuild` gave, to write ``name``'s rebuilt copy instead of ``name``.
        """
        import polars as pl

        from quickturn.validate import polars_schema

        t = get_table(name)
        schema = polars_schema(t)
        unknown = [c for c in frame.columns if c not in schema]
        if unknown:
            raise UsageError(f"table {t.name!r} has no columns {unknown}")
        frame = frame.with_columns(
            [pl.lit(None, dtype=dt).alias(c) for c, dt in schema.items() if c not in frame.columns]
        ).select([pl.col(c).cast(dt) for c, dt in schema.items()])
        if mode == "upsert" and _has_duplicate_keys(frame, list(t.key)):
            raise UsageError(
                f"frame for {t.name!r} has duplicate keys {t.key}; validate before writing"
            )
        cols = ", ".join(ident(c) for c in schema)
        target = ident(t.name)
        if into is not None:
            if into != rebuild_name(t.name):
                raise UsageError(f"{into!r} is not the rebuild of {t.name!r}")
            target = ident(into)
        with self.transaction():
            if mode == "replace":
                self._exec(f"DELETE FROM {target}")
            if frame.height == 0:
                return WriteResult(t.name, 0, 0)
            stage = self._stage(frame, t)
            try:
                updated = self._count_matches(t, stage) if mode == "upsert" else 0
                sql = f"INSERT INTO {target} ({cols}) SELECT {cols} FROM {stage}"
                if updated:
                    # portable upsert (DuckDB ≥ 0.8, PostgreSQL ≥ 9.5): the natural key is the
                    # primary key of every table; far faster than DELETE + INSERT on DuckDB
                    others = [c for c in schema if c not in t.key]
                    keys = ", ".join(ident(k) for k in t.key)
                    if others:
                        sets = ", ".join(f"{ident(c)} = EXCLUDED.{ident(c)}" for c in others)
                        sql += f" ON CONFLICT ({keys}) DO UPDATE SET {sets}"
                    else:
                        sql += f" ON CONFLICT ({keys}) DO NOTHING"
                self._exec(sql)
            finally:
                self._unstage(stage)
        return WriteResult(t.name, frame.height - updated, updated)

    # -- rebuilding a big table in committed pieces --------------------------------------------
    def start_rebuild(self, name: str) -> str:
        """An empty copy of table ``name`` (same columns and key), committed, under
        :func:`rebuild_name`; a leftover of an interrupted rebuild is dropped first.

        For a write too big for one transaction (DuckDB keeps a transaction's rows in memory
        until it commits: ~0.35 GB per million rows; the first posting of a 2M-line shop is
        10M postings): write the copy piece by piece with ``write(name, …, into=...)``, each
        piece committed, then :meth:`finish_rebuild` swaps it in inside the caller's
        transaction.  Readers see the old table until that transaction commits, and a rebuild
        that fails or is interrupted leaves the table as it was."""
        staged = rebuild_name(name)
        t = get_table(name)
        with self.transaction():
            self._exec(f"DROP TABLE IF EXISTS {ident(staged)}")
            self._exec(create_table_sql(t, staged))
        return staged

    def finish_rebuild(self, name: str) -> None:
        """Replace table ``name`` by its rebuilt copy (call inside a transaction)."""
        t = get_table(name)
        staged = rebuild_name(name)
        with self.transaction():
            self._exec(f"DROP TABLE {ident(t.name)}")
            self._exec(f"ALTER TABLE {ident(staged)} RENAME TO {ident(t.name)}")
            self._renamed(staged, t.name)

    def drop_rebuild(self, name: str) -> None:
        """Drop the rebuilt copy of ``name`` (a rebuild given up); the table stays as it was."""
        with self.transaction():
            self._exec(f"DROP TABLE IF EXISTS {ident(rebuild_name(name))}")

    def _renamed(self, old: str, new: str) -> None:
        """Backend hook after a rebuilt table took its name (PostgreSQL: its key's index)."""
        return None

    def _count_matches(self, t: Table, stage: str) -> int:
        """Rows of the staged relation whose natural key already exists in ``t``."""
        cond = " AND ".join(f"s.{ident(k)} = t.{ident(k)}" for k in t.key)
        rows = self._rows(
            f"SELECT count(*) AS n FROM {stage} s WHERE EXISTS "
            f"(SELECT 1 FROM {ident(t.name)} t WHERE {cond})"
        )
        return int(rows[0][0])

    def count_existing(self, name: str, frame: pl.DataFrame) -> int:
        """How many rows of ``frame`` have a natural key already stored (dry-run estimates)."""
        import polars as pl

        from quickturn.validate import polars_schema

        t = get_table(name)
        if frame.height == 0:
            return 0
        schema = polars_schema(t)
        keys = frame.select([pl.col(k).cast(schema[k]) for k in t.key]).unique()
        stage = self._stage(keys, t)
        try:
            return self._count_matches(t, stage)
        finally:
            self._unstage(stage)

    def write_many(
        self, frames: Mapping[str, pl.DataFrame], *, mode: WriteMode = "upsert"
    ) -> list[WriteResult]:
        """Write several tables in one transaction (all or nothing)."""
        with self.transaction():
            return [self.write(name, df, mode=mode) for name, df in frames.items()]

    def delete(self, name: str, where: Mapping[str, Any] | None = None) -> int:
        t = get_table(name)
        clause, params = self._where(t, where)
        with self.transaction():
            return max(self._exec(f"DELETE FROM {ident(t.name)}{clause}", params), 0)

    # -- small state -----------------------------------------------------------------------
    def get_state(self, namespace: str, key: str, default: Any = None) -> Any:
        df = self.table("state", where={"namespace": namespace, "key": key})
        if df.height == 0:
            return default
        return json.loads(df["value"][0])

    def set_state(self, namespace: str, key: str, value: Any) -> None:
        import polars as pl

        frame = pl.DataFrame(
            {
                "namespace": [namespace],
                "key": [key],
                "value": [json.dumps(value, default=str)],
                "updated_at": [datetime.now(UTC).replace(tzinfo=None)],
            }
        )
        self.write("state", frame)
