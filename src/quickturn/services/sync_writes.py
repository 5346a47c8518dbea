"""Change-aware writes of TikTok Shop data, shared by the sync, the webhook queue and connect.

Data flow: mapped API frames (:mod:`quickturn.connectors.tiktok_api.payloads`) →
:func:`upsert_changed` (only rows that are new or differ from the stored ones are written;
columns the API does not fill are kept) → the canonical tables; :class:`SyncReport` counts
what each table got.  :func:`load_shops` lists the connected shops, :func:`save_shops`
upserts the shops the API returned.

Its own module so that ``services.sync`` (which processes the webhook queue first),
``services.webhooks`` (which writes what a notification points at) and ``services.connect``
(which saves the seller's shops) all import it and not each other: no import cycle
(``tests/test_architecture.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from quickturn.connectors.tiktok_api.payloads import Mapped, shops_frame
from quickturn.errors import Finding
from quickturn.schema import get_table
from quickturn.store import Store
from quickturn.store.queries import modules as module_queries
from quickturn.validate import polars_schema


@dataclass(frozen=True)
class UpsertResult:
    table: str
    inserted: int
    updated: int
    unchanged: int


@dataclass
class SyncReport:
    """What one sync did: rows inserted/updated per table, items fetched per resource."""

    run_id: str
    shops: list[str] = field(default_factory=list)
    tables: dict[str, dict[str, int]] = field(default_factory=dict)
    fetched: dict[str, int] = field(default_factory=dict)
    windows: dict[str, dict[str, str]] = field(default_factory=dict)
    webhooks_processed: int = 0
    findings: list[Finding] = field(default_factory=list)
    client: dict[str, float] = field(default_factory=dict)
    seconds: float = 0.0
    resumed: list[str] = field(default_factory=list)

    def add(self, res: UpsertResult) -> None:
        t = self.tables.setdefault(res.table, {"inserted": 0, "updated": 0, "unchanged": 0})
        t["inserted"] += res.inserted
        t["updated"] += res.updated
        t["unchanged"] += res.unchanged

    def fetched_add(self, resource: str, n: int) -> None:
        self.fetched[resource] = self.fetched.get(resource, 0) + n

    def as_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "shops": self.shops,
            "tables": self.tables,
            "fetched": self.fetched,
            "windows": self.windows,
            "resumed": self.resumed,
            "webhooks_processed": self.webhooks_processed,
            "findings": [f.to_dict() for f in self.findings],
            "client": self.client,
            "seconds": round(self.seconds, 3),
        }


# -- change-aware upsert ------------------------------------------------------------------
def existing_rows(
    store: Store, table: str, column: str, ids: Sequence[Any], columns: Sequence[str] | None = None
) -> pl.DataFrame:
    """Stored rows whose ``column`` is in ``ids`` (one array parameter: fast on both backends)."""
    return module_queries.rows_with_keys(store, table, column, ids, columns)


def upsert_changed(store: Store, table: str, new: pl.DataFrame) -> UpsertResult:
    """Upsert ``new`` by natural key, writing only rows that are new or differ.

    Columns missing from ``new`` keep the stored value (or the column default for new rows),
    so data the API does not carry is never wiped.
    """
    t = get_table(table)
    schema = polars_schema(t)
    if new.height == 0:
        return UpsertResult(table, 0, 0, 0)
    new = new.unique(subset=list(t.key), keep="last", maintain_order=True)
    first = t.key[0]
    ids = new[first].unique().to_list()
    old = existing_rows(store, table, first, ids)
    if len(t.key) > 1 and old.height:
        old = old.join(new.select(list(t.key)), on=list(t.key), how="semi", nulls_equal=True)
    missing = [c for c in schema if c not in new.columns]
    full = new
    if missing:
        full = full.join(
            old.select([*t.key, *missing]), on=list(t.key), how="left", nulls_equal=True
        )
    defaults = [
        pl.col(c.name).fill_null(pl.lit(c.default, dtype=schema[c.name]))
        for c in t.columns
        if c.default is not None and c.name in missing
    ]
    full = full.with_columns(
        [pl.col(c).cast(dt) for c, dt in schema.items() if c in full.columns]
    ).select(
        [
            pl.col(c) if c in full.columns else pl.lit(None, dtype=dt).alias(c)
            for c, dt in schema.items()
        ]
    )
    if defaults:
        full = full.with_columns(defaults)
    if old.height == 0:
        store.write(table, full)
        return UpsertResult(table, full.height, 0, 0)
    keyed_old = old.select(list(t.key)).with_columns(pl.Series("__old_hash", old.hash_rows(seed=1)))
    cmp = full.with_columns(pl.Series("__new_hash", full.hash_rows(seed=1))).join(
        keyed_old, on=list(t.key), how="left", nulls_equal=True
    )
    is_new = cmp["__old_hash"].is_null()
    changed = is_new | (cmp["__old_hash"] != cmp["__new_hash"])
    to_write = cmp.filter(changed).drop("__old_hash", "__new_hash")
    if to_write.height:
        store.write(table, to_write)
    n_new = int(is_new.sum())
    n_changed = int(changed.sum())
    return UpsertResult(table, n_new, n_changed - n_new, full.height - n_changed)


def _prune_order_lines(store: Store, lines: pl.DataFrame, order_ids: Sequence[str]) -> int:
    """Delete stored lines of these orders whose SKU is no longer in the order."""
    if not order_ids:
        return 0
    removed = 0
    ids = list(order_ids)
    for i in range(0, len(ids), 1000):
        old = existing_rows(
            store, "order_lines", "order_id", ids[i : i + 1000], ["order_id", "sku_id"]
        )
        stale = old.join(lines.select("order_id", "sku_id"), on=["order_id", "sku_id"], how="anti")
        for oid, sku in stale.iter_rows():
            removed += store.delete("order_lines", {"order_id": oid, "sku_id": sku})
    return removed


def write_mapped(store: Store, mapped: Mapped, report: SyncReport) -> None:
    """Write mapped frames (SKUs first, then orders, lines, returns, settlements)."""
    report.findings.extend(mapped.findings)
    order = (
        "locations",
        "skus",
        "orders",
        "order_lines",
        "returns",
        "settlement_lines",
        "inventory_snapshots",
    )
    with store.transaction():
        for name in order:
            df = mapped.frames.get(name)
            if df is None or df.height == 0:
                continue
            if name == "skus" and "launch_date" not in df.columns:
                # SKUs seen in orders: only create unknown ones, never overwrite the master
                known = existing_rows(store, "skus", "sku_id", df["sku_id"].to_list(), ["sku_id"])
                df = df.join(known, on="sku_id", how="anti")
                if df.height == 0:
                    continue
            if name == "locations":
                known = store.table(
                    "locations",
                    columns=["location_id"],
                    where={"location_id": df["location_id"].to_list()},
                )
                df = df.join(known, on="location_id", how="anti")
                if df.height == 0:
                    continue
            if name == "order_lines":
                _prune_order_lines(store, df, mapped.frames["orders"]["order_id"].to_list())
            report.add(upsert_changed(store, name, df))


@dataclass
class ShopRef:
    shop_id: str
    cipher: str
    market: str = "US"
    timezone: str = "America/Los_Angeles"


def load_shops(store: Store, shop_id: str | None = None) -> list[ShopRef]:
    df = store.table("shops")
    df = df.filter(pl.col("cipher").is_not_null() & (pl.col("cipher") != ""))
    if shop_id is not None:
        df = df.filter(pl.col("shop_id") == shop_id)
    return [
        ShopRef(
            r["shop_id"], r["cipher"], r["market"] or "US", r["timezone"] or "America/Los_Angeles"
        )
        for r in df.iter_rows(named=True)
    ]


def save_shops(store: Store, shops: list[dict[str, Any]]) -> tuple[int, int]:
    """Upsert the shops, keeping columns the API does not give (time zone, opening date)."""
    res = upsert_changed(store, "shops", shops_frame(shops))
    return res.inserted, res.updated
