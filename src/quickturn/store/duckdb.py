"""DuckDB backend: one embedded file (the default store).

DuckDB lets one process write a file, and no other process open it (even read-only) while
it does; a read-only connection (``quickturn serve`` computing a page) likewise keeps writers
out while it is open.  So that a command and the dashboard coexist, opening the file waits
for a conflicting lock with backoff (:data:`LOCK_WAIT_SECONDS`, ``QUICKTURN_DB_LOCK_WAIT``)
and then fails with :class:`DatabaseLocked`, which names the process holding the file and
says what to do — never DuckDB's raw lock error.  A writer that is waiting leaves a
``<file>.writer-waiting`` marker (its PID) which the dashboard honours by not opening new
read connections (:func:`writer_waiting`), so a busy dashboard cannot starve an import.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import re
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from quickturn.errors import StoreError
from quickturn.store.base import Store

if TYPE_CHECKING:
    import polars as pl

    from quickturn.schema import Table

_counter = itertools.count()

#: seconds an open waits for another process's lock on the file (``QUICKTURN_DB_LOCK_WAIT``)
LOCK_WAIT_SECONDS = 30.0
WAITING_SUFFIX = ".writer-waiting"
_HOLDER = re.compile(r"lock is held in (.+?) \(PID (\d+)\)")


class DatabaseLocked(StoreError):
    """Another process holds the DuckDB file (a read or a write) for longer than we waited."""


#: DuckDB's own memory (buffer pool, key indexes, operators) for a database file; beyond it
#: DuckDB writes to ``<file>.tmp`` and evicts what it can.  DuckDB's default is 80% of RAM: it
#: keeps every page and the whole key index of a 10M-posting journal in memory (2.5 GB more
#: at the first post of a 2M-line shop).  ``QUICKTURN_DUCKDB_MEMORY_LIMIT`` (e.g. ``4GB``, or
#: ``default`` for DuckDB's own) overrides it; in-memory databases keep DuckDB's default
DEFAULT_MEMORY_LIMIT = "1GB"


def memory_limit(path: str) -> str | None:
    """The ``memory_limit`` setting for a database at ``path`` (``None``: DuckDB's default)."""
    raw = os.environ.get("QUICKTURN_DUCKDB_MEMORY_LIMIT", "").strip()
    if raw.lower() == "default" or (not raw and path == ":memory:"):
        return None
    return raw or DEFAULT_MEMORY_LIMIT


def lock_wait_seconds() -> float:
    raw = os.environ.get("QUICKTURN_DB_LOCK_WAIT", "")
    try:
        return max(0.0, float(raw)) if raw.strip() else LOCK_WAIT_SECONDS
    except ValueError:
        return LOCK_WAIT_SECONDS


def is_lock_error(exc: BaseException) -> bool:
    text = str(exc).lower()
    return (
        isinstance(exc, DatabaseLocked)
        or "could not set lock" in text
        or "conflicting lock" in text
    )


def _holder(text: str) -> str:
    """``program (PID n)`` of the process in DuckDB's lock message, with its command line
    when the system shows it (``python -m quickturn serve --db shop.duckdb``)."""
    m = _HOLDER.search(text)
    if not m:
        return "another process"
    pid = m.group(2)
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
        cmd = " ".join(" ".join(p.decode("utf-8", "replace") for p in raw.split(b"\0")).split())
    except OSError:
        cmd = ""
    return f"`{cmd[:160]}` (PID {pid})" if cmd else f"{m.group(1)} (PID {pid})"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def writer_waiting(path: str | Path) -> bool:
    """A process other than this one waits to write ``path`` (see the module docstring)."""
    marker = Path(f"{path}{WAITING_SUFFIX}")
    try:
        pid = int(marker.read_text(encoding="ascii").strip() or "0")
    except (OSError, ValueError):
        return False
    if pid == os.getpid():
        return False
    if pid <= 0 or not _pid_alive(pid):
        with contextlib.suppress(OSError):
            marker.unlink()
        return False
    return True


def _connect(
    url: str, read_only: bool, config: dict[str, Any], wait: float
) -> duckdb.DuckDBPyConnection:
    deadline = time.monotonic() + wait
    delay = 0.02
    marker: Path | None = None
    try:
        while True:
            try:
                return duckdb.connect(url, read_only=read_only, config=config)
            except duckdb.Error as exc:
                if not is_lock_error(exc):
                    raise
                if time.monotonic() >= deadline:
                    holder = _holder(str(exc))
                    raise DatabaseLocked(
                        f"the database {url} is in use by {holder} (waited {wait:g} s for "
                        "its lock); retry when it has finished, or stop `quickturn serve` "
                        "(Ctrl+C) while you import or sync. QUICKTURN_DB_LOCK_WAIT=<seconds> "
                        "waits longer."
                    ) from None
                if marker is None and not read_only and url != ":memory:":
                    marker = Path(f"{url}{WAITING_SUFFIX}")
                    with contextlib.suppress(OSError):
                        marker.write_text(str(os.getpid()), encoding="ascii")
                time.sleep(min(delay, max(0.0, deadline - time.monotonic())))
                delay = min(delay * 1.6, 0.25)
    finally:
        if marker is not None:
            with contextlib.suppress(OSError):
                if marker.read_text(encoding="ascii").strip() == str(os.getpid()):
                    marker.unlink()


class DuckDBStore(Store):
    backend = "duckdb"

    def __init__(
        self,
        path: str | Path,
        *,
        read_only: bool = False,
        threads: int | None = None,
        lock_wait: float | None = None,
    ) -> None:
        super().__init__()
        self.url = str(path)
        if self.url != ":memory:":
            Path(self.url).parent.mkdir(parents=True, exist_ok=True)
        wait = lock_wait_seconds() if lock_wait is None else lock_wait
        try:
            config: dict[str, Any] = {}
            if threads:
                config["threads"] = threads
            limit = memory_limit(self.url)
            if limit:
                config["memory_limit"] = limit
            self.con = _connect(self.url, read_only, config, wait)
            self.con.execute("SET enable_progress_bar = false")
        except duckdb.Error as exc:
            raise StoreError(f"cannot open DuckDB database {self.url!r}: {exc}") from None
        self.read_only = read_only

    def checkpoint(self) -> None:
        self._exec("CHECKPOINT")

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
        import polars as pl

        try:
            rel = self.con.sql(sql, params=list(params) if params else None)
            tbl = rel.to_arrow_table()
        except duckdb.Error as exc:
            raise StoreError(f"DuckDB error in {sql[:200]!r}: {exc}") from exc
        df = pl.from_arrow(tbl)
        assert isinstance(df, pl.DataFrame)
        return df

    def _rows(self, sql: str, params: Sequence[Any] | None = None) -> list[tuple[Any, ...]]:
        try:
            return self.con.execute(sql, list(params) if params else None).fetchall()
        except duckdb.Error as exc:
            raise StoreError(f"DuckDB error in {sql[:200]!r}: {exc}") from exc

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
        rows = self._rows(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'"
        )
        return {str(r[0]) for r in rows}

    def raw_connection(self) -> duckdb.DuckDBPyConnection:
        """The DuckDB connection, for vectorised module queries that need it (store-only)."""
        return self.con
