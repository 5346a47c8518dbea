"""plan: the plan use case: load → evaluate → report (and the demo's plan step)."""

from __future__ import annotations

import math
from datetime import date
from typing import Any

from quickturn.config import Settings
from quickturn.core.plan.settings import plan_settings
from quickturn.core.plan.simulate import (
    M_DEMAND,
)
from quickturn.errors import UsageError
from quickturn.services.plan.evaluate import plan_outcome
from quickturn.services.plan.load import prepare
from quickturn.services.plan.persist import persist_report
from quickturn.services.plan.report import PlanReport, Progress, action_rows, sku_result_rows
from quickturn.store import Store


def run(
    store: Store,
    *,
    today: date,
    app_settings: Settings | None = None,
    sku: str | None = None,
    policy: str = "auto",
    budget: float | None = None,
    scenarios: int | None = None,
    seed: int | None = None,
    horizon_days: int | None = None,
    persist: bool = True,
    progress: Progress | None = None,
    options: dict[str, Any] | None = None,
    cluster: Any = None,
) -> PlanReport:
    """Plan every active SKU (or ``sku``) and, with ``persist``, store the run.

    ``cluster`` (an address ``tcp://host:8786``, a ``distributed.Client``; default
    ``QUICKTURN_DASK_SCHEDULER``): the sense fit, both passes over the chunks and their
    simulations run on the cluster; the store is read and the decision taken here."""
    from quickturn.services.cluster import session

    if policy != "auto" and policy not in ("heavy", "qr", "dual", "pod", "hybrid"):
        raise UsageError(
            f"--policy {policy!r} is not a policy; use auto, heavy, qr, dual, pod or hybrid"
        )
    if budget is not None and (not math.isfinite(budget) or budget < 0):
        raise UsageError(f"--budget must be a non-negative amount in USD, got {budget}")
    section = dict(app_settings.section("plan")) if app_settings else {}
    section.update(options or {})
    settings = plan_settings(section, scenarios=scenarios, seed=seed, horizon_days=horizon_days)
    with session(cluster) as client:
        prepared = prepare(
            store,
            today=today,
            settings=settings,
            sku_ids=[sku] if sku else None,
            app_settings=app_settings,
            progress=progress,
            stream=True,
            cluster=client,
        )
        outcome = plan_outcome(
            prepared, settings, policy=policy, budget=budget, progress=progress, cluster=client
        )
    rows = sku_result_rows(outcome, prepared.context)
    actions = action_rows(outcome, prepared.context, today)
    report = PlanReport(
        run_id=None,
        today=today,
        settings=settings,
        outcome=outcome,
        context=prepared.context,
        findings=prepared.findings,
        actions=actions,
        sku_rows=rows,
        blocked=prepared.blocked,
        sources=prepared.sources,
    )
    if persist:
        report.run_id = persist_report(
            store, report, params={"sku": sku, "policy": policy, "budget": budget}
        )
    return report


def demo_step(ctx: Any) -> dict[str, Any]:
    """Plan the demo shop: today's purchase orders, portfolio risk, heavy vs quick response on
    the hottest SKU."""
    report = run(
        ctx.store,
        today=ctx.today,
        app_settings=ctx.settings,
        # the ledger step ran first and persisted its journal: the plan reads unit economics
        # from it (ledger_journal_economics, well under a second)
        options={"scenarios": 200, "search_scenarios": 100, "seed": ctx.seed},
        progress=None,
    )
    out, c = report.outcome, report.context
    hottest = _hottest(report)
    section: dict[str, Any] = {
        "run_id": report.run_id,
        "db": getattr(ctx.settings, "db", None),
        "scenarios": report.settings.scenarios,
        "sources": report.sources,
        "skus_planned": out.n_skus,
        "portfolio": report.portfolio(),
        "chosen_policies": {f: int((out.chosen == k).sum()) for k, f in enumerate(out.families)},
        "no_order_needed": sum(
            1
            for r in report.chosen_rows()
            if (r["order_qty"] or 0.0) <= 0
            and (r.get("transfer_qty") or 0.0) <= 0
            and r["policy"] not in ("pod", "hybrid")
        ),
        "transfers": [
            {k: v for k, v in a.items() if not k.startswith("_")}
            for a in report.actions
            if a["kind"] == "transfer"
        ][:8],
        "transfer_count": sum(1 for a in report.actions if a["kind"] == "transfer"),
        "purchase_orders": [
            {k: v for k, v in a.items() if not k.startswith("_")}
            for a in sorted(
                (a for a in report.actions if a["kind"] == "purchase_order"),
                key=lambda a: -(a["total_cost_usd"] or 0.0),
            )[:8]
        ],
        "purchase_order_count": sum(1 for a in report.actions if a["kind"] == "purchase_order"),
        "todays_spend_usd": float(out.day0_cost.sum()),
        "gated": sorted(s for s in report.blocked if s in set(out.sku_ids)),
        "hottest": None,
    }
    if hottest is not None:
        i = c.row(hottest)
        rows = {r["policy"]: r for r in report.sku_rows if r["sku_id"] == hottest}
        section["hottest"] = {
            "sku_id": hottest,
            "title": c.title[i],
            "phase": c.phase[i],
            "chosen": out.chosen_family(i),
            "heavy": {k: v for k, v in rows.get("heavy", {}).items() if not k.startswith("_")},
            "qr": {k: v for k, v in rows.get("qr", {}).items() if not k.startswith("_")},
        }
    return section


def _hottest(report: PlanReport) -> str | None:
    """The demo's hottest SKU: highest expected demand over the horizon among SKUs where both
    heavy pre-stock and quick response apply, preferring those taking off (sense phase
    testing, rising or peaking) and those where the two plans order something — a SKU whose
    stock already covers the horizon shows no difference between them."""
    out = report.outcome
    rows = {(r["sku_id"], r["policy"]): r for r in report.sku_rows}
    best, best_key = None, (-1, -1, -1.0)
    for i, sid in enumerate(out.sku_ids):
        heavy, qr = rows.get((sid, "heavy")), rows.get((sid, "qr"))
        if heavy is None or qr is None:
            continue
        orders = (heavy["order_qty"] or 0.0) > 0 or (qr["order_qty"] or 0.0) > 0
        hot = report.context.phase[i] in ("testing", "rising", "peaking")
        key = (int(orders), int(hot), float(out.metrics[i, M_DEMAND]))
        if key > best_key:
            best, best_key = sid, key
    return best
