"""Queries on stock: the latest snapshot per SKU and location, snapshot windows, lots at sea."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import polars as pl

from quickturn.store.base import Store

LATEST_STOCK_SCHEMA = {
    "sku_id": pl.String,
    "location_id": pl.String,
    "date": pl.Date,
    "on_hand_qty": pl.Int64,
    "reserved_qty": pl.Int64,
}


def latest_stock(
    store: Store,
    *,
    before: date | None = None,
    sku_ids: Sequence[str] | None = None,
    location_ids: Sequence[str] | None = None,
) -> pl.DataFrame:
    """The newest inventory snapshot of every SKU × location (only snapshots dated before
    ``before`` when given; of ``sku_ids`` / ``location_ids`` when given):
    ``sku_id, location_id, date, on_hand_qty, reserved_qty``.

    The one latest-stock query: the plan reads stock on hand from it (per location), the
    dashboard sums a SKU's sellable locations at its newest snapshot day.
    """
    conds: list[str] = []
    params: list[Any] = []
    if before is not None:
        conds.append("date < ?")
        params.append(before)
    for col, values in (("sku_id", sku_ids), ("location_id", location_ids)):
        if values is None:
            continue
        if not values:
            return pl.DataFrame(schema=LATEST_STOCK_SCHEMA)
        conds.append(f"{col} IN ({', '.join('?' for _ in values)})")
        params.extend(values)
    where = (" WHERE " + " AND ".join(conds)) if conds else ""
    df = store.query(
        "SELECT s.sku_id, s.location_id, s.date, s.on_hand_qty, s.reserved_qty "
        "FROM inventory_snapshots s JOIN ("
        f"  SELECT sku_id, location_id, max(date) AS d FROM inventory_snapshots{where} "
        "  GROUP BY sku_id, location_id) m "
        "ON s.sku_id = m.sku_id AND s.location_id = m.location_id AND s.date = m.d",
        params,
    )
    return df.with_columns([pl.col(c).cast(t) for c, t in LATEST_STOCK_SCHEMA.items()])


def snapshots_between(store: Store, lo: date, hi: date) -> pl.DataFrame:
    """(date, sku_id, location_id, on_hand_qty, reserved_qty) of snapshots in ``[lo, hi]``."""
    return store.query(
        "SELECT date, sku_id, location_id, on_hand_qty, reserved_qty FROM inventory_snapshots "
        "WHERE date >= ? AND date <= ?",
        [lo, hi],
    )


def open_shipment_lines(store: Store, sku_id: str) -> pl.DataFrame:
    """Lots of one SKU not arrived yet: ``shipment_id, route_id, eta_on, shipped_on,
    quantity``, soonest first."""
    return store.query(
        "SELECT s.shipment_id, s.route_id, s.eta_on, s.shipped_on, l.quantity "
        "FROM shipment_lines l JOIN shipments s ON s.shipment_id = l.shipment_id "
        "WHERE l.sku_id = ? AND s.arrived_on IS NULL ORDER BY s.eta_on",
        [sku_id],
    )
