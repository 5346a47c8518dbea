"""Cash budget allocation: within budget, greedy by value per dollar, monotone in the budget."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from quickturn.core.plan.budget import allocate_budget
from quickturn.core.plan.engine import run_plan
from quickturn.core.plan.simulate import M_PROFIT, SimConfig, build_inputs

option_sets = st.integers(1, 6).flatmap(
    lambda n: st.tuples(
        arrays(np.float64, (n, 5), elements=st.floats(0, 1000, allow_nan=False)),
        arrays(np.float64, (n, 5), elements=st.floats(-500, 2000, allow_nan=False)),
    )
)


def _with_free_option(costs: np.ndarray) -> np.ndarray:
    costs = costs.copy()
    costs[:, 0] = 0.0  # every SKU may order nothing today
    return costs


@settings(max_examples=200, deadline=None)
@given(options=option_sets, budgets=st.lists(st.floats(0, 5000), min_size=2, max_size=5))
def test_more_budget_never_lowers_the_value_and_spending_stays_within(
    options: tuple[np.ndarray, np.ndarray], budgets: list[float]
) -> None:
    costs, values = options
    costs = _with_free_option(costs)
    rows = np.arange(costs.shape[0])
    previous = -np.inf
    for b in sorted(budgets):
        alloc = allocate_budget(costs, values, b)
        spent = costs[rows, alloc.choice].sum()
        assert spent <= b + 1e-6
        assert alloc.spent == np.float64(spent) or abs(alloc.spent - spent) < 1e-6
        total = values[rows, alloc.choice].sum()
        assert total >= previous - 1e-6
        previous = total
    unlimited = allocate_budget(costs, values, None)
    assert values[rows, unlimited.choice].sum() >= previous - 1e-6
    assert not unlimited.held_back.any()


def test_held_back_skus_are_the_ones_the_budget_cut() -> None:
    costs = np.array([[0.0, 100.0], [0.0, 100.0], [0.0, 50.0]])
    values = np.array([[0.0, 500.0], [0.0, 120.0], [0.0, 10.0]])
    alloc = allocate_budget(costs, values, 150.0)
    # best value per dollar first (SKU 0); SKU 1 no longer fits; SKU 2 does
    assert alloc.choice.tolist() == [1, 0, 1]
    assert alloc.held_back[1]
    assert alloc.spent <= 150.0


def test_more_budget_never_lowers_expected_profit_of_the_optimised_plan() -> None:
    rng = np.random.default_rng(5)
    n, m, h = 6, 60, 60
    lam = rng.gamma(2.0, 6.0, size=(n, 1, 1))
    demand = rng.poisson(lam, size=(n, m, h)).astype(float)
    inputs = build_inputs(
        demand,
        slow={"lead_time_mean": 25, "lead_time_sd": 4, "freight_per_unit": 0.4},
        fast={"lead_time_mean": 8, "lead_time_sd": 2, "freight_per_unit": 2.0},
        price=25.0,
        variable_cost=6.0,
        unit_cost=5.0,
        landed_cost=6.0,
        storage_cost_per_day=0.02,
        salvage_value=1.0,
        stockout_penalty=0.5,
        on_hand=20.0,
        moq=20.0,
        case_pack=10.0,
    )
    config = SimConfig(risk_lambda=0.0, seed=3)
    previous = -np.inf
    for budget in (0.0, 500.0, 1500.0, 4000.0, 1e9):
        out = run_plan(inputs, config, budget=budget)
        total = float(out.metrics[:, M_PROFIT].sum())
        assert out.day0_cost.sum() <= budget + 1e-6
        assert total >= previous - 1e-6, (budget, total, previous)
        previous = total
    free = run_plan(inputs, config)
    assert abs(float(free.metrics[:, M_PROFIT].sum()) - previous) < 1e-6
    assert not free.held_back.any()
