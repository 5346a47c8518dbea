"""Policy families: heavy pre-stock, quick response, dual sourcing, POD, hybrid.

Data flow: :class:`~quickturn.core.plan.simulate.PlanInputs` → each family proposes a grid of
candidate parameters per SKU (:meth:`PolicyFamily.candidates`, vectorised over SKUs and built
from today's forecast) → :meth:`PolicyFamily.simulate` runs them on the scenarios (common
random numbers: every family sees the same demand paths and lead-time draws) →
:meth:`PolicyFamily.optimise` keeps, per SKU, the candidate with the highest objective
``E[profit] − λ·CVaR_α(loss)``.  Every family has the same interface, so the engine can
compare them side by side.

The families are settings of the one general replenishment rule of :mod:`.simulate`:

========  ==================================================================================
heavy     one bulk order today by the slow (sea) route, sized as a quantile of the demand
          over the whole horizon net of stock on hand and in transit; nothing after.
qr        quick response (小单快反): a small first batch by the fast route, then a weekly
          order-up-to by the fast route whose target follows observed demand; a
          test-then-scale gate pauses orders while demand runs below half the forecast and
          ordering stops when the 7-day demand falls below 35% of its peak (decay).
dual      dual sourcing (tailored base-surge / dual index): a sea base every 14 days sized
          as a share of the forecast, plus a weekly air surge up to a target.
pod       print-on-demand / make-to-order: no finished stock is bought; every unit is made
          when ordered, at the POD unit cost, losing the conversion of slower delivery.
hybrid    a small US stock by the fast route with POD overflow when it runs out.
========  ==================================================================================
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from numpy.typing import NDArray

from quickturn.core.plan.simulate import (
    E_POD_OK,
    F64,
    FAST,
    N_PARAMS,
    P_ACTIVE,
    P_BETA,
    P_DECAY,
    P_GATE,
    P_K,
    P_MINQ,
    P_POD,
    P_Q0,
    P_R0,
    P_RF,
    P_RS,
    R_MEAN,
    R_OK,
    SLOW,
    PlanInputs,
    SimConfig,
    SimResult,
    forecast_cumsum,
    simulate,
)

FAMILIES = ("heavy", "qr", "dual", "pod", "hybrid")
#: periodic policies do not order a need below this share of the MOQ (it would be rounded up)
MIN_ORDER_SHARE = 0.5
ROUTE_SLOTS = ("slow", "fast")


@dataclass(frozen=True)
class FamilyResult:
    """The optimised candidate of one family for every SKU (evaluated on the given scenarios)."""

    family: str
    params: F64  # (n, N_PARAMS) chosen parameters per SKU
    index: NDArray[np.intp]  # (n,) chosen candidate index
    result: SimResult  # (n, 1, m) evaluation of the chosen parameters
    search: SimResult  # (n, C, m_search) evaluation of all candidates
    candidates: F64  # (n, C, N_PARAMS)

    @property
    def active(self) -> NDArray[np.bool_]:
        return np.asarray(self.params[:, P_ACTIVE] > 0.5)


class PolicyFamily(ABC):
    """A replenishment policy family: candidate grid, simulation and per-SKU optimisation."""

    name: ClassVar[str]
    label: ClassVar[str]

    @abstractmethod
    def candidates(self, inputs: PlanInputs) -> F64:
        """Candidate parameters ``(n_skus, n_candidates, N_PARAMS)`` (inactive rows: not applicable)."""

    @abstractmethod
    def describe(self, params: F64) -> dict[str, Any]:
        """Business words for one parameter row."""

    def available(self, inputs: PlanInputs) -> NDArray[np.bool_]:
        """Which SKUs this family can serve at all (e.g. POD needs a POD option)."""
        return np.asarray(self.candidates(inputs)[:, :, P_ACTIVE].max(axis=1) > 0.5)

    def simulate(self, inputs: PlanInputs, params: F64, config: SimConfig) -> SimResult:
        """Evaluate ``params`` — ``(n, N_PARAMS)`` or ``(n, C, N_PARAMS)`` — on ``inputs``."""
        p = params if params.ndim == 3 else params[:, None, :]
        return simulate(inputs, p, config)

    def optimise(
        self,
        inputs: PlanInputs,
        config: SimConfig,
        *,
        search_scenarios: int | None = None,
    ) -> FamilyResult:
        """Pick per SKU the candidate with the highest objective.

        The search runs on the first ``search_scenarios`` scenarios; the chosen parameters are
        then evaluated on all of them (an honest out-of-search estimate when fewer are used).
        """
        cands = self.candidates(inputs)
        search_inputs = inputs.with_scenarios(search_scenarios or inputs.n_scenarios)
        search = simulate(search_inputs, cands, config)
        index = best_candidate(search)
        chosen = cands[np.arange(inputs.n_skus), index]
        if search_inputs is inputs:
            result = take_candidates(search, index)
        else:
            result = simulate(inputs, chosen[:, None, :], config)
        return FamilyResult(self.name, chosen, index, result, search, cands)


def best_candidate(result: SimResult, allowed: NDArray[np.bool_] | None = None) -> NDArray[np.intp]:
    """Index of the highest-objective active candidate per SKU (0 when none is active)."""
    obj = np.where(np.isnan(result.objective), -np.inf, result.objective)
    if allowed is not None:
        obj = np.where(allowed, obj, -np.inf)
    return np.asarray(np.argmax(obj, axis=1), dtype=np.intp)


def take_candidates(result: SimResult, index: NDArray[np.intp]) -> SimResult:
    """The rows ``result[i, index[i]]`` as an ``(n, 1, …)`` result."""
    rows = np.arange(result.metrics.shape[0])
    return SimResult(
        result.metrics[rows, index][:, None, :],
        result.profit[rows, index][:, None, :],
        result.day0_qty[rows, index][:, None, :],
        result.day0_eta[rows, index][:, None, :],
        result.risk_alpha,
        result.risk_lambda,
    )


def _blank(n: int, c: int) -> F64:
    out = np.zeros((n, c, N_PARAMS))
    out[..., P_RF] = 7
    out[..., P_RS] = 14
    return out


def _window(fc_cum: F64, start: NDArray[np.int64] | int, length: NDArray[np.int64] | int) -> F64:
    n, hp1 = fc_cum.shape
    a = np.clip(np.broadcast_to(np.asarray(start), (n,)), 0, hp1 - 1)
    b = np.clip(a + np.broadcast_to(np.asarray(length), (n,)), 0, hp1 - 1)
    rows = np.arange(n)
    return np.asarray(fc_cum[rows, b] - fc_cum[rows, a], dtype=np.float64)


class HeavyPrestock(PolicyFamily):
    """One bulk order today by sea, sized as a quantile of the horizon's demand."""

    name = "heavy"
    label = "heavy pre-stock"
    quantile_levels: tuple[float, ...] = (0.2, 0.4, 0.6, 0.8, 0.95)

    def candidates(self, inputs: PlanInputs) -> F64:
        n = inputs.n_skus
        levels = self.quantile_levels
        out = _blank(n, len(levels) + 1)
        route = np.where(inputs.routes[:, SLOW, R_OK] > 0.5, SLOW, FAST)
        ok = inputs.routes[np.arange(n), route, R_OK] > 0.5
        total = inputs.demand.sum(axis=2)  # (n, m)
        need = np.quantile(total, levels, axis=1).T - inputs.initial_units()[:, None]
        out[:, 0, P_Q0] = 0.0  # candidate 0: order nothing
        out[:, 1:, P_Q0] = np.maximum(need, 0.0)
        out[..., P_R0] = route[:, None]
        out[..., P_ACTIVE] = ok[:, None]
        return out

    def describe(self, params: F64) -> dict[str, Any]:
        return {
            "order_qty": float(params[P_Q0]),
            "route": ROUTE_SLOTS[int(params[P_R0])],
        }


class QuickResponse(PolicyFamily):
    """Small first batch, then weekly fast-route order-up-to with gates and a decay stop."""

    name = "qr"
    label = "quick response"
    cover_multipliers: tuple[float, ...] = (0.7, 1.0, 1.4, 2.0, 2.8)
    gate = 0.5
    decay_stop = 0.35
    review_days = 7

    def candidates(self, inputs: PlanInputs) -> F64:
        n = inputs.n_skus
        ks = self.cover_multipliers
        out = _blank(n, len(ks) + 1)
        out[:, : len(ks), P_K] = ks
        out[:, : len(ks), P_GATE] = self.gate
        out[:, : len(ks), P_DECAY] = self.decay_stop
        out[:, len(ks), P_K] = 1.6  # the same rule without gate and decay stop
        out[..., P_RF] = self.review_days
        out[..., P_MINQ] = MIN_ORDER_SHARE
        out[..., P_ACTIVE] = (inputs.routes[:, FAST, R_OK] > 0.5)[:, None]
        return out

    def describe(self, params: F64) -> dict[str, Any]:
        return {
            "route": "fast",
            "cover_multiplier": float(params[P_K]),
            "review_days": int(params[P_RF]),
            "scale_gate": float(params[P_GATE]),
            "decay_stop": float(params[P_DECAY]),
        }


class DualSourcing(PolicyFamily):
    """Sea base orders (share of forecast) plus air surge up to a target (dual index)."""

    name = "dual"
    label = "dual sourcing"
    base_shares: tuple[float, ...] = (0.6, 0.85)
    surge_multipliers: tuple[float, ...] = (0.6, 1.2, 2.0)
    decay_stop = 0.35

    def candidates(self, inputs: PlanInputs) -> F64:
        n = inputs.n_skus
        grid = [(b, k) for b in self.base_shares for k in self.surge_multipliers]
        out = _blank(n, len(grid))
        for j, (b, k) in enumerate(grid):
            out[:, j, P_BETA] = b
            out[:, j, P_K] = k
        out[..., P_DECAY] = self.decay_stop
        out[..., P_MINQ] = MIN_ORDER_SHARE
        both = (inputs.routes[:, SLOW, R_OK] > 0.5) & (inputs.routes[:, FAST, R_OK] > 0.5)
        slower = inputs.routes[:, SLOW, R_MEAN] > inputs.routes[:, FAST, R_MEAN]
        out[..., P_ACTIVE] = (both & slower)[:, None]
        return out

    def describe(self, params: F64) -> dict[str, Any]:
        return {
            "base_route": "slow",
            "base_share": float(params[P_BETA]),
            "base_review_days": int(params[P_RS]),
            "surge_route": "fast",
            "surge_multiplier": float(params[P_K]),
            "surge_review_days": int(params[P_RF]),
            "decay_stop": float(params[P_DECAY]),
        }


class PrintOnDemand(PolicyFamily):
    """Make to order: no finished stock bought (stock already held still sells first)."""

    name = "pod"
    label = "POD / make-to-order"

    def candidates(self, inputs: PlanInputs) -> F64:
        out = _blank(inputs.n_skus, 1)
        out[..., P_POD] = 1.0
        out[..., P_ACTIVE] = (inputs.economics[:, E_POD_OK] > 0.5)[:, None]
        return out

    def describe(self, params: F64) -> dict[str, Any]:
        return {"stock_orders": False, "pod": True}


class HybridPod(PolicyFamily):
    """A small US stock by the fast route; POD serves demand the stock cannot."""

    name = "hybrid"
    label = "hybrid (US stock + POD overflow)"
    cover_multipliers: tuple[float, ...] = (0.3, 0.6, 1.0)
    gate = 0.5
    decay_stop = 0.35

    def candidates(self, inputs: PlanInputs) -> F64:
        n = inputs.n_skus
        ks = self.cover_multipliers
        out = _blank(n, len(ks))
        out[..., P_K] = ks
        out[..., P_POD] = 1.0
        out[..., P_GATE] = self.gate
        out[..., P_DECAY] = self.decay_stop
        out[..., P_MINQ] = MIN_ORDER_SHARE
        ok = (inputs.economics[:, E_POD_OK] > 0.5) & (inputs.routes[:, FAST, R_OK] > 0.5)
        out[..., P_ACTIVE] = ok[:, None]
        return out

    def describe(self, params: F64) -> dict[str, Any]:
        return {
            "route": "fast",
            "cover_multiplier": float(params[P_K]),
            "review_days": int(params[P_RF]),
            "pod_overflow": True,
        }


def all_families() -> list[PolicyFamily]:
    """The five families in display order."""
    return [HeavyPrestock(), QuickResponse(), DualSourcing(), PrintOnDemand(), HybridPod()]


def family(name: str) -> PolicyFamily:
    for f in all_families():
        if f.name == name:
            return f
    raise ValueError(f"unknown policy family {name!r}; expected one of {', '.join(FAMILIES)}")


def expected_window_demand(inputs: PlanInputs, start: int, length: int) -> F64:
    """Expected demand over ``[start, start+length)`` per SKU (forecast beyond the horizon)."""
    return _window(forecast_cumsum(inputs.mean_forecast()), start, length)
