"""Generate the whole demo shop: ``generate(DemoConfig) -> DemoShop``.

Data flow (each step pure and seeded from its own stream of one ``SeedSequence``):
catalog → content and its metrics → demand + inventory simulation → orders, returns,
reviews → ads, stock snapshots, purchase orders, shipments, bills, FX → settlement.
Every frame is returned with the canonical column order and dtypes of ``schema.py``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from quickturn.demo.catalog import build_catalog, creators_frame
from quickturn.demo.config import DemoConfig
from quickturn.demo.content import build_content
from quickturn.demo.demand import simulate
from quickturn.demo.finance import (
    ads_frames,
    bills,
    first_po_day,
    fx_rates,
    inventory_snapshots,
    settlement,
    supply_frames,
)
from quickturn.demo.orders import add_returns_reviews, build_orders
from quickturn.schema import input_tables
from quickturn.validate import polars_schema

#: input tables in write order (referenced tables first)
TABLE_ORDER = (
    "shops",
    "suppliers",
    "skus",
    "bom",
    "certificates",
    "locations",
    "routes",
    "creators",
    "content",
    "content_skus",
    "content_metrics",
    "orders",
    "order_lines",
    "returns",
    "reviews",
    "settlement_lines",
    "ad_spend",
    "inventory_snapshots",
    "purchase_orders",
    "shipments",
    "shipment_lines",
    "bills",
    "fx_rates",
)
#: big tables whose rows come out in a deterministic order already (sorting them would cost
#: seconds at 10,000 SKUs); every other table is sorted by its natural key
UNSORTED = frozenset(
    {"content_metrics", "orders", "order_lines", "settlement_lines", "inventory_snapshots"}
)
_STREAMS = ("catalog", "creators", "content", "demand", "orders", "fx", "supply")


@dataclass
class DemoShop:
    """The generated shop: canonical frames per input table, the ground truth behind them
    (per-SKU archetype, burst kernel, conversion rate, …) and generation timings."""

    config: DemoConfig
    tables: dict[str, pl.DataFrame]
    truth: pl.DataFrame
    timings: dict[str, float] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        return {k: v.height for k, v in self.tables.items()}


def conform(name: str, frame: pl.DataFrame, *, sort: bool = True) -> pl.DataFrame:
    """Columns of the canonical table, in order, with its dtypes (missing ones as nulls),
    rows sorted by the natural key (so that output does not depend on thread scheduling)."""
    table = next(t for t in input_tables() if t.name == name)
    schema = polars_schema(table)
    cols = []
    for c, dt in schema.items():
        if c in frame.columns:
            cols.append(pl.col(c).cast(dt))
        else:
            cols.append(pl.lit(None, dtype=dt).alias(c))
    out = frame.select(cols)
    return out.sort(list(table.key)) if sort else out


def generate(config: DemoConfig | None = None) -> DemoShop:
    """Generate every input table of the demo shop for ``config`` (pure and deterministic)."""
    cfg = config or DemoConfig()
    seeds = np.random.SeedSequence(cfg.seed).spawn(len(_STREAMS))
    rng = {name: np.random.default_rng(s) for name, s in zip(_STREAMS, seeds, strict=True)}
    timings: dict[str, float] = {}
    t0 = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal t0
        now = time.perf_counter()
        timings[name] = round(now - t0, 4)
        t0 = now

    cat = build_catalog(cfg, rng["catalog"])
    creators = creators_frame(cfg, rng["creators"])
    lap("catalog")
    content = build_content(cfg, cat, creators, rng["content"])
    lap("content")
    sim = simulate(cfg, cat, content.demand, content.demand_gb, cat.frames["routes"], rng["demand"])
    lap("demand")
    truth = pl.DataFrame(
        {
            "sku_id": cat.sku_id,
            "category": cat.category,
            "archetype": cat.archetype,
            "kernel": cat.kernel,
            "conversion": cat.conversion * cfg.scale,
            "level": cat.level,
            "launch_day": cat.launch_day,
            "location": cat.location,
            "pod_only": cat.pod_only,
            "gb_listed": cat.gb_listed,
            "quality_bad": cat.quality_bad,
            "demand_units": sim.demand.sum(axis=1),
            "sales_units": sim.sales.sum(axis=1),
            "lost_units": sim.lost.sum(axis=1),
            "stockout_days": (
                (sim.on_hand == 0) & (np.arange(cfg.days)[None, :] >= sim.stocked_from[:, None])
            ).sum(axis=1)
            * (cat.location >= 0),
            "end_stock": sim.on_hand[:, -1],
        }
    )
    od = build_orders(cfg, cat, sim, content, rng["orders"])
    add_returns_reviews(cfg, cat, od, rng["orders"])
    lap("orders")
    fx = fx_rates(cfg, min(first_po_day(sim), 0) - 7, rng["fx"])
    ads = ads_frames(cfg, cat, sim)
    supply = supply_frames(cfg, cat, sim, fx, rng["supply"])
    inv = inventory_snapshots(cfg, cat, sim, od.lines)
    bill = bills(cfg, cat, sim, od.lines, fx)
    lap("supply")
    settle = settlement(cfg, cat, od.lines, od.frames["returns"], ads["ad_spend"])
    lap("settlement")
    content_frame = pl.concat(
        [conform("content", content.frames["content"]), conform("content", ads["content"])]
    )
    raw: dict[str, pl.DataFrame] = {
        **{
            k: cat.frames[k]
            for k in ("shops", "suppliers", "skus", "bom", "certificates", "locations", "routes")
        },
        "creators": creators,
        "content": content_frame,
        "content_skus": pl.concat(
            [
                conform("content_skus", content.frames["content_skus"]),
                conform("content_skus", ads["content_skus"]),
            ]
        ),
        "content_metrics": pl.concat(
            [
                conform("content_metrics", content.frames["content_metrics"]),
                conform("content_metrics", ads["content_metrics"]),
            ]
        ),
        **od.frames,
        "settlement_lines": settle,
        "ad_spend": ads["ad_spend"],
        "inventory_snapshots": inv,
        **supply,
        "bills": bill,
        "fx_rates": fx,
    }
    # free the intermediates before sorting each table (keeps peak memory down at 10k SKUs)
    del od, settle, inv, supply, bill, ads, content, sim
    tables: dict[str, pl.DataFrame] = {}
    for name in TABLE_ORDER:
        tables[name] = conform(name, raw.pop(name), sort=name not in UNSORTED)
    lap("conform")
    return DemoShop(config=cfg, tables=tables, truth=truth, timings=timings)
