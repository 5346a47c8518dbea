"""The one place that assembles plan inputs from the store.

Data flow: ``skus`` (already chosen by the caller) + ``suppliers``, ``locations``, ``routes``
with lead times fitted to past ``shipments``, the latest stock before ``today``, lots in
transit (open shipments and purchase orders), the day's FX rates, delivery-time statistics
of the last 90 days, the landed-cost parts of a unit
(:func:`quickturn.core.ledger.landed.unit_cost_parts`: unit cost, duty with the ledger's
extra tariffs, the ledger's cost layers for SKUs without a unit cost) and the caller's unit
economics → :func:`quickturn.core.plan.inputs.assemble_inputs` → ``PlanInputs``,
``SkuContext`` and findings.

Called by ``services.plan.prepare`` (the plan, and through it the backtest) and by
``services.plan.read.inventory_projection`` (the web's replay of one SKU), so the page
replays exactly the inputs the plan assembles.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import polars as pl

from quickturn.config import Settings
from quickturn.core.ledger.landed import unit_cost_parts
from quickturn.core.plan.inputs import (
    SkuContext,
    assemble_inputs,
    delivery_days,
    fit_route_lead_times,
    fx_lookup,
    in_transit_lots,
)
from quickturn.core.plan.settings import PlanSettings
from quickturn.core.plan.simulate import F64, PlanInputs
from quickturn.errors import Finding
from quickturn.store import Store, queries


@dataclass
class Assembled:
    inputs: PlanInputs
    context: SkuContext
    findings: list[Finding]
    #: where each input came from (``lead_times`` when fitted to shipments)
    sources: dict[str, str]


def delivery_stats(store: Store, today: date) -> tuple[tuple[float, float], tuple[float, float]]:
    """Mean and SD of order → delivery days over the 90 days before ``today``: shipped from
    stock, and made to order (POD)."""
    since = datetime.combine(today - timedelta(days=90), datetime.min.time())
    orders = queries.orders.delivered_orders(
        store, since, datetime.combine(today, datetime.min.time())
    )
    us = delivery_days(orders, made_to_order=False)
    pod = delivery_days(orders, made_to_order=True)
    return (us[0], us[1]), (pod[0], pod[1])


def assemble_plan_inputs(
    store: Store,
    *,
    today: date,
    settings: PlanSettings,
    skus: pl.DataFrame,
    demand_sku_ids: list[str],
    phase: list[str] | None,
    economics: pl.DataFrame | None,
    app_settings: Settings | None = None,
    demand: F64 | None = None,
    mean_demand: F64 | None = None,
    only_skus: Sequence[str] | None = None,
) -> Assembled:
    """Plan inputs of ``skus`` on ``today`` (see the module docstring).

    ``demand`` (sample paths) or ``mean_demand`` (streaming: the inputs carry no scenarios,
    horizon ``settings.horizon_days``) as :func:`assemble_inputs` takes them.  ``only_skus``
    narrows the per-SKU reads (stock, shipment lines, purchase orders, cost layers) for a
    caller that plans a few SKUs; the answer for those SKUs is the same.
    """
    from quickturn.services.ledger import ledger_settings

    sources: dict[str, str] = {}
    narrow: dict[str, Any] | None = {"sku_id": list(only_skus)} if only_skus else None
    us_days, pod_days = delivery_stats(store, today)
    shipments = store.table("shipments")
    routes = fit_route_lead_times(store.table("routes"), shipments, today)
    if (routes["lead_time_source"] == "shipments").any():
        sources["lead_times"] = "routes, fitted to past shipments"
    lots = in_transit_lots(
        shipments,
        store.table("shipment_lines", where=narrow),
        store.table("purchase_orders", where=narrow),
        routes,
        today,
    )
    suppliers = store.table("suppliers")
    fx = fx_lookup(store.table("fx_rates"), today)
    unit_costs = unit_cost_parts(
        skus,
        suppliers,
        ledger_settings(app_settings),
        fx,
        layers=store.table("ledger_cost_layers", where=narrow),
    )
    stock = queries.inventory.latest_stock(
        store, before=today, sku_ids=list(only_skus) if only_skus else None
    ).select("sku_id", "location_id", "on_hand_qty", "reserved_qty")
    inputs, context, findings = assemble_inputs(
        skus=skus,
        suppliers=suppliers,
        locations=store.table("locations"),
        routes=routes,
        stock=stock,
        lots=lots,
        fx=fx,
        demand=demand,
        demand_sku_ids=demand_sku_ids,
        mean_demand=mean_demand,
        horizon=settings.horizon_days if demand is None else None,
        phase=phase,
        economics=economics,
        us_days=us_days,
        pod_days=pod_days,
        settings=settings,
        unit_costs=unit_costs,
    )
    return Assembled(inputs, context, findings, sources)


__all__ = ["Assembled", "assemble_plan_inputs", "delivery_stats"]
