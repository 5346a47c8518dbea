"""Queries on what the modules persisted: forecasts, compliance findings, webhook queue,
change-aware reads for the sync."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import polars as pl

from quickturn.schema import get_table
from quickturn.store.base import Store, ident
from quickturn.validate import polars_schema

#: columns of ``comply_findings`` the dashboard shows
FINDING_COLUMNS = (
    "finding_id",
    "code",
    "severity",
    "kind",
    "scope",
    "source",
    "sku_id",
    "content_id",
    "field",
    "match_text",
    "message",
    "message_zh",
    "fix",
    "fix_zh",
    "rule_source",
)


def mean_daily_forecast(store: Store, run_id: str) -> pl.DataFrame:
    """(sku_id, forecast_daily): mean forecast per day of each SKU in a sense run."""
    return store.query(
        "SELECT sku_id, avg(mean) AS forecast_daily FROM forecasts WHERE run_id = ? "
        "GROUP BY sku_id",
        [run_id],
    )


def run_findings(store: Store, run_id: str, *, sku_id: str | None = None) -> pl.DataFrame:
    """:data:`FINDING_COLUMNS` of a comply run's findings (of one SKU), in finding order."""
    sql = f"SELECT {', '.join(FINDING_COLUMNS)} FROM comply_findings WHERE run_id = ?"
    params: list[Any] = [run_id]
    if sku_id is not None:
        sql += " AND sku_id = ?"
        params.append(sku_id)
    return store.query(sql + " ORDER BY finding_id", params)


def status_counts(store: Store, table: str) -> dict[str, int]:
    """Rows of ``table`` per value of its ``status`` column."""
    t = get_table(table)
    t.column("status")
    df = store.query(f"SELECT status, count(*) AS n FROM {ident(t.name)} GROUP BY status")
    return {str(s): int(n) for s, n in df.iter_rows()}


def rows_with_keys(
    store: Store, table: str, column: str, ids: Sequence[Any], columns: Sequence[str] | None = None
) -> pl.DataFrame:
    """Stored rows of ``table`` whose ``column`` is in ``ids`` (a text column is matched
    through one array parameter: fast on both backends; others in chunks of 1,000)."""
    t = get_table(table)
    schema = polars_schema(t)
    cols = list(columns or t.column_names)
    for c in (*cols, column):
        t.column(c)
    if not ids:
        return pl.DataFrame(schema={c: schema[c] for c in cols})
    if t.column(column).type != "str":
        parts: list[pl.DataFrame] = [
            store.table(table, columns=cols, where={column: list(ids[i : i + 1000])})
            for i in range(0, len(ids), 1000)
        ]
        return pl.concat(parts)
    sql = (
        f"SELECT {', '.join(ident(c) for c in cols)} FROM {ident(t.name)} "
        f"WHERE {ident(column)} IN (SELECT unnest(CAST(? AS TEXT[])))"
    )
    df = store.query(sql, [[str(i) for i in ids]])
    return df.with_columns([pl.col(c).cast(schema[c]) for c in cols])
