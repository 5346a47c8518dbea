"""The simulator against closed forms, and its invariants (units, non-negative stock, CRN)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quickturn.core.plan.formulas import base_stock_level, newsvendor_poisson
from quickturn.core.plan.simulate import (
    M_DEAD_UNITS,
    M_END_UNITS,
    M_HOLDING,
    M_LOST,
    M_MIN_ON_HAND,
    M_ORDERED,
    M_PEAK_CASH,
    M_POD_UNITS,
    M_PROFIT,
    M_SOLD,
    M_TERMINAL,
    M_TRANSFERRED,
    SimConfig,
    build_inputs,
    make_params,
    sample_lead_times,
    simulate,
)


def _base_stock_cost_per_day(
    demand: np.ndarray, level: float, lead: int, h: float, p: float, warmup: int
) -> tuple[float, float]:
    """Mean cost per day after ``warmup`` days and its Monte Carlo standard error.

    Two runs on the same paths (common random numbers) differ only in their last days, so
    the start-up days (no pipeline yet) cancel exactly.
    """

    def run(days: int) -> np.ndarray:
        inputs = build_inputs(
            demand[:, :, :days],
            fast={"lead_time_mean": lead},
            storage_cost_per_day=h,
            stockout_penalty=p,
            on_hand=level,
        )
        params = make_params(1, 1, active=1, fast_base_units=level, fast_review_days=1)
        res = simulate(inputs, params, SimConfig(backorders=True, terminal_cover_days=0))
        return res.profit[0, 0]

    total = demand.shape[2]
    per_scenario = -(run(total) - run(warmup)) / (total - warmup)
    return float(per_scenario.mean()), float(per_scenario.std(ddof=1) / np.sqrt(per_scenario.size))


def test_simulated_base_stock_cost_matches_snyder_shen_example_4_4() -> None:
    rng = np.random.default_rng(7)
    demand = np.maximum(rng.normal(50, 8, size=(1, 800, 450)), 0.0)
    for level in (base_stock_level(0.18, 0.70, 50, 8, lead_time=4).base_stock_level, 180.0):
        expected = base_stock_level(0.18, 0.70, 50, 8, lead_time=4, base_stock_level=level).cost
        mean, se = _base_stock_cost_per_day(demand, level, 4, 0.18, 0.70, warmup=50)
        assert abs(mean - expected) < 4 * se, (level, mean, expected, se)
        assert se < 0.02 * expected


def test_simulated_newsvendor_poisson_matches_example_4_7() -> None:
    rng = np.random.default_rng(3)
    demand = rng.poisson(6, size=(1, 800, 400)).astype(float)
    expected = newsvendor_poisson(1, 4, 6).cost
    mean, se = _base_stock_cost_per_day(demand, 8, 0, 1.0, 4.0, warmup=20)
    assert abs(mean - expected) < 4 * se
    # with no lead time lost sales and backorders coincide
    inputs = build_inputs(
        demand, fast={"lead_time_mean": 0}, storage_cost_per_day=1, stockout_penalty=4, on_hand=8
    )
    params = make_params(1, 1, active=1, fast_base_units=8, fast_review_days=1)
    lost = simulate(inputs, params, SimConfig(backorders=False, terminal_cover_days=0))
    per_day = -lost.profit[0, 0] / demand.shape[2]
    assert abs(per_day.mean() - expected) < 4 * per_day.std() / np.sqrt(per_day.size)


def test_lead_time_draws_have_the_route_mean_and_sd() -> None:
    draws = sample_lead_times(35.0, 6.0, 20.0, 20_000, seed=1)
    assert abs(draws.mean() - 35.0) < 0.25
    assert abs(draws.std() - 6.0) < 0.3
    assert draws.min() >= 20
    assert (sample_lead_times(12.0, 0.0, 0.0, 5) == 12).all()
    assert (sample_lead_times(35.0, 6.0, 0.0, 5, dist="fixed") == 35).all()
    gamma = sample_lead_times(35.0, 6.0, 0.0, 20_000, seed=1, dist="gamma")
    assert abs(gamma.mean() - 35.0) < 0.25 and abs(gamma.std() - 6.0) < 0.3
    # empirical: the quantile function of past shipments, interpolated
    quant = np.array([20, 22, 23, 24, 25, 26, 28, 30, 33, 37, 45], dtype=float)
    emp = sample_lead_times(0.0, 0.0, 0.0, 20_000, seed=1, dist="empirical", quantiles=quant)
    assert emp.min() >= 20 and emp.max() <= 45
    assert abs(np.median(emp) - 26) <= 1
    assert abs((emp <= 30).mean() - 0.7) < 0.03


def _instance(seed: int, n: int = 3, m: int = 20, h: int = 40, **kw: object):
    rng = np.random.default_rng(seed)
    lam = rng.gamma(1.5, 4.0, size=(n, 1, 1))
    demand = rng.poisson(lam * np.linspace(2.0, 0.2, h), size=(n, m, h)).astype(float)
    econ = dict(
        price=20.0,
        variable_cost=5.0,
        unit_cost=4.0,
        landed_cost=5.5,
        storage_cost_per_day=0.02,
        capital_cost_per_day=0.003,
        salvage_value=0.5,
        stockout_penalty=1.0,
        on_hand=rng.integers(0, 60, n).astype(float),
        deposit_rate=0.3,
        settlement_days=7,
        pod_eligible=1.0,
        pod_unit_cost=8.0,
        pod_conversion=0.9,
    )
    econ.update(kw)
    return build_inputs(
        demand,
        slow={
            "lead_time_mean": 20,
            "lead_time_sd": 4,
            "production_days": 8,
            "freight_per_unit": 0.4,
        },
        fast={
            "lead_time_mean": 6,
            "lead_time_sd": 1.5,
            "production_days": 3,
            "freight_per_unit": 1.8,
            "min_charge": 30,
        },
        pipeline=[(40.0, 5.0, 2.0), (25.0, 15.0, 3.0)],
        **econ,
    )


policy_params = st.fixed_dictionaries(
    {
        "first_order_qty": st.floats(0, 500),
        "first_order_route": st.integers(0, 1),
        "fast_cover_multiplier": st.floats(0, 4),
        "fast_review_days": st.integers(1, 14),
        "fast_base_units": st.floats(0, 100),
        "slow_base_share": st.floats(0, 1.5),
        "slow_review_days": st.integers(1, 30),
        "scale_gate": st.floats(0, 1),
        "decay_stop": st.floats(0, 0.8),
        "pod_overflow": st.integers(0, 1),
    }
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    params=policy_params,
    seed=st.integers(0, 10_000),
    moq=st.sampled_from([0.0, 24.0, 100.0]),
    case_pack=st.sampled_from([0.0, 1.0, 12.0]),
    capacity=st.sampled_from([np.inf, 150.0]),
    cash=st.sampled_from([np.inf, 800.0]),
    backorders=st.booleans(),
)
def test_units_are_conserved_and_stock_never_negative(
    params: dict[str, float],
    seed: int,
    moq: float,
    case_pack: float,
    capacity: float,
    cash: float,
    backorders: bool,
) -> None:
    inputs = _instance(seed, moq=moq, case_pack=case_pack, capacity_units=capacity, cash_limit=cash)
    p = make_params(inputs.n_skus, 1, active=1, **params)
    res = simulate(inputs, p, SimConfig(seed=seed, backorders=backorders))
    mt = res.metrics[:, 0]
    initial = inputs.initial_units()
    from_stock = mt[:, M_SOLD] - mt[:, M_POD_UNITS]
    np.testing.assert_allclose(
        initial + mt[:, M_ORDERED], from_stock + mt[:, M_END_UNITS], rtol=1e-9, atol=1e-6
    )
    assert (mt[:, M_MIN_ON_HAND] >= -1e-9).all()
    assert (mt[:, M_LOST] >= 0).all()
    if case_pack > 0:
        # every order is a whole number of cases: so is the expected total over scenarios × m
        totals = mt[:, M_ORDERED] * inputs.n_scenarios / case_pack
        np.testing.assert_allclose(totals, np.round(totals), atol=1e-6)


def test_common_random_numbers_candidates_do_not_affect_each_other() -> None:
    inputs = _instance(11)
    grid = make_params(inputs.n_skus, 4, active=1, fast_cover_multiplier=[0.5, 1.0, 2.0, 3.0])
    res = simulate(inputs, grid, SimConfig(seed=5))
    alone = simulate(inputs, grid[:, 2:3], SimConfig(seed=5))
    np.testing.assert_array_equal(res.profit[:, 2], alone.profit[:, 0])
    again = simulate(inputs, grid[:, ::-1], SimConfig(seed=5))
    np.testing.assert_array_equal(res.profit[:, ::-1], again.profit)
    other_seed = simulate(inputs, grid, SimConfig(seed=6))
    assert not np.array_equal(res.profit, other_seed.profit)


def test_inactive_candidates_are_nan_and_threads_agree() -> None:
    inputs = _instance(2, n=5)
    grid = make_params(inputs.n_skus, 2, active=[1, 0], fast_cover_multiplier=1.5)
    one = simulate(inputs, grid, SimConfig(threads=1))
    two = simulate(inputs, grid, SimConfig(threads=2))
    np.testing.assert_array_equal(one.profit[:, 0], two.profit[:, 0])
    assert np.isnan(one.metrics[:, 1]).all()


@pytest.mark.parametrize("backorders", [False, True])
def test_capacity_and_moq_are_respected(backorders: bool) -> None:
    inputs = _instance(4, moq=50.0, case_pack=10.0, capacity_units=120.0, on_hand=0.0)
    p = make_params(inputs.n_skus, 1, active=1, fast_cover_multiplier=5.0, fast_review_days=1)
    res = simulate(inputs, p, SimConfig(backorders=backorders))
    # never more than capacity on hand + in transit: ordered ≤ sold + capacity over the run
    mt = res.metrics[:, 0]
    assert (mt[:, M_END_UNITS] <= 120.0 + 65.0 + 1e-9).all()
    first = res.day0_qty[:, 0].sum(axis=1)
    assert ((first == 0) | ((first >= 50) & (first % 10 == 0))).all()


def _leftover_run(daily: np.ndarray, cover: float, on_hand: float = 600.0):
    demand = np.broadcast_to(daily, (1, 4, daily.size)).copy()
    inputs = build_inputs(
        demand,
        landed_cost=5.0,
        salvage_value=0.5,
        storage_cost_per_day=0.01,
        capital_cost_per_day=0.002,
        on_hand=on_hand,
    )
    params = make_params(1, 1, active=1)  # no orders: stock on hand only
    return simulate(inputs, params, SimConfig(terminal_cover_days=cover)).metrics[0, 0]


def test_leftover_of_a_steady_sku_sells_on_after_the_horizon() -> None:
    """Flat demand of 3 a day: 420 units left after 60 days sell in 140 more days — not
    dead; they are valued at landed cost less storage and capital while they sell down."""
    flat = np.full(60, 3.0)
    on = _leftover_run(flat, 365.0)
    off = _leftover_run(flat, 0.0)
    assert on[M_DEAD_UNITS] == pytest.approx(0.0)
    assert off[M_DEAD_UNITS] == pytest.approx(420.0)
    later_holding = (0.01 + 0.002) * 420 * 0.5 * 140
    assert on[M_HOLDING] - off[M_HOLDING] == pytest.approx(later_holding)
    assert on[M_TERMINAL] == pytest.approx(420 * 5.0)
    short = _leftover_run(flat, 100.0)  # only 300 of them sell within 100 days
    assert short[M_DEAD_UNITS] == pytest.approx(120.0)


def test_leftover_of_a_fading_sku_is_dead_stock() -> None:
    """Demand fading 5% a day: after the horizon the final rate keeps fading at the
    forecast's trend, so most of the leftover is dead."""
    q = 0.95
    fading = 10.0 * q ** np.arange(60)
    m = _leftover_run(fading, 365.0)
    left = 600.0 - fading.sum()
    rate_end = fading[-14:].mean()
    later = rate_end * q * (1 - q**365) / (1 - q)
    assert m[M_DEAD_UNITS] == pytest.approx(left - later, rel=1e-9)
    assert m[M_DEAD_UNITS] > 0.9 * left


def test_cash_limit_caps_the_cash_tied_up() -> None:
    """Orders stop while deposits, balances, freight and duty booked, less sales settled,
    would exceed the cash limit (no fixed freight or holding cost here, so the cap is exact)."""
    rng = np.random.default_rng(9)
    demand = rng.poisson(8.0, size=(2, 50, 90)).astype(float)

    def run(limit: float):
        inputs = build_inputs(
            demand,
            slow={"lead_time_mean": 30, "lead_time_sd": 4, "production_days": 10},
            price=20.0,
            unit_cost=6.0,
            landed_cost=6.0,
            duty_rate=0.1,
            deposit_rate=0.3,
            settlement_days=10,
            cash_limit=limit,
        )
        params = make_params(2, 1, active=1, slow_base_share=2.0, slow_review_days=7)
        return simulate(inputs, params, SimConfig(seed=2)).metrics[:, 0]

    free = run(np.inf)
    capped = run(1500.0)
    assert (free[:, M_PEAK_CASH] > 2000.0).all()  # the limit binds
    assert (capped[:, M_PEAK_CASH] <= 1500.0 + 1e-6).all()
    assert (capped[:, M_ORDERED] < free[:, M_ORDERED]).all()


def _transfer_run(origin: float, moq: float = 0.0):
    """Flat demand of 5 a day, nothing in the US; a fixed 30-day sea route of which 12 days
    are production, ordered once on day 0 (first order of 150 units), 40-day horizon."""
    demand = np.full((1, 8, 40), 5.0)
    inputs = build_inputs(
        demand,
        slow={"lead_time_mean": 30, "production_days": 12, "freight_per_unit": 1.0},
        price=20.0,
        unit_cost=4.0,
        landed_cost=5.0,
        duty_rate=0.1,
        moq=moq,
        origin_stock=origin,
    )
    params = make_params(1, 1, active=1, first_order_qty=150.0, first_order_route=0)
    return simulate(inputs, params, SimConfig(seed=1, terminal_cover_days=0))


def test_origin_stock_ships_first_as_a_transfer_without_production_or_goods_cost() -> None:
    none = _transfer_run(0.0)
    some = _transfer_run(100.0, moq=80.0)
    plenty = _transfer_run(1000.0, moq=500.0)
    # all from the Chinese warehouse: no purchase order, arrives 12 days sooner
    mt = plenty.metrics[0, 0]
    assert plenty.day0_qty[0, 0].tolist() == [0.0, 0.0, 150.0, 0.0]
    assert plenty.day0_eta[0, 0, 2] == 18.0 and none.day0_eta[0, 0, 0] == 30.0
    assert mt[M_ORDERED] == 0.0 and mt[M_TRANSFERRED] == 150.0
    # sales start on day 18 rather than day 30: 60 more units sold
    assert mt[M_SOLD] - none.metrics[0, 0, M_SOLD] == pytest.approx(60.0)
    # part from origin; the rest is a new order (still bound by the MOQ of 80)
    assert some.day0_qty[0, 0].tolist() == [80.0, 0.0, 100.0, 0.0]
    assert some.metrics[0, 0, M_TRANSFERRED] == 100.0
    # units are conserved: US stock + orders + transfers = sold + left in the US
    for res in (none, some, plenty):
        m = res.metrics[0, 0]
        assert m[M_ORDERED] + m[M_TRANSFERRED] == pytest.approx(m[M_SOLD] + m[M_END_UNITS])
    # profit: a transfer uses up origin stock at its unit cost (what a new order would pay
    # for the goods), same freight and duty; unused origin stock keeps its unit cost. So
    # the only difference is the 60 extra sales (the leftover has no salvage value here).
    assert mt[M_PROFIT] - none.metrics[0, 0, M_PROFIT] == pytest.approx(60 * 20.0, rel=1e-9)
    assert some.metrics[0, 0, M_PROFIT] < mt[M_PROFIT]  # 80 more units bought, arriving later


def test_daily_trace_is_the_stock_on_hand_of_every_day() -> None:
    """``trace=True``: units on hand at the end of each day.  Checked against what the web's
    projection used to compute (horizons 1…h with storage 1/unit/day, no capital cost: the
    holding cost of day t+1 minus that of day t is the stock at the end of day t); tracing
    changes no metric and stock is never negative."""
    import dataclasses

    inputs = _instance(5, n=2, m=6, h=25, storage_cost_per_day=1.0, capital_cost_per_day=0.0)
    grid = make_params(inputs.n_skus, 2, active=1, fast_cover_multiplier=[1.0, 2.5])
    config = SimConfig(seed=5, terminal_cover_days=0.0)
    full = simulate(inputs, grid, config, trace=True)
    assert full.on_hand is not None and full.on_hand.shape == (2, 2, 6, 25)
    assert simulate(inputs, grid, config).on_hand is None
    np.testing.assert_allclose(full.metrics, simulate(inputs, grid, config).metrics)
    # per scenario: one scenario per row, as the projection runs it
    n, m, h = inputs.demand.shape
    for i in range(n):
        rows = dataclasses.replace(
            inputs,
            demand=np.ascontiguousarray(inputs.demand[i][:, None, :]),
            economics=np.repeat(inputs.economics[i : i + 1], m, axis=0),
            routes=np.repeat(inputs.routes[i : i + 1], m, axis=0),
            pipeline_qty=np.repeat(inputs.pipeline_qty[i : i + 1], m, axis=0),
            pipeline_eta=np.repeat(inputs.pipeline_eta[i : i + 1], m, axis=0),
            pipeline_sd=np.repeat(inputs.pipeline_sd[i : i + 1], m, axis=0),
            sku_key=np.array([int(inputs.sku_key[i]) * 7 + s for s in range(m)], dtype=np.int64),
            sku_ids=tuple(f"r{s}" for s in range(m)),
            forecast=np.repeat(inputs.mean_forecast()[i : i + 1], m, axis=0),
        )
        params = np.repeat(grid[i : i + 1], m, axis=0)
        traced = simulate(rows, params, config, trace=True).on_hand
        assert traced is not None
        cumulative = np.zeros((h + 1, m, 2))
        for t in range(1, h + 1):
            part = dataclasses.replace(rows, demand=np.ascontiguousarray(rows.demand[:, :, :t]))
            cumulative[t] = simulate(part, params, config).metrics[:, :, M_HOLDING]
        by_differences = np.diff(cumulative, axis=0)  # (h, m, c)
        np.testing.assert_allclose(traced[:, :, 0, :].transpose(2, 0, 1), by_differences, atol=1e-9)
    assert (full.on_hand >= -1e-9).all()
