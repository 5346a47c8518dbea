"""plan: read plans back: the latest run, the supplier PO export, compare and explain one SKU."""

from __future__ import annotations

import math
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from quickturn.config import Settings
from quickturn.core.plan.simulate import (
    M_DEMAND,
)
from quickturn.errors import Finding, UsageError
from quickturn.services.csvsafe import SafeWriter, cents
from quickturn.services.plan.report import PlanReport
from quickturn.services.plan.runner import run
from quickturn.store import Store, queries


def default_as_of(store: Store) -> date:
    """The plan date when none is given: the demo's as-of day in a demo database, else today."""
    marker = store.get_state("demo", "marker") if "state" in store.existing_tables() else None
    if isinstance(marker, dict) and marker.get("as_of"):
        try:
            return date.fromisoformat(str(marker["as_of"]))
        except ValueError:
            pass
    return date.today()


def latest_run_id(store: Store) -> str | None:
    return queries.runs.latest_run_id(store, "plan")


EXPORT_COLUMNS = (
    "po_number",
    "order_date",
    "supplier_id",
    "supplier_name",
    "sku",
    "description",
    "quantity",
    "case_pack",
    "cartons",
    "unit_price",
    "currency",
    "line_total",
    "ship_mode",
    "ship_to",
    "ready_by",
    "expected_arrival",
)


def export_purchase_orders(store: Store, out: Path, *, run_id: str | None = None) -> dict[str, Any]:
    """Write the purchase orders of a plan run (default: the latest) as a supplier CSV.

    One line per SKU; lines of the same supplier share a PO number.  Columns are in
    :data:`EXPORT_COLUMNS`; amounts in the supplier's currency with 2 decimals.
    """
    rid = run_id or latest_run_id(store)
    if rid is None:
        raise UsageError("no plan run yet: run `quickturn plan` first")
    acts = store.table("plan_actions", where={"run_id": rid, "kind": "purchase_order"})
    skus = store.table(
        "skus", columns=["sku_id", "title", "case_pack_qty", "production_lead_time_days"]
    )
    sups = store.table("suppliers", columns=["supplier_id", "name", "production_lead_time_days"])
    routes = store.table("routes", columns=["route_id", "mode"])
    df = (
        acts.join(skus, on="sku_id", how="left")
        .join(sups.rename({"production_lead_time_days": "sup_days"}), on="supplier_id", how="left")
        .join(routes, on="route_id", how="left")
        .sort("supplier_id", "sku_id", "action_id")
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    numbers: dict[str, str] = {}
    lines = 0
    total_by_cur: dict[str, Decimal] = {}
    with out.open("w", newline="", encoding="utf-8") as fh:
        w = SafeWriter(fh)
        w.writerow(EXPORT_COLUMNS)
        for r in df.to_dicts():
            sup = r.get("supplier_id") or "UNASSIGNED"
            order_date: date = r["order_date"]
            number = numbers.setdefault(sup, f"PO-{order_date:%Y%m%d}-{sup}-{rid[-6:].upper()}")
            qty = int(r["quantity"])
            case = int(r["case_pack_qty"] or 0)
            cur = r.get("currency") or ""
            unit = cents(r["unit_cost"], cur)
            days = r.get("production_lead_time_days") or r.get("sup_days") or 0
            total = unit * qty
            total_by_cur[cur] = total_by_cur.get(cur, Decimal(0)) + total
            w.writerow(
                [
                    number,
                    order_date.isoformat(),
                    sup,
                    r.get("name") or "",
                    r["sku_id"],
                    r.get("title") or "",
                    qty,
                    case or "",
                    math.ceil(qty / case) if case else "",
                    unit,
                    cur,
                    total,
                    r.get("mode") or "",
                    r.get("destination_id") or "",
                    (order_date + timedelta(days=round(float(days)))).isoformat(),
                    r["expected_arrival"].isoformat() if r.get("expected_arrival") else "",
                ]
            )
            lines += 1
    return {
        "run_id": rid,
        "path": str(out),
        "lines": lines,
        "purchase_orders": len(numbers),
        "totals": total_by_cur,
    }


def compare(
    store: Store,
    *,
    today: date,
    sku: str,
    app_settings: Settings | None = None,
    scenarios: int | None = None,
    seed: int | None = None,
    options: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """All policy families side by side for one SKU (planned afresh; nothing persisted)."""
    report = run(
        store,
        today=today,
        app_settings=app_settings,
        sku=sku,
        scenarios=scenarios,
        seed=seed,
        persist=False,
        options=options,
    )
    if sku not in report.outcome.sku_ids:
        raise UsageError(_not_planned(sku, report.findings))
    rows = [r for r in report.sku_rows if r["sku_id"] == sku]
    order = {f: j for j, f in enumerate(report.outcome.families)}
    rows.sort(key=lambda r: order[r["policy"]])
    i = report.context.row(sku)
    return {
        "sku_id": sku,
        "title": report.context.title[i],
        "as_of": today.isoformat(),
        "phase": report.context.phase[i],
        "scenarios": report.settings.scenarios,
        "horizon_days": report.settings.horizon_days,
        "chosen": report.outcome.chosen_family(0),
        "families": rows,
        "not_applicable": [
            f for f in report.outcome.families if f not in {r["policy"] for r in rows}
        ],
        "_report": report,
    }


def _not_planned(sku: str, findings: list[Finding]) -> str:
    why = [f.message for f in findings if f.record.get("sku_id") == sku]
    return f"SKU {sku} could not be planned" + (": " + "; ".join(why) if why else "")


def explain(
    store: Store,
    *,
    today: date,
    sku: str,
    app_settings: Settings | None = None,
    scenarios: int | None = None,
    seed: int | None = None,
    options: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Why a SKU gets its plan: inputs, economics, route choice, risk, runner-up."""
    cmp = compare(
        store,
        today=today,
        sku=sku,
        app_settings=app_settings,
        scenarios=scenarios,
        seed=seed,
        options=options,
    )
    report: PlanReport = cmp["_report"]
    ctx, out = report.context, report.outcome
    i = ctx.row(sku)
    chosen_row = next(r for r in cmp["families"] if r["chosen"])
    total_demand = float(out.metrics[i, M_DEMAND])
    route = {
        slot: (
            {
                "route_id": c.route_id,
                "mode": c.mode,
                "lead_time_days": round(c.lead_time_mean_days, 1),
                "transit_days": round(c.transit_days, 1),
                "transit_sd_days": round(c.transit_sd_days, 1),
                "lead_time_source": c.lead_time_source,
                "lead_time_shipments": c.lead_time_shipments,
                "freight_per_unit_usd": round(c.freight_per_unit_usd, 3),
            }
            if c is not None
            else None
        )
        for slot, c in (("slow", ctx.slow[i]), ("fast", ctx.fast[i]))
    }
    return {
        **{k: v for k, v in cmp.items() if k != "_report"},
        "inputs": {
            "price_usd": round(float(ctx.price_usd[i]), 2),
            "landed_cost_usd": round(float(ctx.landed_cost_usd[i]), 2),
            "variable_cost_usd": round(float(ctx.variable_cost_usd[i]), 2),
            "unit_margin_usd": round(float(ctx.unit_margin_usd[i]), 2),
            "economics_source": ctx.economics_source[i],
            "unit_cost": round(float(ctx.unit_cost_native[i]), 2),
            "cost_currency": ctx.cost_currency[i],
            "on_hand": float(ctx.on_hand[i]),
            "in_transit": float(ctx.in_transit[i]),
            "origin_stock": float(ctx.origin_stock[i]),
            "origin_location_id": ctx.origin_location_id[i],
            "expected_demand_qty": round(total_demand, 1),
            "production_days": float(ctx.production_days[i]),
            "pod_eligible": bool(ctx.pod_eligible[i]),
            "pod_days": float(ctx.pod_days_mean[i]),
            "us_delivery_days": round(ctx.us_days_mean, 2),
            "supplier_id": ctx.supplier_id[i],
            "destination_id": ctx.destination_id[i],
        },
        "routes": route,
        "gated": report.blocked.get(sku, []),
        "reason": chosen_row["reason"],
        "_reason": chosen_row["_reason"],
        "purchase_orders": [a for a in report.actions if a["sku_id"] == sku],
        "settings": {
            "risk_alpha": report.settings.risk_alpha,
            "risk_lambda": report.settings.risk_lambda,
            "salvage_rate": report.settings.salvage_rate,
            "stockout_penalty_usd": report.settings.stockout_penalty_usd,
            "capital_rate_annual": report.settings.capital_rate_annual,
        },
        "findings": [f.to_dict() for f in report.findings if f.record.get("sku_id") == sku],
    }
