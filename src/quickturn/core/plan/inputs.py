"""Assemble simulator inputs from the shop's tables: routes, costs, stock, pipeline, POD.

Data flow: canonical frames (skus, suppliers, locations, routes, latest stock, shipments in
transit, open purchase orders, FX rates, delivery-time statistics), demand sample paths and
optional unit economics from the ledger → per SKU: destination warehouse, slow and fast
route, lead times (production + transit), freight per unit (chargeable weight, volume, unit
and inbound fees), landed cost, price and variable cost, POD option and its conversion
penalty, stock on hand and lots in transit → :class:`~quickturn.core.plan.simulate.PlanInputs`
plus a :class:`SkuContext` (the business names behind every row) and findings for SKUs
that cannot be planned.  Pure: frames in, arrays out.
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
from quickturn.errors import Finding

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
    return pl.DataFrame(
        rows,
        schema={
            "sku_id": pl.String,
            "qty": pl.Float64,
            "eta_days": pl.Float64,
            "sd_days": pl.Float64,
            "source": pl.String,
        },
    )


def _unit_size(sku: dict[str, Any]) -> tuple[float, float, float, bool]:
    """(weight kg, volume cbm, dimensional cm³, known?) of one unit."""
    w = _f(sku.get("weight_g")) / 1000.0
    dims = [_f(sku.get(k)) for k in ("length_cm", "width_cm", "height_cm")]
    known = not math.isnan(w)
    cm3 = dims[0] * dims[1] * dims[2] if not any(math.isnan(d) for d in dims) else math.nan
    if math.isnan(w):
        w = DEFAULT_WEIGHT_KG
    cbm = cm3 / 1e6 if not math.isnan(cm3) else DEFAULT_CBM
    return w, cbm, cm3, known


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

    keep: list[int] = []
    ctx: dict[str, list[Any]] = {k: [] for k in SkuContext.__dataclass_fields__}
    eco_rows: list[NDArray[np.float64]] = []
    route_arr: list[NDArray[np.float64]] = []
    lots_out: list[list[tuple[float, float, float]]] = []
    if mean_demand is None:
        mean_demand = demand.mean(axis=(1, 2)) if demand.size else np.zeros(len(demand_sku_ids))
    default_dest = sorted({r["destination_id"] for r in route_rows})
    dest_of: dict[str, str | None] = {}
    volume: dict[str, float] = {}
    for j, sid in enumerate(demand_sku_ids):
        if sid not in sku_rows:
            continue
        where = on_hand_by.get(sid, {})
        dest_of[sid] = (
            max(where, key=lambda k: where[k])
            if where
            else (default_dest[0] if default_dest else None)
        )
        volume[sid] = float(mean_demand[j]) * _unit_size(sku_rows[sid])[1]
    volume_at: dict[str | None, float] = {}
    for sid, v in volume.items():
        volume_at[dest_of[sid]] = volume_at.get(dest_of[sid], 0.0) + v
    # landed value of expected demand (unit cost as the proxy): shares of the cash limit
    demand_value: dict[str, float] = {}
    for j, sid in enumerate(demand_sku_ids):
        if sid in sku_rows:
            row = sku_rows[sid]
            cost = _f(row.get("unit_cost"), 0.0) * fx.get(
                str(row.get("cost_currency") or "USD"), 0.0
            )
            demand_value[sid] = float(mean_demand[j]) * max(cost, 0.0)
    total_value = sum(demand_value.values())
    for i, sid in enumerate(demand_sku_ids):
        s = sku_rows.get(sid)
        if s is None:
            continue
        where = on_hand_by.get(sid, {})
        dest = dest_of[sid]
        weight, cbm, cm3, size_known = _unit_size(s)
        if not size_known:
            findings.append(
                Finding(
                    "PLAN_NO_WEIGHT",
                    "warn",
                    f"SKU {sid} has no shipping weight; freight assumes {DEFAULT_WEIGHT_KG} kg per unit",
                    source="skus",
                    column="weight_g",
                    record={"sku_id": sid},
                    fix="Fill weight_g (and length/width/height_cm) in the SKU list.",
                    message_zh=f"SKU {sid} 缺少运输重量；运费按每件 {DEFAULT_WEIGHT_KG} 千克估算",
                    fix_zh="请在 SKU 表中填写 weight_g（以及长宽高）。",
                )
            )
        inbound = _f(loc.get(dest or "", {}).get("inbound_cost_per_unit_usd"), 0.0)
        supplier = sup.get(s.get("supplier_id") or "", {})
        prod = _f(s.get("production_lead_time_days"))
        if math.isnan(prod):
            prod = _f(supplier.get("production_lead_time_days"), DEFAULT_PRODUCTION_DAYS)
        candidates = [r for r in route_rows if r["destination_id"] == dest]

        def choice(
            r: dict[str, Any],
            prod: float = prod,
            size: tuple[float, float, float, float] = (weight, cbm, cm3, inbound),
        ) -> RouteChoice:
            transit = _f(r.get("lead_time_mean_days"), 30.0)
            return RouteChoice(
                r["route_id"],
                r["mode"],
                r["origin_id"],
                prod + transit,
                transit,
                freight_per_unit(r, *size),
                _f(r.get("lead_time_sd_days"), 0.0),
                str(r.get("lead_time_source") or "route"),
                int(r.get("lead_time_shipments") or 0),
            )

        slow_opts = [r for r in candidates if r["mode"] in settings.slow_modes]
        fast_opts = [r for r in candidates if r["mode"] in settings.fast_modes]
        slow_r = min(
            slow_opts, key=lambda r: (choice(r).freight_per_unit_usd, r["route_id"]), default=None
        )
        fast_r = min(
            fast_opts,
            key=lambda r: (_f(r.get("lead_time_mean_days"), 99.0), r["route_id"]),
            default=None,
        )
        if slow_r is None:
            slow_r = fast_r
        if fast_r is None:
            fast_r = slow_r
        cost_cur = str(s.get("cost_currency") or "USD")
        rate = fx.get(cost_cur)
        unit_native = _f(s.get("unit_cost"))
        eco = eco_map.get(sid)
        if rate is None and not math.isnan(unit_native):
            findings.append(
                Finding(
                    "PLAN_NO_FX",
                    "error",
                    f"SKU {sid}: no exchange rate for {cost_cur} on or before the plan date",
                    source="fx_rates",
                    value=cost_cur,
                    record={"sku_id": sid},
                    fix=f"Import fx_rates for {cost_cur}.",
                    message_zh=f"SKU {sid}：缺少 {cost_cur} 在计划日期之前的汇率",
                    fix_zh=f"请导入 {cost_cur} 的汇率（fx_rates）。",
                )
            )
            continue
        # the unit cost as the source gives it (the SKU's unit cost × FX, else the factory
        # cost per unit of the ledger's latest cost layer), never recovered from a landed cost
        part = parts.get(sid, {})
        unit_usd = _f(part.get("unit_cost_usd"))
        if math.isnan(unit_usd):
            findings.append(
                Finding(
                    "PLAN_UNKNOWN_COST",
                    "warn",
                    f"SKU {sid} has no unit cost; it is not planned (a guess would hide the risk)",
                    source="skus",
                    column="unit_cost",
                    record={"sku_id": sid},
                    fix="Fill unit_cost and cost_currency in the SKU list.",
                    message_zh=f"SKU {sid} 没有单位成本，未纳入计划（估算会掩盖风险）",
                    fix_zh="请在 SKU 表中填写 unit_cost 和 cost_currency。",
                )
            )
            continue
        if slow_r is None and not bool(s.get("pod_eligible")):
            findings.append(
                Finding(
                    "PLAN_NO_ROUTE",
                    "warn",
                    f"SKU {sid}: no route from a factory or Chinese warehouse to a US warehouse"
                    + (f" ({dest})" if dest else ""),
                    source="routes",
                    record={"sku_id": sid, "destination_id": dest},
                    fix="Add a route (sea, air, …) to the US warehouse that holds this SKU.",
                    message_zh=f"SKU {sid}：没有从工厂或国内仓到美国仓的线路",
                    fix_zh="请为该 SKU 所在的美国仓添加线路（海运、空运等）。",
                )
            )
            continue
        duty = _f(part.get("duty_rate"), 0.0)  # HTS duty rate + extra tariffs
        duty_unit = _f(part.get("duty_usd"), 0.0)
        fast_prod = prod
        if settings.fast_production_days is not None:
            fast_prod = min(prod, float(settings.fast_production_days))
        slow_c = choice(slow_r) if slow_r is not None else None
        fast_c = choice(fast_r, fast_prod) if fast_r is not None else None
        landed = landed_per_unit(
            unit_usd,
            duty_unit,
            slow_c.freight_per_unit_usd - inbound if slow_c else 0.0,
            inbound if slow_c else 0.0,
        )
        price_cur = str(s.get("price_currency") or "USD")
        price = _f(s.get("list_price")) * fx.get(price_cur, math.nan)
        source = "skus"
        lm = last_mile.get(dest or "", {})
        outbound = _f(loc.get(dest or "", {}).get("outbound_cost_per_unit_usd"), 0.0)
        last_mile_cost = (
            _f(lm.get("cost_per_unit_usd"), 0.0) + _f(lm.get("cost_per_kg_usd"), 0.0) * weight
        )
        variable = (
            (settings.referral_fee_rate + settings.commission_rate) * price
            + outbound
            + last_mile_cost
        )
        if eco is not None:
            if not math.isnan(_f(eco.get("price_usd"))):
                price = _f(eco.get("price_usd"))
            # a window whose credits (fee refunds on earlier orders' returns) exceed its
            # costs gives a negative per-unit figure: no sale earns money back, so the
            # rule-based estimate stands then
            if _f(eco.get("variable_cost_usd")) >= 0.0:
                variable = _f(eco.get("variable_cost_usd"))
            if eco.get("cost_known") and not math.isnan(_f(eco.get("landed_cost_usd"))):
                landed = _f(eco.get("landed_cost_usd"))
            source = "ledger"
        if math.isnan(price):
            findings.append(
                Finding(
                    "PLAN_NO_PRICE",
                    "warn",
                    f"SKU {sid} has no price; it is not planned",
                    source="skus",
                    column="list_price",
                    record={"sku_id": sid},
                    fix="Fill list_price (or import orders so the ledger knows the price).",
                    message_zh=f"SKU {sid} 没有售价，未纳入计划",
                    fix_zh="请填写 list_price（或导入订单让账本得到实际售价）。",
                )
            )
            continue
        pod_ok = bool(s.get("pod_eligible")) and not math.isnan(_f(s.get("pod_unit_cost")))
        pod_mean = _f(s.get("pod_lead_time_days"))
        if math.isnan(pod_mean):
            pod_mean = pod_days[0] if math.isfinite(pod_days[0]) else DEFAULT_POD_DAYS
        pod_sd = pod_days[1] if math.isfinite(pod_days[1]) else settings.pod_delivery_days_sd
        pod_cost = _f(s.get("pod_unit_cost"), 0.0) * (rate or 1.0) + pod_ship
        pod_conv = conversion_multiplier(pod_mean, curve) / base_conv
        pod_var = variable - outbound - last_mile_cost  # POD partner ships; no 3PL fees

        sku_lots = lot_by.get(sid, [])
        e = np.zeros(N_ECON)
        e[E_PRICE] = price
        e[E_VAR] = variable
        e[E_UNIT] = unit_usd
        e[E_LANDED] = landed
        e[E_DUTY] = duty
        e[E_STORAGE] = _f(loc.get(dest or "", {}).get("storage_cost_per_cbm_day_usd"), 0.0) * cbm
        e[E_CAPITAL] = settings.capital_rate_annual / 365.0 * landed
        e[E_SALVAGE] = settings.salvage_rate * landed
        e[E_PENALTY] = settings.stockout_penalty_usd
        e[E_MOQ] = _f(s.get("moq_qty"), 0.0)
        e[E_CASE] = _f(s.get("case_pack_qty"), 0.0)
        e[E_CAP] = math.inf
        cap_cbm = _f(loc.get(dest or "", {}).get("capacity_cbm"))
        if not math.isnan(cap_cbm) and cbm > 0:
            # the warehouse is shared in proportion to each SKU's expected demand volume
            total = volume_at.get(dest, 0.0)
            share = volume[sid] / total if total > 0 else 1.0
            e[E_CAP] = cap_cbm * share / cbm
        e[E_CASH] = math.inf
        if settings.cash_limit_usd is not None:
            n_ = max(len(demand_value), 1)
            share = demand_value.get(sid, 0.0) / total_value if total_value > 0 else 1.0 / n_
            e[E_CASH] = settings.cash_limit_usd * share
        e[E_DEPOSIT] = _f(supplier.get("deposit_rate"), 0.3)
        e[E_SETTLE] = us_mean + settings.settlement_days_after_delivery
        e[E_POD_OK] = 1.0 if pod_ok else 0.0
        e[E_POD_COST] = pod_cost + (pod_var - variable)  # POD units skip 3PL outbound/last mile
        e[E_POD_CONV] = min(pod_conv, 1.0)
        e[E_ON_HAND] = sum(where.values())
        at_origin = origin_by.get(sid, {})
        e[E_ORIGIN] = sum(at_origin.values())
        rr = np.zeros((2, N_ROUTE))
        balance = str(supplier.get("balance_due") or "on_shipment")
        for slot, c, rt_row in ((SLOW, slow_c, slow_r), (FAST, fast_c, fast_r)):
            if c is None or rt_row is None:
                continue
            r = rt_row
            rr[slot, R_OK] = 1.0
            rr[slot, R_MEAN] = c.lead_time_mean_days
            rr[slot, R_SD] = _f(r.get("lead_time_sd_days"), 0.0)
            made = fast_prod if slot == FAST else prod
            rr[slot, R_MIN] = made + _f(r.get("lead_time_min_days"), 0.0)
            pay = made
            if balance == "net_days":
                pay = made + _f(supplier.get("balance_days"), 0.0)
            elif balance == "on_arrival":
                pay = c.lead_time_mean_days
            rr[slot, R_PAY] = pay
            rr[slot, R_PROD] = made
            rr[slot, R_FREIGHT] = c.freight_per_unit_usd
            rr[slot, R_FIXED] = _f(r.get("fixed_cost_usd"), 0.0)
            rr[slot, R_MINCHG] = _f(r.get("min_charge_usd"), 0.0)
            dist = str(r.get("lead_time_dist") or "lognormal")
            quant = r.get("lead_time_quantiles")
            if dist == "empirical" and quant is not None and len(quant) == N_QUANT:
                rr[slot, R_Q0 : R_Q0 + N_QUANT] = made + np.asarray(quant, dtype=np.float64)
            elif dist not in DIST_CODES or dist == "empirical":
                dist = "lognormal"  # too few shipments for an empirical distribution
            rr[slot, R_DIST] = DIST_CODES[dist]
        keep.append(i)
        eco_rows.append(e)
        route_arr.append(rr)
        lots_out.append(sku_lots)
        ctx["sku_ids"].append(sid)
        ctx["title"].append(str(s.get("title") or sid))
        ctx["supplier_id"].append(s.get("supplier_id"))
        ctx["destination_id"].append(dest)
        ctx["slow"].append(slow_c)
        ctx["fast"].append(fast_c)
        ctx["production_days"].append(prod)
        ctx["cost_currency"].append(cost_cur)
        ctx["unit_cost_native"].append(unit_native if not math.isnan(unit_native) else unit_usd)
        ctx["fx_usd"].append(rate or 1.0)
        ctx["price_usd"].append(price)
        ctx["landed_cost_usd"].append(landed)
        ctx["variable_cost_usd"].append(variable)
        ctx["fulfilment_cost_usd"].append(outbound + last_mile_cost)
        ctx["unit_margin_usd"].append(price - variable - landed)
        ctx["on_hand"].append(e[E_ON_HAND])
        ctx["in_transit"].append(sum(q for q, _, _ in sku_lots))
        ctx["origin_stock"].append(e[E_ORIGIN])
        ctx["origin_location_id"].append(
            max(at_origin, key=lambda k: at_origin[k]) if at_origin else None
        )
        ctx["pod_days_mean"].append(pod_mean)
        ctx["pod_days_sd"].append(pod_sd)
        ctx["pod_eligible"].append(pod_ok)
        ctx["phase"].append(phase[i] if phase else "unknown")
        ctx["economics_source"].append(source)

    n = len(keep)
    k = max([1, *[len(x) for x in lots_out]])
    pq, pe, ps = np.zeros((n, k)), np.zeros((n, k)), np.zeros((n, k))
    for j, sku_lots in enumerate(lots_out):
        for m_, (q, eta, sd) in enumerate(sku_lots):
            pq[j, m_], pe[j, m_], ps[j, m_] = q, eta, sd
    idx = np.asarray(keep, dtype=np.intp)
    inputs = PlanInputs(
        demand=np.ascontiguousarray(demand[idx]) if n else np.zeros((0, *demand.shape[1:])),
        economics=np.asarray(eco_rows).reshape(n, N_ECON),
        routes=np.asarray(route_arr).reshape(n, 2, N_ROUTE),
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
