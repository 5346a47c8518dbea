"""channel use case: compare self-operated, semi-managed and fully managed selling for a SKU.

Data flow: store → ``services.plan.prepare`` (the SKU's demand scenarios, costs, routes and
stock, exactly as the planner sees them) → ``core.channel.models.model_inputs`` per operating
model → ``core.plan.engine.run_plan`` (every replenishment family optimised per model on the
same scenarios) → side-by-side economics (unit margin, payment timing, who holds what) and
risk (expected profit, 5th percentile, CVaR, dead stock, peak cash).  Nothing is persisted.
"""

from __future__ import annotations

import math
from datetime import date
from typing import Any

import numpy as np

from quickturn.config import Settings
from quickturn.core.channel.models import (
    MODELS,
    model_facts,
    model_inputs,
    operating_model_settings,
    supply_price_rate,
)
from quickturn.core.plan.engine import run_plan
from quickturn.core.plan.settings import plan_settings
from quickturn.core.plan.simulate import (
    E_LANDED,
    E_PRICE,
    E_SETTLE,
    E_VAR,
    M_DEAD_UNITS,
    M_DEAD_VALUE,
    M_LOST,
    M_PEAK_CASH,
    M_PROFIT,
    M_SOLD,
    M_STOCKOUT,
)
from quickturn.errors import UsageError
from quickturn.i18n import gettext
from quickturn.services.plan import prepare, sim_config
from quickturn.store import Store


def _num(x: float) -> float | None:
    return float(x) if math.isfinite(float(x)) else None


def compare_models(
    store: Store,
    *,
    today: date,
    sku: str,
    app_settings: Settings | None = None,
    scenarios: int | None = None,
    seed: int | None = None,
    options: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Economics and risk of each operating model for ``sku`` (see the module docstring)."""
    plan_opts = dict(app_settings.section("plan")) if app_settings else {}
    channel_opts = dict(app_settings.section("channel")) if app_settings else {}
    channel_opts.update(options or {})
    settings = plan_settings(plan_opts, scenarios=scenarios, seed=seed)
    terms = operating_model_settings(channel_opts)
    prepared = prepare(
        store, today=today, settings=settings, sku_ids=[sku], app_settings=app_settings
    )
    if sku not in prepared.inputs.sku_ids:
        why = [f.message for f in prepared.findings if f.record.get("sku_id") == sku]
        raise UsageError(f"SKU {sku} could not be planned" + (": " + "; ".join(why) if why else ""))
    ctx = prepared.context
    gated = np.array([sku in prepared.blocked])
    config = sim_config(settings)
    rows: list[dict[str, Any]] = []
    for model in MODELS:
        inputs = model_inputs(
            prepared.inputs,
            model,
            terms,
            fulfilment_cost=ctx.fulfilment_cost_usd,
            delivery_days=ctx.us_days_mean,
        )
        out = run_plan(inputs, config, search_scenarios=settings.search_scenarios, gated=gated)
        mt = out.metrics[0]
        eco = inputs.economics[0]
        sold, lost = float(mt[M_SOLD]), float(mt[M_LOST])
        facts = model_facts(model, terms)
        rows.append(
            {
                "model": model,
                **{k: gettext(t, "en", **v) for k, (t, v) in facts.items()},
                "supply_price_rate": supply_price_rate(model, terms),
                "_facts": facts,
                "revenue_per_unit_usd": round(float(eco[E_PRICE]), 2),
                "unit_margin_usd": round(float(eco[E_PRICE] - eco[E_VAR] - eco[E_LANDED]), 2),
                "days_to_cash": round(float(eco[E_SETTLE]), 1),
                "policy": out.chosen_family(0),
                "expected_profit_usd": _num(mt[M_PROFIT]),
                "profit_p05_usd": _num(out.p05[0]),
                "cvar_usd": _num(out.cvar[0]),
                "objective_usd": _num(out.objective[0]),
                "expected_sales_qty": _num(sold),
                "fill_rate": _num(sold / (sold + lost)) if sold + lost > 0 else 1.0,
                "stockout_prob": _num(mt[M_STOCKOUT]),
                "dead_stock_qty": _num(mt[M_DEAD_UNITS]),
                "dead_stock_value_usd": _num(mt[M_DEAD_VALUE]),
                "peak_cash_usd": _num(mt[M_PEAK_CASH]),
                "todays_order_qty": float(out.day0_qty[0, :2].sum()),
            }
        )
    best = max(
        rows, key=lambda r: r["objective_usd"] if r["objective_usd"] is not None else -math.inf
    )
    i = 0
    return {
        "sku_id": sku,
        "title": ctx.title[i],
        "as_of": today.isoformat(),
        "scenarios": settings.scenarios,
        "horizon_days": settings.horizon_days,
        "retail_price_usd": round(float(ctx.price_usd[i]), 2),
        "landed_cost_usd": round(float(ctx.landed_cost_usd[i]), 2),
        "recommended": best["model"],
        "models": rows,
        "terms": {k: getattr(terms, k) for k in terms.__dataclass_fields__},
        "gated": prepared.blocked.get(sku, []),
    }
