"""plan: write a plan report: runs, plan_sku_results and plan_actions in one transaction."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import polars as pl

from quickturn.services.plan.report import PlanReport
from quickturn.store import Store


def persist_report(store: Store, report: PlanReport, *, params: dict[str, Any]) -> str:
    """Write the run, its per-SKU results and its actions in one transaction."""
    now = datetime.now(UTC).replace(tzinfo=None)
    run_id = f"plan-{now:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"
    s = report.settings
    run_params = {
        **params,
        "horizon_days": s.horizon_days,
        "scenarios": s.scenarios,
        "search_scenarios": s.search_scenarios,
        "seed": s.seed,
        "risk_alpha": s.risk_alpha,
        "risk_lambda": s.risk_lambda,
        "backorders": s.backorders,
    }
    summary = {
        **report.portfolio(),
        "purchase_orders": sum(1 for a in report.actions if a["kind"] == "purchase_order"),
        "sources": report.sources,
        "findings": len(report.findings),
    }
    res = (
        pl.DataFrame(
            [
                {
                    **{
                        k: v
                        for k, v in r.items()
                        if not k.startswith("_") and k not in ("pod_qty", "transfer_qty")
                    },
                    "run_id": run_id,
                    "params": json.dumps(r["params"]),
                }
                for r in report.sku_rows
            ],
            infer_schema_length=None,
        )
        if report.sku_rows
        else pl.DataFrame()
    )
    acts = (
        pl.DataFrame(
            [
                {
                    "run_id": run_id,
                    "action_id": a["action_id"],
                    "kind": a["kind"],
                    "sku_id": a["sku_id"],
                    "policy": a["policy"],
                    "supplier_id": a["supplier_id"],
                    "route_id": a["route_id"],
                    "origin_id": a["origin_id"],
                    "destination_id": a["destination_id"],
                    "quantity": int(a["quantity"]),
                    "order_date": a["order_date"],
                    "expected_arrival": a["expected_arrival"],
                    "unit_cost": a["unit_cost"],
                    "currency": a["currency"],
                    "total_cost_usd": a["total_cost_usd"],
                    "reason": a["reason"],
                }
                for a in report.actions
            ],
            infer_schema_length=None,
        )
        if report.actions
        else pl.DataFrame()
    )
    frames: dict[str, pl.DataFrame] = {
        "runs": pl.DataFrame(
            {
                "run_id": [run_id],
                "module": ["plan"],
                "created_at": [now],
                "as_of": [report.today],
                "params": [json.dumps(run_params, default=str)],
                "summary": [json.dumps(summary, default=str)],
            }
        )
    }
    if res.height:
        frames["plan_sku_results"] = res
    if acts.height:
        frames["plan_actions"] = acts
    store.write_many(frames, mode="append")
    return run_id
