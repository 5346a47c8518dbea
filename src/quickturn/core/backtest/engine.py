"""The walk-forward backtest: every policy replayed over the same demand, decision by decision.

Data flow::

    BacktestInputs + policies + BacktestConfig(start, end, every, seed, budget)
      decision days start, start+every, … < end;  lead-time draws per (SKU, day, route)
      for each decision day t:
          lots due land → each policy decides on the record before t and its own stock
          → existence, compliance blocks, MOQ / case packs, cash budget → lots
          → days t … next decision − 1 simulated for every policy (world.advance)
      → remaining-life demand after ``end`` (the record after it, else sense's estimate)
      → BacktestOutcome: per policy daily traces, per-SKU sums, orders, dead stock, profit

Realised profit of a policy on a SKU, over the days ``start … end − 1``::

    revenue − variable cost − cost of goods sold (moving average of landed cost)
    − holding (storage on the stock on hand, capital on the cost value on hand and in
      transit) − write-down of the dead stock at the end

Units left at the end (on hand and on their way) that the SKU's remaining-life demand will
absorb are *working stock*, valued at their cost: they neither add nor take profit.  The
rest is *dead stock*, written down from cost to its salvage value.  Pure: no IO, no clock.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from quickturn.core.backtest.data import F64, I64, BacktestInputs, order_cost, round_orders
from quickturn.core.backtest.policies import (
    Decision,
    DecisionView,
    Foresight,
    Policy,
    lifecycle_forecaster,
    sense_window,
)
from quickturn.core.backtest.world import (
    N_SUMS,
    N_TRACE,
    S_COGS,
    S_HOLDING,
    S_REVENUE,
    S_VARIABLE,
    T_CASH,
    T_PROFIT,
    advance,
    land_all,
    lead_draws,
    place,
)
from quickturn.core.plan.simulate import R_MEAN
from quickturn.core.sense.base import row_keys
from quickturn.core.sense.phases import report
from quickturn.core.sense.types import ContentPosts

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class BacktestConfig:
    """``start``/``end``: first simulated day and the day after the last (column indices);
    decisions every ``every`` days from ``start``; ``budget``: USD each policy may spend on
    the orders of one decision (all SKUs together; None: no limit); ``life_days``: the
    remaining life over which stock left at the end may still sell (dead-stock test)."""

    start: int
    end: int
    every: int = 7
    seed: int = 0
    budget: float | None = None
    life_days: int = 365
    history_days: int = 365

    def __post_init__(self) -> None:
        if self.every < 1:
            raise ValueError(f"every must be at least 1 day, got {self.every}")
        if self.end <= self.start:
            raise ValueError(f"end ({self.end}) must be after start ({self.start})")
        if self.budget is not None and not self.budget >= 0:
            raise ValueError(f"budget must be a non-negative amount, got {self.budget}")

    def decision_days(self) -> I64:
        return np.arange(self.start, self.end, self.every, dtype=np.int64)

    @property
    def days(self) -> int:
        return self.end - self.start


@dataclass
class PolicyRun:
    """One policy's replay (arrays per SKU unless noted)."""

    name: str
    describe: dict[str, object]
    trace: F64  # (n, W, N_TRACE) daily figures, see world.TRACE_NAMES
    sums: F64  # (n, N_SUMS) sums over the window, see world.S_*
    ordered: F64  # (n, 2) units ordered by route
    orders: F64  # (n,) purchase orders placed
    purchases: F64  # (n,) cash cost of the orders
    start_units: F64  # (n,) stock on hand at the start plus lots already on their way
    end_on_hand: F64
    end_in_transit: F64
    end_value: F64
    dead: F64
    dead_value: F64  # at cost
    writedown: F64  # dead value − salvage
    working: F64
    working_value: F64
    profit: F64
    order_log: dict[
        str, np.ndarray
    ]  # one entry per order: k, sku, route, qty, cost, expected, lands
    labels: np.ndarray  # (K, n) object: what the policy chose per decision ("" when nothing)
    forecast: F64  # (K, n) demand the policy expected over the next 28 days (NaN: unknown)
    seconds: float = 0.0

    @property
    def cash(self) -> F64:
        return np.asarray(self.trace[:, :, T_CASH], dtype=np.float64)


@dataclass
class BacktestOutcome:
    inputs: BacktestInputs
    config: BacktestConfig
    decision_days: I64
    lead_days: I64  # (n, K, 2)
    remaining_demand: F64  # (n,)
    remaining_source: tuple[str, ...]
    runs: dict[str, PolicyRun] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def policies(self) -> tuple[str, ...]:
        return tuple(self.runs)


def fit_budget(qty: F64, total_cost: float, budget: float, moq: F64, case: F64) -> F64:
    """Scale one decision's orders down to ``budget`` (USD for all SKUs together): every
    order shrinks by the factor ``budget / total_cost``, then down to whole case packs; an
    order that falls below its MOQ is dropped.  (Fixed and minimum freight charges can
    leave the cost a little above the budget's share; the factor is applied once.)

    >>> fit_budget(np.array([[100.0, 0.0]]), 2000.0, 1000.0, np.array([0.0]),
    ...            np.array([12.0])).tolist()
    [[48.0, 0.0]]
    """
    if total_cost <= budget + 1e-9 or total_cost <= 0:
        return qty
    f = budget / total_cost
    pack = np.maximum(case, 1.0)[:, None]
    q = np.floor(qty * f / pack + 1e-9) * pack
    return np.asarray(np.where(q < moq[:, None], 0.0, q), dtype=np.float64)


def remaining_demand(
    inputs: BacktestInputs,
    end: int,
    life_days: int = 365,
    *,
    seed: int = 0,
    history_days: int = 365,
    n_paths: int = 50,
) -> tuple[F64, tuple[str, ...]]:
    """Demand each SKU still has over the ``life_days`` after ``end``: the world's demand of
    the record after ``end`` while the record lasts, plus — for the days past the record's
    end — sense's remaining-life estimate (the lifecycle model fitted on the whole record:
    baseline, the tails of every burst and expected new posts).  Returns the demand and
    its source per SKU (``actual``, ``actual+sense`` or ``sense``)."""
    n, t_n = inputs.n, inputs.n_days
    stop = min(t_n, end + life_days)
    actual = inputs.demand[:, end:stop].sum(axis=1) if stop > end else np.zeros(n)
    missing = end + life_days - stop
    if missing <= 0 or n == 0:
        return np.asarray(actual, dtype=np.float64), ("actual",) * n
    y, a, posts = sense_window(
        inputs.sales, inputs.censored, inputs.first_day, inputs.content, t_n, history_days
    )
    model = lifecycle_forecaster(n_paths)
    model.fit(
        y,
        keys=row_keys(inputs.sku_ids),
        weekday0=inputs.date(a).weekday(),
        content=posts,
        category=list(inputs.category) if inputs.category else None,
    )
    rep = report(model, y, posts, life_days=int(missing), n_paths=n_paths, seed=seed)
    src = "actual+sense" if stop > end else "sense"
    return np.asarray(actual + rep.remaining_mean, dtype=np.float64), (src,) * n


def _record_content(content: ContentPosts | None, day: int) -> ContentPosts | None:
    if content is None or content.n == 0:
        return content
    return content.window(0, day)


def run_backtest(
    inputs: BacktestInputs,
    policies: Sequence[Policy],
    config: BacktestConfig,
    *,
    remaining: tuple[F64, tuple[str, ...]] | None = None,
    progress: Progress | None = None,
) -> BacktestOutcome:
    """Replay every policy over ``inputs`` (see the module docstring)."""
    t_all = time.perf_counter()
    names = [p.name for p in policies]
    if len(set(names)) != len(names):
        raise ValueError(f"policy names must be unique, got {names}")
    if config.start < 0 or config.end > inputs.n_days:
        raise ValueError(
            f"start/end ({config.start}, {config.end}) must lie inside the record's "
            f"{inputs.n_days} days"
        )
    n, p_n = inputs.n, len(policies)
    eco = inputs.economics
    dd = config.decision_days()
    k_n = dd.size
    s0, end = config.start, config.end
    w_n = config.days
    keys = np.ascontiguousarray(inputs.sku_key, dtype=np.int64)
    routes = np.ascontiguousarray(inputs.routes, dtype=np.float64)
    lead = lead_draws(routes, keys, dd, int(config.seed))
    expected = np.rint(routes[:, :, R_MEAN]).astype(np.int64)
    route_ok = inputs.route_ok()
    exists_k = inputs.first_day[:, None] <= dd[None, :]
    can_order = exists_k & ~inputs.blocked[:, dd]
    demand = np.ascontiguousarray(inputs.demand, dtype=np.float64)

    # -- state ---------------------------------------------------------------------------
    a_sku = np.asarray(inputs.arrival_sku, dtype=np.int64)
    keep = inputs.arrival_qty > 0
    n_init = int(np.bincount(a_sku[keep], minlength=n).max(initial=0)) if n else 0
    cap = n_init + 2 * k_n + 1
    on_hand = np.repeat(inputs.on_hand[None, :].astype(np.float64), p_n, axis=0)
    value = on_hand * eco.landed_cost[None, :]
    lot_q = np.zeros((p_n, n, cap))
    lot_day = np.zeros((p_n, n, cap), dtype=np.int64)
    lot_exp = np.zeros((p_n, n, cap), dtype=np.int64)
    lot_cost = np.zeros((p_n, n, cap))
    lot_open = np.zeros((p_n, n, cap), dtype=np.bool_)
    lot_route = np.full((p_n, n, cap), -1, dtype=np.int64)
    n_lots = np.zeros((p_n, n), dtype=np.int64)
    for i, d, q in zip(
        a_sku[keep].tolist(),
        inputs.arrival_day[keep].tolist(),
        inputs.arrival_qty[keep].tolist(),
        strict=True,
    ):
        j = n_lots[0, i]
        lot_q[:, i, j] = q
        lot_day[:, i, j] = d
        lot_exp[:, i, j] = d
        lot_cost[:, i, j] = eco.landed_cost[i]
        lot_open[:, i, j] = True
        n_lots[:, i] = j + 1
    start_units = inputs.start_units()
    trace = np.zeros((p_n, n, w_n, N_TRACE))
    sums = np.zeros((p_n, n, N_SUMS))
    ordered = np.zeros((p_n, n, 2))
    n_orders = np.zeros((p_n, n))
    purchases = np.zeros((p_n, n))
    labels = np.full((p_n, k_n, n), "", dtype=object)
    forecast = np.full((p_n, k_n, n), np.nan)
    logs: list[list[tuple[int, int, int, float, float, int, int]]] = [[] for _ in policies]
    seconds = np.zeros(p_n)
    holding = np.ascontiguousarray(eco.holding_cost, dtype=np.float64)
    capital_day = np.ascontiguousarray(eco.capital_rate_annual / 365.0, dtype=np.float64)
    price = np.ascontiguousarray(eco.price, dtype=np.float64)
    variable = np.ascontiguousarray(eco.variable_cost, dtype=np.float64)
    first_day = np.ascontiguousarray(inputs.first_day, dtype=np.int64)

    # the remaining-life demand: the oracle's foresight, and the dead-stock yardstick
    rem, src = remaining or remaining_demand(
        inputs, end, config.life_days, seed=config.seed, history_days=config.history_days
    )
    for k, t in enumerate(dd.tolist()):
        t_next = int(dd[k + 1]) if k + 1 < k_n else end
        land_all(t, on_hand, value, lot_q, lot_day, lot_cost, lot_open, n_lots)
        sales = np.array(inputs.sales[:, :t], dtype=np.float64)
        censored = np.array(inputs.censored[:, :t], dtype=np.bool_)
        content = _record_content(inputs.content, t)
        for p, policy in enumerate(policies):
            open_ = lot_open[p]
            view = DecisionView(
                k=k,
                day=t,
                date=inputs.date(t),
                start=s0,
                end=end,
                every=config.every,
                sku_ids=inputs.sku_ids,
                sales=sales,
                censored=censored,
                first_day=first_day,
                exists=exists_k[:, k].copy(),
                on_hand=on_hand[p].copy(),
                pipeline_qty=np.where(open_, lot_q[p], 0.0),
                pipeline_day=np.where(open_, lot_exp[p], 0),
                pipeline_route=np.where(open_, lot_route[p], -1),
                economics=eco,
                routes=routes,
                blocked=inputs.blocked[:, t].copy(),
                content=content,
                category=inputs.category,
                seed=int(config.seed),
            )
            sight = None
            if policy.foresight:
                sight = Foresight(
                    demand=demand,
                    decision_days=dd,
                    lead_days=lead,
                    pipeline_arrival=np.where(open_, lot_day[p], 0),
                    can_order=can_order,
                    remaining=np.asarray(rem, dtype=np.float64),
                )
            t0 = time.perf_counter()
            decision: Decision = policy.decide(view, sight)
            seconds[p] += time.perf_counter() - t0
            raw = np.asarray(decision.qty, dtype=np.float64)
            if raw.shape != (n, 2):
                raise ValueError(
                    f"policy {policy.name} returned shape {raw.shape}; expected ({n}, 2)"
                )
            raw = np.where(can_order[:, k, None] & route_ok, np.maximum(raw, 0.0), 0.0)
            qty = round_orders(raw, eco.moq, eco.case_pack, policy.min_order_share_of_moq)
            cost = order_cost(eco, routes, qty)
            if config.budget is not None and cost.sum() > config.budget + 1e-9:
                qty = fit_budget(qty, float(cost.sum()), config.budget, eco.moq, eco.case_pack)
                cost = order_cost(eco, routes, qty)
            unit = np.where(qty > 0, cost / np.maximum(qty, 1e-12), 0.0)
            place(
                p,
                qty,
                t,
                np.ascontiguousarray(lead[:, k, :]),
                expected,
                unit,
                lot_q,
                lot_day,
                lot_exp,
                lot_cost,
                lot_open,
                lot_route,
                n_lots,
            )
            ordered[p] += qty
            n_orders[p] += (qty > 0).sum(axis=1)
            purchases[p] += cost.sum(axis=1)
            for i, r in zip(*np.nonzero(qty > 0), strict=True):
                logs[p].append(
                    (
                        k,
                        int(i),
                        int(r),
                        float(qty[i, r]),
                        float(cost[i, r]),
                        t + int(expected[i, r]),
                        t + int(lead[i, k, r]),
                    )
                )
            if decision.label is not None:
                labels[p, k] = np.asarray(decision.label, dtype=object)
            if decision.forecast_qty is not None:
                forecast[p, k] = decision.forecast_qty
        advance(
            demand,
            price,
            variable,
            holding,
            capital_day,
            first_day,
            t,
            t_next,
            s0,
            on_hand,
            value,
            lot_q,
            lot_day,
            lot_cost,
            lot_open,
            n_lots,
            trace,
            sums,
        )
        if progress is not None:
            progress(k + 1, k_n)

    out = BacktestOutcome(
        inputs=inputs,
        config=config,
        decision_days=dd,
        lead_days=lead,
        remaining_demand=np.asarray(rem, dtype=np.float64),
        remaining_source=tuple(src),
    )
    for p, policy in enumerate(policies):
        out.runs[policy.name] = _finish(
            policy,
            p,
            inputs,
            out.remaining_demand,
            trace[p],
            sums[p],
            on_hand[p],
            value[p],
            np.where(lot_open[p], lot_q[p], 0.0),
            np.where(lot_open[p], lot_q[p] * lot_cost[p], 0.0),
            ordered[p],
            n_orders[p],
            purchases[p],
            start_units,
            logs[p],
            labels[p],
            forecast[p],
            float(seconds[p]),
        )
    out.seconds = time.perf_counter() - t_all
    return out


def _finish(
    policy: Policy,
    p: int,
    inputs: BacktestInputs,
    rem: F64,
    trace: F64,
    sums: F64,
    on_hand: F64,
    value: F64,
    pipe_q: F64,
    pipe_v: F64,
    ordered: F64,
    n_orders: F64,
    purchases: F64,
    start_units: F64,
    log: list[tuple[int, int, int, float, float, int, int]],
    labels: np.ndarray,
    forecast: F64,
    seconds: float,
) -> PolicyRun:
    eco = inputs.economics
    transit = pipe_q.sum(axis=1)
    units = on_hand + transit
    end_value = value + pipe_v.sum(axis=1)
    avg = np.where(units > 1e-9, end_value / np.maximum(units, 1e-12), 0.0)
    dead = np.maximum(units - np.maximum(rem, 0.0), 0.0)
    dead_value = dead * avg
    writedown = dead_value * (1.0 - eco.salvage_rate)
    working = units - dead
    trace = trace.copy()
    if trace.shape[1]:
        trace[:, -1, T_PROFIT] -= writedown  # the write-down is booked on the last day
    profit = (
        sums[:, S_REVENUE] - sums[:, S_VARIABLE] - sums[:, S_COGS] - sums[:, S_HOLDING] - writedown
    )
    cols = list(zip(*log, strict=True)) if log else [()] * 7
    order_log = {
        name: np.asarray(c, dtype=dt)
        for name, c, dt in zip(
            ("k", "sku", "route", "qty", "cost", "expected_day", "arrival_day"),
            cols,
            (np.int64, np.int64, np.int64, np.float64, np.float64, np.int64, np.int64),
            strict=True,
        )
    }
    return PolicyRun(
        name=policy.name,
        describe=policy.describe(),
        trace=trace,
        sums=sums.copy(),
        ordered=ordered.copy(),
        orders=n_orders.copy(),
        purchases=purchases.copy(),
        start_units=np.asarray(start_units, dtype=np.float64),
        end_on_hand=on_hand.copy(),
        end_in_transit=transit,
        end_value=end_value,
        dead=dead,
        dead_value=dead_value,
        writedown=writedown,
        working=working,
        working_value=working * avg,
        profit=profit,
        order_log=order_log,
        labels=labels,
        forecast=forecast,
        seconds=seconds,
    )


__all__ = [
    "BacktestConfig",
    "BacktestOutcome",
    "PolicyRun",
    "fit_budget",
    "remaining_demand",
    "round_orders",
    "run_backtest",
]
