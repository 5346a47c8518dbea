"""The simulated shop of each policy: stock, lots in transit, sales, lost sales, cost value.

Data flow: per policy ``p`` and SKU ``i`` a state (units on hand, their cost value, lots on
their way with the day they really land and the day the policy expects them) → Numba
kernels advance every policy and SKU day by day over the world's demand, writing daily
traces → the engine places each decision's orders as new lots.

Day ``d``: lots due on or before ``d`` land (start of the day) → on a decision day the
policies order (an order with lead time ``L`` placed on ``d`` lands at the start of
``d + L``; ``L = 0`` lands at once) → demand is served from stock, what stock cannot serve
is lost → holding cost accrues on the end-of-day stock.  Stock is costed at its moving
average (the ledger's ``moving_average`` method): a lot adds its units at its unit cost, a
sale takes out the average.

Lead times are drawn once per (SKU, decision day, route) from a counter-based hash of the
seed and the SKU's key — the planner's own draws (:mod:`quickturn.core.plan.simulate`) — so
every policy that orders on the same day by the same route waits the same time (common
random numbers), and a SKU's draws do not depend on the other SKUs in the run.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from quickturn.core.jit import njit
from quickturn.core.plan.simulate import _normal, _route_lead_time

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]
B = NDArray[np.bool_]

# --- daily trace fields (last axis of the trace array) ----------------------------------------
(
    T_ON_HAND,
    T_IN_TRANSIT,
    T_CASH,
    T_SOLD,
    T_LOST,
    T_PROFIT,
) = range(6)
N_TRACE = 6
TRACE_NAMES = (
    "on_hand_qty",
    "in_transit_qty",
    "inventory_value_usd",
    "sales_qty",
    "lost_sales_qty",
    "profit_usd",
)

# --- per-SKU sums over the window (last axis of the sums array) -------------------------------
(
    S_REVENUE,
    S_VARIABLE,
    S_COGS,
    S_HOLDING,
    S_SOLD,
    S_LOST,
    S_DEMAND,
    S_STOCKOUT_DAYS,
) = range(8)
N_SUMS = 8

#: stream coordinate that keeps the backtest's lead-time draws apart from the planner's
LEAD_STREAM = 7_700_000


@njit(cache=True)
def lead_draws(routes: F64, keys: I64, days: I64, seed: int) -> I64:
    """Lead time in whole days of an order placed on each of ``days`` by each route:
    ``(n, len(days), 2)``, drawn like the planner's (lognormal / gamma / fixed / empirical,
    at least the route's minimum)."""
    n = routes.shape[0]
    k_n = days.shape[0]
    out = np.zeros((n, k_n, 2), dtype=np.int64)
    for i in range(n):
        for k in range(k_n):
            for r in range(2):
                z = _normal(seed, keys[i], LEAD_STREAM + days[k], r, 11)
                out[i, k, r] = _route_lead_time(routes[i, r], z)
    return out


@njit(cache=True, inline="always")
def _land(
    p: int,
    i: int,
    d: int,
    on_hand: F64,
    value: F64,
    lot_q: F64,
    lot_day: I64,
    lot_cost: F64,
    lot_open: B,
    n_lots: I64,
) -> None:
    for j in range(n_lots[p, i]):
        if lot_open[p, i, j] and lot_day[p, i, j] <= d:
            on_hand[p, i] += lot_q[p, i, j]
            value[p, i] += lot_q[p, i, j] * lot_cost[p, i, j]
            lot_open[p, i, j] = False


@njit(cache=True)
def land_all(
    d: int,
    on_hand: F64,
    value: F64,
    lot_q: F64,
    lot_day: I64,
    lot_cost: F64,
    lot_open: B,
    n_lots: I64,
) -> None:
    """Land every lot due on or before day ``d`` (start of the day)."""
    p_n, n = on_hand.shape
    for p in range(p_n):
        for i in range(n):
            _land(p, i, d, on_hand, value, lot_q, lot_day, lot_cost, lot_open, n_lots)


@njit(cache=True)
def advance(
    demand: F64,
    price: F64,
    variable: F64,
    holding: F64,
    capital_day: F64,
    first_day: I64,
    t_from: int,
    t_to: int,
    s0: int,
    on_hand: F64,
    value: F64,
    lot_q: F64,
    lot_day: I64,
    lot_cost: F64,
    lot_open: B,
    n_lots: I64,
    trace: F64,
    sums: F64,
) -> None:
    """Days ``t_from … t_to − 1`` for every policy and SKU: arrivals, sales, lost sales,
    holding; the day's figures go to ``trace[p, i, d − s0]`` and are added to ``sums``."""
    p_n, n = on_hand.shape
    for p in range(p_n):
        for i in range(n):
            pr = price[i]
            var = variable[i]
            for d in range(t_from, t_to):
                _land(p, i, d, on_hand, value, lot_q, lot_day, lot_cost, lot_open, n_lots)
                dm = demand[i, d]
                oh = on_hand[p, i]
                sold = dm if dm < oh else oh
                if sold < 0.0:
                    sold = 0.0
                lost = dm - sold
                cogs = 0.0
                if sold > 0.0:
                    cogs = value[p, i] * sold / oh
                    oh -= sold
                    if oh <= 1e-9:
                        oh = 0.0
                        value[p, i] = 0.0
                    else:
                        value[p, i] -= cogs
                on_hand[p, i] = oh
                pipe_q = 0.0
                pipe_v = 0.0
                for j in range(n_lots[p, i]):
                    if lot_open[p, i, j]:
                        pipe_q += lot_q[p, i, j]
                        pipe_v += lot_q[p, i, j] * lot_cost[p, i, j]
                cash = value[p, i] + pipe_v
                hold = oh * holding[i] + cash * capital_day[i]
                profit = sold * (pr - var) - cogs - hold
                w = d - s0
                tr = trace[p, i, w]
                tr[T_ON_HAND] = oh
                tr[T_IN_TRANSIT] = pipe_q
                tr[T_CASH] = cash
                tr[T_SOLD] = sold
                tr[T_LOST] = lost
                tr[T_PROFIT] = profit
                sm = sums[p, i]
                sm[S_REVENUE] += sold * pr
                sm[S_VARIABLE] += sold * var
                sm[S_COGS] += cogs
                sm[S_HOLDING] += hold
                sm[S_SOLD] += sold
                sm[S_LOST] += lost
                sm[S_DEMAND] += dm
                if lost > 1e-9 and d >= first_day[i]:
                    sm[S_STOCKOUT_DAYS] += 1.0


@njit(cache=True)
def place(
    p: int,
    qty: F64,
    day: int,
    lead: I64,
    expected: I64,
    unit_cost: F64,
    lot_q: F64,
    lot_day: I64,
    lot_expected: I64,
    lot_cost: F64,
    lot_open: B,
    lot_route: I64,
    n_lots: I64,
) -> None:
    """Add the orders ``qty (n, 2)`` of policy ``p`` placed on ``day`` as lots: they land on
    ``day + lead[i, r]`` and the policy expects them on ``day + expected[i, r]``.
    ``unit_cost (n, 2)``: cost per unit of each order (goods, duty, freight, fixed)."""
    n = qty.shape[0]
    cap = lot_q.shape[2]
    for i in range(n):
        for r in range(2):
            q = qty[i, r]
            if q <= 0.0:
                continue
            j = n_lots[p, i]
            if j >= cap:
                raise ValueError("too many open lots for the lot table")
            lot_q[p, i, j] = q
            lot_day[p, i, j] = day + lead[i, r]
            lot_expected[p, i, j] = day + expected[i, r]
            lot_cost[p, i, j] = unit_cost[i, r]
            lot_open[p, i, j] = True
            lot_route[p, i, j] = r
            n_lots[p, i] = j + 1


@njit(cache=True)
def oracle_orders(
    demand: F64,
    t: int,
    k: int,
    end: int,
    decision_days: I64,
    lead: I64,
    on_hand: F64,
    lot_q: F64,
    lot_day: I64,
    route_ok: B,
    can_order: B,
    unit_cost: F64,
    margin: F64,
    hold_day: F64,
) -> F64:
    """Perfect-foresight orders on decision ``k`` (day ``t``), per SKU and route ``(n, 2)``.

    The stock on hand and the lots on their way (on the days they really land) are run
    forward over the real demand up to ``end``; every unit that would be short on day ``d``
    is bought through the cheapest option that lands by ``d`` among this and every later
    decision (cost = unit cost of the route + holding until ``d``; ties: the later order).
    Today orders what today's options win, if the route's unit margin is positive.
    ``can_order (n, K)``: the SKU exists and is not blocked at each decision.
    """
    n = demand.shape[0]
    k_n = decision_days.shape[0]
    out = np.zeros((n, 2))
    if end <= t:
        return out
    arr = np.zeros(end - t + 1)
    for i in range(n):
        if not can_order[i, k]:
            continue
        arr[:] = 0.0
        for j in range(lot_q.shape[1]):
            if lot_q[i, j] > 0.0:
                dd = lot_day[i, j]
                if dd < t:
                    dd = t
                if dd < end:
                    arr[dd - t] += lot_q[i, j]
        oh = on_hand[i]
        for d in range(t, end):
            oh += arr[d - t]
            dm = demand[i, d]
            s = dm if dm < oh else oh
            oh -= s
            short = dm - s
            if short <= 1e-12:
                continue
            best = np.inf
            best_k = -1
            best_r = -1
            best_arr = -1
            for kk in range(k, k_n):
                td = decision_days[kk]
                if td > d:
                    break
                if not can_order[i, kk]:
                    continue
                for r in range(2):
                    if not route_ok[i, r]:
                        continue
                    a = td + lead[i, kk, r]
                    if a > d:
                        continue
                    c = unit_cost[i, r] + hold_day[i, r] * (d - a)
                    if c < best - 1e-12 or (abs(c - best) <= 1e-12 and a > best_arr):
                        best = c
                        best_k = kk
                        best_r = r
                        best_arr = a
            if best_k == k and margin[i, best_r] > 0.0:
                out[i, best_r] += short
    return out
