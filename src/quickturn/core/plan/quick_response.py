"""Two-stage quick response (Fisher & Raman's "accurate response") solved by simulation.

Data flow: instance (demand mean/SD, critical costs, signal correlation ρ, second-stage premium
and capacity) + seed → bivariate normal scenarios (total demand ``D``, early signal ``X``) →
the first-stage quantity ``Q₁`` optimised by sample-average approximation, with the optimal
second-stage order given the signal → expected mismatch cost, compared with the best single
order placed before the signal.

The model (Fisher & Raman, *Operations Research* 44(1), 1996; Sport Obermeyer case): a first
order ``Q₁`` is placed before the season; an early signal ``X`` — early orders or the first
week's sales after a test batch — is correlated ``ρ`` with total demand
``D ~ N(μ, σ²)``.  After seeing it a second order ``Q₂ ≤ capacity`` can be placed at a unit
``premium`` (air freight, rush production).  Cost = ``h·(Q−D)⁺ + p·(D−Q)⁺ + premium·Q₂``.

Given ``X`` the demand is ``N(μ + ρσX, σ²(1−ρ²))`` (standard bivariate normal conditioning),
so the second stage is a newsvendor with critical ratio ``(p − premium)/(p + h)``, truncated
by what is already on order and by capacity.  With no premium and no capacity limit the
first order does not matter and the cost is ``(h+p)·σ√(1−ρ²)·φ(z*)``: the ratio to the
single-order cost is exactly ``√(1−ρ²)`` (ρ = 0.866 halves it).  With a premium or a
capacity limit the ratio lies between ``√(1−ρ²)`` and 1.

The daily :class:`~quickturn.core.plan.policies.QuickResponse` family applies the same idea
repeatedly: a small first batch, then fast-route orders sized on observed demand.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import stats

from quickturn.core.plan.formulas import newsvendor_normal

F64 = NDArray[np.float64]


@dataclass(frozen=True)
class TwoStageResult:
    """Optimised two-stage quick response against the best single order (same scenarios)."""

    first_order: float
    quick_response_cost: float
    single_order_quantity: float
    single_order_cost: float
    analytic_single_order_cost: float
    ratio: float
    ratio_standard_error: float
    analytic_lower_bound: float
    mean_second_order: float


def _cost(q: F64, d: F64, h: float, p: float) -> F64:
    return np.asarray(h * np.maximum(q - d, 0.0) + p * np.maximum(d - q, 0.0), dtype=np.float64)


def two_stage_quick_response(
    demand_mean: float,
    demand_sd: float,
    holding_cost: float,
    stockout_cost: float,
    correlation: float,
    *,
    premium: float = 0.0,
    capacity: float = math.inf,
    scenarios: int = 200_000,
    seed: int = 0,
    grid: int = 25,
) -> TwoStageResult:
    """Optimise the first order of a two-stage quick response by simulation.

    The single order and the two-stage plan are optimised and costed on the same
    ``scenarios`` draws (common random numbers); ``ratio`` is their cost ratio and
    ``ratio_standard_error`` its Monte Carlo standard error (delta method on the paired
    costs).

    Sport Obermeyer, style "Gail" (μ = 1017, actual SD ≈ 2 × 194, underage 24% and overage
    8% of the wholesale price), with an early signal of correlation 0.9:

    >>> r = two_stage_quick_response(1017, 388, 0.08, 0.24, 0.9, scenarios=50_000)
    >>> round(r.analytic_lower_bound, 3), abs(r.ratio - r.analytic_lower_bound) < 0.02
    (0.436, True)
    """
    if not 0.0 <= correlation <= 1.0:
        raise ValueError(f"correlation must be in [0, 1], got {correlation}")
    if premium < 0 or capacity < 0:
        raise ValueError("premium and capacity must be non-negative")
    h, p = float(holding_cost), float(stockout_cost)
    rng = np.random.default_rng(seed)
    z1 = rng.standard_normal(scenarios)
    z2 = rng.standard_normal(scenarios)
    signal = correlation * z1 + math.sqrt(max(0.0, 1.0 - correlation**2)) * z2
    demand = demand_mean + demand_sd * z1

    # best single order on these scenarios (SAA: the sample critical fractile)
    ratio_single = p / (h + p)
    q_single = float(np.quantile(demand, ratio_single))
    single = _cost(np.full(scenarios, q_single), demand, h, p)

    # second stage: posterior newsvendor level given the signal
    post_mean = demand_mean + correlation * demand_sd * signal  # E[Z1 | X] = ρX
    post_sd = demand_sd * math.sqrt(max(0.0, 1.0 - correlation**2))
    if premium >= p:
        level = np.full(scenarios, -np.inf)  # a second order never pays
    else:
        z_star = float(stats.norm.ppf((p - premium) / (p + h)))
        level = post_mean + post_sd * z_star

    def total_cost(q1: float) -> F64:
        q2 = np.clip(level - q1, 0.0, capacity)
        return np.asarray(_cost(q1 + q2, demand, h, p) + premium * q2, dtype=np.float64)

    def mean_costs(points: F64) -> F64:
        out = np.empty(points.size)
        for j0 in range(0, points.size, 8):  # batches bound the memory
            q1 = points[j0 : j0 + 8, None]
            q2 = np.clip(level[None, :] - q1, 0.0, capacity)
            q = q1 + q2
            c = h * np.maximum(q - demand, 0.0) + p * np.maximum(demand - q, 0.0) + premium * q2
            out[j0 : j0 + 8] = c.mean(axis=1)
        return out

    # first stage: a grid over μ ± 5σ, refined twice around its best point (SAA)
    lo, hi = max(0.0, demand_mean - 5 * demand_sd), demand_mean + 5 * demand_sd
    for _ in range(3):
        points = np.linspace(lo, hi, grid)
        values = mean_costs(points)
        j = int(np.argmin(values))
        step = points[1] - points[0]
        lo, hi = max(0.0, points[j] - step), points[j] + step
    q1 = float(points[j])
    qr = total_cost(q1)
    q2_mean = float(np.clip(level - q1, 0.0, capacity).mean())

    mean_qr, mean_single = float(qr.mean()), float(single.mean())
    ratio = mean_qr / mean_single
    # delta-method standard error of a ratio of paired means
    cov = np.cov(qr, single)
    var = (cov[0, 0] - 2 * ratio * cov[0, 1] + ratio**2 * cov[1, 1]) / (scenarios * mean_single**2)
    analytic_single = newsvendor_normal(h, p, demand_mean, demand_sd).cost
    return TwoStageResult(
        first_order=q1,
        quick_response_cost=mean_qr,
        single_order_quantity=q_single,
        single_order_cost=mean_single,
        analytic_single_order_cost=analytic_single,
        ratio=ratio,
        ratio_standard_error=math.sqrt(max(var, 0.0)),
        analytic_lower_bound=math.sqrt(max(0.0, 1.0 - correlation**2)),
        mean_second_order=q2_mean,
    )
