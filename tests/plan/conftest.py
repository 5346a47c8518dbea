"""Plan test fixtures: the test demo with half its SKUs sold out.

The generated demo shop is well stocked (most SKUs hold months of cover), so on a short test
horizon the planner rightly orders little or nothing.  Tests about purchase orders, the
budget and the export need SKUs that must be reordered: :func:`sell_out` empties the latest
stock of every other SKU (sorted by id), as if they had sold through.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from quickturn.store import Store, open_store


def sell_out(store: Store, today: date) -> list[str]:
    """Set the latest on-hand stock before ``today`` of every other SKU to zero; return them."""
    snaps = store.table("inventory_snapshots").filter(pl.col("date") < today)
    latest = snaps.join(
        snaps.group_by("sku_id", "location_id").agg(pl.col("date").max()),
        on=["sku_id", "location_id", "date"],
    )
    skus = sorted(set(latest["sku_id"].to_list()))[::2]
    emptied = latest.filter(pl.col("sku_id").is_in(skus)).with_columns(
        pl.lit(0).cast(latest.schema["on_hand_qty"]).alias("on_hand_qty")
    )
    if "reserved_qty" in emptied.columns:
        emptied = emptied.with_columns(
            pl.lit(0).cast(latest.schema["reserved_qty"]).alias("reserved_qty")
        )
    store.write("inventory_snapshots", emptied, mode="upsert")
    return skus


@pytest.fixture()
def shop(demo_store: Store, demo_today: date) -> Store:
    """A private copy of the test demo with every other SKU sold out."""
    sell_out(demo_store, demo_today)
    return demo_store


@pytest.fixture()
def shop_db_file(demo_db_file: Path, tmp_path: Path, demo_today: date) -> Iterator[Path]:
    """The same shop as a DuckDB file (for the CLI)."""
    copy = tmp_path / "shop.duckdb"
    shutil.copyfile(demo_db_file, copy)
    s = open_store(copy)
    try:
        sell_out(s, demo_today)
    finally:
        s.close()
    yield copy
