"""sense use cases: load sales, stock and content from the store → core model → persist.

Data flow::

    store: orders, order_lines, skus, inventory_snapshots, locations, content*, shops
        │  load_panel(store, today)          (history ends the day before ``today``)
        ▼
    core.sense: Panel + ContentPosts → Lifecycle model → quantiles, sample paths, phases
        │
        ├─ demand_scenarios(...) → SamplePaths   (for the planner; nothing persisted)
        └─ run(...) → rows in ``forecasts``, ``sku_phases`` and a ``runs`` row (module "sense")
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np
import polars as pl

from quickturn.core.sense.base import row_keys
from quickturn.core.sense.history import content_posts, daily_units, demand_panel, stockout_days
from quickturn.core.sense.lifecycle import Lifecycle
from quickturn.core.sense.phases import most_likely, simple_phase_probs
from quickturn.core.sense.types import Panel, SamplePaths
from quickturn.store import Store

DEFAULT_TZ = "America/Los_Angeles"


@dataclass(frozen=True)
class LoadedHistory:
    panel: Panel
    tz: str


def _shop_tz(store: Store) -> str:
    shops = store.table("shops", columns=["timezone"])
    tzs = [t for t in shops["timezone"].to_list() if t]
    return str(tzs[0]) if tzs else DEFAULT_TZ


def load_panel(
    store: Store,
    *,
    today: date,
    history_days: int = 365,
    sku_ids: Sequence[str] | None = None,
    with_content: bool = True,
) -> LoadedHistory:
    """Daily demand of every SKU (or ``sku_ids``) for the ``history_days`` before ``today``."""
    tz = _shop_tz(store)
    end = today - timedelta(days=1)
    start = today - timedelta(days=history_days)
    lo = datetime.combine(start - timedelta(days=1), datetime.min.time())
    hi = datetime.combine(today + timedelta(days=1), datetime.min.time())
    lines = store.query(
        "SELECT o.order_id, o.status, o.created_at, o.cancelled_at, l.sku_id, l.quantity "
        "FROM order_lines l JOIN orders o ON o.order_id = l.order_id "
        "WHERE o.created_at >= ? AND o.created_at < ?",
        [lo, hi],
    )
    if lines.height:
        orders = lines.select("order_id", "status", "created_at", "cancelled_at").unique("order_id")
        units = daily_units(orders, lines.select("order_id", "sku_id", "quantity"), tz=tz)
    else:
        units = pl.DataFrame(
            {"sku_id": [], "date": [], "units": []},
            schema={"sku_id": pl.String, "date": pl.Date, "units": pl.Float64},
        )
    skus = store.table("skus", columns=["sku_id", "category", "launch_date", "pod_eligible"])
    ids = list(sku_ids) if sku_ids is not None else sorted(skus["sku_id"].to_list())
    snaps = store.query(
        "SELECT date, sku_id, location_id, on_hand_qty, reserved_qty FROM inventory_snapshots "
        "WHERE date >= ? AND date <= ?",
        [start - timedelta(days=30), end],
    )
    stock = None
    if snaps.height:
        locations = store.table("locations", columns=["location_id", "kind"])
        stock = stockout_days(snaps, locations)
    pod = skus.filter(pl.col("pod_eligible").fill_null(False))["sku_id"].to_list()
    panel = demand_panel(
        units,
        start=start,
        end=end,
        sku_ids=ids,
        stock=stock,
        launch=skus.select("sku_id", "launch_date"),
        never_censored=pod,
    )
    cat_map = dict(zip(skus["sku_id"].to_list(), skus["category"].to_list(), strict=True))
    category = [str(cat_map.get(s) or "uncategorised") for s in ids]
    posts = None
    if with_content:
        content = store.table("content", columns=["content_id", "posted_at"])
        if content.height:
            cs = store.table("content_skus")
            metrics = store.query(
                "SELECT content_id, date, views FROM content_metrics WHERE date >= ? AND date <= ?",
                [start, end],
            )
            posts = content_posts(content, cs, metrics, panel, tz=tz)
    panel = Panel(
        y=panel.y, sku_ids=panel.sku_ids, start=panel.start, content=posts, category=category
    )
    return LoadedHistory(panel=panel, tz=tz)


def demand_scenarios(
    store: Store,
    *,
    today: date,
    h: int,
    n_paths: int,
    seed: int,
    sku_ids: Sequence[str] | None = None,
    history_days: int = 365,
) -> SamplePaths:
    """Sample paths of daily demand for the planner (day 0 = ``today``), one row per SKU.

    ``sku_ids`` (default: every SKU in ``skus``) fixes the rows and their order.  The same
    store, ``today`` and ``seed`` always give the same paths, and a SKU's paths do not depend
    on which other SKUs are asked for.
    """
    hist = load_panel(store, today=today, history_days=history_days, sku_ids=sku_ids)
    panel = hist.panel
    if panel.n == 0:
        return SamplePaths(np.zeros((0, n_paths, h)), [], today, [])
    model = Lifecycle()
    out = model.forecast(
        panel.y,
        h,
        keys=row_keys(panel.sku_ids),
        weekday0=panel.start.weekday(),
        content=panel.content,
        category=panel.category,
        n_paths=n_paths,
        seed=seed,
    )
    assert out.paths is not None
    phase = most_likely(simple_phase_probs(panel.y, seed=seed))
    return SamplePaths(paths=out.paths, sku_ids=list(panel.sku_ids), start=today, phase=phase)
