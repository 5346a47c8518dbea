"""``qt.plan``: Monte Carlo replenishment from Python.

    import quickturn as qt
    store = qt.open("quickturn-demo.duckdb")
    report = qt.plan.run(store, today=date(2026, 3, 2))        # plans and stores a run
    report.portfolio()["expected_profit_usd"]
    qt.plan.compare(store, sku="TOY-00003", today=...)        # all families, one SKU
    qt.plan.export(store, "pos.csv")                          # supplier CSV of the latest run

Plain arrays work too (no store): ``qt.plan.simulate``, ``qt.plan.run_plan`` and the textbook
formulas (``qt.plan.formulas.newsvendor_normal`` …).  Data flow: thin wrappers over
``services.plan`` and ``core.plan``.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from quickturn.core.plan import formulas
from quickturn.core.plan.engine import PlanOutcome, run_plan
from quickturn.core.plan.policies import all_families, family
from quickturn.core.plan.quick_response import two_stage_quick_response
from quickturn.core.plan.settings import PlanSettings, plan_settings
from quickturn.core.plan.simulate import (
    PlanInputs,
    SimConfig,
    SimResult,
    build_inputs,
    make_params,
    simulate,
)
from quickturn.services import plan as _svc
from quickturn.services.plan import PlanReport
from quickturn.store import Store


def run(
    store: Store,
    *,
    today: date | None = None,
    sku: str | None = None,
    policy: str = "auto",
    budget: float | None = None,
    scenarios: int | None = None,
    seed: int | None = None,
    persist: bool = True,
    cluster: Any = None,
    **options: Any,
) -> PlanReport:
    """Plan every active SKU (or ``sku``); ``options`` override ``PlanSettings`` fields.

    ``cluster``: a Dask scheduler address (``tcp://host:8786``) or a ``distributed.Client``;
    default ``QUICKTURN_DASK_SCHEDULER``, else everything runs in this process."""
    return _svc.run(
        store,
        today=today or _svc.default_as_of(store),
        sku=sku,
        policy=policy,
        budget=budget,
        scenarios=scenarios,
        seed=seed,
        persist=persist,
        options=options,
        cluster=cluster,
    )


def compare(store: Store, *, sku: str, today: date | None = None, **options: Any) -> dict[str, Any]:
    """Every policy family side by side for one SKU."""
    d = _svc.compare(store, today=today or _svc.default_as_of(store), sku=sku, options=options)
    d.pop("_report", None)
    return d


def explain(store: Store, *, sku: str, today: date | None = None, **options: Any) -> dict[str, Any]:
    """Why a SKU gets its plan (inputs, routes, risk, runner-up)."""
    return _svc.explain(store, today=today or _svc.default_as_of(store), sku=sku, options=options)


def export(store: Store, out: str | Path, *, run_id: str | None = None) -> dict[str, Any]:
    """Write the purchase orders of the latest (or given) run as a supplier CSV."""
    return _svc.export_purchase_orders(store, Path(out), run_id=run_id)


__all__ = [
    "PlanInputs",
    "PlanOutcome",
    "PlanReport",
    "PlanSettings",
    "SimConfig",
    "SimResult",
    "all_families",
    "build_inputs",
    "compare",
    "explain",
    "export",
    "family",
    "formulas",
    "make_params",
    "plan_settings",
    "run",
    "run_plan",
    "simulate",
    "two_stage_quick_response",
]
