"""The backtest use case on a store: the shop's own past, replayed under each policy.

Data flow::

    store ── sense.load_panel (daily units, stock-out days censored, shop-local dates)
          ── plan.prepare at the start day (routes with lead times fitted to shipments, MOQ,
             case packs, ledger unit economics, stock on hand and lots in transit, compliance
             blocks) → one economics row per SKU (economics_from_plan)
          ── content_skus + content_metrics (views per SKU and day)
        ▼  the same long frames the frame API takes (unique_id, ds, y …)
    core.backtest.runner.run_frames → BacktestResult → CLI / web / report

The store is read once; the walk-forward itself is pure (``core/backtest``).  Nothing is
written: a backtest is a question about the past, not a run of today's plan.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from functools import partial
from typing import Any

import numpy as np
import polars as pl

from quickturn.config import Settings
from quickturn.core.backtest.engine import Progress
from quickturn.core.backtest.result import BacktestResult
from quickturn.core.backtest.runner import run_frames
from quickturn.core.plan.inputs import SkuContext
from quickturn.core.plan.settings import plan_settings
from quickturn.core.plan.simulate import (
    DIST_CODES,
    E_CASE,
    E_DUTY,
    E_LANDED,
    E_MOQ,
    E_PENALTY,
    E_PRICE,
    E_STORAGE,
    E_UNIT,
    E_VAR,
    FAST,
    N_QUANT,
    R_DIST,
    R_FIXED,
    R_FREIGHT,
    R_MEAN,
    R_MIN,
    R_MINCHG,
    R_OK,
    R_Q0,
    R_SD,
    SLOW,
    PlanInputs,
)
from quickturn.errors import UsageError
from quickturn.store import Store

_DIST_NAMES = {v: k for k, v in DIST_CODES.items()}


def economics_from_plan(
    inputs: PlanInputs, ctx: SkuContext, *, salvage_rate: float, capital_rate_annual: float
) -> pl.DataFrame:
    """One economics row per SKU (the frame API's columns) from what the planner assembled."""
    e, r = inputs.economics, inputs.routes
    cols: dict[str, Any] = {
        "unique_id": list(inputs.sku_ids),
        "price": e[:, E_PRICE],
        "unit_cost": e[:, E_UNIT],
        "variable_cost": e[:, E_VAR],
        "duty_rate": e[:, E_DUTY],
        "landed_cost": e[:, E_LANDED],
        "moq": e[:, E_MOQ],
        "case_pack": np.maximum(e[:, E_CASE], 1.0),
        "salvage_rate": np.full(inputs.n_skus, salvage_rate),
        "holding_cost": e[:, E_STORAGE],
        "capital_rate_annual": np.full(inputs.n_skus, capital_rate_annual),
        "stockout_penalty": e[:, E_PENALTY],
    }
    for slot, pre in ((SLOW, "slow"), (FAST, "fast")):
        ok = r[:, slot, R_OK] > 0.5
        mean = np.where(ok, r[:, slot, R_MEAN], 1.0)
        cols[f"{pre}_available"] = ok
        cols[f"{pre}_lead_time_days"] = mean
        cols[f"{pre}_lead_time_sd_days"] = np.where(ok, r[:, slot, R_SD], 0.0)
        cols[f"{pre}_lead_time_min_days"] = np.minimum(np.where(ok, r[:, slot, R_MIN], 1.0), mean)
        cols[f"{pre}_lead_time_dist"] = [
            _DIST_NAMES.get(int(c), "lognormal") if o else "fixed"
            for c, o in zip(r[:, slot, R_DIST], ok, strict=True)
        ]
        quant = r[:, slot, R_Q0 : R_Q0 + N_QUANT]
        cols[f"{pre}_lead_time_quantiles"] = [
            [float(x) for x in q] if (o and _DIST_NAMES.get(int(c)) == "empirical") else None
            for q, c, o in zip(quant, r[:, slot, R_DIST], ok, strict=True)
        ]
        cols[f"{pre}_freight_per_unit"] = np.where(ok, r[:, slot, R_FREIGHT], 0.0)
        cols[f"{pre}_fixed_cost"] = np.where(ok, r[:, slot, R_FIXED], 0.0)
        cols[f"{pre}_min_charge"] = np.where(ok, r[:, slot, R_MINCHG], 0.0)
    frame = pl.DataFrame(cols)
    del ctx  # the context's facts are already folded into the arrays
    return frame.with_columns(
        pl.col("slow_lead_time_quantiles").cast(pl.List(pl.Float64)),
        pl.col("fast_lead_time_quantiles").cast(pl.List(pl.Float64)),
    )


def demand_frame(y: np.ndarray, sku_ids: Sequence[str], start: date) -> pl.DataFrame:
    """Long ``unique_id, ds, y`` from a panel: days before a SKU's first observed day are
    dropped (it did not exist); later NaN days (stock-outs) become null ``y`` (censored)."""
    _, t_n = y.shape
    finite = np.isfinite(y)
    first = np.where(finite.any(axis=1), finite.argmax(axis=1), t_n)
    keep = np.arange(t_n)[None, :] >= first[:, None]
    rows, cols = np.nonzero(keep)
    vals = y[rows, cols]
    return pl.DataFrame(
        {
            "unique_id": pl.Series(
                np.asarray(sku_ids, dtype=object)[rows].tolist(), dtype=pl.String
            ),
            "ds": pl.date_range(start, start + timedelta(days=t_n - 1), eager=True).gather(cols),
            "y": pl.Series(np.where(np.isfinite(vals), vals, np.nan)).fill_nan(None),
        }
    )


def content_frame(store: Store, sku_ids: Sequence[str], lo: date, hi: date) -> pl.DataFrame | None:
    """Views per (SKU, day, content) from ``content_skus`` × ``content_metrics``, with the
    content's ``creator_id`` (empty: the shop's own account)."""
    if "content_metrics" not in store.existing_tables():
        return None
    links = store.table("content_skus", columns=["content_id", "sku_id"])
    metrics = store.table("content_metrics", columns=["content_id", "date", "views"])
    if not links.height or not metrics.height:
        return None
    who = store.table("content", columns=["content_id", "creator_id"])
    out = (
        metrics.filter(pl.col("date").is_between(lo, hi))
        .join(links, on="content_id")
        .filter(pl.col("sku_id").is_in(list(sku_ids)))
        .join(who, on="content_id", how="left")
        .select(
            pl.col("sku_id").alias("unique_id"),
            pl.col("date").cast(pl.Date).alias("ds"),
            pl.col("views").cast(pl.Float64).fill_null(0.0),
            pl.col("content_id").cast(pl.String),
            pl.col("creator_id").cast(pl.String),
        )
    )
    return out if out.height else None


def default_window(store: Store, weeks: int = 26) -> tuple[date, date]:
    """(start, end): the last ``weeks`` weeks up to the day after the newest order."""
    from quickturn.services.sense import default_today

    end = default_today(store)
    return end - timedelta(days=7 * weeks), end


def build_frames(
    store: Store,
    *,
    start: date,
    end: date,
    app_settings: Settings | None = None,
    history_days: int = 365,
    sku_ids: Sequence[str] | None = None,
) -> dict[str, Any]:
    """The frame API's inputs, built from the store (read once)."""
    from quickturn.services.plan import prepare
    from quickturn.services.sense import load_panel

    if start >= end:
        raise UsageError(f"--start {start} must be before --end {end}")
    span = (end - start).days + history_days
    loaded = load_panel(store, today=end, history_days=span, sku_ids=sku_ids)
    panel = loaded.panel
    if panel.n == 0:
        raise UsageError("no SKUs in the database: import skus and orders first")
    demand = demand_frame(panel.y, panel.sku_ids, panel.start)
    if demand.filter(pl.col("ds") < start).height == 0:
        raise UsageError(
            f"no sales before --start {start}: the backtest needs history before its first decision"
        )
    section = dict(app_settings.section("plan")) if app_settings else {}
    section.update({"scenarios": 20, "search_scenarios": 20})
    settings = plan_settings(section)
    prepared = prepare(
        store, today=start, settings=settings, sku_ids=sku_ids, app_settings=app_settings
    )
    economics = economics_from_plan(
        prepared.inputs,
        prepared.context,
        salvage_rate=settings.salvage_rate,
        capital_rate_annual=settings.capital_rate_annual,
    )
    planned = set(prepared.inputs.sku_ids)
    demand = demand.filter(pl.col("unique_id").is_in(list(planned)))
    economics = economics.with_columns(
        pl.Series("category", [_category(panel, s) for s in economics["unique_id"].to_list()])
    )
    ctx = prepared.context
    inv_rows = [
        {"unique_id": s, "ds": start, "qty": float(ctx.on_hand[i] + ctx.origin_stock[i])}
        for i, s in enumerate(ctx.sku_ids)
        if ctx.on_hand[i] + ctx.origin_stock[i] > 0
    ]
    pin = prepared.inputs
    for i, s in enumerate(pin.sku_ids):
        for q, eta in zip(pin.pipeline_qty[i], pin.pipeline_eta[i], strict=True):
            if q > 0:
                inv_rows.append(
                    {
                        "unique_id": s,
                        "ds": start + timedelta(days=max(round(eta), 1)),
                        "qty": float(q),
                    }
                )
    inventory = (
        pl.DataFrame(inv_rows, schema={"unique_id": pl.String, "ds": pl.Date, "qty": pl.Float64})
        if inv_rows
        else None
    )
    blocked = (
        pl.DataFrame(
            {
                "unique_id": [s for s in prepared.blocked if s in planned],
            },
            schema={"unique_id": pl.String},
        ).join(
            pl.DataFrame({"ds": pl.date_range(start, end - timedelta(days=1), eager=True)}),
            how="cross",
        )
        if prepared.blocked
        else None
    )
    content = content_frame(store, list(planned), panel.start, end - timedelta(days=1))
    sources = {
        **prepared.sources,
        "demand": "orders + order_lines (shop-local days), stock-out days from inventory_snapshots",
        "stock": f"inventory_snapshots and shipments in transit on {start}",
    }
    return {
        "demand": demand,
        "economics": economics,
        "inventory": inventory,
        "blocked": blocked,
        "content": content,
        "sources": sources,
        "findings": list(prepared.findings),
    }


def _category(panel: Any, sku: str) -> str:
    cats = panel.category or []
    try:
        return str(cats[panel.sku_ids.index(sku)])
    except (ValueError, IndexError):
        return "uncategorised"


def run(
    store: Store,
    *,
    start: date | None = None,
    end: date | None = None,
    every: int = 7,
    policies: Sequence[str] | None = None,
    seed: int = 0,
    budget: float | None = None,
    app_settings: Settings | None = None,
    sku_ids: Sequence[str] | None = None,
    progress: Progress | None = None,
    cluster: Any = None,
) -> BacktestResult:
    """Backtest ``policies`` on the shop's own past (default: its last 26 weeks).

    ``cluster`` (a Dask scheduler address or ``distributed.Client``): the store is read here,
    and each policy is replayed as one task on the cluster."""
    from quickturn.services.cluster import is_distributed, map_partitions

    d_start, d_end = default_window(store)
    s, e = start or (d_start if end is None else end - timedelta(days=7 * 26)), end or d_end
    frames = build_frames(store, start=s, end=e, app_settings=app_settings, sku_ids=sku_ids)
    return run_frames(
        frames["demand"],
        frames["economics"],
        start=s,
        end=e,
        every=every,
        policies=policies,
        seed=seed,
        inventory=frames["inventory"],
        blocked=frames["blocked"],
        content=frames["content"],
        budget=budget,
        progress=progress,
        findings=frames["findings"],
        sources=frames["sources"],
        map_fn=partial(map_partitions, cluster=cluster) if is_distributed(cluster) else None,
    )


# --- persisted runs (what the dashboard and the report read) ----------------------------------
#: ``runs.module`` of a saved backtest
MODULE = "backtest"


def saved_payload(res: BacktestResult) -> dict[str, Any]:
    """What a saved run keeps: the summary, per-policy totals, and the shop-level daily trace
    per policy (cumulative profit, inventory at cost, stock) — small enough for one JSON cell
    (≈ 5 policies × days × 5 figures)."""
    daily = res.daily if not res.pandas else pl.from_pandas(res.daily)
    trace: dict[str, dict[str, list[Any]]] = {}
    for name in res.policies:
        d = daily.filter(pl.col("policy") == name).sort("ds")
        trace[name] = {
            "ds": [x.isoformat() for x in d["ds"].to_list()],
            "cumulative_profit_usd": [round(float(v), 2) for v in d["cumulative_profit_usd"]],
            "inventory_value_usd": [round(float(v), 2) for v in d["inventory_value_usd"]],
            "on_hand_qty": [round(float(v), 1) for v in d["on_hand_qty"]],
            "in_transit_qty": [round(float(v), 1) for v in d["in_transit_qty"]],
            "lost_sales_qty": [round(float(v), 1) for v in d["lost_sales_qty"]],
        }
    return {**res.summary(), "daily": trace}


def save(store: Store, res: BacktestResult, *, params: dict[str, Any]) -> str:
    """Record the run in ``runs`` (module ``backtest``); return its id.  A re-run adds a new
    run; readers (``backtest.read.backtest_overview``) take the newest.  Nothing else in the store
    changes."""
    import json
    import uuid
    from datetime import UTC, datetime

    now = datetime.now(UTC).replace(tzinfo=None)
    run_id = f"{MODULE}-{now:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"
    row = pl.DataFrame(
        {
            "run_id": [run_id],
            "module": [MODULE],
            "created_at": [now],
            "as_of": [res.end],
            "params": [json.dumps(params, default=str)],
            "summary": [json.dumps(saved_payload(res), default=str)],
        }
    )
    with store.transaction():
        store.write("runs", row)
    return run_id


#: the demo's backtest: the last 26 weeks, weekly, every policy
DEMO_WEEKS = 26


def demo_step(ctx: Any) -> dict[str, Any]:
    """Backtest on the demo shop (its last 26 weeks, weekly), saved for the dashboard."""
    marker = ctx.store.get_state("demo", "marker") or {}
    days = int(marker.get("days") or 7 * DEMO_WEEKS + 28)
    # keep four weeks of history before the first decision (sense needs a record to fit)
    weeks = min(DEMO_WEEKS, (days - 28) // 7)
    if weeks < 1:
        return {"skipped": f"the demo has {days} days of history; a backtest needs at least 35"}
    ctx.progress(f"backtest: replaying the last {weeks} weeks")
    res = run(
        ctx.store,
        start=ctx.today - timedelta(days=7 * weeks),
        end=ctx.today,
        app_settings=ctx.settings,
        seed=ctx.seed,
    )
    params = {"start": res.start, "end": res.end, "every": res.every, "seed": ctx.seed}
    run_id = save(ctx.store, res, params=params)
    summary = res.summary()
    return {"run_id": run_id, **summary}
