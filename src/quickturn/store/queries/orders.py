"""Queries on ``orders`` and ``order_lines``: windows of lines, counts, delivery times."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import polars as pl

from quickturn.schema import get_table
from quickturn.store.base import Store, ident


def orders_per_shop(store: Store) -> pl.DataFrame:
    """(shop_id, n): orders per shop, busiest first."""
    return store.query("SELECT shop_id, count(*) AS n FROM orders GROUP BY shop_id ORDER BY n DESC")


def lines_created_between(store: Store, lo: datetime, hi: datetime) -> pl.DataFrame:
    """Order lines of orders created in ``[lo, hi)`` (UTC) with their order's shop, status
    and times: ``order_id, shop_id, status, created_at, cancelled_at, sku_id, quantity``."""
    return store.query(
        "SELECT o.order_id, o.shop_id, o.status, o.created_at, o.cancelled_at, l.sku_id, "
        "l.quantity FROM order_lines l JOIN orders o ON o.order_id = l.order_id "
        "WHERE o.created_at >= ? AND o.created_at < ?",
        [lo, hi],
    )


def units_created_between(
    store: Store, lo: datetime, hi: datetime, *, exclude_status: str
) -> pl.DataFrame:
    """(sku_id, created_at, quantity) of the lines of orders created in ``[lo, hi)`` (UTC)
    whose status is not ``exclude_status``."""
    return store.query(
        "SELECT l.sku_id, o.created_at, l.quantity FROM order_lines l "
        "JOIN orders o ON o.order_id = l.order_id "
        "WHERE o.created_at >= ? AND o.created_at < ? AND o.status <> ?",
        [lo, hi, exclude_status],
    )


def order_and_unit_counts(
    store: Store, lo: datetime, hi: datetime, *, exclude_status: str
) -> tuple[int, int]:
    """Distinct orders and units ordered in ``[lo, hi)`` (UTC), status not ``exclude_status``."""
    df = store.query(
        "SELECT count(DISTINCT o.order_id) AS orders, sum(l.quantity) AS units "
        "FROM orders o JOIN order_lines l ON l.order_id = o.order_id "
        "WHERE o.created_at >= ? AND o.created_at < ? AND o.status <> ?",
        [lo, hi, exclude_status],
    )
    return int(df["orders"][0] or 0), int(df["units"][0] or 0)


def delivered_orders(store: Store, lo: datetime, hi: datetime) -> pl.DataFrame:
    """(created_at, delivered_at, order_type) of delivered orders created in ``[lo, hi)``."""
    return store.query(
        "SELECT created_at, delivered_at, order_type FROM orders "
        "WHERE delivered_at IS NOT NULL AND created_at >= ? AND created_at < ?",
        [lo, hi],
    )


def rows_since(
    store: Store,
    table: str,
    columns: Sequence[str],
    time_column: str,
    start: datetime,
    *,
    shop_id: str | None = None,
) -> pl.DataFrame:
    """``columns`` of ``table`` rows with ``time_column >= start`` (of one shop with
    ``shop_id``)."""
    t = get_table(table)
    for c in (*columns, time_column):
        t.column(c)
    sql = (
        f"SELECT {', '.join(ident(c) for c in columns)} FROM {ident(t.name)} "
        f"WHERE {ident(time_column)} >= ?"
    )
    params: list[object] = [start]
    if shop_id is not None:
        sql += " AND shop_id = ?"
        params.append(shop_id)
    return store.query(sql, params)
