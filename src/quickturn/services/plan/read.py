"""plan: read plans back: the latest run, the supplier PO export, compare and explain one SKU;
and the read models of the dashboard and the report: the latest run's actions and policy
comparison, today's purchase-order spend, and one SKU's inventory projection (the plan's
simulator replayed on the plan's own inputs, nothing persisted)."""

from __future__ import annotations

import math
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from quickturn.config import Settings
from quickturn.core.plan.simulate import (
    M_DEMAND,
)
from quickturn.core.sense.types import SamplePaths
from quickturn.errors import Finding, UsageError
from quickturn.services.csvsafe import SafeWriter, cents
from quickturn.services.ledger.read import unit_economics_from_journal
from quickturn.services.plan.evaluate import plan_outcome, sim_config
from quickturn.services.plan.load import Prepared
from quickturn.services.plan.report import PlanReport
from quickturn.services.plan.runner import run
from quickturn.services.readbase import POLICIES, NotFound, has, latest_run, run_public
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


# ---------------------------------------------------------------------------------------------
# the dashboard's and the report's read models


def plan_overview(store: Store) -> dict[str, Any]:
    """The latest plan run: today's actions (with SKU titles and route modes), the policy
    families compared over the SKUs where each applies, and the run's summary."""
    if not has(store, "plan_sku_results", "plan_actions"):
        return {"run": None}
    run = latest_run(store, "plan")
    if run is None:
        return {"run": None}
    rid = run["run_id"]
    acts = store.table("plan_actions", where={"run_id": rid}).drop("run_id")
    titles = store.table("skus", columns=["sku_id", "title"])
    routes = store.table("routes", columns=["route_id", "mode"])
    kind_order = {"purchase_order": 0, "transfer": 1, "pod": 2}
    acts = (
        acts.join(titles, on="sku_id", how="left")
        .join(routes, on="route_id", how="left")
        .with_columns(
            pl.col("kind").replace_strict(kind_order, default=9, return_dtype=pl.Int64).alias("_k")
        )
        .sort(["_k", "total_cost_usd", "quantity"], descending=[False, True, True], nulls_last=True)
        .drop("_k")
    )
    res = store.table(
        "plan_sku_results",
        columns=[
            "sku_id",
            "policy",
            "chosen",
            "expected_profit_usd",
            "profit_p05_usd",
            "cvar_usd",
            "stockout_prob",
            "dead_stock_value_usd",
            "peak_cash_usd",
            "fill_rate",
            "order_qty",
        ],
        where={"run_id": rid},
    )
    comparison = (
        res.group_by("policy")
        .agg(
            pl.len().alias("skus"),
            pl.col("chosen").sum().alias("chosen"),
            pl.col("expected_profit_usd").sum(),
            pl.col("profit_p05_usd").sum(),
            pl.col("dead_stock_value_usd").sum(),
            pl.col("peak_cash_usd").sum(),
            pl.col("stockout_prob").mean().alias("mean_stockout_prob"),
            pl.col("fill_rate").mean().alias("mean_fill_rate"),
        )
        .with_columns(pl.col("chosen").cast(pl.Int64), pl.col("skus").cast(pl.Int64))
    )
    # the same SKUs under each family: those where every family applies (a fair comparison)
    n_fam = res["policy"].n_unique()
    common = res.group_by("sku_id").agg(pl.len().alias("n")).filter(pl.col("n") == n_fam)["sku_id"]
    chosen = res.filter(pl.col("chosen")).select(
        pl.lit("chosen").alias("policy"),
        pl.col("expected_profit_usd").sum(),
        pl.col("dead_stock_value_usd").sum(),
        pl.col("peak_cash_usd").sum(),
        pl.col("stockout_prob").mean().alias("mean_stockout_prob"),
    )
    order = {p: i for i, p in enumerate(POLICIES)}
    comparison = (
        comparison.with_columns(
            pl.col("policy").replace_strict(order, default=99, return_dtype=pl.Int64).alias("_o")
        )
        .sort("_o")
        .drop("_o")
    )
    return {
        "run": run_public(run),
        "params": run["params"],
        "summary": run["summary"],
        "actions": acts,
        "comparison": comparison,
        "chosen_total": chosen.row(0, named=True) if chosen.height else {},
        "common_skus": common.len(),
    }


def purchase_order_spend(actions: pl.DataFrame) -> pl.DataFrame:
    """(date, amount_usd) cash paid for today's purchase orders, by order date."""
    if actions.height == 0 or "total_cost_usd" not in actions.columns:
        return pl.DataFrame(schema={"date": pl.Date, "amount_usd": pl.Float64})
    return (
        actions.filter(pl.col("kind") == "purchase_order")
        .group_by(pl.col("order_date").alias("date"))
        .agg(pl.col("total_cost_usd").sum().alias("amount_usd"))
        .sort("date")
    )


def export_purchase_orders_csv(store: Store, path: Any) -> dict[str, Any]:
    """Write the latest plan run's purchase orders as the supplier CSV (the plan module's
    exporter, so the web download and ``quickturn plan export`` are the same file)."""
    if not has(store, "plan_actions") or latest_run(store, "plan") is None:
        raise NotFound("no plan run in this database yet: run `quickturn plan` first")
    result: dict[str, Any] = export_purchase_orders(store, path)
    return result


# ---------------------------------------------------------------------------------------------
# inventory projection of one SKU (the plan's simulator replayed)

#: scenarios and quantiles of the projection bands
PROJECTION_SCENARIOS = 100
BAND_QUANTILES = (0.1, 0.5, 0.9)


def plan_simulator_available() -> bool:
    """True: the plan module is part of every build (the projection replays its simulator).
    Kept for the SKU page's template flag."""
    return True


def _projection_settings(store: Store, settings: Settings | None, scenarios: int) -> Any:
    """The plan settings of the latest plan run (seed, horizon), with ``scenarios`` paths."""
    from quickturn.core.plan.settings import plan_settings

    run = latest_run(store, "plan")
    run_params = run["params"] if run and isinstance(run["params"], dict) else {}
    section = dict(settings.section("plan")) if settings is not None else {}
    return plan_settings(
        section,
        scenarios=scenarios,
        search_scenarios=min(scenarios, int(section.get("search_scenarios") or scenarios)),
        seed=run_params.get("seed"),
        horizon_days=run_params.get("horizon_days"),
    )


def projection_scenarios(
    store: Store,
    *,
    today: date,
    settings: Settings | None = None,
    scenarios: int = PROJECTION_SCENARIOS,
) -> SamplePaths | None:
    """The whole shop's demand scenarios for the inventory projection, computed once.

    Sense always learns from every SKU of the shop, so one SKU's scenarios cost as much as
    all of them; the web computes them once per database change (in its background warmer)
    and :func:`inventory_projection` slices its SKU's row.  Stored as float32 (whole units of
    demand are exact in float32) to halve the memory.  ``None`` when there is no plan run.
    """
    if not has(store, "plan_sku_results") or latest_run(store, "plan") is None:
        return None
    from quickturn.services import sense as sense_service

    ps = _projection_settings(store, settings, scenarios)
    out = sense_service.demand_scenarios(
        store, today=today, h=ps.horizon_days, n_paths=ps.scenarios, seed=ps.seed
    )
    return SamplePaths(out.paths.astype(np.float32), out.sku_ids, out.start, out.phase)


def inventory_projection(
    store: Store,
    sku_id: str,
    *,
    today: date,
    settings: Settings | None = None,
    scenarios: int = PROJECTION_SCENARIOS,
    paths: SamplePaths | None = None,
) -> dict[str, Any]:
    """Units on hand per day under each policy family for one SKU: the 10th, 50th and 90th
    percentile and the mean over demand scenarios, for the chosen policy and the alternatives.

    How: the plan's own inputs for this SKU are assembled as the plan does (sense demand
    scenarios, stock, lots in transit, routes with lead times fitted to past shipments, FX;
    unit economics from the ledger journal by the plan's own function), every family is
    optimised with the plan's engine, and the plan's simulator is replayed once with one
    demand scenario per row (no cash budget), returning its daily trace of units on hand
    (``simulate(..., trace=True)``).
    """
    if not has(store, "plan_sku_results") or latest_run(store, "plan") is None:
        raise NotFound("no plan run in this database yet: run `quickturn plan` first")
    from quickturn.core.plan import simulate as sim
    from quickturn.services import sense as sense_service
    from quickturn.services.plan_inputs import assemble_plan_inputs

    if store.table("skus", columns=["sku_id"], where={"sku_id": sku_id}).height == 0:
        raise NotFound(f"unknown SKU {sku_id!r}")
    ps = _projection_settings(store, settings, scenarios)
    h = ps.horizon_days
    if (
        paths is not None
        and sku_id in paths.sku_ids
        and paths.paths.shape[1:]
        == (
            ps.scenarios,
            h,
        )
    ):
        # the shop's scenarios computed once (:func:`projection_scenarios`): a SKU's paths do
        # not depend on which SKUs were asked for, so its row is exactly what sense gives it
        i = paths.sku_ids.index(sku_id)
        paths = SamplePaths(paths.paths[i : i + 1], [sku_id], paths.start, [paths.phase[i]])
    else:
        paths = sense_service.demand_scenarios(
            store, today=today, h=h, n_paths=ps.scenarios, seed=ps.seed, sku_ids=[sku_id]
        )
    economics = unit_economics_from_journal(store, [sku_id], today=today, days=ps.economics_days)
    # the plan's own assembly (services.plan_inputs, as services.plan.prepare calls it): lead
    # times fitted to past shipments, stock, lots in transit, FX, landed-cost parts with the
    # ledger's tariffs; the page replays the plan's inputs, not the routes table's nominal days
    assembled = assemble_plan_inputs(
        store,
        today=today,
        settings=ps,
        skus=store.table("skus", where={"sku_id": sku_id}),
        demand=np.asarray(paths.paths, dtype=np.float64),
        demand_sku_ids=list(paths.sku_ids),
        phase=list(paths.phase),
        economics=economics if economics.height else None,
        app_settings=settings,
        only_skus=[sku_id],
    )
    inputs, context, findings = assembled.inputs, assembled.context, assembled.findings
    if inputs.n_skus == 0:
        why = "; ".join(f.message for f in findings) or "it is not planned"
        return {"start": today, "days": h, "scenarios": 0, "policies": [], "note": why}
    blocked = {}
    try:
        from quickturn.services import comply as comply_service

        blocked = comply_service.blocked_skus(store, today=today, settings=settings)
    except Exception:  # compliance gating is optional here, as in the plan
        blocked = {}
    prepared = Prepared(inputs, context, findings, blocked, {})
    outcome = plan_outcome(prepared, ps)
    fams = list(outcome.families)
    fam_params = np.asarray(outcome.family_params[0], dtype=np.float64)  # (F, N_PARAMS)
    active = fam_params[:, sim.P_ACTIVE] > 0.5
    chosen_name = outcome.chosen_family(0)
    # one scenario per row: (m, 1, h); independent random streams per row
    m = inputs.n_scenarios
    eco = np.repeat(inputs.economics, m, axis=0)
    eco[:, sim.E_CASH] = np.inf
    rows = sim.PlanInputs(
        demand=np.ascontiguousarray(inputs.demand[0][:, None, :]),
        economics=eco,
        routes=np.repeat(inputs.routes, m, axis=0),
        pipeline_qty=np.repeat(inputs.pipeline_qty, m, axis=0),
        pipeline_eta=np.repeat(inputs.pipeline_eta, m, axis=0),
        pipeline_sd=np.repeat(inputs.pipeline_sd, m, axis=0),
        sku_key=np.array(
            [(int(inputs.sku_key[0]) * 1_000_003 + s) % (2**62) for s in range(m)], dtype=np.int64
        ),
        sku_ids=tuple(f"{sku_id}#{s}" for s in range(m)),
        forecast=np.repeat(inputs.mean_forecast(), m, axis=0),
    )
    params = np.repeat(fam_params[None, :, :], m, axis=0)
    # one run with the simulator's daily trace: units on hand at the end of each day
    trace = sim.simulate(rows, params, sim_config(ps), trace=True).on_hand
    assert trace is not None  # (m, F, 1, h)
    on_hand = np.maximum(np.nan_to_num(trace[:, :, 0, :]).transpose(2, 0, 1), 0.0)  # (h, m, F)
    bands = []
    for k, name in enumerate(fams):
        if not active[k]:
            continue
        q = np.quantile(on_hand[:, :, k], BAND_QUANTILES, axis=1)  # (3, h)
        bands.append(
            {
                "policy": name,
                "chosen": name == chosen_name,
                "p10": [round(float(v), 2) for v in q[0]],
                "p50": [round(float(v), 2) for v in q[1]],
                "p90": [round(float(v), 2) for v in q[2]],
                "mean": [round(float(v), 2) for v in on_hand[:, :, k].mean(axis=1)],
            }
        )
    bands.sort(key=lambda b: (not b["chosen"], POLICIES.index(b["policy"])))
    return {"start": today, "days": h, "scenarios": m, "policies": bands, "note": None}
