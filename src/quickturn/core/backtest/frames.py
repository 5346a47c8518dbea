"""Long frames in, backtest arrays; backtest outcome out, long frames (statsforecast style).

Data flow::

    demand     unique_id, ds, y[, censored]    daily units; a null y is a censored day
    economics  unique_id, price, unit_cost, …  one row per SKU, every column optional
    inventory  unique_id, ds, qty              stock at the start (ds ≤ start) or landing on ds
    blocked    unique_id, ds                   days on which a SKU may not be ordered
    content    unique_id, ds, views[, content_id]
        │  inputs_from_frames (validates everything, reports every problem at once)
        ▼
    BacktestInputs ── engine.run_backtest ──> BacktestOutcome
        │  outcome_frames
        ▼
    skus (policy × SKU), totals (policy), daily (policy × day), orders, decisions

Polars only; the API layer converts pandas in and out.  Pure: no IO.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np
import polars as pl

from quickturn.core.backtest.data import BacktestInputs, Economics, reconstruct_demand
from quickturn.core.backtest.engine import BacktestOutcome
from quickturn.core.backtest.world import (
    S_COGS,
    S_DEMAND,
    S_HOLDING,
    S_LOST,
    S_REVENUE,
    S_SOLD,
    S_STOCKOUT_DAYS,
    S_VARIABLE,
    T_CASH,
    T_IN_TRANSIT,
    T_LOST,
    T_ON_HAND,
    T_PROFIT,
    T_SOLD,
)
from quickturn.core.plan.inputs import sku_key
from quickturn.core.plan.simulate import (
    DIST_CODES,
    FAST,
    N_QUANT,
    N_ROUTE,
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
)
from quickturn.core.sense.history import posts_from_long
from quickturn.core.sense.types import Panel
from quickturn.errors import Finding, ValidationError

#: economics columns and their defaults; "×price" defaults scale with the SKU's price
#: (without a price column every amount is in units of the price)
ECONOMICS_COLUMNS: dict[str, tuple[type, Any, str]] = {
    "price": (float, 1.0, "selling price per unit (USD)"),
    "unit_cost": (float, ("price", 0.30), "factory cost per unit (USD); default 30% of price"),
    "variable_cost": (
        float,
        ("price", 0.15),
        "fees, commission, fulfilment per unit sold; default 15% of price",
    ),
    "duty_rate": (float, 0.0, "import duty as a share of unit cost"),
    "landed_cost": (
        float,
        None,
        "value of a unit already in stock; default unit cost × (1 + duty) + slow freight",
    ),
    "slow_lead_time_days": (float, 45.0, "mean lead time of the slow route (production + transit)"),
    "slow_lead_time_sd_days": (float, 5.0, "SD of the slow lead time"),
    "slow_lead_time_min_days": (float, 30.0, "shortest slow lead time"),
    "slow_lead_time_dist": (str, "lognormal", "lognormal, gamma, fixed or empirical"),
    "slow_lead_time_quantiles": (list, None, "11 lead times at 0, 0.1 … 1 (empirical)"),
    "slow_freight_per_unit": (float, ("price", 0.04), "sea freight per unit; default 4% of price"),
    "slow_fixed_cost": (float, 0.0, "fixed cost per slow shipment"),
    "slow_min_charge": (float, 0.0, "minimum freight charge per slow shipment"),
    "slow_available": (bool, True, "the slow route can be used"),
    "fast_lead_time_days": (float, 12.0, "mean lead time of the fast route (production + transit)"),
    "fast_lead_time_sd_days": (float, 2.0, "SD of the fast lead time"),
    "fast_lead_time_min_days": (float, 7.0, "shortest fast lead time"),
    "fast_lead_time_dist": (str, "lognormal", "lognormal, gamma, fixed or empirical"),
    "fast_lead_time_quantiles": (list, None, "11 lead times at 0, 0.1 … 1 (empirical)"),
    "fast_freight_per_unit": (float, ("price", 0.15), "air freight per unit; default 15% of price"),
    "fast_fixed_cost": (float, 0.0, "fixed cost per fast shipment"),
    "fast_min_charge": (float, 0.0, "minimum freight charge per fast shipment"),
    "fast_available": (bool, True, "the fast route can be used"),
    "moq": (float, 0.0, "minimum order quantity (units)"),
    "case_pack": (float, 1.0, "units per case; orders are whole cases"),
    "salvage_rate": (float, 0.1, "what a dead unit fetches, as a share of its cost"),
    "holding_cost": (float, 0.0, "storage per unit on hand per day (USD)"),
    "capital_rate_annual": (float, 0.15, "cost of capital on stock and pipeline at cost"),
    "stockout_penalty": (
        float,
        ("price", 0.05),
        "planner's shop-health penalty per lost unit (quickturn's objective only)",
    ),
    "blocked": (bool, False, "compliance: the SKU may not be ordered at all"),
    "category": (str, "uncategorised", "category (sense pools conversion by it)"),
}

_NUMERIC_MIN = {
    "price": 0.0,
    "unit_cost": 0.0,
    "variable_cost": 0.0,
    "duty_rate": 0.0,
    "landed_cost": 0.0,
    "moq": 0.0,
    "case_pack": 0.0,
    "holding_cost": 0.0,
    "capital_rate_annual": 0.0,
    "stockout_penalty": 0.0,
}


def _finding(
    source: str, row: int | None, column: str | None, value: Any, expected: str, what: str
) -> Finding:
    return Finding(
        "BACKTEST_BAD_INPUT",
        "error",
        f"{source}: {what}" + (f" (row {row}, column {column!r}, value {value!r})" if row else ""),
        source=source,
        row=row,
        column=column,
        value=value,
        expected=expected,
        fix=f"expected {expected}",
    )


def _raise(findings: list[Finding]) -> None:
    if not findings:
        return
    head = "; ".join(f.message + f" — expected {f.expected}" for f in findings[:5])
    more = f" (+{len(findings) - 5} more)" if len(findings) > 5 else ""
    raise ValidationError(
        findings, f"{len(findings)} problem(s) in the backtest input: {head}{more}"
    )


def _need(frame: pl.DataFrame, source: str, cols: tuple[str, ...]) -> list[Finding]:
    return [
        _finding(source, None, c, None, f"columns {', '.join(cols)}", f"missing column {c!r}")
        for c in cols
        if c not in frame.columns
    ]


def _as_dates(frame: pl.DataFrame, source: str, col: str, out: list[Finding]) -> pl.Series:
    s = frame[col]
    try:
        if s.dtype == pl.String:
            d = s.str.to_date(strict=False)
        else:
            d = s.cast(pl.Date, strict=False)
    except pl.exceptions.PolarsError:
        d = pl.Series(col, [None] * frame.height, dtype=pl.Date)
    bad = d.is_null() & s.is_not_null() | s.is_null()
    for r in np.flatnonzero(bad.to_numpy())[:20]:
        out.append(
            _finding(source, int(r) + 1, col, s[int(r)], "a date (YYYY-MM-DD)", "not a date")
        )
    return d


def _as_numbers(
    frame: pl.DataFrame, source: str, col: str, out: list[Finding], *, minimum: float | None
) -> pl.Series:
    s = frame[col]
    v = s.cast(pl.Float64, strict=False)
    bad = v.is_null() & s.is_not_null()
    if minimum is not None:
        bad = bad | (v < minimum).fill_null(False)
    bad = bad | v.is_nan().fill_null(False) | v.is_infinite().fill_null(False)
    expected = "a number" + (f" ≥ {minimum:g}" if minimum is not None else "")
    for r in np.flatnonzero(bad.to_numpy())[:20]:
        out.append(_finding(source, int(r) + 1, col, s[int(r)], expected, "bad value"))
    return v


@dataclass(frozen=True)
class Window:
    """The backtest's days as calendar dates (``end`` exclusive)."""

    start: date
    end: date


def window(demand_last: date, start: date | None, end: date | None, weeks: int = 26) -> Window:
    """Defaults: ``end`` = the day after the last demand row; ``start`` = ``weeks`` before."""
    e = end or demand_last + timedelta(days=1)
    s = start or e - timedelta(days=7 * weeks)
    return Window(s, e)


def inputs_from_frames(
    demand: pl.DataFrame,
    economics: pl.DataFrame | None = None,
    *,
    start: date | None = None,
    end: date | None = None,
    inventory: pl.DataFrame | None = None,
    blocked: pl.DataFrame | None = None,
    content: pl.DataFrame | None = None,
    history_days: int = 365,
) -> tuple[BacktestInputs, Window]:
    """Validate the frames (every problem reported at once) and build the arrays.

    The calendar runs from ``history_days`` before ``start`` (or the first demand row, if
    later) to the last demand row.  A SKU exists from its first row; days without a row are
    zero sales; a null ``y`` (or ``censored`` true) is a stock-out day of the record.
    """
    problems = _need(demand, "demand", ("unique_id", "ds", "y"))
    _raise(problems)
    ds = _as_dates(demand, "demand", "ds", problems)
    y = _as_numbers(demand, "demand", "y", problems, minimum=0.0)
    cens = (
        demand["censored"].cast(pl.Boolean, strict=False).fill_null(False)
        if "censored" in demand.columns
        else pl.Series("censored", [False] * demand.height)
    )
    if demand.height == 0:
        problems.append(_finding("demand", None, None, None, "at least one row", "no rows"))
    _raise(problems)
    d = pl.DataFrame(
        {
            "uid": demand["unique_id"].cast(pl.String),
            "ds": ds,
            "y": y.fill_nan(None),
            "censored": cens,
        }
    ).with_columns((pl.col("censored") | pl.col("y").is_null()).alias("censored"))
    first_ds = d["ds"].min()
    last_ds = d["ds"].max()
    assert isinstance(first_ds, date) and isinstance(last_ds, date)
    win = window(last_ds, start, end)
    if win.end > last_ds + timedelta(days=1):
        problems.append(
            _finding(
                "demand",
                None,
                "ds",
                win.end.isoformat(),
                f"end on or before {(last_ds + timedelta(days=1)).isoformat()}",
                f"end {win.end} is after the last day of demand ({last_ds})",
            )
        )
    if win.start >= win.end:
        problems.append(
            _finding(
                "demand", None, "ds", win.start.isoformat(), "start before end", "empty window"
            )
        )
    if win.start < first_ds:
        problems.append(
            _finding(
                "demand",
                None,
                "ds",
                win.start.isoformat(),
                f"start on or after the first day of demand ({first_ds})",
                f"start {win.start} is before the first day of demand",
            )
        )
    _raise(problems)
    day0 = max(first_ds, win.start - timedelta(days=history_days))
    t_n = (last_ds - day0).days + 1
    ids = sorted(d["uid"].unique().to_list())
    index = {s: i for i, s in enumerate(ids)}
    n = len(ids)
    first = d.group_by("uid").agg(pl.col("ds").min())
    first_day = np.zeros(n, dtype=np.int64)
    for uid, f in first.iter_rows():
        first_day[index[uid]] = max((f - day0).days, 0)
    inside = d.filter(pl.col("ds") >= day0)
    rows = np.array([index[s] for s in inside["uid"].to_list()], dtype=np.int64)
    cols = (inside["ds"] - day0).dt.total_days().to_numpy().astype(np.int64)
    sales = np.zeros((n, t_n))
    np.add.at(sales, (rows, cols), inside["y"].fill_null(0.0).to_numpy())
    censored = np.zeros((n, t_n), dtype=bool)
    cm = inside["censored"].to_numpy()
    censored[rows[cm], cols[cm]] = True
    eco, routes, category, always_blocked = economics_arrays(economics, ids, problems)
    on_hand, a_sku, a_day, a_qty = _inventory(inventory, index, day0, win, problems)
    block = np.zeros((n, t_n), dtype=bool)
    block[always_blocked] = True
    if blocked is not None:
        problems += _need(blocked, "blocked", ("unique_id", "ds"))
        if not problems:
            bd = _as_dates(blocked, "blocked", "ds", problems)
            for uid, day in zip(blocked["unique_id"].cast(pl.String).to_list(), bd, strict=True):
                if uid in index and day is not None and 0 <= (day - day0).days < t_n:
                    block[index[uid], (day - day0).days] = True
    posts = None
    if content is not None:
        problems += _need(content, "content", ("unique_id", "ds", "views"))
        if not problems:
            panel = Panel(np.zeros((n, t_n)), ids, day0)
            posts = posts_from_long(content, panel)
    _raise(problems)
    inputs = BacktestInputs(
        sku_ids=tuple(ids),
        day0=day0,
        sales=sales,
        censored=censored,
        demand=reconstruct_demand(sales, censored, first_day),
        first_day=first_day,
        economics=eco,
        routes=routes,
        on_hand=on_hand,
        arrival_sku=a_sku,
        arrival_day=a_day,
        arrival_qty=a_qty,
        blocked=block,
        content=posts,
        category=tuple(category),
        sku_key=np.array([sku_key(s) for s in ids], dtype=np.int64),
    )
    return inputs, win


def economics_arrays(
    economics: pl.DataFrame | None, ids: list[str], problems: list[Finding]
) -> tuple[Economics, np.ndarray, list[str], np.ndarray]:
    """Per-SKU economics and the two routes (planner layout) with every default filled in."""
    n = len(ids)
    frame = economics if economics is not None else pl.DataFrame({"unique_id": ids})
    if "unique_id" not in frame.columns:
        problems.append(
            _finding("economics", None, "unique_id", None, "a unique_id column", "missing column")
        )
        frame = pl.DataFrame({"unique_id": ids})
    unknown = [c for c in frame.columns if c != "unique_id" and c not in ECONOMICS_COLUMNS]
    for c in unknown:
        problems.append(
            _finding(
                "economics",
                None,
                c,
                None,
                "one of " + ", ".join(ECONOMICS_COLUMNS),
                f"unknown column {c!r}",
            )
        )
    uid = frame["unique_id"].cast(pl.String)
    dup = uid.is_duplicated()
    for r in np.flatnonzero(dup.to_numpy())[:20]:
        problems.append(
            _finding(
                "economics", int(r) + 1, "unique_id", uid[int(r)], "one row per SKU", "duplicate"
            )
        )
    pos = {s: j for j, s in enumerate(uid.to_list())}
    take = np.array([pos.get(s, -1) for s in ids], dtype=np.int64)
    vals: dict[str, Any] = {}
    for col, (kind, _default, _doc) in ECONOMICS_COLUMNS.items():
        if col in frame.columns and col not in unknown:
            if kind is float:
                s = _as_numbers(frame, "economics", col, problems, minimum=_NUMERIC_MIN.get(col))
                raw = s.to_numpy().astype(np.float64)
                vals[col] = np.where(take >= 0, raw[np.maximum(take, 0)], np.nan)
            elif kind is bool:
                raw = frame[col].cast(pl.Boolean, strict=False).to_numpy()
                vals[col] = np.array(
                    [raw[j] if j >= 0 and raw[j] is not None else None for j in take], dtype=object
                )
            else:
                raw_l = frame[col].to_list()
                vals[col] = [raw_l[j] if j >= 0 else None for j in take]
        else:
            vals[col] = None

    def num(col: str) -> np.ndarray:
        _kind, default, _ = ECONOMICS_COLUMNS[col]
        if isinstance(default, tuple):
            base = num(default[0]) * default[1]
        elif default is None:
            base = np.full(n, np.nan)
        else:
            base = np.full(n, float(default))
        v = vals[col]
        if v is None:
            return np.asarray(base, dtype=np.float64)
        return np.asarray(np.where(np.isnan(v), base, v), dtype=np.float64)

    def flag(col: str) -> np.ndarray:
        default = bool(ECONOMICS_COLUMNS[col][1])
        v = vals[col]
        if v is None:
            return np.full(n, default)
        return np.array([default if x is None else bool(x) for x in v], dtype=bool)

    def text(col: str) -> list[str]:
        default = str(ECONOMICS_COLUMNS[col][1])
        v = vals[col]
        return [default] * n if v is None else [default if x is None else str(x) for x in v]

    price = num("price")
    unit = num("unit_cost")
    duty = num("duty_rate")
    routes = np.zeros((n, 2, N_ROUTE))
    for slot, pre in ((SLOW, "slow"), (FAST, "fast")):
        routes[:, slot, R_OK] = flag(f"{pre}_available")
        routes[:, slot, R_MEAN] = num(f"{pre}_lead_time_days")
        routes[:, slot, R_SD] = num(f"{pre}_lead_time_sd_days")
        routes[:, slot, R_MIN] = np.minimum(
            num(f"{pre}_lead_time_min_days"), routes[:, slot, R_MEAN]
        )
        routes[:, slot, R_FREIGHT] = num(f"{pre}_freight_per_unit")
        routes[:, slot, R_FIXED] = num(f"{pre}_fixed_cost")
        routes[:, slot, R_MINCHG] = num(f"{pre}_min_charge")
        dists = text(f"{pre}_lead_time_dist")
        quant = vals[f"{pre}_lead_time_quantiles"]
        for i, dist in enumerate(dists):
            if dist not in DIST_CODES:
                problems.append(
                    _finding(
                        "economics",
                        int(take[i]) + 1,
                        f"{pre}_lead_time_dist",
                        dist,
                        ", ".join(DIST_CODES),
                        "unknown lead-time distribution",
                    )
                )
                continue
            q = quant[i] if quant is not None else None
            if dist == "empirical":
                if q is None or len(q) != N_QUANT:
                    problems.append(
                        _finding(
                            "economics",
                            int(take[i]) + 1,
                            f"{pre}_lead_time_quantiles",
                            q,
                            f"{N_QUANT} lead times at 0, 0.1 … 1",
                            "an empirical lead time needs its quantiles",
                        )
                    )
                    continue
                routes[i, slot, R_Q0 : R_Q0 + N_QUANT] = np.asarray(q, dtype=np.float64)
            routes[i, slot, R_DIST] = DIST_CODES[dist]
    for col in ("slow_lead_time_days", "fast_lead_time_days"):
        bad = num(col) < 0
        for i in np.flatnonzero(bad)[:20]:
            problems.append(
                _finding("economics", int(take[i]) + 1, col, float(num(col)[i]), "≥ 0", "negative")
            )
    landed = num("landed_cost")
    landed = np.where(np.isnan(landed), unit * (1 + duty) + routes[:, SLOW, R_FREIGHT], landed)
    salvage = num("salvage_rate")
    for i in np.flatnonzero((salvage < 0) | (salvage > 1))[:20]:
        problems.append(
            _finding(
                "economics", int(take[i]) + 1, "salvage_rate", float(salvage[i]), "0 … 1", "bad"
            )
        )
    eco = Economics(
        price=price,
        unit_cost=unit,
        variable_cost=num("variable_cost"),
        duty_rate=duty,
        landed_cost=landed,
        moq=num("moq"),
        case_pack=num("case_pack"),
        salvage_rate=salvage,
        holding_cost=num("holding_cost"),
        capital_rate_annual=num("capital_rate_annual"),
        stockout_penalty=num("stockout_penalty"),
    )
    return eco, routes, text("category"), flag("blocked")


def _inventory(
    inventory: pl.DataFrame | None,
    index: dict[str, int],
    day0: date,
    win: Window,
    problems: list[Finding],
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    n = len(index)
    on_hand = np.zeros(n)
    empty_i = np.zeros(0, dtype=np.int64)
    if inventory is None:
        return on_hand, empty_i, empty_i.copy(), np.zeros(0)
    problems += _need(inventory, "inventory", ("unique_id", "ds", "qty"))
    if problems:
        return on_hand, empty_i, empty_i.copy(), np.zeros(0)
    ds = _as_dates(inventory, "inventory", "ds", problems)
    qty = _as_numbers(inventory, "inventory", "qty", problems, minimum=0.0)
    uid = inventory["unique_id"].cast(pl.String).to_list()
    a_sku: list[int] = []
    a_day: list[int] = []
    a_qty: list[float] = []
    for r, (u, d, q) in enumerate(zip(uid, ds, qty.to_list(), strict=True)):
        if u not in index:
            problems.append(
                _finding(
                    "inventory", r + 1, "unique_id", u, "a unique_id of the demand", "unknown SKU"
                )
            )
            continue
        if d is None or q is None or not math.isfinite(q) or q <= 0:
            continue
        if d <= win.start:
            on_hand[index[u]] += q
        else:
            a_sku.append(index[u])
            a_day.append((d - day0).days)
            a_qty.append(float(q))
    return (
        on_hand,
        np.asarray(a_sku, dtype=np.int64),
        np.asarray(a_day, dtype=np.int64),
        np.asarray(a_qty, dtype=np.float64),
    )


# ---------------------------------------------------------------------------------------------
# outcome → frames


def _dates(inputs: BacktestInputs, days: np.ndarray) -> pl.Series:
    base = np.datetime64(inputs.day0, "D")
    return pl.Series("ds", (base + days.astype("timedelta64[D]")).astype("datetime64[D]")).cast(
        pl.Date
    )


def sku_frame(outcome: BacktestOutcome) -> pl.DataFrame:
    """One row per policy and SKU: realised profit and what made it."""
    inputs = outcome.inputs
    eco = inputs.economics
    margin = np.maximum(eco.price - eco.variable_cost - eco.landed_cost, 0.0)
    oracle = outcome.runs.get("oracle")
    parts = []
    for name, run in outcome.runs.items():
        s = run.sums
        cash = run.cash
        parts.append(
            pl.DataFrame(
                {
                    "policy": [name] * inputs.n,
                    "unique_id": list(inputs.sku_ids),
                    "profit_usd": run.profit,
                    "revenue_usd": s[:, S_REVENUE],
                    "variable_cost_usd": s[:, S_VARIABLE],
                    "cogs_usd": s[:, S_COGS],
                    "holding_cost_usd": s[:, S_HOLDING],
                    "demand_qty": s[:, S_DEMAND],
                    "sales_qty": s[:, S_SOLD],
                    "lost_sales_qty": s[:, S_LOST],
                    "lost_margin_usd": s[:, S_LOST] * margin,
                    "fill_rate": np.where(
                        s[:, S_DEMAND] > 0, s[:, S_SOLD] / np.maximum(s[:, S_DEMAND], 1e-12), 1.0
                    ),
                    "stockout_days": s[:, S_STOCKOUT_DAYS],
                    "order_qty": run.ordered.sum(axis=1),
                    "order_qty_slow": run.ordered[:, SLOW],
                    "order_qty_fast": run.ordered[:, FAST],
                    "orders": run.orders,
                    "purchases_usd": run.purchases,
                    "start_units": run.start_units,
                    "end_on_hand_qty": run.end_on_hand,
                    "end_in_transit_qty": run.end_in_transit,
                    "remaining_demand_qty": outcome.remaining_demand,
                    "working_stock_qty": run.working,
                    "working_stock_value_usd": run.working_value,
                    "dead_stock_qty": run.dead,
                    "dead_stock_value_usd": run.dead_value,
                    "dead_stock_writedown_usd": run.writedown,
                    "peak_cash_usd": cash.max(axis=1) if cash.shape[1] else np.zeros(inputs.n),
                    "mean_cash_usd": cash.mean(axis=1) if cash.shape[1] else np.zeros(inputs.n),
                    "oracle_share": (
                        run.profit / np.where(oracle.profit != 0, oracle.profit, np.nan)
                        if oracle is not None
                        else np.full(inputs.n, np.nan)
                    ),
                }
            )
        )
    return pl.concat(parts) if parts else pl.DataFrame()


def totals_frame(outcome: BacktestOutcome) -> pl.DataFrame:
    """One row per policy: sums over SKUs; peak and mean cash of the whole shop (the daily
    sum's peak, not the sum of the SKUs' peaks); share of the oracle's and the ERP's profit."""
    skus = sku_frame(outcome)
    if skus.height == 0:
        return pl.DataFrame()
    sums = [
        c
        for c in skus.columns
        if c
        not in (
            "policy",
            "unique_id",
            "fill_rate",
            "oracle_share",
            "peak_cash_usd",
            "mean_cash_usd",
        )
    ]
    tot = skus.group_by("policy", maintain_order=True).agg([pl.col(c).sum() for c in sums])
    peak, mean = [], []
    for name in tot["policy"].to_list():
        cash = outcome.runs[name].cash.sum(axis=0)
        peak.append(float(cash.max()) if cash.size else 0.0)
        mean.append(float(cash.mean()) if cash.size else 0.0)
    tot = tot.with_columns(
        pl.Series("peak_cash_usd", peak),
        pl.Series("mean_cash_usd", mean),
        (pl.col("sales_qty") / pl.col("demand_qty")).fill_nan(1.0).alias("fill_rate"),
        pl.lit(len(outcome.inputs.sku_ids)).alias("skus"),
    )
    for ref, col in (("oracle", "oracle_share"), ("erp", "vs_erp")):
        if ref in outcome.runs:
            p_ref = float(outcome.runs[ref].profit.sum())
            d_ref = float(outcome.runs[ref].dead_value.sum())
            tot = tot.with_columns(
                (pl.col("profit_usd") / p_ref if p_ref else pl.lit(None, pl.Float64)).alias(col)
            )
            if ref == "erp":
                tot = tot.with_columns(
                    (
                        pl.col("dead_stock_value_usd") / d_ref
                        if d_ref
                        else pl.lit(None, pl.Float64)
                    ).alias("dead_stock_vs_erp")
                )
    return tot


def daily_frame(outcome: BacktestOutcome, *, by_sku: bool = False) -> pl.DataFrame:
    """Daily traces per policy (summed over SKUs, or per SKU with ``by_sku``): profit of
    the day and cumulative, stock on hand and in transit, inventory at cost, sales, lost."""
    inputs = outcome.inputs
    cfg = outcome.config
    days = np.arange(cfg.start, cfg.end)
    ds = _dates(inputs, days)
    parts = []
    for name, run in outcome.runs.items():
        tr = run.trace
        if by_sku:
            n, w = tr.shape[0], tr.shape[1]
            frame = pl.DataFrame(
                {
                    "policy": [name] * (n * w),
                    "unique_id": np.repeat(np.array(inputs.sku_ids, dtype=object), w).tolist(),
                    "ds": pl.concat([ds] * n) if n else ds.clear(),
                    "profit_usd": tr[:, :, T_PROFIT].reshape(-1),
                    "cumulative_profit_usd": np.cumsum(tr[:, :, T_PROFIT], axis=1).reshape(-1),
                    "on_hand_qty": tr[:, :, T_ON_HAND].reshape(-1),
                    "in_transit_qty": tr[:, :, T_IN_TRANSIT].reshape(-1),
                    "inventory_value_usd": tr[:, :, T_CASH].reshape(-1),
                    "sales_qty": tr[:, :, T_SOLD].reshape(-1),
                    "lost_sales_qty": tr[:, :, T_LOST].reshape(-1),
                }
            )
        else:
            tot = tr.sum(axis=0)
            frame = pl.DataFrame(
                {
                    "policy": [name] * days.size,
                    "ds": ds,
                    "profit_usd": tot[:, T_PROFIT],
                    "cumulative_profit_usd": np.cumsum(tot[:, T_PROFIT]),
                    "on_hand_qty": tot[:, T_ON_HAND],
                    "in_transit_qty": tot[:, T_IN_TRANSIT],
                    "inventory_value_usd": tot[:, T_CASH],
                    "sales_qty": tot[:, T_SOLD],
                    "lost_sales_qty": tot[:, T_LOST],
                }
            )
        parts.append(frame)
    return pl.concat(parts) if parts else pl.DataFrame()


def orders_frame(outcome: BacktestOutcome) -> pl.DataFrame:
    """Every order every policy placed: day, SKU, route, units, cost, expected and real
    landing day."""
    inputs = outcome.inputs
    parts = []
    for name, run in outcome.runs.items():
        lg = run.order_log
        m = lg["k"].size
        parts.append(
            pl.DataFrame(
                {
                    "policy": [name] * m,
                    "unique_id": [inputs.sku_ids[i] for i in lg["sku"].tolist()],
                    "ds": _dates(inputs, outcome.decision_days[lg["k"]])
                    if m
                    else pl.Series("ds", [], pl.Date),
                    "route": ["slow" if r == SLOW else "fast" for r in lg["route"].tolist()],
                    "qty": lg["qty"],
                    "cost_usd": lg["cost"],
                    "expected_arrival": _dates(inputs, lg["expected_day"])
                    if m
                    else pl.Series("e", [], pl.Date),
                    "arrival": _dates(inputs, lg["arrival_day"])
                    if m
                    else pl.Series("a", [], pl.Date),
                },
                schema_overrides={
                    "policy": pl.String,
                    "unique_id": pl.String,
                    "ds": pl.Date,
                    "route": pl.String,
                    "qty": pl.Float64,
                    "cost_usd": pl.Float64,
                    "expected_arrival": pl.Date,
                    "arrival": pl.Date,
                },
            )
        )
    return pl.concat(parts) if parts else pl.DataFrame()


def decisions_frame(outcome: BacktestOutcome, forecast_days: int = 28) -> pl.DataFrame:
    """Per policy, decision and SKU (that existed): what the policy chose (the planner's
    family for quickturn), the demand it expected over the next ``forecast_days`` and the
    world's real demand over the same days — the forecast bias behind each decision."""
    inputs = outcome.inputs
    dd = outcome.decision_days
    k_n, n = dd.size, inputs.n
    cum = np.zeros((n, inputs.n_days + 1))
    np.cumsum(inputs.demand, axis=1, out=cum[:, 1:])
    stop = np.minimum(dd + forecast_days, inputs.n_days)
    actual = (cum[:, stop] - cum[:, dd]).T  # (K, n)
    exists = (inputs.first_day[None, :] <= dd[:, None]).reshape(-1)
    parts = []
    for name, run in outcome.runs.items():
        frame = pl.DataFrame(
            {
                "policy": [name] * (k_n * n),
                "ds": _dates(inputs, np.repeat(dd, n)),
                "unique_id": list(inputs.sku_ids) * k_n,
                "choice": [str(x) for x in run.labels.reshape(-1)],
                "forecast_qty": run.forecast.reshape(-1),
                "actual_qty": actual.reshape(-1),
            }
        ).filter(pl.Series(exists))
        parts.append(frame)
    return pl.concat(parts) if parts else pl.DataFrame()
