"""Queries on ``runs`` (one row per module run) and small change fingerprints."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import polars as pl

from quickturn.schema import get_table
from quickturn.store.base import Store, ident

RUN_COLUMNS = ("run_id", "module", "created_at", "as_of", "params", "summary")


def latest_run_id(store: Store, module: str) -> str | None:
    """Id of the newest run of ``module`` (ties on ``created_at``: the larger id), or None."""
    df = store.query(
        "SELECT run_id FROM runs WHERE module = ? ORDER BY created_at DESC, run_id DESC LIMIT 1",
        [module],
    )
    return str(df["run_id"][0]) if df.height else None


def runs_of(store: Store, module: str) -> pl.DataFrame:
    """Every run of ``module``, newest first (columns :data:`RUN_COLUMNS`, JSON as text)."""
    return store.query(
        f"SELECT {', '.join(RUN_COLUMNS)} FROM runs "
        "WHERE module = ? ORDER BY created_at DESC, run_id DESC",
        [module],
    )


def latest_as_of(store: Store, modules: Sequence[str]) -> date | None:
    """The newest ``as_of`` day over the runs of ``modules`` (None when there is none)."""
    if not modules:
        return None
    marks = ", ".join("?" for _ in modules)
    df = store.query(f"SELECT max(as_of) AS d FROM runs WHERE module IN ({marks})", list(modules))
    d = df["d"][0] if df.height else None
    return d if isinstance(d, date) else None


def count_and_newest(store: Store, table: str, column: str) -> tuple[int, Any]:
    """Row count of ``table`` and the largest ``column`` (a cheap change fingerprint)."""
    t = get_table(table)
    t.column(column)
    df = store.query(f"SELECT count(*) AS n, max({ident(column)}) AS t FROM {ident(t.name)}")
    return int(df["n"][0]), df["t"][0]


def newest_value(store: Store, table: str, column: str) -> datetime | date | None:
    """The largest value of ``table.column`` (None on an empty table)."""
    t = get_table(table)
    t.column(column)
    df = store.query(f"SELECT max({ident(column)}) AS t FROM {ident(t.name)}")
    value: datetime | date | None = df["t"][0] if df.height else None
    return value
