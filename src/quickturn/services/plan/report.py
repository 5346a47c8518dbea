"""plan: the plan's report: PlanReport, per-SKU result rows and action rows, reasons in en/zh."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np

from quickturn.core.plan.engine import (
    PlanOutcome,
    explain_choice,
)
from quickturn.core.plan.inputs import SkuContext
from quickturn.core.plan.policies import ROUTE_SLOTS, family
from quickturn.core.plan.settings import PlanSettings
from quickturn.core.plan.simulate import (
    FAST,
    M_DEAD_UNITS,
    M_DEAD_VALUE,
    M_DEMAND,
    M_FREIGHT,
    M_HOLDING,
    M_LOST,
    M_OOS_DEMAND,
    M_ORDERED,
    M_PEAK_CASH,
    M_POD_UNITS,
    M_PROFIT,
    M_SOLD,
    M_STOCKOUT,
    M_TRANSFERRED,
    P_ACTIVE,
    SLOW,
)
from quickturn.errors import Finding
from quickturn.i18n import gettext

Progress = Callable[[int, int], None]


@dataclass
class PlanReport:
    """Result of a plan run (JSON-able through :meth:`to_dict`)."""

    run_id: str | None
    today: date
    settings: PlanSettings
    outcome: PlanOutcome
    context: SkuContext
    findings: list[Finding]
    actions: list[dict[str, Any]]
    sku_rows: list[dict[str, Any]]
    blocked: dict[str, list[str]] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)

    def portfolio(self) -> dict[str, float]:
        return self.outcome.portfolio()

    def chosen_rows(self) -> list[dict[str, Any]]:
        return [r for r in self.sku_rows if r["chosen"]]

    def to_dict(self, lang: str = "en") -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "as_of": self.today.isoformat(),
            "policy": self.outcome.requested,
            "budget_usd": self.outcome.budget,
            "budget_spent_usd": self.outcome.budget_spent if self.outcome.budget else None,
            "scenarios": self.outcome.n_scenarios,
            "horizon_days": self.settings.horizon_days,
            "risk": {"alpha": self.settings.risk_alpha, "lambda": self.settings.risk_lambda},
            "portfolio": self.portfolio(),
            "purchase_orders": [
                localise_action(a, lang) for a in self.actions if a["kind"] == "purchase_order"
            ],
            "actions": [localise_action(a, lang) for a in self.actions],
            "skus": [localise_row(r, lang) for r in self.chosen_rows()],
            "held_back": [r["sku_id"] for r in self.chosen_rows() if r["held_back_by_budget"]],
            "gated": {k: v for k, v in self.blocked.items() if k in set(self.outcome.sku_ids)},
            "sources": self.sources,
            "findings": [f.to_dict() for f in self.findings],
            "notes": list(self.outcome.notes),
        }


Reason = list[tuple[str, dict[str, Any]]]


def render_reason(parts: Reason, lang: str = "en") -> str:
    """Translate and join the parts of a reason (each an English template and its values)."""
    return " ".join(gettext(t, lang, **v) for t, v in parts)


def localise_row(row: dict[str, Any], lang: str) -> dict[str, Any]:
    out = {k: v for k, v in row.items() if not k.startswith("_")}
    if "_reason" in row:
        out["reason"] = render_reason(row["_reason"], lang)
    return out


localise_action = localise_row


def _fulfilment(metrics: np.ndarray, ctx: SkuContext, i: int) -> tuple[float, float]:
    """Mean and SD of order → delivery days over the units sold (US stock vs POD mixture)."""
    sold = float(metrics[M_SOLD])
    pod = float(metrics[M_POD_UNITS])
    if not sold > 0:
        return ctx.us_days_mean, ctx.us_days_sd
    wp = min(max(pod / sold, 0.0), 1.0)
    wu = 1.0 - wp
    mu_u, sd_u = ctx.us_days_mean, ctx.us_days_sd
    mu_p, sd_p = float(ctx.pod_days_mean[i]), float(ctx.pod_days_sd[i])
    mean = wu * mu_u + wp * mu_p
    second = wu * (sd_u**2 + mu_u**2) + wp * (sd_p**2 + mu_p**2)
    return mean, math.sqrt(max(second - mean**2, 0.0))


def _num(x: float) -> float | None:
    return None if x is None or not math.isfinite(float(x)) else float(x)


def sku_result_rows(outcome: PlanOutcome, ctx: SkuContext) -> list[dict[str, Any]]:
    """One row per SKU × applicable family, shaped like ``plan_sku_results``."""
    rows: list[dict[str, Any]] = []
    for i, sid in enumerate(outcome.sku_ids):
        chosen = int(outcome.chosen[i])
        for k, name in enumerate(outcome.families):
            is_chosen = k == chosen
            if is_chosen:
                mt, params = outcome.metrics[i], outcome.params[i]
                obj, cv, p05 = outcome.objective[i], outcome.cvar[i], outcome.p05[i]
                qty, _eta = outcome.day0_qty[i], outcome.day0_eta[i]
            else:
                if outcome.family_params[i, k, P_ACTIVE] < 0.5:
                    continue
                mt, params = outcome.family_metrics[i, k], outcome.family_params[i, k]
                obj, cv = outcome.family_objective[i, k], outcome.family_cvar[i, k]
                p05 = outcome.family_p05[i, k]
                qty, _eta = outcome.family_day0_qty[i, k], outcome.family_day0_eta[i, k]
            if not np.isfinite(mt[M_PROFIT]):
                continue
            sold, lost, demand = float(mt[M_SOLD]), float(mt[M_LOST]), float(mt[M_DEMAND])
            f_mean, f_sd = _fulfilment(mt, ctx, i)
            described = family(name).describe(params)
            routes = {}
            for slot, c in ((SLOW, ctx.slow[i]), (FAST, ctx.fast[i])):
                if c is not None:
                    routes[ROUTE_SLOTS[slot]] = c.route_id
            described["routes"] = routes
            described["todays_orders"] = {
                ROUTE_SLOTS[s]: float(qty[s]) for s in (SLOW, FAST) if qty[s] > 0
            }
            transfers = {ROUTE_SLOTS[s]: float(qty[2 + s]) for s in (SLOW, FAST) if qty[2 + s] > 0}
            if transfers:
                described["todays_transfers"] = transfers
            if is_chosen:
                reason: Reason = [explain_choice(outcome, i)]
            else:
                gap = float(outcome.objective[i] - obj) if np.isfinite(obj) else math.nan
                reason = [
                    (
                        "Not chosen: objective {objective} ({gap} below {policy}).",
                        {
                            "objective": _money(float(obj)),
                            "gap": _money(gap),
                            "policy": outcome.families[chosen],
                        },
                    )
                ]
            rows.append(
                {
                    "sku_id": sid,
                    "policy": name,
                    "chosen": is_chosen,
                    "params": described,
                    "expected_profit_usd": _num(mt[M_PROFIT]),
                    "profit_p05_usd": _num(p05),
                    "cvar_usd": _num(cv),
                    "objective_usd": _num(obj),
                    "expected_sales_qty": _num(sold),
                    "lost_sales_qty": _num(lost),
                    "fill_rate": _num(sold / (sold + lost)) if sold + lost > 0 else 1.0,
                    "stockout_prob": _num(mt[M_STOCKOUT]),
                    "oos_demand_share": _num(min(float(mt[M_OOS_DEMAND]) / demand, 1.0))
                    if demand > 0
                    else 0.0,
                    "dead_stock_qty": _num(mt[M_DEAD_UNITS]),
                    "dead_stock_value_usd": _num(mt[M_DEAD_VALUE]),
                    "peak_cash_usd": _num(mt[M_PEAK_CASH]),
                    "holding_cost_usd": _num(mt[M_HOLDING]),
                    "freight_cost_usd": _num(mt[M_FREIGHT]),
                    "order_qty": _num(mt[M_ORDERED]),
                    "fulfilment_days_mean": _num(f_mean),
                    "fulfilment_days_sd": _num(f_sd),
                    "held_back_by_budget": bool(is_chosen and outcome.held_back[i]),
                    "gated_by_compliance": bool(outcome.gated[i]),
                    "reason": render_reason(reason),
                    "_reason": reason,
                    "pod_qty": _num(mt[M_POD_UNITS]),
                    "transfer_qty": _num(mt[M_TRANSFERRED]),
                }
            )
    return rows


def _money(x: float) -> str:
    if not math.isfinite(x):
        return "—"
    return f"-${abs(x):,.0f}" if x < 0 else f"${x:,.0f}"


def _edge(outcome: PlanOutcome, i: int) -> str:
    """Short "why": the objective lead over the runner-up family (or the constraint)."""
    if outcome.held_back[i]:
        return "budget"
    obj = outcome.family_objective[i]
    k = int(outcome.chosen[i])
    others = [j for j in range(len(obj)) if j != k and np.isfinite(obj[j])]
    if not others:
        return "only option"
    j = max(others, key=lambda j: obj[j])
    return f"{_money(float(obj[k] - obj[j]))} vs {outcome.families[j]}"


def action_rows(outcome: PlanOutcome, ctx: SkuContext, today: date) -> list[dict[str, Any]]:
    """Today's purchase orders, transfers from origin-warehouse stock and POD switches of the
    final plan."""
    rows: list[dict[str, Any]] = []
    for i, sid in enumerate(outcome.sku_ids):
        fam = outcome.chosen_family(i)
        why = explain_choice(outcome, i)
        for slot, choice in ((SLOW, ctx.slow[i]), (FAST, ctx.fast[i])):
            q = float(outcome.day0_qty[i, 2 + slot])
            if q <= 0 or choice is None:
                continue
            arrival = today + timedelta(days=round(float(outcome.day0_eta[i, 2 + slot])))
            origin = ctx.origin_location_id[i] or choice.origin_id
            rows.append(
                {
                    "edge": _edge(outcome, i),
                    "action_id": f"TR-{sid}-{ROUTE_SLOTS[slot]}",
                    "kind": "transfer",
                    "sku_id": sid,
                    "title": ctx.title[i],
                    "policy": fam,
                    "supplier_id": None,
                    "route_id": choice.route_id,
                    "mode": choice.mode,
                    "origin_id": origin,
                    "destination_id": ctx.destination_id[i],
                    "quantity": round(q),
                    "order_date": today,
                    "expected_arrival": arrival,
                    "unit_cost": None,
                    "currency": None,
                    "total_cost_usd": round(q * choice.freight_per_unit_usd, 2),
                    "production_days": 0.0,
                    "reason": "",
                    "_reason": [
                        (
                            "{policy}: ship {qty} units already in {origin} by {mode} "
                            "({route}), arriving about {arrival} (no production needed).",
                            {
                                "policy": fam,
                                "qty": f"{q:,.0f}",
                                "origin": origin,
                                "mode": choice.mode,
                                "route": choice.route_id,
                                "arrival": arrival.isoformat(),
                            },
                        ),
                        why,
                    ],
                }
            )
            rows[-1]["reason"] = render_reason(rows[-1]["_reason"])
        for slot, choice in ((SLOW, ctx.slow[i]), (FAST, ctx.fast[i])):
            q = float(outcome.day0_qty[i, slot])
            if q <= 0 or choice is None:
                continue
            eta = round(float(outcome.day0_eta[i, slot]))
            unit_usd = float(ctx.unit_cost_native[i] * ctx.fx_usd[i])
            freight = q * choice.freight_per_unit_usd
            total = q * unit_usd + freight
            arrival = today + timedelta(days=eta)
            reason: Reason = [
                (
                    "{policy}: {qty} units by {mode} ({route}), arriving about {arrival}.",
                    {
                        "policy": fam,
                        "qty": f"{q:,.0f}",
                        "mode": choice.mode,
                        "route": choice.route_id,
                        "arrival": arrival.isoformat(),
                    },
                ),
                why,
            ]
            rows.append(
                {
                    "edge": _edge(outcome, i),
                    "action_id": f"PO-{sid}-{ROUTE_SLOTS[slot]}",
                    "kind": "purchase_order",
                    "sku_id": sid,
                    "title": ctx.title[i],
                    "policy": fam,
                    "supplier_id": ctx.supplier_id[i],
                    "route_id": choice.route_id,
                    "mode": choice.mode,
                    "origin_id": choice.origin_id,
                    "destination_id": ctx.destination_id[i],
                    "quantity": round(q),
                    "order_date": today,
                    "expected_arrival": arrival,
                    "unit_cost": float(ctx.unit_cost_native[i]),
                    "currency": ctx.cost_currency[i],
                    "total_cost_usd": round(total, 2),
                    "production_days": float(ctx.production_days[i]),
                    "reason": render_reason(reason),
                    "_reason": reason,
                }
            )
        if fam in ("pod", "hybrid") and float(outcome.metrics[i, M_POD_UNITS]) > 0:
            units = float(outcome.metrics[i, M_POD_UNITS])
            reason = [
                (
                    "{policy}: make about {qty} units to order over the horizon instead of "
                    "stocking them (POD {days} days to the buyer).",
                    {"policy": fam, "qty": f"{units:,.0f}", "days": f"{ctx.pod_days_mean[i]:.0f}"},
                ),
                why,
            ]
            rows.append(
                {
                    "action_id": f"POD-{sid}",
                    "kind": "pod",
                    "sku_id": sid,
                    "title": ctx.title[i],
                    "policy": fam,
                    "supplier_id": None,
                    "route_id": None,
                    "mode": "pod",
                    "origin_id": None,
                    "destination_id": "buyer",
                    "quantity": round(units),
                    "order_date": today,
                    "expected_arrival": today + timedelta(days=round(float(ctx.pod_days_mean[i]))),
                    "unit_cost": None,
                    "currency": None,
                    "total_cost_usd": None,
                    "production_days": None,
                    "reason": render_reason(reason),
                    "_reason": reason,
                }
            )
    return rows
