"""A tiny synthetic shop for sense tests: a steady seller, a content-driven burst, a dead SKU
and a stock-out, written through the store like an importer would."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import numpy as np
import polars as pl
import pytest

from quickturn.store import Store

TODAY = date(2024, 6, 1)
START = TODAY - timedelta(days=120)


def write_shop(store: Store, seed: int = 7) -> dict[str, np.ndarray]:
    """Write 4 SKUs × 120 days; return the true daily units (before cancellations)."""
    rng = np.random.default_rng(seed)
    n_days = 120
    t = np.arange(n_days)
    lam = {
        "STEADY": np.full(n_days, 4.0),
        "BURST": 0.5 + np.where(t >= 80, 30.0 * np.exp(-(t - 80) / 6.0), 0.0),
        "DEAD": np.where(t < 40, 3.0, 0.0),
        "OOS": np.full(n_days, 3.0),
    }
    units = {k: rng.poisson(v) for k, v in lam.items()}
    units["OOS"][100:110] = 0  # out of stock: nothing sold
    skus = pl.DataFrame(
        {
            "sku_id": list(lam),
            "title": [f"SKU {k}" for k in lam],
            "category": ["toys", "toys", "home", "home"],
        }
    )
    orders, lines = [], []
    k = 0
    for sku, u in units.items():
        for d in range(n_days):
            for _ in range(int(u[d] > 0)):
                k += 1
                oid = f"O{k:06d}"
                ts = datetime.combine(START + timedelta(days=d), datetime.min.time()) + timedelta(
                    hours=20
                )  # 20:00 UTC = 13:00 Pacific, same day
                orders.append(
                    {"order_id": oid, "currency": "USD", "status": "COMPLETED", "created_at": ts}
                )
                lines.append(
                    {"order_id": oid, "sku_id": sku, "quantity": int(u[d]), "unit_price": 10.0}
                )
    # a cancelled order that must not count
    orders.append(
        {
            "order_id": "CANCEL1",
            "currency": "USD",
            "status": "CANCELLED",
            "created_at": datetime.combine(START + timedelta(days=119), datetime.min.time())
            + timedelta(hours=20),
        }
    )
    lines.append({"order_id": "CANCEL1", "sku_id": "STEADY", "quantity": 500, "unit_price": 10.0})
    locations = pl.DataFrame({"location_id": ["US1"], "name": ["US 3PL"], "kind": ["us_3pl"]})
    snaps = pl.DataFrame(
        {
            "date": [START + timedelta(days=d) for d in range(n_days)],
            "sku_id": ["OOS"] * n_days,
            "location_id": ["US1"] * n_days,
            "on_hand_qty": [0 if 100 <= d < 110 else 50 for d in range(n_days)],
        }
    )
    content = pl.DataFrame(
        {
            "content_id": ["V1"],
            "kind": ["video"],
            "posted_at": [
                datetime.combine(START + timedelta(days=80), datetime.min.time())
                + timedelta(hours=20)
            ],
            "market": ["US"],
        }
    )
    metrics = pl.DataFrame(
        {
            "content_id": ["V1"] * 40,
            "date": [START + timedelta(days=80 + i) for i in range(40)],
            "views": [int(20000 * np.exp(-i / 6.0)) for i in range(40)],
        }
    )
    store.write_many(
        {
            "skus": skus,
            "orders": pl.DataFrame(orders).with_columns(
                pl.col("created_at").cast(pl.Datetime("us"))
            ),
            "order_lines": pl.DataFrame(lines),
            "locations": locations,
            "inventory_snapshots": snaps,
            "content": content,
            "content_skus": pl.DataFrame({"content_id": ["V1"], "sku_id": ["BURST"]}),
            "content_metrics": metrics,
        }
    )
    return units


@pytest.fixture()
def shop(store: Store) -> dict[str, np.ndarray]:
    """The synthetic shop written into the ``store`` fixture (DuckDB and PostgreSQL)."""
    return write_shop(store)
