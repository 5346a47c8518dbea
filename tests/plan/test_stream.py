"""The streaming plan: scenarios drawn, simulated and reduced chunk by chunk give exactly
the plan of one chunk holding every SKU (same seed), also when the sense model's own fit
chunks are cut into parts (a part's state is cut out of its fit chunk)."""

from __future__ import annotations

import pickle
from datetime import date

import numpy as np
import pytest

from quickturn.core.sense.lifecycle import Lifecycle
from quickturn.services import plan, sense
from quickturn.store import Store

OPTIONS = {"scenarios": 40, "search_scenarios": 20, "horizon_days": 30, "seed": 3}


def _plan(store: Store, today: date, chunk: int, budget: float | None) -> plan.PlanReport:
    return plan.run(
        store,
        today=today,
        options={**OPTIONS, "chunk_skus": chunk},
        budget=budget,
        persist=False,
    )


@pytest.mark.parametrize("fit_chunk", [2048, 16])
@pytest.mark.parametrize("budget", [None, 2500.0])
def test_streamed_plan_equals_one_chunk_exactly(
    shop: Store,
    demo_today: date,
    monkeypatch: pytest.MonkeyPatch,
    fit_chunk: int,
    budget: float | None,
) -> None:
    monkeypatch.setattr(Lifecycle, "chunk_size", fit_chunk)
    whole = _plan(shop, demo_today, 10**9, budget)
    streamed = _plan(shop, demo_today, 7, budget)
    assert whole.outcome.n_skus > 7
    # decisions, quantities and money figures: bit-for-bit equal, not just close
    assert streamed.sku_rows == whole.sku_rows
    assert streamed.actions == whole.actions
    assert streamed.portfolio() == whole.portfolio()
    assert np.array_equal(streamed.outcome.portfolio_profit(), whole.outcome.portfolio_profit())
    assert np.array_equal(streamed.outcome.profit, whole.outcome.profit)
    assert streamed.context.phase == whole.context.phase
    if budget is not None:
        assert streamed.outcome.budget_spent == whole.outcome.budget_spent


def test_scenario_parts_match_the_whole_panel(
    demo_store: Store, demo_today: date, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Any subset of SKUs, in any order, cut across fit chunks, draws the rows the whole
    panel draws; a part survives pickling (what a Dask worker receives)."""
    monkeypatch.setattr(Lifecycle, "chunk_size", 8)
    whole = sense.demand_scenarios(demo_store, today=demo_today, h=21, n_paths=30, seed=5)
    sm = sense.scenario_model(demo_store, today=demo_today, h=21, n_paths=30, seed=5)
    ids = list(whole.sku_ids)
    pick = [ids[i] for i in (13, 2, 7, 30, 8, 9, 31)]
    part = pickle.loads(pickle.dumps(sm.part(pick)))
    from quickturn.core.sense.stream import part_phases, sample_part

    rows = [ids.index(s) for s in pick]
    assert np.array_equal(sample_part(part), whole.paths[rows])
    assert part_phases(part) == [whole.phase[i] for i in rows]


def test_expected_demand_agrees_with_the_mean_of_the_paths(
    demo_store: Store, demo_today: date
) -> None:
    """Pass 1 of the plan takes each SKU's mean demand from the model's mean forecast (no
    paths drawn); it is the quantity the paths are drawn around: within Monte Carlo error
    of the paths' average for every SKU, and within 2% for the shop."""
    from quickturn.core.sense.stream import mean_part, sample_part, summarise_part

    n_paths = 2000
    sm = sense.scenario_model(demo_store, today=demo_today, h=28, n_paths=n_paths, seed=11)
    part = sm.part(list(sm.panel.sku_ids))
    paths = sample_part(part)
    expected = mean_part(part)
    per_path = paths.mean(axis=2)  # (n, n_paths): each path's mean day
    drawn = per_path.mean(axis=1)
    se = per_path.std(axis=1, ddof=1) / np.sqrt(n_paths)
    assert expected.shape == drawn.shape and (expected >= 0).all()
    assert drawn.sum() > 0
    off = np.abs(expected - drawn) > 5 * se + 1e-6
    assert not off.any(), [(i, expected[i], drawn[i], se[i]) for i in np.flatnonzero(off)]
    assert abs(expected.sum() / drawn.sum() - 1) < 0.02
    mean, _ = summarise_part(part)
    assert np.array_equal(mean, expected)


@pytest.mark.parametrize("policy", ["auto", "qr"])
def test_reduced_profits_give_the_decisions_of_the_full_ones(
    shop: Store, demo_today: date, policy: str
) -> None:
    """Without a budget the plan keeps only the portfolio's per-scenario profit (no SKU ×
    scenario × family array): every decision and figure equals the one :func:`decide` makes
    from every family's per-scenario profits, bit for bit."""
    from dataclasses import fields

    from quickturn.core.plan.engine import decide
    from quickturn.core.plan.settings import plan_settings

    settings = plan_settings({**OPTIONS, "chunk_skus": 7})
    prepared = plan.prepare(shop, today=demo_today, settings=settings, stream=True)
    evals = [plan.plan_chunk(c) for c in plan.iter_plan_chunks(prepared, settings)]
    assert evals[0].full.profit.shape[-1] == settings.scenarios
    full = decide(evals, plan.sim_config(settings), policy=policy)
    reduced = plan.plan_outcome(prepared, settings, policy=policy)
    assert reduced.profit.shape == (full.n_skus, 0)
    assert reduced.total_profit is not None and reduced.n_scenarios == settings.scenarios
    assert np.array_equal(reduced.total_profit, full.profit.sum(axis=0))
    for f in fields(full):
        if f.name in ("profit", "total_profit"):
            continue
        a, b = getattr(full, f.name), getattr(reduced, f.name)
        if isinstance(a, np.ndarray):
            assert np.array_equal(a, b, equal_nan=True), f.name
        else:
            assert a == b, f.name
    assert reduced.portfolio() == full.portfolio()
    ctx = prepared.context
    assert plan.sku_result_rows(reduced, ctx) == plan.sku_result_rows(full, ctx)
    assert plan.action_rows(reduced, ctx, demo_today) == plan.action_rows(full, ctx, demo_today)
