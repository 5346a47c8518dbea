"""Assemble simulator inputs from the shop's tables: routes, costs, stock, pipeline, POD.

Data flow: canonical frames (skus, suppliers, locations, routes, latest stock, shipments in
transit, open purchase orders, FX rates, delivery-time statistics), demand sample paths and
optional unit economics from the ledger → per SKU: destination warehouse, slow and fast
route, lead times (production + transit), freight per unit (chargeable weight, volume, unit
and inbound fees), landed cost, price and variable cost, POD option and its conversion
penalty, stock on hand and lots in transit → :class:`~quickturn.core.plan.simulate.PlanInputs`
plus a :class:`SkuContext` (the business names behind every row) and findings for SKUs
that cannot be planned.  Pure: frames in, arrays out.

``assemble_inputs`` works on arrays, one element per SKU: sizes, fees, costs, landed cost,
price, variable cost, POD, the economics rows, capacity and cash shares are NumPy
expressions; the cheapest slow route is an argmin over a SKUs × routes freight matrix per
destination (:func:`_freight`, the same float64 operations as :func:`freight_per_unit`).
What stays per SKU is building the business objects (``RouteChoice``, findings) and the two
route rows.  ``tests/plan/test_inputs_snapshot.py`` checks the outputs against those of the
per-SKU loop it replaced, on the test demo.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np
import polars as pl
from numpy.typing import NDArray

from quickturn.core.ledger.landed import landed_per_unit, unit_cost_parts
from quickturn.core.ledger.schedule import LedgerSettings
from quickturn.core.plan.settings import PlanSettings, conversion_multiplier
from quickturn.core.plan.simulate import (
    DIST_CODES,
    E_CAP,
    E_CAPITAL,
    E_CASE,
    E_CASH,
    E_DEPOSIT,
    E_DUTY,
    E_LANDED,
    E_MOQ,
    E_ON_HAND,
    E_ORIGIN,
    E_PENALTY,
    E_POD_CONV,
    E_POD_COST,
    E_POD_OK,
    E_PRICE,
    E_SALVAGE,
    E_SETTLE,
    E_STORAGE,
    E_UNIT,
    E_VAR,
    F64,
    FAST,
    N_ECON,
    N_QUANT,
    N_ROUTE,
    R_DIST,
    R_FIXED,
    R_FREIGHT,
    R_MEAN,
    R_MIN,
    R_MINCHG,
    R_OK,
    R_PAY,
    R_PROD,
    R_Q0,
    R_SD,
    SLOW,
    PlanInputs,
)
from quickturn.errors import Finding, Severity

DEFAULT_PRODUCTION_DAYS = 20.0
DEFAULT_POD_DAYS = 7.0
DEFAULT_WEIGHT_KG = 0.3
DEFAULT_CBM = 0.002
ORIGIN_KINDS = ("factory", "cn_warehouse")


def sku_key(sku_id: str) -> int:
    """A stable 63-bit key per SKU for its random streams (same SKU → same draws).

    >>> sku_key("TOY-1") == sku_key("TOY-1") != sku_key("TOY-2")
    True
    """
    digest = hashlib.blake2b(sku_id.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "little") & 0x7FFF_FFFF_FFFF_FFFF


@dataclass(frozen=True)
class RouteChoice:
    route_id: str
    mode: str
    origin_id: str
    lead_time_mean_days: float  # production + transit
    transit_days: float
    freight_per_unit_usd: float
    transit_sd_days: float = 0.0
    #: "shipments" when fitted from past shipments on the route, else "route"
    lead_time_source: str = "route"
    lead_time_shipments: int = 0


@dataclass(frozen=True)
class SkuContext:
    """Business facts behind each row of the inputs (same order as ``PlanInputs.sku_ids``)."""

    sku_ids: tuple[str, ...]
    title: tuple[str, ...]
    supplier_id: tuple[str | None, ...]
    destination_id: tuple[str | None, ...]
    slow: tuple[RouteChoice | None, ...]
    fast: tuple[RouteChoice | None, ...]
    production_days: F64
    cost_currency: tuple[str, ...]
    unit_cost_native: F64
    fx_usd: F64
    price_usd: F64
    landed_cost_usd: F64
    variable_cost_usd: F64
    fulfilment_cost_usd: F64  # 3PL outbound + last mile per unit (part of the variable cost)
    unit_margin_usd: F64
    on_hand: F64
    in_transit: F64
    origin_stock: F64  # units waiting in an origin (Chinese) warehouse, transferable
    origin_location_id: tuple[str | None, ...]
    us_days_mean: float
    us_days_sd: float
    pod_days_mean: F64
    pod_days_sd: F64
    pod_eligible: NDArray[np.bool_]
    phase: tuple[str, ...]
    economics_source: tuple[str, ...]

    def row(self, sku_id: str) -> int:
        return self.sku_ids.index(sku_id)


def _f(value: Any, default: float = math.nan) -> float:
    if value is None:
        return default
    try:
        out = float(value)
    except (TypeError, ValueError):
        return default
    return default if math.isnan(out) else out


def fx_lookup(fx_rates: pl.DataFrame, today: date) -> dict[str, float]:
    """USD per unit of each currency on the latest day on or before ``today`` (USD = 1)."""
    out = {"USD": 1.0}
    if fx_rates.height:
        latest = (
            fx_rates.filter(pl.col("date") <= today)
            .sort("date")
            .group_by("currency")
            .agg(pl.col("usd_per_unit").last())
        )
        for cur, rate in latest.iter_rows():
            out[str(cur)] = float(rate)
    return out


def delivery_days(orders: pl.DataFrame, made_to_order: bool) -> tuple[float, float, int]:
    """Mean and SD of order → delivery days of delivered orders, and how many there were.

    ``orders`` needs ``created_at``, ``delivered_at`` and ``order_type``; ``made_to_order``
    selects POD / made-to-order orders, otherwise orders shipped from stock.
    """
    if orders.height == 0:
        return math.nan, math.nan, 0
    mto = pl.col("order_type").fill_null("regular").is_in(["made_to_order", "custom_handling"])
    sel = orders.filter(pl.col("delivered_at").is_not_null() & (mto if made_to_order else ~mto))
    if sel.height == 0:
        return math.nan, math.nan, 0
    days = (
        (sel["delivered_at"] - sel["created_at"]).dt.total_seconds().cast(pl.Float64) / 86400.0
    ).to_numpy()
    days = days[np.isfinite(days) & (days >= 0)]
    if days.size == 0:
        return math.nan, math.nan, 0
    return float(days.mean()), float(days.std(ddof=1)) if days.size > 1 else 0.0, int(days.size)


#: the route's stated lead time counts as this many shipments when past shipments are pooled
PRIOR_SHIPMENTS = 4.0
#: shipments needed before an ``empirical`` route uses their quantiles (else lognormal)
MIN_EMPIRICAL_SHIPMENTS = 5


def fit_route_lead_times(
    routes: pl.DataFrame,
    shipments: pl.DataFrame,
    today: date,
    *,
    prior_shipments: float = PRIOR_SHIPMENTS,
) -> pl.DataFrame:
    """Transit-time distributions fitted from past shipments where they exist.

    For each route, shipments that departed and arrived before ``today`` give transit days
    ``arrived_on − shipped_on``.  The route's stated mean and SD act as ``prior_shipments``
    pseudo-shipments (a normal–normal credibility blend; with no stated value the data
    alone, from two shipments on): mean = (k·μ₀ + n·x̄)/(k + n),
    SD² = (k·σ₀² + (n−1)·s²)/(k + n − 1); the minimum is the smaller of the stated minimum
    and the fastest shipment.  Adds ``lead_time_source`` ("shipments" or "route"),
    ``lead_time_shipments`` (n) and ``lead_time_quantiles`` (deciles of the observed transit
    days, from :data:`MIN_EMPIRICAL_SHIPMENTS` shipments; used by ``empirical`` routes).

    >>> routes = pl.DataFrame({"route_id": ["R"], "lead_time_mean_days": [30.0],
    ...     "lead_time_sd_days": [5.0], "lead_time_min_days": [22.0]})
    >>> ships = pl.DataFrame({"route_id": ["R"] * 4, "shipped_on": [date(2025, 1, 1)] * 4,
    ...     "arrived_on": [date(2025, 2, d) for d in (4, 6, 8, 10)]})
    >>> fit_route_lead_times(routes, ships, date(2025, 6, 1)).row(0, named=True)["lead_time_mean_days"]
    33.5
    """
    out = routes.with_columns(
        pl.lit("route").alias("lead_time_source"),
        pl.lit(0).alias("lead_time_shipments"),
        pl.lit(None, dtype=pl.List(pl.Float64)).alias("lead_time_quantiles"),
    )
    if routes.height == 0 or shipments.height == 0:
        return out
    done = shipments.filter(
        pl.col("arrived_on").is_not_null()
        & pl.col("shipped_on").is_not_null()
        & (pl.col("arrived_on") < today)
        & (pl.col("arrived_on") >= pl.col("shipped_on"))
    )
    if done.height == 0:
        return out
    days = done.select(
        "route_id", (pl.col("arrived_on") - pl.col("shipped_on")).dt.total_days().alias("d")
    )
    stats = {
        r["route_id"]: r
        for r in days.group_by("route_id")
        .agg(
            pl.len().alias("n"),
            pl.col("d").cast(pl.Float64).mean().alias("mean"),
            pl.col("d").cast(pl.Float64).var(ddof=1).alias("var"),
            pl.col("d").min().cast(pl.Float64).alias("min"),
            pl.col("d").cast(pl.Float64).alias("all"),
        )
        .to_dicts()
    }
    rows = []
    for r in out.to_dicts():
        st = stats.get(r["route_id"])
        mu0 = _f(r.get("lead_time_mean_days"))
        sd0 = _f(r.get("lead_time_sd_days"))
        lo0 = _f(r.get("lead_time_min_days"))
        if st is None or (math.isnan(mu0) and st["n"] < 2):
            rows.append(r)
            continue
        n = float(st["n"])
        var = _f(st["var"], 0.0)
        k = prior_shipments if not math.isnan(mu0) else 0.0
        mean = (k * mu0 + n * st["mean"]) / (k + n) if k else st["mean"]
        kv = prior_shipments if not math.isnan(sd0) else 0.0
        dof = kv + n - 1.0
        sd = math.sqrt(((kv * sd0**2 if kv else 0.0) + (n - 1.0) * var) / dof) if dof > 0 else 0.0
        lo = st["min"] if math.isnan(lo0) else min(lo0, st["min"])
        rows.append(
            {
                **r,
                "lead_time_mean_days": mean,
                "lead_time_sd_days": sd,
                "lead_time_min_days": lo,
                "lead_time_source": "shipments",
                "lead_time_shipments": int(n),
                # deciles of the observed transit days (used by empirical routes)
                "lead_time_quantiles": np.quantile(
                    np.asarray(st["all"], dtype=np.float64), np.linspace(0.0, 1.0, N_QUANT)
                ).tolist()
                if n >= MIN_EMPIRICAL_SHIPMENTS
                else None,
            }
        )
    return pl.DataFrame(rows, schema=out.schema)


#: columns of the lots in transit (``in_transit_lots``, ``assemble_inputs(lots=…)``)
LOTS_SCHEMA: dict[str, pl.DataType | type[pl.DataType]] = {
    "sku_id": pl.String,
    "qty": pl.Float64,
    "eta_days": pl.Float64,
    "sd_days": pl.Float64,
    "source": pl.String,
}


def in_transit_lots(
    shipments: pl.DataFrame,
    shipment_lines: pl.DataFrame,
    purchase_orders: pl.DataFrame,
    routes: pl.DataFrame,
    today: date,
) -> pl.DataFrame:
    """Lots on their way to a US warehouse: ``sku_id, qty, eta_days, sd_days, source``.

    Shipments not yet arrived arrive at their ETA (or departure + route mean) with the route's
    SD scaled by √(share of the transit time still ahead); purchase orders still ``open``/``ready`` (not in any shipment) arrive when ready plus
    the transit time of the slowest route to their destination.
    """
    rows: list[dict[str, Any]] = []
    rt = {r["route_id"]: r for r in routes.to_dicts()}
    shipped_pos: set[str] = set()
    if shipment_lines.height:
        shipped_pos = {p for p in shipment_lines["po_id"].to_list() if p}
    if shipments.height and shipment_lines.height:
        open_ship = shipments.filter(
            pl.col("arrived_on").is_null() & (pl.col("shipped_on") <= today)
        )
        lines = open_ship.join(shipment_lines, on="shipment_id", how="inner")
        for r in lines.to_dicts():
            route = rt.get(r["route_id"], {})
            mean = _f(route.get("lead_time_mean_days"), 30.0)
            sd = _f(route.get("lead_time_sd_days"), 0.0)
            eta = r.get("eta_on") or (r["shipped_on"] + timedelta(days=round(mean)))
            remaining = float(max((eta - today).days, 1))
            # the uncertainty left shrinks as the voyage progresses (random-walk delays)
            sd_left = sd * math.sqrt(min(1.0, remaining / mean)) if mean > 0 else sd
            rows.append(
                {
                    "sku_id": r["sku_id"],
                    "qty": float(r["quantity"]),
                    "eta_days": remaining,
                    "sd_days": sd_left,
                    "source": str(r["shipment_id"]),
                }
            )
    if purchase_orders.height:
        pos = purchase_orders.filter(
            pl.col("status").fill_null("open").is_in(["open", "ready"])
            & ~pl.col("po_id").is_in(list(shipped_pos))
        )
        by_dest: dict[str, tuple[float, float]] = {}
        for r in routes.filter(pl.col("mode").is_in(["sea", "truck", "sea_express"])).to_dicts():
            mean = _f(r.get("lead_time_mean_days"), 30.0)
            cur = by_dest.get(r["destination_id"])
            if cur is None or mean > cur[0]:
                by_dest[r["destination_id"]] = (mean, _f(r.get("lead_time_sd_days"), 0.0))
        for r in pos.to_dicts():
            transit, sd = by_dest.get(r.get("destination_id") or "", (30.0, 5.0))
            ready = r.get("ready_on") or today
            eta = max((ready - today).days, 0) + transit
            rows.append(
                {
                    "sku_id": r["sku_id"],
                    "qty": float(r["quantity"]),
                    "eta_days": float(max(eta, 1.0)),
                    "sd_days": float(math.sqrt(sd**2 + 9.0)),  # ± 3 days of production slip
                    "source": str(r["po_id"]),
                }
            )
    return pl.DataFrame(rows, schema=LOTS_SCHEMA)


def freight_per_unit(
    route: dict[str, Any], weight_kg: float, cbm: float, cm3: float, inbound_fee: float
) -> float:
    """Freight per unit on ``route``: chargeable weight × per-kg + volume × per-cbm + per-unit,
    plus the destination's receiving fee.  Chargeable weight is the larger of actual and
    dimensional weight (cm³ ÷ the route's volumetric divisor), as carriers bill air cargo.

    >>> route = {"cost_per_kg_usd": 7.0, "volumetric_divisor": 6000.0}
    >>> round(freight_per_unit(route, 0.2, 0.0012, 1200.0, 0.3), 2)
    1.7
    """
    kg = weight_kg
    div = _f(route.get("volumetric_divisor"))
    if not math.isnan(div) and div > 0 and not math.isnan(cm3):
        kg = max(kg, cm3 / div)
    return (
        _f(route.get("cost_per_kg_usd"), 0.0) * kg
        + _f(route.get("cost_per_cbm_usd"), 0.0) * cbm
        + _f(route.get("cost_per_unit_usd"), 0.0)
        + inbound_fee
    )


def _col(frame: pl.DataFrame, name: str, default: float = math.nan) -> F64:
    """A column as float64 with ``_f``'s reading (null, NaN or text that is no number →
    ``default``); a missing column is all ``default``."""
    if name not in frame.columns:
        return np.full(frame.height, default, dtype=np.float64)
    col = frame[name]
    if col.dtype.is_float() or col.dtype.is_integer():
        out = col.cast(pl.Float64).fill_null(math.nan).to_numpy().astype(np.float64, copy=True)
        out[np.isnan(out)] = default
        return out
    # decimals and text: Python's float(), exactly as _f reads them
    return np.array([_f(v, default) for v in col.to_list()], dtype=np.float64)


def _objs(frame: pl.DataFrame, name: str) -> list[Any]:
    return frame[name].to_list() if name in frame.columns else [None] * frame.height


def _strs(frame: pl.DataFrame, name: str) -> list[str | None]:
    return [None if v is None else str(v) for v in _objs(frame, name)]


def _dicts_col(rows: list[dict[str, Any]], key: str, default: float) -> F64:
    """One field of a list of rows (supplier, location, …) as float64, read like ``_f``."""
    return np.array([_f(r.get(key), default) for r in rows], dtype=np.float64)


def _route_rates(r: dict[str, Any]) -> tuple[float, float, float, float]:
    """(per kg, per cbm, per unit, volumetric divisor) of a route, read like ``_f``."""
    return (
        _f(r.get("cost_per_kg_usd"), 0.0),
        _f(r.get("cost_per_cbm_usd"), 0.0),
        _f(r.get("cost_per_unit_usd"), 0.0),
        _f(r.get("volumetric_divisor")),
    )


def _freight(rates: F64, weight: F64, cbm: F64, cm3: F64, inbound: F64) -> F64:
    """:func:`freight_per_unit` on arrays: ``rates`` (n, 4) from :func:`_route_rates`, one
    row per SKU; the same operations in the same order, so the same float64 results."""
    per_kg, per_cbm, per_unit, div = rates.T
    dim = ~np.isnan(div) & (div > 0) & ~np.isnan(cm3)
    kg = np.where(dim, np.maximum(weight, cm3 / np.where(dim, div, 1.0)), weight)
    out: F64 = per_kg * kg + per_cbm * cbm + per_unit + inbound
    return out


def _pick_routes(
    routes: list[dict[str, Any]],
    modes: tuple[str, ...] | list[str],
    dest: list[str | None],
    weight: F64,
    cbm: F64,
    cm3: F64,
    inbound: F64,
    by: str,
) -> list[dict[str, Any] | None]:
    """Per SKU, the route of one of ``modes`` to its destination with the lowest freight per
    unit (``by="cost"``) or the shortest stated transit (``by="lead"``); ties by route id."""
    by_dest: dict[str | None, list[dict[str, Any]]] = {}
    for r in sorted(routes, key=lambda r: r["route_id"]):
        if r["mode"] in modes:
            by_dest.setdefault(r["destination_id"], []).append(r)
    out: list[dict[str, Any] | None] = [None] * len(dest)
    dest_arr = np.array([d if d is not None else "" for d in dest], dtype=object)
    for d, opts in by_dest.items():
        rows = np.flatnonzero(dest_arr == d)
        if rows.size == 0:
            continue
        if by == "cost":
            # one column per route (in route-id order): argmin takes the first of equal costs
            cost = np.stack(
                [
                    _freight(
                        np.tile(np.asarray(_route_rates(r)), (rows.size, 1)),
                        weight[rows],
                        cbm[rows],
                        cm3[rows],
                        inbound[rows],
                    )
                    for r in opts
                ],
                axis=1,
            )
            best = np.argmin(cost, axis=1)
            for k, j in enumerate(rows.tolist()):
                out[j] = opts[int(best[k])]
        else:
            quickest = min(
                opts, key=lambda r: (_f(r.get("lead_time_mean_days"), 99.0), r["route_id"])
            )
            for j in rows.tolist():
                out[j] = quickest
    return out


def _choice(r: dict[str, Any] | None, prod: float, freight: float) -> RouteChoice | None:
    """The business facts of route ``r`` for a SKU made in ``prod`` days."""
    if r is None:
        return None
    transit = _f(r.get("lead_time_mean_days"), 30.0)
    return RouteChoice(
        r["route_id"],
        r["mode"],
        r["origin_id"],
        prod + transit,
        transit,
        freight,
        _f(r.get("lead_time_sd_days"), 0.0),
        str(r.get("lead_time_source") or "route"),
        int(r.get("lead_time_shipments") or 0),
    )


#: why a SKU is not planned (or planned on an assumption): severity, source, column, the
#: message and fix in English and Chinese; ``{sid}``, ``{cur}``, ``{dest}``, ``{kg}`` filled in
_SKU_FINDINGS: dict[str, tuple[Severity, str, str | None, str, str, str, str]] = {
    "PLAN_NO_WEIGHT": (
        "warn",
        "skus",
        "weight_g",
        "SKU {sid} has no shipping weight; freight assumes {kg} kg per unit",
        "Fill weight_g (and length/width/height_cm) in the SKU list.",
        "SKU {sid} 缺少运输重量；运费按每件 {kg} 千克估算",
        "请在 SKU 表中填写 weight_g（以及长宽高）。",
    ),
    "PLAN_NO_FX": (
        "error",
        "fx_rates",
        None,
        "SKU {sid}: no exchange rate for {cur} on or before the plan date",
        "Import fx_rates for {cur}.",
        "SKU {sid}：缺少 {cur} 在计划日期之前的汇率",
        "请导入 {cur} 的汇率（fx_rates）。",
    ),
    "PLAN_UNKNOWN_COST": (
        "warn",
        "skus",
        "unit_cost",
        "SKU {sid} has no unit cost; it is not planned (a guess would hide the risk)",
        "Fill unit_cost and cost_currency in the SKU list.",
        "SKU {sid} 没有单位成本，未纳入计划（估算会掩盖风险）",
        "请在 SKU 表中填写 unit_cost 和 cost_currency。",
    ),
    "PLAN_NO_ROUTE": (
        "warn",
        "routes",
        None,
        "SKU {sid}: no route from a factory or Chinese warehouse to a US warehouse{dest}",
        "Add a route (sea, air, …) to the US warehouse that holds this SKU.",
        "SKU {sid}：没有从工厂或国内仓到美国仓的线路",
        "请为该 SKU 所在的美国仓添加线路（海运、空运等）。",
    ),
    "PLAN_NO_PRICE": (
        "warn",
        "skus",
        "list_price",
        "SKU {sid} has no price; it is not planned",
        "Fill list_price (or import orders so the ledger knows the price).",
        "SKU {sid} 没有售价，未纳入计划",
        "请填写 list_price（或导入订单让账本得到实际售价）。",
    ),
}


def _sku_finding(code: str, sid: str, cur: str = "", dest: str | None = None) -> Finding:
    severity, source, column, message, fix, message_zh, fix_zh = _SKU_FINDINGS[code]
    names = {"sid": sid, "cur": cur, "dest": f" ({dest})" if dest else "", "kg": DEFAULT_WEIGHT_KG}
    record: dict[str, Any] = {"sku_id": sid}
    if code == "PLAN_NO_ROUTE":
        record["destination_id"] = dest
    return Finding(
        code,
        severity,
        message.format(**names),
        source=source,
        column=column,
        value=cur if code == "PLAN_NO_FX" else None,
        record=record,
        fix=fix.format(**names),
        message_zh=message_zh.format(**names),
        fix_zh=fix_zh.format(**names),
    )


def assemble_inputs(
    *,
    skus: pl.DataFrame,
    suppliers: pl.DataFrame,
    locations: pl.DataFrame,
    routes: pl.DataFrame,
    stock: pl.DataFrame,
    lots: pl.DataFrame,
    fx: dict[str, float],
    demand: F64 | None = None,
    demand_sku_ids: list[str],
    phase: list[str] | None,
    economics: pl.DataFrame | None,
    us_days: tuple[float, float],
    pod_days: tuple[float, float],
    settings: PlanSettings,
    mean_demand: F64 | None = None,
    horizon: int | None = None,
    unit_costs: pl.DataFrame | None = None,
) -> tuple[PlanInputs, SkuContext, list[Finding]]:
    """Turn the shop's tables into simulator arrays (see the module docstring).

    ``unit_costs`` are the landed-cost parts of a unit per SKU
    (:func:`quickturn.core.ledger.landed.unit_cost_parts`: unit cost in USD, duty rate with the
    configured extra tariffs, duty per unit); without, they are computed here from ``skus``
    and ``fx`` with the default ledger settings (no extra tariffs).  The landed cost of the
    no-ledger path is the ledger's own definition, :func:`~quickturn.core.ledger.landed.landed_per_unit`
    (factory + freight + duty + inbound on the slow route).

    ``demand`` holds the sample paths ``(n, m, h)`` of ``demand_sku_ids``.  Streaming
    planners pass ``mean_demand`` (each row's mean over paths and days, all the assembly
    needs) and ``horizon`` instead: the inputs then carry no scenarios (``(n, 0, h)``) and
    each chunk fills in its own (``dataclasses.replace(inputs.take(idx), demand=…)``).
    """
    if demand is None:
        if mean_demand is None or horizon is None:
            raise ValueError("assemble_inputs needs demand, or mean_demand and horizon")
        demand = np.zeros((len(demand_sku_ids), 0, horizon))
    findings: list[Finding] = []
    sku_rows = {r["sku_id"]: r for r in skus.to_dicts()}
    if unit_costs is None:
        unit_costs = unit_cost_parts(skus, suppliers, LedgerSettings(), fx)
    parts = {r["sku_id"]: r for r in unit_costs.to_dicts()}
    sup = {r["supplier_id"]: r for r in suppliers.to_dicts()}
    loc = {r["location_id"]: r for r in locations.to_dicts()}
    stock_kinds = set(settings.stock_location_kinds)
    stock_locs = [lid for lid, r in loc.items() if r.get("kind") in stock_kinds]
    origins = {lid for lid, r in loc.items() if r.get("kind") in ORIGIN_KINDS}
    all_routes = routes.to_dicts()
    route_rows = [
        r
        for r in all_routes
        if r.get("origin_id") in origins and r.get("destination_id") in stock_locs
    ]
    last_mile = {r["origin_id"]: r for r in all_routes if r.get("destination_id") == "buyer"}
    pod_routes = [r for r in all_routes if r.get("mode") == "pod"]
    pod_ship = _f(pod_routes[0].get("cost_per_unit_usd"), 0.0) if pod_routes else 0.0
    eco_map: dict[str, dict[str, Any]] = {}
    if economics is not None and economics.height:
        eco_map = {r["sku_id"]: r for r in economics.to_dicts()}
    transfer_kinds = set(settings.transfer_location_kinds)
    transfer_locs = {lid for lid, r in loc.items() if r.get("kind") in transfer_kinds}
    on_hand_by: dict[str, dict[str, float]] = {}
    origin_by: dict[str, dict[str, float]] = {}
    for r in stock.to_dicts():
        q = max(_f(r.get("on_hand_qty"), 0.0) - _f(r.get("reserved_qty"), 0.0), 0.0)
        if r.get("location_id") in stock_kinds or r.get("location_id") in stock_locs:
            on_hand_by.setdefault(r["sku_id"], {})[r["location_id"]] = q
        elif r.get("location_id") in transfer_locs and q > 0:
            origin_by.setdefault(r["sku_id"], {})[r["location_id"]] = q
    lot_by: dict[str, list[tuple[float, float, float]]] = {}
    for r in lots.to_dicts():
        lot_by.setdefault(r["sku_id"], []).append((r["qty"], r["eta_days"], r["sd_days"]))
    us_mean = us_days[0] if math.isfinite(us_days[0]) else settings.us_delivery_days_mean
    us_sd = us_days[1] if math.isfinite(us_days[1]) else settings.us_delivery_days_sd
    curve = settings.conversion_curve
    base_conv = max(conversion_multiplier(us_mean, curve), 1e-9)

    if mean_demand is None:
        mean_demand = demand.mean(axis=(1, 2)) if demand.size else np.zeros(len(demand_sku_ids))
    default_dest = sorted({r["destination_id"] for r in route_rows})
    # the SKUs of the demand that the SKU list knows, in demand order: row j of every
    # per-SKU array below is SKU demand_sku_ids[rows[j]]
    rows = [i for i, sid in enumerate(demand_sku_ids) if sid in sku_rows]
    ids = [demand_sku_ids[i] for i in rows]
    frame = pl.DataFrame({"sku_id": ids}, schema={"sku_id": pl.String}).join(
        skus.unique("sku_id", keep="last"), on="sku_id", how="left", maintain_order="left"
    )
    dest: list[str | None] = []
    for sid in ids:
        where = on_hand_by.get(sid, {})
        dest.append(
            max(where, key=lambda k: where[k])
            if where
            else (default_dest[0] if default_dest else None)
        )
    supplier_of = [sup.get(s or "", {}) for s in _strs(frame, "supplier_id")]
    loc_of = [loc.get(d or "", {}) for d in dest]

    # -- unit size, fees and costs: per-SKU arithmetic on arrays ----------------------------
    weight = _col(frame, "weight_g") / 1000.0
    size_known = ~np.isnan(weight)
    weight = np.where(size_known, weight, DEFAULT_WEIGHT_KG)
    dims = _col(frame, "length_cm") * _col(frame, "width_cm") * _col(frame, "height_cm")
    cm3 = dims  # NaN when any dimension is unknown
    cbm = np.where(np.isnan(cm3), DEFAULT_CBM, cm3 / 1e6)
    mean_j = np.asarray(mean_demand, dtype=np.float64)[np.asarray(rows, dtype=np.intp)]
    volume = mean_j * cbm
    volume_at: dict[str | None, float] = {}
    for d, v in zip(dest, volume.tolist(), strict=True):
        volume_at[d] = volume_at.get(d, 0.0) + v
    cost_cur = [s or "USD" for s in _strs(frame, "cost_currency")]
    unit_native = _col(frame, "unit_cost")
    rate_known = np.array([c in fx for c in cost_cur], dtype=bool)
    rate = np.array([fx.get(c, 0.0) for c in cost_cur], dtype=np.float64)
    rate_or_1 = np.where(rate_known & (rate != 0.0), rate, 1.0)
    # landed value of expected demand (unit cost as the proxy): shares of the cash limit
    demand_value = mean_j * np.maximum(np.nan_to_num(unit_native, nan=0.0) * rate, 0.0)
    total_value = float(sum(demand_value.tolist()))
    inbound = _dicts_col(loc_of, "inbound_cost_per_unit_usd", 0.0)
    outbound = _dicts_col(loc_of, "outbound_cost_per_unit_usd", 0.0)
    storage = _dicts_col(loc_of, "storage_cost_per_cbm_day_usd", 0.0)
    cap_cbm = _dicts_col(loc_of, "capacity_cbm", math.nan)
    prod = _col(frame, "production_lead_time_days")
    prod = np.where(
        np.isnan(prod),
        _dicts_col(supplier_of, "production_lead_time_days", DEFAULT_PRODUCTION_DAYS),
        prod,
    )
    fast_prod = prod
    if settings.fast_production_days is not None:
        fast_prod = np.minimum(prod, float(settings.fast_production_days))
    # the unit cost as the source gives it (the SKU's unit cost × FX, else the factory cost
    # per unit of the ledger's latest cost layer), never recovered from a landed cost
    part_of = [parts.get(sid, {}) for sid in ids]
    unit_usd = _dicts_col(part_of, "unit_cost_usd", math.nan)
    duty = _dicts_col(part_of, "duty_rate", 0.0)  # HTS duty rate + extra tariffs
    duty_unit = _dicts_col(part_of, "duty_usd", 0.0)

    # -- route choice: the cheapest slow route and the quickest fast one per SKU ------------
    slow_r = _pick_routes(route_rows, settings.slow_modes, dest, weight, cbm, cm3, inbound, "cost")
    fast_r = _pick_routes(route_rows, settings.fast_modes, dest, weight, cbm, cm3, inbound, "lead")
    slow_r, fast_r = (
        [s if s is not None else f for s, f in zip(slow_r, fast_r, strict=True)],
        [f if f is not None else s for s, f in zip(slow_r, fast_r, strict=True)],
    )
    has_slow = np.array([r is not None for r in slow_r], dtype=bool)

    # -- price and variable cost -----------------------------------------------------------
    price_cur = [s or "USD" for s in _strs(frame, "price_currency")]
    price = _col(frame, "list_price") * np.array([fx.get(c, math.nan) for c in price_cur])
    lm_of = [last_mile.get(d or "", {}) for d in dest]
    last_mile_cost = (
        _dicts_col(lm_of, "cost_per_unit_usd", 0.0)
        + _dicts_col(lm_of, "cost_per_kg_usd", 0.0) * weight
    )
    variable = (
        (settings.referral_fee_rate + settings.commission_rate) * price + outbound + last_mile_cost
    )
    no_rates = (0.0, 0.0, 0.0, math.nan)

    def route_freight(chosen: list[dict[str, Any] | None]) -> F64:
        rates = np.array([_route_rates(r) if r is not None else no_rates for r in chosen])
        return _freight(rates.reshape(len(chosen), 4), weight, cbm, cm3, inbound)

    slow_freight = np.where(has_slow, route_freight(slow_r), 0.0)
    fast_freight = route_freight(fast_r)
    landed = landed_per_unit(
        unit_usd,
        duty_unit,
        np.where(has_slow, slow_freight - inbound, 0.0),
        np.where(has_slow, inbound, 0.0),
    )
    eco_of = [eco_map.get(sid) for sid in ids]
    has_eco = np.array([e is not None for e in eco_of], dtype=bool)
    eco_rows_ = [e or {} for e in eco_of]
    eco_price = _dicts_col(eco_rows_, "price_usd", math.nan)
    eco_var = _dicts_col(eco_rows_, "variable_cost_usd", math.nan)
    eco_landed = _dicts_col(eco_rows_, "landed_cost_usd", math.nan)
    eco_known = np.array([bool(e.get("cost_known")) for e in eco_rows_], dtype=bool)
    price = np.where(has_eco & ~np.isnan(eco_price), eco_price, price)
    # a window whose credits (fee refunds on earlier orders' returns) exceed its costs gives
    # a negative per-unit figure: no sale earns money back, so the rule-based estimate stands
    variable = np.where(has_eco & (eco_var >= 0.0), eco_var, variable)
    landed = np.where(has_eco & eco_known & ~np.isnan(eco_landed), eco_landed, landed)

    # -- POD --------------------------------------------------------------------------------
    pod_eligible = np.array([bool(v) for v in _objs(frame, "pod_eligible")], dtype=bool)
    pod_unit = _col(frame, "pod_unit_cost")
    pod_ok = pod_eligible & ~np.isnan(pod_unit)
    pod_mean = _col(frame, "pod_lead_time_days")
    pod_default = pod_days[0] if math.isfinite(pod_days[0]) else DEFAULT_POD_DAYS
    pod_mean = np.where(np.isnan(pod_mean), pod_default, pod_mean)
    pod_sd = pod_days[1] if math.isfinite(pod_days[1]) else settings.pod_delivery_days_sd
    pod_cost = np.nan_to_num(pod_unit, nan=0.0) * rate_or_1 + pod_ship
    pod_conv = np.array([conversion_multiplier(float(d), curve) for d in pod_mean]) / base_conv
    pod_var = variable - outbound - last_mile_cost  # POD partner ships; no 3PL fees

    # -- which SKUs are planned: the first reason not to, in this order ---------------------
    no_fx = ~rate_known & ~np.isnan(unit_native)
    no_cost = ~no_fx & np.isnan(unit_usd)
    no_route = ~no_fx & ~no_cost & ~has_slow & ~pod_eligible
    no_price = ~no_fx & ~no_cost & ~no_route & np.isnan(price)
    planned = ~(no_fx | no_cost | no_route | no_price)
    for j, sid in enumerate(ids):
        if not size_known[j]:
            findings.append(_sku_finding("PLAN_NO_WEIGHT", sid))
        if no_fx[j]:
            findings.append(_sku_finding("PLAN_NO_FX", sid, cur=cost_cur[j]))
        elif no_cost[j]:
            findings.append(_sku_finding("PLAN_UNKNOWN_COST", sid))
        elif no_route[j]:
            findings.append(_sku_finding("PLAN_NO_ROUTE", sid, dest=dest[j]))
        elif no_price[j]:
            findings.append(_sku_finding("PLAN_NO_PRICE", sid))
    sel = np.flatnonzero(planned)
    keep = [rows[j] for j in sel]
    n = len(keep)

    # -- economics rows ----------------------------------------------------------------------
    e = np.zeros((n, N_ECON))
    e[:, E_PRICE] = price[sel]
    e[:, E_VAR] = variable[sel]
    e[:, E_UNIT] = unit_usd[sel]
    e[:, E_LANDED] = landed[sel]
    e[:, E_DUTY] = duty[sel]
    e[:, E_STORAGE] = storage[sel] * cbm[sel]
    e[:, E_CAPITAL] = settings.capital_rate_annual / 365.0 * landed[sel]
    e[:, E_SALVAGE] = settings.salvage_rate * landed[sel]
    e[:, E_PENALTY] = settings.stockout_penalty_usd
    e[:, E_MOQ] = np.nan_to_num(_col(frame, "moq_qty")[sel], nan=0.0)
    e[:, E_CASE] = np.nan_to_num(_col(frame, "case_pack_qty")[sel], nan=0.0)
    # the warehouse is shared in proportion to each SKU's expected demand volume
    total_at = np.array([volume_at.get(dest[j], 0.0) for j in sel], dtype=np.float64)
    vol_share = np.divide(volume[sel], total_at, out=np.ones(n), where=total_at > 0)
    has_cap = ~np.isnan(cap_cbm[sel]) & (cbm[sel] > 0)
    e[:, E_CAP] = np.where(
        has_cap, cap_cbm[sel] * vol_share / np.where(has_cap, cbm[sel], 1.0), math.inf
    )
    e[:, E_CASH] = math.inf
    if settings.cash_limit_usd is not None:
        n_ = max(len(ids), 1)
        share = demand_value[sel] / total_value if total_value > 0 else np.full(n, 1.0 / n_)
        e[:, E_CASH] = settings.cash_limit_usd * share
    e[:, E_DEPOSIT] = _dicts_col([supplier_of[j] for j in sel], "deposit_rate", 0.3)
    e[:, E_SETTLE] = us_mean + settings.settlement_days_after_delivery
    e[:, E_POD_OK] = np.where(pod_ok[sel], 1.0, 0.0)
    # POD units skip 3PL outbound/last mile
    e[:, E_POD_COST] = pod_cost[sel] + (pod_var[sel] - variable[sel])
    e[:, E_POD_CONV] = np.minimum(pod_conv[sel], 1.0)
    on_hand = np.array([sum(on_hand_by.get(ids[j], {}).values()) for j in sel], dtype=float)
    origin = np.array([sum(origin_by.get(ids[j], {}).values()) for j in sel], dtype=float)
    e[:, E_ON_HAND] = on_hand
    e[:, E_ORIGIN] = origin

    # -- route rows: the chosen slow and fast route of each planned SKU ----------------------
    rr = np.zeros((n, 2, N_ROUTE))
    slow_c: list[RouteChoice | None] = []
    fast_c: list[RouteChoice | None] = []
    for k, j in enumerate(sel.tolist()):
        sc = _choice(slow_r[j], float(prod[j]), float(slow_freight[j]))
        fc = _choice(fast_r[j], float(fast_prod[j]), float(fast_freight[j]))
        slow_c.append(sc)
        fast_c.append(fc)
        supplier = supplier_of[j]
        balance = str(supplier.get("balance_due") or "on_shipment")
        for slot, c, r in ((SLOW, sc, slow_r[j]), (FAST, fc, fast_r[j])):
            if c is None or r is None:
                continue
            made = float(fast_prod[j]) if slot == FAST else float(prod[j])
            pay = made
            if balance == "net_days":
                pay = made + _f(supplier.get("balance_days"), 0.0)
            elif balance == "on_arrival":
                pay = c.lead_time_mean_days
            row = rr[k, slot]
            row[R_OK] = 1.0
            row[R_MEAN] = c.lead_time_mean_days
            row[R_SD] = _f(r.get("lead_time_sd_days"), 0.0)
            row[R_MIN] = made + _f(r.get("lead_time_min_days"), 0.0)
            row[R_PAY] = pay
            row[R_PROD] = made
            row[R_FREIGHT] = c.freight_per_unit_usd
            row[R_FIXED] = _f(r.get("fixed_cost_usd"), 0.0)
            row[R_MINCHG] = _f(r.get("min_charge_usd"), 0.0)
            dist = str(r.get("lead_time_dist") or "lognormal")
            quant = r.get("lead_time_quantiles")
            if dist == "empirical" and quant is not None and len(quant) == N_QUANT:
                row[R_Q0 : R_Q0 + N_QUANT] = made + np.asarray(quant, dtype=np.float64)
            elif dist not in DIST_CODES or dist == "empirical":
                dist = "lognormal"  # too few shipments for an empirical distribution
            row[R_DIST] = DIST_CODES[dist]

    lots_out = [lot_by.get(ids[j], []) for j in sel]
    titles = _strs(frame, "title")
    suppliers_ = _objs(frame, "supplier_id")
    origin_loc: list[str | None] = []
    for j in sel:
        at_origin = origin_by.get(ids[j], {})
        origin_loc.append(max(at_origin, key=lambda k: at_origin[k]) if at_origin else None)
    ctx: dict[str, Any] = {
        "sku_ids": [ids[j] for j in sel],
        "title": [titles[j] or ids[j] for j in sel],
        "supplier_id": [suppliers_[j] for j in sel],
        "destination_id": [dest[j] for j in sel],
        "slow": slow_c,
        "fast": fast_c,
        "production_days": prod[sel],
        "cost_currency": [cost_cur[j] for j in sel],
        "unit_cost_native": np.where(np.isnan(unit_native), unit_usd, unit_native)[sel],
        "fx_usd": rate_or_1[sel],
        "price_usd": price[sel],
        "landed_cost_usd": landed[sel],
        "variable_cost_usd": variable[sel],
        "fulfilment_cost_usd": (outbound + last_mile_cost)[sel],
        "unit_margin_usd": (price - variable - landed)[sel],
        "on_hand": on_hand,
        "in_transit": np.array([sum(q for q, _, _ in lots) for lots in lots_out], dtype=float),
        "origin_stock": origin,
        "origin_location_id": origin_loc,
        "pod_days_mean": pod_mean[sel],
        "pod_days_sd": np.full(n, pod_sd),
        "pod_eligible": pod_ok[sel],
        "phase": [phase[i] if phase else "unknown" for i in keep],
        "economics_source": ["ledger" if has_eco[j] else "skus" for j in sel],
    }

    k = max([1, *[len(x) for x in lots_out]])
    pq, pe, ps = np.zeros((n, k)), np.zeros((n, k)), np.zeros((n, k))
    for j, sku_lots in enumerate(lots_out):
        for m_, (q, eta, sd) in enumerate(sku_lots):
            pq[j, m_], pe[j, m_], ps[j, m_] = q, eta, sd
    idx = np.asarray(keep, dtype=np.intp)
    inputs = PlanInputs(
        demand=np.ascontiguousarray(demand[idx]) if n else np.zeros((0, *demand.shape[1:])),
        economics=e,
        routes=rr,
        pipeline_qty=pq,
        pipeline_eta=pe,
        pipeline_sd=ps,
        sku_key=np.array([sku_key(s) for s in ctx["sku_ids"]], dtype=np.int64),
        sku_ids=tuple(ctx["sku_ids"]),
    )
    arrays = {
        "production_days",
        "unit_cost_native",
        "fx_usd",
        "price_usd",
        "landed_cost_usd",
        "variable_cost_usd",
        "fulfilment_cost_usd",
        "unit_margin_usd",
        "on_hand",
        "in_transit",
        "origin_stock",
        "pod_days_mean",
        "pod_days_sd",
    }
    fields: dict[str, Any] = {}
    for name in SkuContext.__dataclass_fields__:
        if name in ("us_days_mean", "us_days_sd"):
            continue
        if name in arrays:
            fields[name] = np.asarray(ctx[name], dtype=np.float64)
        elif name == "pod_eligible":
            fields[name] = np.asarray(ctx[name], dtype=bool)
        else:
            fields[name] = tuple(ctx[name])
    context = SkuContext(**fields, us_days_mean=us_mean, us_days_sd=us_sd)
    return inputs, context, findings
