"""Storage: one interface (:class:`Store`), two backends (DuckDB file, PostgreSQL server).

``open_store(url)`` picks the backend from the URL (``postgresql://…`` or a file path),
applies pending migrations and returns the store.
"""

from __future__ import annotations

from pathlib import Path

from quickturn.store.base import Migration, Store, WriteResult, load_migrations


def is_postgres_url(url: str) -> bool:
    return url.startswith(("postgresql://", "postgres://", "postgresql+psycopg://"))


def open_store(
    url: str | Path,
    *,
    read_only: bool = False,
    migrate: bool = True,
    lock_wait: float | None = None,
) -> Store:
    """Open (and migrate) the store at ``url``: a DuckDB file path, ``:memory:`` or a
    ``postgresql://`` URL.  ``lock_wait``: seconds to wait while another process holds a
    DuckDB file (default ``QUICKTURN_DB_LOCK_WAIT`` or 30; see :mod:`quickturn.store.duckdb`)."""
    text = str(url)
    store: Store
    if is_postgres_url(text):
        from quickturn.store.postgres import PostgresStore

        store = PostgresStore(text.replace("postgresql+psycopg://", "postgresql://"))
    else:
        from quickturn.store.duckdb import DuckDBStore

        store = DuckDBStore(text, read_only=read_only, lock_wait=lock_wait)
    if migrate and not read_only:
        store.migrate()
    return store


__all__ = ["Migration", "Store", "WriteResult", "is_postgres_url", "load_migrations", "open_store"]
