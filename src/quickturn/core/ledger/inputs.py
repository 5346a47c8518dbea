"""The frames the ledger reads, typed exactly as the canonical tables in :mod:`quickturn.schema`.

``LedgerInputs.from_frames({...})`` accepts any subset of tables (missing tables become empty
typed frames; missing columns become nulls), so the ledger runs on a full demo shop as well as
on a bare Seller Center order export.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields

import polars as pl

from quickturn.schema import get_table
from quickturn.validate import polars_schema

TABLES = (
    "shops",
    "suppliers",
    "skus",
    "bom",
    "locations",
    "routes",
    "creators",
    "content",
    "orders",
    "order_lines",
    "returns",
    "settlement_lines",
    "ad_spend",
    "purchase_orders",
    "shipments",
    "shipment_lines",
    "bills",
    "fx_rates",
)


def typed(name: str, frame: pl.DataFrame | None) -> pl.DataFrame:
    """``frame`` with exactly the canonical columns and dtypes of table ``name``."""
    schema = polars_schema(get_table(name))
    if frame is None:
        return pl.DataFrame(schema=schema)
    cols = []
    for c, dt in schema.items():
        if c in frame.columns:
            cols.append(pl.col(c).cast(dt))
        else:
            cols.append(pl.lit(None, dtype=dt).alias(c))
    return frame.select(cols)


@dataclass(frozen=True)
class LedgerInputs:
    shops: pl.DataFrame
    suppliers: pl.DataFrame
    skus: pl.DataFrame
    bom: pl.DataFrame
    locations: pl.DataFrame
    routes: pl.DataFrame
    creators: pl.DataFrame
    content: pl.DataFrame
    orders: pl.DataFrame
    order_lines: pl.DataFrame
    returns: pl.DataFrame
    settlement_lines: pl.DataFrame
    ad_spend: pl.DataFrame
    purchase_orders: pl.DataFrame
    shipments: pl.DataFrame
    shipment_lines: pl.DataFrame
    bills: pl.DataFrame
    fx_rates: pl.DataFrame

    @classmethod
    def from_frames(cls, frames: Mapping[str, pl.DataFrame | None]) -> LedgerInputs:
        unknown = set(frames) - set(TABLES)
        if unknown:
            raise ValueError(f"the ledger does not read tables {sorted(unknown)}")
        return cls(**{t: typed(t, frames.get(t)) for t in TABLES})

    def replace(self, **frames: pl.DataFrame) -> LedgerInputs:
        current = {f.name: getattr(self, f.name) for f in fields(self)}
        current.update({k: typed(k, v) for k, v in frames.items()})
        return LedgerInputs(**current)
