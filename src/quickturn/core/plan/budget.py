"""Cash budget across SKUs: fund today's purchase orders by marginal objective per dollar.

Data flow: per SKU a set of options (cost of today's orders, objective value) — one per
candidate policy evaluated by the simulator — and a budget → per SKU the option to carry out.

Method (multiple-choice knapsack, greedy on the upper concave hull): each SKU starts at its
best zero-cost option ("order nothing today"); the options above it that lie on the upper
concave hull of (cost, value) become increments with decreasing value per dollar.  All
increments of all SKUs are sorted by value per dollar and taken in that order while they
fit; once an increment of a SKU does not fit, that SKU stops (its later increments build on
it).  This is the classic greedy for the LP relaxation of the multiple-choice knapsack
(Sinha & Zoltners, *Operations Research* 27(3), 1979), made integral by skipping what does
not fit.  SKUs whose funded option costs less than their unconstrained best are reported as
held back.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

F64 = NDArray[np.float64]


@dataclass(frozen=True)
class Allocation:
    """Chosen option per SKU and what the budget changed."""

    choice: NDArray[np.intp]  # (n,) option index per SKU
    unconstrained: NDArray[np.intp]  # (n,) best option without a budget
    spent: float
    budget: float

    @property
    def held_back(self) -> NDArray[np.bool_]:
        return np.asarray(self.choice != self.unconstrained)


def _hull(costs: F64, values: F64, base: int) -> list[int]:
    """Option indices on the upper concave hull from ``base`` (increasing cost and value)."""
    c0, v0 = costs[base], values[base]
    idx = [j for j in np.argsort(costs, kind="stable") if costs[j] > c0 and values[j] > v0]
    hull: list[int] = [base]
    for j in idx:
        # keep only strictly better options at higher cost
        if values[j] <= values[hull[-1]]:
            continue
        while len(hull) >= 2:
            a, b = hull[-2], hull[-1]
            slope_ab = (values[b] - values[a]) / max(costs[b] - costs[a], 1e-12)
            slope_aj = (values[j] - values[a]) / max(costs[j] - costs[a], 1e-12)
            if slope_aj >= slope_ab:
                hull.pop()
            else:
                break
        if costs[j] <= costs[hull[-1]] + 1e-12:
            if values[j] > values[hull[-1]]:
                hull[-1] = j
            continue
        hull.append(j)
    return hull


def allocate_budget(costs: F64, values: F64, budget: float | None) -> Allocation:
    """Choose one option per SKU so that the total cost stays within ``budget``.

    ``costs`` and ``values`` are ``(n_skus, n_options)``; NaN values mark options that do not
    exist.  Each SKU needs at least one option of cost 0 (not ordering today); if it has
    none, its cheapest option is its baseline and is always funded.

    >>> costs = np.array([[0.0, 100.0, 300.0], [0.0, 200.0, 250.0]])
    >>> values = np.array([[10.0, 60.0, 80.0], [5.0, 65.0, 66.0]])
    >>> allocate_budget(costs, values, 300.0).choice.tolist()
    [1, 1]
    """
    costs = np.asarray(costs, dtype=np.float64)
    values = np.asarray(values, dtype=np.float64)
    n = costs.shape[0]
    valid = ~np.isnan(values) & ~np.isnan(costs)
    safe_values = np.where(valid, values, -np.inf)
    unconstrained = np.asarray(np.argmax(safe_values, axis=1), dtype=np.intp)
    if budget is None or not np.isfinite(budget):
        spent = float(np.nansum(costs[np.arange(n), unconstrained]))
        return Allocation(unconstrained, unconstrained, spent, float("inf"))
    choice = np.zeros(n, dtype=np.intp)
    increments: list[tuple[float, float, int, int, int]] = []  # (-ratio, cost, sku, step, opt)
    chains: list[list[int]] = []
    spent = 0.0
    for i in range(n):
        ok = np.flatnonzero(valid[i])
        if ok.size == 0:
            chains.append([0])
            continue
        c, v = costs[i, ok], values[i, ok]
        zero = np.flatnonzero(c <= 1e-9)
        if zero.size:
            base = int(zero[np.argmax(v[zero])])
        else:
            base = int(np.argmin(c))
        spent += float(c[base])
        hull = _hull(c, v, base)
        chain = [int(ok[j]) for j in hull]
        chains.append(chain)
        choice[i] = chain[0]
        for step in range(1, len(hull)):
            dc = float(c[hull[step]] - c[hull[step - 1]])
            dv = float(v[hull[step]] - v[hull[step - 1]])
            increments.append((-dv / dc, dc, i, step, chain[step]))
    increments.sort(key=lambda x: (x[0], x[1], x[2], x[3]))
    level = np.zeros(n, dtype=np.intp)
    stopped = np.zeros(n, dtype=bool)
    remaining = float(budget) - spent
    for _neg_ratio, dc, i, step, opt in increments:
        if stopped[i] or level[i] != step - 1:
            continue
        if dc <= remaining + 1e-9:
            remaining -= dc
            level[i] = step
            choice[i] = opt
        else:
            stopped[i] = True
    return Allocation(choice, unconstrained, float(budget) - remaining, float(budget))
