"""Explain a figure: the postings behind an order or a SKU-month, and how to find their source rows.

Data flow: postings (from :func:`quickturn.core.ledger.postings.postings`) → filter to the order
or the SKU and month → ordered by the waterfall → each posting's ``source_table`` and
``source_key`` (``col=value;col=a,b;date=2026-10-01..2026-10-31;col=NULL``) are parsed by
:func:`parse_key` so that the service can read exactly those rows from the store.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import polars as pl

from quickturn.core.ledger.accounts import ACCOUNT_NAMES, GROUPS


@dataclass(frozen=True)
class KeyPart:
    column: str
    op: str  # eq | in | null | range
    value: Any = None


def parse_key(key: str) -> list[KeyPart]:
    """``a=1;b=x,y;c=NULL;d=2026-01-01..2026-01-31`` → parts (values stay text)."""
    parts: list[KeyPart] = []
    for chunk in key.split(";"):
        if not chunk:
            continue
        col, _, val = chunk.partition("=")
        if val == "NULL":
            parts.append(KeyPart(col, "null"))
        elif ".." in val:
            lo, _, hi = val.partition("..")
            parts.append(KeyPart(col, "range", (lo, hi)))
        elif "," in val:
            parts.append(KeyPart(col, "in", tuple(val.split(","))))
        else:
            parts.append(KeyPart(col, "eq", val))
    return parts


def where_of(parts: list[KeyPart]) -> dict[str, Any]:
    """The equality / IN / NULL parts as a ``Store.table(where=…)`` mapping."""
    out: dict[str, Any] = {}
    for p in parts:
        if p.op == "eq":
            out[p.column] = p.value
        elif p.op == "in":
            out[p.column] = list(p.value)
        elif p.op == "null":
            out[p.column] = None
    return out


def range_filter(df: pl.DataFrame, parts: list[KeyPart]) -> pl.DataFrame:
    """Apply the ``a..b`` (inclusive) parts of a key to rows read with :func:`where_of`."""
    for p in parts:
        if p.op == "range" and p.column in df.columns:
            lo, hi = (date.fromisoformat(v) for v in p.value)
            df = df.filter((pl.col(p.column) >= lo) & (pl.col(p.column) <= hi))
    return df


def month_bounds(month: str) -> tuple[date, date]:
    """``2026-10`` → (2026-10-01, 2026-10-31); ValueError for anything else."""
    try:
        start = date.fromisoformat(month + "-01")
    except ValueError:
        raise ValueError(f"month must look like 2026-10, got {month!r}") from None
    nxt = (start.replace(day=28) + timedelta(days=4)).replace(day=1)
    return start, nxt - timedelta(days=1)


def _order(df: pl.DataFrame) -> pl.DataFrame:
    rank_g = {g: i for i, g in enumerate(GROUPS)}
    rank_a = {a: i for i, a in enumerate(ACCOUNT_NAMES)}
    return (
        df.with_columns(
            pl.col("component").replace_strict(rank_g, default=99).alias("__g"),
            pl.col("account").replace_strict(rank_a, default=99).alias("__a"),
        )
        .sort("__g", "__a", "source_table", "source_key")
        .drop("__g", "__a")
    )


def select_postings(
    postings: pl.DataFrame,
    *,
    order_id: str | None = None,
    sku_id: str | None = None,
    month: str | None = None,
) -> pl.DataFrame:
    """Postings of one order (optionally one SKU of it), or of a SKU (optionally a month)."""
    df = postings
    if order_id is not None:
        df = df.filter(pl.col("order_id") == order_id)
    if sku_id is not None:
        df = df.filter(pl.col("sku_id") == sku_id)
    if month is not None:
        lo, hi = month_bounds(month)
        d = pl.coalesce("order_date", "date")
        df = df.filter((d >= lo) & (d <= hi))
    return _order(df)


def components(selected: pl.DataFrame) -> pl.DataFrame:
    """Totals per component and account (the waterfall of the figure), with counts."""
    if selected.height == 0:
        return pl.DataFrame(
            schema={
                "component": pl.String,
                "account": pl.String,
                "amount_usd": pl.Int64,
                "postings": pl.UInt32,
                "estimated_usd": pl.Int64,
                "sources": pl.String,
            }
        )
    out = selected.group_by("component", "account").agg(
        pl.col("amount_usd").sum(),
        pl.len().alias("postings"),
        pl.when(pl.col("basis") == "estimated")
        .then(pl.col("amount_usd"))
        .otherwise(0)
        .sum()
        .alias("estimated_usd"),
        pl.col("source_table").unique().sort().str.join(", ").alias("sources"),
    )
    return _order(
        out.with_columns(pl.lit("").alias("source_table"), pl.lit("").alias("source_key"))
    ).drop("source_table", "source_key")
