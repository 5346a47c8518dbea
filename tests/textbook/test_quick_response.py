"""Two-stage quick response (Obermeyer-style instance) against the analytic bound √(1−ρ²).

published-results.md §1: with normal demand, an early signal correlated ρ with total demand
and an unconstrained second order at no premium, optimal two-stage cost ÷ single-order cost
= √(1−ρ²) exactly (ρ = 0.866 halves it); with a premium or capacity limits the ratio lies
between √(1−ρ²) and 1.  Instance: Sport Obermeyer style "Gail" (μ = 1017, committee SD 194,
actual SD ≈ 2 × 194), underage 24% and overage 8% of the wholesale price (§2).
"""

from __future__ import annotations

import math

import pytest

from quickturn.core.plan.quick_response import two_stage_quick_response

GAIL = {"demand_mean": 1017.0, "demand_sd": 2 * 194.0, "holding_cost": 0.08, "stockout_cost": 0.24}


@pytest.mark.parametrize("rho", [0.0, 0.3, 0.6, math.sqrt(3) / 2, 0.95])
def test_no_premium_no_capacity_ratio_is_sqrt_one_minus_rho_squared(rho: float) -> None:
    r = two_stage_quick_response(**GAIL, correlation=rho, scenarios=80_000, seed=1)
    bound = math.sqrt(1 - rho**2)
    assert r.analytic_lower_bound == pytest.approx(bound)
    tol = 4 * r.ratio_standard_error + 2e-3
    assert r.ratio >= bound - tol
    assert abs(r.ratio - bound) <= tol
    assert r.single_order_cost == pytest.approx(r.analytic_single_order_cost, rel=0.01)


@pytest.mark.parametrize(
    ("premium", "capacity"), [(0.02, math.inf), (0.06, math.inf), (0.0, 250.0), (0.03, 400.0)]
)
@pytest.mark.parametrize("rho", [0.5, 0.9])
def test_premium_or_capacity_puts_the_ratio_between_the_bound_and_one(
    rho: float, premium: float, capacity: float
) -> None:
    r = two_stage_quick_response(
        **GAIL, correlation=rho, premium=premium, capacity=capacity, scenarios=60_000, seed=2
    )
    tol = 4 * r.ratio_standard_error + 2e-3
    assert r.analytic_lower_bound - tol <= r.ratio <= 1 + tol
    free = two_stage_quick_response(**GAIL, correlation=rho, scenarios=60_000, seed=2)
    assert r.ratio >= free.ratio - tol  # constraints never help


@pytest.mark.parametrize("rho", [0.866, math.sqrt(3) / 2, 0.9, 0.95])
def test_strong_signal_at_least_halves_the_mismatch_cost(rho: float) -> None:
    r = two_stage_quick_response(**GAIL, correlation=rho, scenarios=80_000, seed=3)
    assert r.ratio <= 0.5 + 4 * r.ratio_standard_error + 1e-3
    if rho > 0.87:
        assert r.ratio < 0.5


def test_all_six_obermeyer_styles_halve_their_cost_with_an_accurate_signal() -> None:
    styles = {"Gail": (1017, 194), "Isis": (1042, 323), "Entice": (1358, 248),
              "Assault": (2525, 340), "Teri": (1100, 381), "Electra": (2150, 404)}  # fmt: skip
    for mean, committee_sd in styles.values():
        r = two_stage_quick_response(mean, 2 * committee_sd, 0.08, 0.24, 0.9, scenarios=40_000)
        assert r.ratio < 0.5
        assert r.quick_response_cost < 0.5 * r.single_order_cost
