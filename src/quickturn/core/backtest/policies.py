"""Replenishment policies replayed by the backtest, one interface for all.

Data flow: at each decision day the engine hands every policy a :class:`DecisionView` —
the shop's record *before* that day (recorded sales, stock-out flags, content posts), the
policy's own stock and lots on their way (with the day it expects them), economics,
routes and compliance blocks — and the policy answers with a :class:`Decision`: units to
order by the slow and the fast route.  The engine then applies what binds every policy the
same way (existence, blocks, MOQ and case packs, cash budget) and draws the lead times.

=============  ===============================================================================
``quickturn``  sense's lifecycle model fitted on the record → sample paths → the planner
               (:func:`quickturn.core.plan.engine.run_plan`, every family) → today's orders
``erp``        cross-border ERP rule (领星 / 积加 style): weighted 7/14/30-day velocity;
               reorder by sea when stock + pipeline < velocity × (lead time + safety days),
               up to velocity × (lead time + safety days + cover days)
``heavy``      heavy pre-stock: the season's stock at launch velocity, one sea order
``qr``         fixed quick response: every decision, order up to a short cover by air
``oracle``     perfect foresight of the real demand and lead times: an upper bound
``none``       orders nothing: sells the stock on hand and on its way — the baseline that
               tells the dead stock a shop inherited from the dead stock a policy's orders add
=============  ===============================================================================

Formulas, defaults and their sources: docs/backtest.md.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import date
from typing import Any, ClassVar

import numpy as np

from quickturn.core.backtest.data import F64, I64, B, Economics, round_orders, route_unit_cost
from quickturn.core.backtest.world import oracle_orders
from quickturn.core.plan.engine import run_plan
from quickturn.core.plan.inputs import sku_key as plan_sku_key
from quickturn.core.plan.settings import PlanSettings
from quickturn.core.plan.simulate import (
    E_CAP,
    E_CAPITAL,
    E_CASE,
    E_CASH,
    E_DEPOSIT,
    E_DUTY,
    E_LANDED,
    E_MOQ,
    E_ON_HAND,
    E_PENALTY,
    E_POD_CONV,
    E_PRICE,
    E_SALVAGE,
    E_SETTLE,
    E_STORAGE,
    E_UNIT,
    E_VAR,
    FAST,
    N_ECON,
    R_FIXED,
    R_FREIGHT,
    R_MEAN,
    R_MINCHG,
    R_OK,
    R_SD,
    SLOW,
    PlanInputs,
    SimConfig,
)
from quickturn.core.sense.base import Forecaster, row_keys
from quickturn.core.sense.lifecycle import Lifecycle
from quickturn.core.sense.types import ContentPosts


@dataclass(frozen=True)
class DecisionView:
    """What a policy may know on decision ``k`` (day index ``day``, calendar ``date``).

    Record arrays are copies cut at ``day`` (columns ``0 … day−1``): a policy cannot read
    what happened on or after the decision day.  ``pipeline_*`` list the policy's own lots
    still on their way (units, the day it *expects* them, route); zero units mark empty
    slots.
    """

    k: int
    day: int
    date: date
    start: int
    end: int
    every: int
    sku_ids: tuple[str, ...]
    sales: F64
    censored: B
    first_day: I64
    exists: B
    on_hand: F64
    pipeline_qty: F64
    pipeline_day: I64
    pipeline_route: I64
    economics: Economics
    routes: F64
    blocked: B
    content: ContentPosts | None
    category: tuple[str, ...] | None
    seed: int

    @property
    def n(self) -> int:
        return len(self.sku_ids)

    def inventory_position(self) -> F64:
        """Stock on hand plus everything on its way, per SKU."""
        return np.asarray(self.on_hand + self.pipeline_qty.sum(axis=1), dtype=np.float64)

    def observed(self) -> B:
        """Days of the record that tell demand: the SKU existed and was not out of stock."""
        cols = np.arange(self.day)[None, :]
        return np.asarray((cols >= self.first_day[:, None]) & ~self.censored, dtype=np.bool_)

    def velocity(
        self, windows: tuple[int, ...] = (7, 14, 30), weights: tuple[float, ...] = (0.5, 0.3, 0.2)
    ) -> F64:
        """Weighted mean daily sales over the last ``windows`` days, stock-out days left out
        of each window; a window without an observed day drops out and the weights of the
        others are renormalised (no observed day at all: 0)."""
        obs = self.observed()
        sales = np.where(obs, self.sales, 0.0)
        num = np.zeros(self.n)
        wsum = np.zeros(self.n)
        for w, wt in zip(windows, weights, strict=True):
            a = max(0, self.day - int(w))
            cnt = obs[:, a:].sum(axis=1)
            tot = sales[:, a:].sum(axis=1)
            ok = cnt > 0
            num += np.where(ok, wt * tot / np.maximum(cnt, 1), 0.0)
            wsum += np.where(ok, wt, 0.0)
        return np.asarray(np.where(wsum > 0, num / np.maximum(wsum, 1e-12), 0.0), dtype=np.float64)

    def mean_lead(self) -> F64:
        return np.asarray(self.routes[:, :, R_MEAN], dtype=np.float64)

    def route_ok(self) -> B:
        return np.asarray(self.routes[:, :, R_OK] > 0.5, dtype=np.bool_)


@dataclass(frozen=True)
class Foresight:
    """What only a perfect-foresight policy is told: the world's demand on every day, the
    decision days, the lead time every order would really take, the real landing day of
    its own lots and the blocks of every decision."""

    demand: F64  # (n, T)
    decision_days: I64  # (K,)
    lead_days: I64  # (n, K, 2)
    pipeline_arrival: I64  # (n, L) real landing day of the open lots
    can_order: B  # (n, K)
    #: units the world still demands over the SKU's remaining life after ``end``
    remaining: F64 | None = None


@dataclass(frozen=True)
class Decision:
    """A policy's answer: units to order now ``(n, 2)`` by the slow and the fast route.

    ``label`` optionally names what the policy chose per SKU (the planner's family);
    ``forecast_qty`` the demand it expected over the next ``forecast_days`` (for the
    diagnosis of forecast bias).
    """

    qty: F64
    label: tuple[str, ...] | None = None
    forecast_qty: F64 | None = None
    forecast_days: int = 28


class Policy(ABC):
    """One replenishment policy.  ``decide`` sees only a :class:`DecisionView` (and, for
    ``foresight`` policies, a :class:`Foresight`)."""

    name: ClassVar[str] = "policy"
    foresight: ClassVar[bool] = False
    #: a need below this share of the MOQ is not ordered yet (it would be rounded up to a
    #: whole MOQ); the planner's periodic families use 0.5 too
    min_order_share_of_moq: float = 0.5

    @abstractmethod
    def decide(self, view: DecisionView, foresight: Foresight | None = None) -> Decision: ...

    def describe(self) -> dict[str, Any]:
        """Parameters, for reports."""
        out = {
            k: v
            for k, v in vars(self).items()
            if not k.startswith("_") and isinstance(v, (int, float, str, tuple, type(None)))
        }
        return {"policy": self.name, **out}


def _zeros(view: DecisionView) -> F64:
    return np.zeros((view.n, 2))


def _slot(view: DecisionView, preferred: int) -> I64:
    """The preferred route where it exists, else the other one (per SKU)."""
    ok = view.route_ok()
    other = 1 - preferred
    return np.asarray(np.where(ok[:, preferred], preferred, other), dtype=np.int64)


def _put(qty: F64, slot: I64, values: F64) -> F64:
    qty[np.arange(qty.shape[0]), slot] = np.maximum(values, 0.0)
    return qty


@dataclass
class ErpPolicy(Policy):
    """The replenishment rule of cross-border ERPs (领星 Lingxing, 积加 Gerpgo, 易仓 ECCANG).

    ``v`` = weighted mean daily sales of the last 7 / 14 / 30 days (weights 0.5 / 0.3 / 0.2,
    stock-out days left out of each window); ``L`` = the slow route's expected lead time
    (production + transit).  When the inventory position (on hand + on its way) falls below
    the reorder point ``v·(L + safety_days)``, order by sea up to
    ``v·(L + safety_days + cover_days)``.
    """

    name: ClassVar[str] = "erp"
    windows: tuple[int, ...] = (7, 14, 30)
    weights: tuple[float, ...] = (0.5, 0.3, 0.2)
    safety_days: float = 10.0
    cover_days: float = 30.0

    def decide(self, view: DecisionView, foresight: Foresight | None = None) -> Decision:
        v = view.velocity(self.windows, self.weights)
        slot = _slot(view, SLOW)
        lead = view.mean_lead()[np.arange(view.n), slot]
        ip = view.inventory_position()
        rop = v * (lead + self.safety_days)
        target = v * (lead + self.safety_days + self.cover_days)
        need = np.where(ip < rop, target - ip, 0.0)
        return Decision(_put(_zeros(view), slot, need), forecast_qty=28.0 * v)


@dataclass
class HeavyPolicy(Policy):
    """Heavy pre-stock: one sea order for the whole season at launch velocity.

    At the SKU's first decision with at least ``min_days`` observed days (a SKU already
    selling at the start: the start), ``v`` = mean sales of its last ``velocity_days`` (14)
    observed days; it orders by the slow route ``v × days left to the end of the
    backtest − stock on hand and on its way``, and never again.
    """

    name: ClassVar[str] = "heavy"
    min_order_share_of_moq: float = 0.0
    min_days: int = 7
    velocity_days: int = 14

    def decide(self, view: DecisionView, foresight: Foresight | None = None) -> Decision:
        obs = view.observed()
        seen = obs.sum(axis=1)
        before = obs[:, : max(0, view.day - view.every)].sum(axis=1)
        first = (seen >= self.min_days) & ((view.day == view.start) | (before < self.min_days))
        cum = np.cumsum(obs[:, ::-1], axis=1)[:, ::-1]  # observed days from each day on
        last = obs & (cum <= self.velocity_days)
        v = np.where(last, view.sales, 0.0).sum(axis=1) / np.maximum(last.sum(axis=1), 1)
        need = np.where(first, v * (view.end - view.day) - view.inventory_position(), 0.0)
        slot = _slot(view, SLOW)
        return Decision(_put(_zeros(view), slot, need), forecast_qty=28.0 * v)


@dataclass
class QuickResponsePolicy(Policy):
    """Fixed quick response (小单快反): every decision, order by air up to
    ``v·(L_fast + every + safety_days)`` — the demand until the next order can land plus a
    week of safety — with ``v`` the ERP's weighted velocity."""

    name: ClassVar[str] = "qr"
    windows: tuple[int, ...] = (7, 14, 30)
    weights: tuple[float, ...] = (0.5, 0.3, 0.2)
    safety_days: float = 7.0

    def decide(self, view: DecisionView, foresight: Foresight | None = None) -> Decision:
        v = view.velocity(self.windows, self.weights)
        slot = _slot(view, FAST)
        lead = view.mean_lead()[np.arange(view.n), slot]
        target = v * (lead + view.every + self.safety_days)
        need = target - view.inventory_position()
        return Decision(_put(_zeros(view), slot, need), forecast_qty=28.0 * v)


@dataclass
class NoOrderPolicy(Policy):
    """Orders nothing.  Its dead stock is what the shop already held (on hand and on its
    way at the start) and no remaining-life demand absorbs; a policy's dead stock minus this
    baseline's is the dead stock its own orders added (orders only add stock: a policy sells
    at most what it bought more than this baseline, so its end stock and dead stock are
    never below the baseline's)."""

    name: ClassVar[str] = "none"

    def decide(self, view: DecisionView, foresight: Foresight | None = None) -> Decision:
        return Decision(_zeros(view), forecast_qty=np.zeros(view.n))


@dataclass
class OraclePolicy(Policy):
    """Perfect foresight: knows the real demand and the lead time every order will take, and
    buys every unit that would otherwise be short through the cheapest route and decision
    that land it in time (see :func:`~quickturn.core.backtest.world.oracle_orders`).  With
    no MOQ, case pack or budget it is the best any policy can do on this demand (each
    day's unit is served at its least cost or not at all); with them it rounds up like the
    others and is a bound in practice, not a proof."""

    name: ClassVar[str] = "oracle"
    foresight: ClassVar[bool] = True
    min_order_share_of_moq: float = 0.0

    def decide(self, view: DecisionView, foresight: Foresight | None = None) -> Decision:
        if foresight is None:
            raise ValueError("the oracle needs the foresight of the real demand")
        eco = view.economics
        unit = route_unit_cost(eco, view.routes)
        margin = eco.price[:, None] - eco.variable_cost[:, None] - unit
        hold = eco.holding_cost[:, None] + eco.capital_rate_annual[:, None] / 365.0 * unit
        qty = oracle_orders(
            foresight.demand,
            view.day,
            view.k,
            view.end,
            foresight.decision_days,
            foresight.lead_days,
            view.on_hand,
            view.pipeline_qty,
            foresight.pipeline_arrival,
            view.route_ok(),
            foresight.can_order,
            np.ascontiguousarray(unit),
            np.ascontiguousarray(margin),
            np.ascontiguousarray(hold),
        )
        qty = self._worth_it(view, foresight, qty, unit, margin)
        a, b = view.day, min(view.day + 28, foresight.demand.shape[1])
        return Decision(qty, forecast_qty=foresight.demand[:, a:b].sum(axis=1))

    @staticmethod
    def _worth_it(
        view: DecisionView, foresight: Foresight, raw: F64, unit: F64, margin: F64
    ) -> F64:
        """Drop an order that loses money once rounded to MOQ and case packs and charged its
        shipment's fixed cost and minimum freight: its value is the margin of the short units
        it serves, minus those charges, minus the write-down of the units no demand will ever
        absorb (the real demand to the end plus the remaining life, beyond the stock
        position), at cost less salvage."""
        eco = view.economics
        q = round_orders(raw, eco.moq, eco.case_pack, 0.0)
        r = view.routes
        charges = np.where(
            q > 0,
            r[:, :, R_FIXED] + np.maximum(r[:, :, R_MINCHG] - q * r[:, :, R_FREIGHT], 0.0),
            0.0,
        )
        rem = foresight.remaining if foresight.remaining is not None else np.zeros(raw.shape[0])
        future = foresight.demand[:, view.day : view.end].sum(axis=1) + np.maximum(rem, 0.0)
        position = view.on_hand + view.pipeline_qty.sum(axis=1)
        need = np.maximum(future - position, 0.0)[:, None]
        dead = np.maximum(q - need, 0.0)
        value = margin * raw - charges - dead * unit * (1.0 - eco.salvage_rate[:, None])
        return np.asarray(np.where((q > 0) & (value > 0.0), q, 0.0), dtype=np.float64)


def sense_window(
    sales: F64,
    censored: B,
    first_day: I64,
    content: ContentPosts | None,
    day: int,
    history_days: int,
) -> tuple[F64, int, ContentPosts | None]:
    """The record as sense reads it on day ``day``: the last ``history_days`` days before it,
    ``NaN`` where demand was not observed (before the SKU existed, stock-out days), and the
    posts made inside that window.  Returns ``(y, first column, posts)``."""
    a = max(0, day - history_days)
    y = np.array(sales[:, a:day], dtype=np.float64)
    cols = np.arange(a, day)[None, :]
    y[(cols < first_day[:, None]) | censored[:, a:day]] = np.nan
    posts = None
    if content is not None and content.n:
        posts = content.window(a, day)
    return y, a, posts


def lifecycle_forecaster(n_paths: int) -> Forecaster:
    """sense's lifecycle model with as many quantile paths as sample paths asked for."""
    return Lifecycle(n_quantile_paths=max(20, n_paths))


@dataclass
class QuickturnPolicy(Policy):
    """What quickturn would have ordered: at each decision sense fits its lifecycle model on
    the record of the last ``history_days`` days, draws ``scenarios`` sample paths over
    ``settings.horizon_days``, and the planner optimises every family on them
    (``search_scenarios`` for the parameter search), choosing per SKU by its objective;
    today's orders are the backtest's orders.  The planner sees the policy's own stock and
    lots on their way (expected landing day, the route's SD); compliance blocks gate it."""

    name: ClassVar[str] = "quickturn"
    scenarios: int = 100
    search_scenarios: int = 50
    history_days: int = 365
    settings: PlanSettings = field(default_factory=PlanSettings)
    threads: int | None = None

    def decide(self, view: DecisionView, foresight: Foresight | None = None) -> Decision:
        n = view.n
        qty = np.zeros((n, 2))
        labels = ["none"] * n
        fc28 = np.zeros(n)
        rows = np.flatnonzero(view.exists)
        if rows.size == 0:
            return Decision(qty, tuple(labels), fc28)
        y, a, posts = sense_window(
            view.sales, view.censored, view.first_day, view.content, view.day, self.history_days
        )
        ids = [view.sku_ids[i] for i in rows]
        sub_posts = posts.subset(rows.astype(np.int64)) if posts is not None else None
        model = lifecycle_forecaster(self.scenarios)
        s = self.settings
        h = s.horizon_days
        out = model.forecast(
            y[rows],
            h,
            keys=row_keys(ids),
            weekday0=(view.date.weekday() - (view.day - a)) % 7,
            content=sub_posts,
            category=[view.category[i] for i in rows] if view.category else None,
            probs=[0.5],
            n_paths=self.scenarios,
            seed=view.seed + view.day,
        )
        assert out.paths is not None
        inputs = plan_inputs(view, rows, out.paths, s)
        config = SimConfig(
            backorders=False,
            terminal_cover_days=s.terminal_cover_days,
            seed=view.seed,
            risk_alpha=s.risk_alpha,
            risk_lambda=s.risk_lambda,
            threads=self.threads,
        )
        plan = run_plan(
            inputs,
            config,
            search_scenarios=min(self.search_scenarios, self.scenarios),
            gated=view.blocked[rows],
        )
        qty[rows] = plan.day0_qty[:, :2]
        for j, i in enumerate(rows):
            labels[i] = plan.chosen_family(j)
        fc28[rows] = out.mean[:, :28].sum(axis=1)
        return Decision(qty, tuple(labels), fc28)


def plan_inputs(view: DecisionView, rows: I64, paths: F64, settings: PlanSettings) -> PlanInputs:
    """The planner's arrays for SKUs ``rows`` on this decision: demand paths, per-SKU
    economics, the two routes, the policy's stock and its lots on their way."""
    eco = view.economics
    n = rows.size
    e = np.zeros((n, N_ECON))
    landed = eco.landed_cost[rows]
    e[:, E_PRICE] = eco.price[rows]
    e[:, E_VAR] = eco.variable_cost[rows]
    e[:, E_UNIT] = eco.unit_cost[rows]
    e[:, E_LANDED] = landed
    e[:, E_DUTY] = eco.duty_rate[rows]
    e[:, E_STORAGE] = eco.holding_cost[rows]
    e[:, E_CAPITAL] = eco.capital_rate_annual[rows] / 365.0 * landed
    e[:, E_SALVAGE] = eco.salvage_rate[rows] * landed
    e[:, E_PENALTY] = eco.stockout_penalty[rows]
    e[:, E_MOQ] = eco.moq[rows]
    e[:, E_CASE] = eco.case_pack[rows]
    e[:, E_CAP] = np.inf
    e[:, E_CASH] = np.inf
    e[:, E_DEPOSIT] = 0.3
    e[:, E_SETTLE] = settings.us_delivery_days_mean + settings.settlement_days_after_delivery
    e[:, E_POD_CONV] = 1.0
    e[:, E_ON_HAND] = view.on_hand[rows]
    routes = np.ascontiguousarray(view.routes[rows])
    pq = view.pipeline_qty[rows]
    # expected landing day from today, and the route's remaining uncertainty
    remaining = np.maximum(view.pipeline_day[rows] - view.day, 1).astype(np.float64)
    route_of = np.clip(view.pipeline_route[rows], 0, 1)
    mean = np.take_along_axis(routes[:, :, R_MEAN], route_of, axis=1)
    sd = np.take_along_axis(routes[:, :, R_SD], route_of, axis=1)
    share = np.where(mean > 0, np.minimum(1.0, remaining / np.maximum(mean, 1e-9)), 1.0)
    ps = np.where(view.pipeline_route[rows] >= 0, sd * np.sqrt(share), 0.0)
    if pq.shape[1] == 0:
        pq, remaining, ps = np.zeros((n, 1)), np.ones((n, 1)), np.zeros((n, 1))
    ids = tuple(view.sku_ids[i] for i in rows)
    return PlanInputs(
        demand=np.ascontiguousarray(paths, dtype=np.float64),
        economics=e,
        routes=routes,
        pipeline_qty=np.ascontiguousarray(np.where(pq > 0, pq, 0.0)),
        pipeline_eta=np.ascontiguousarray(remaining),
        pipeline_sd=np.ascontiguousarray(ps),
        sku_key=np.array([plan_sku_key(s) for s in ids], dtype=np.int64),
        sku_ids=ids,
    )


#: every policy by name, with its defaults
POLICIES: dict[str, type[Policy]] = {
    "quickturn": QuickturnPolicy,
    "erp": ErpPolicy,
    "heavy": HeavyPolicy,
    "qr": QuickResponsePolicy,
    "oracle": OraclePolicy,
    "none": NoOrderPolicy,
}


def make_policy(name: str, **options: Any) -> Policy:
    """A policy by name (``quickturn``, ``erp``, ``heavy``, ``qr``, ``oracle``, ``none``)."""
    if name not in POLICIES:
        raise ValueError(f"unknown policy {name!r}; expected one of {', '.join(POLICIES)}")
    return POLICIES[name](**options)


__all__ = [
    "POLICIES",
    "Decision",
    "DecisionView",
    "ErpPolicy",
    "Foresight",
    "HeavyPolicy",
    "NoOrderPolicy",
    "OraclePolicy",
    "Policy",
    "QuickResponsePolicy",
    "QuickturnPolicy",
    "make_policy",
    "plan_inputs",
    "sense_window",
]
