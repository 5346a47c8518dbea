"""Daily Monte Carlo inventory simulator, vectorised over SKUs × scenarios × candidate policies.

Data flow: :class:`PlanInputs` (demand sample paths ``(n_skus, n_scenarios, horizon)`` plus
per-SKU economics and two routes — slot 0 the slow/cheap route, slot 1 the fast one) and a
parameter array ``(n_skus, n_candidates, N_PARAMS)`` → one Numba kernel (``nogil``, run on
slices of SKUs by a thread pool) → :class:`SimResult` with per-candidate metric sums, per-scenario profit and the
quantities each candidate orders today (day 0).

One general replenishment rule covers every policy family (see :mod:`.policies`):

* an optional day-0 order of ``P_Q0`` units by route ``P_R0``;
* a slow-route *base* order every ``P_RS`` days of ``P_BETA ×`` the (demand-corrected)
  forecast of one slow review period, ``L_slow`` days ahead (tailored base-surge);
* a fast-route *order-up-to* every ``P_RF`` days with target
  ``P_K × scale × D̂(t, t+L_fast+R_fast) + P_BASE`` against the *expedited* inventory
  position (stock plus pipeline expected within the window — the dual-index policy of
  Veeraraghavan & Scheller-Wolf 2008);
* test-then-scale gate (pause while observed ÷ forecast demand < ``P_GATE``) and a stop once
  the 7-day demand falls below ``P_DECAY ×`` its peak (the lifecycle has turned);
* a need below ``P_MINQ ×`` MOQ is not ordered yet (rather than rounded up to a whole MOQ);
* stock already bought and waiting in the origin (Chinese) warehouse (``E_ORIGIN``) fills
  any order first: a *transfer* by the same route without production days, goods cost or
  MOQ (freight and duty only); what is left of it keeps its unit cost at the end;
* POD: ``P_POD = 1`` serves every unit demand the stock cannot (made to order, at the POD
  unit cost and with the conversion penalty of slower delivery); a pure POD policy simply
  places no stock orders.

``scale`` is the observed ÷ forecast demand of the last 7 days, shrunk towards 1:
``(obs + c)/(fc + c)`` with ``c = 1 + 0.3·fc``.  Policies see the true demand (no
censoring) and only the *expected* arrival day of open orders (never the realised one).

Day ``t``: arrivals → reviews and orders (an order with lead time ``L`` arrives at the start
of day ``t+L``, so a base-stock policy covers ``L+1`` days of demand, as in S&S §4.3.3) →
demand, sales, lost sales or backorders, POD overflow → holding and cash.  Randomness
(lead times, arrival of lots already in transit) comes from a counter-based hash of
``(seed, sku key, scenario, day, route)``, so every candidate and every policy family sees
the same draws: common random numbers.

Money is float64 USD (simulation computes expectations); quantities are float units,
rounded to case packs when ``case_pack > 0``.
"""

from __future__ import annotations

import math
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from quickturn.core.jit import njit

F64 = NDArray[np.float64]

# --- policy parameters (last axis of the params array) ----------------------------------------
(
    P_ACTIVE,
    P_Q0,
    P_R0,
    P_K,
    P_RF,
    P_BASE,
    P_BETA,
    P_RS,
    P_GATE,
    P_DECAY,
    P_POD,
    P_START,
    P_MINQ,
) = range(13)
N_PARAMS = 13
PARAM_NAMES = (
    "active",
    "first_order_qty",
    "first_order_route",
    "fast_cover_multiplier",
    "fast_review_days",
    "fast_base_units",
    "slow_base_share",
    "slow_review_days",
    "scale_gate",
    "decay_stop",
    "pod_overflow",
    "first_review_day",
    "min_order_share_of_moq",
)

# --- per-SKU economics (columns of the economics array) ---------------------------------------
(
    E_PRICE,
    E_VAR,
    E_UNIT,
    E_LANDED,
    E_DUTY,
    E_STORAGE,
    E_CAPITAL,
    E_SALVAGE,
    E_PENALTY,
    E_MOQ,
    E_CASE,
    E_CAP,
    E_CASH,
    E_DEPOSIT,
    E_SETTLE,
    E_POD_OK,
    E_POD_COST,
    E_POD_CONV,
    E_ON_HAND,
    E_ORIGIN,
) = range(20)
N_ECON = 20

# --- per-route data (last axis of the routes array; axis 1 is slow=0 / fast=1) ----------------
R_OK, R_MEAN, R_SD, R_MIN, R_PAY, R_FREIGHT, R_FIXED, R_MINCHG, R_DIST, R_PROD = range(10)
#: columns R_Q0 … R_Q0+N_QUANT−1: lead-time quantiles at 0, 0.1, …, 1 (empirical routes)
R_Q0 = 10
N_QUANT = 11
N_ROUTE = R_Q0 + N_QUANT
#: lead-time distribution families (``routes.lead_time_dist``) and their codes in R_DIST
DIST_CODES = {"lognormal": 0, "gamma": 1, "fixed": 2, "empirical": 3}
DIST_LOGNORMAL, DIST_GAMMA, DIST_FIXED, DIST_EMPIRICAL = range(4)
SLOW, FAST = 0, 1

# --- metrics (sums over scenarios, except M_MIN_ON_HAND which is a minimum) ---------------
(
    M_REVENUE,
    M_SOLD,
    M_DEMAND,
    M_LOST,
    M_POD_UNITS,
    M_DEAD_UNITS,
    M_DEAD_VALUE,
    M_PEAK_CASH,
    M_HOLDING,
    M_FREIGHT,
    M_ORDERED,
    M_STOCKOUT,
    M_OOS_DEMAND,
    M_GOODS,
    M_POD_COST,
    M_PENALTY,
    M_CONV_LOSS,
    M_PROFIT,
    M_END_UNITS,
    M_ORDERS,
    M_MIN_ON_HAND,
    M_VARIABLE,
    M_TERMINAL,
    M_BACKLOG_END,
    M_TRANSFERRED,
) = range(25)
N_METRICS = 25
METRIC_NAMES = (
    "revenue_usd",
    "sales_qty",
    "demand_qty",
    "lost_sales_qty",
    "pod_qty",
    "dead_stock_qty",
    "dead_stock_value_usd",
    "peak_cash_usd",
    "holding_cost_usd",
    "freight_cost_usd",
    "order_qty",
    "stockout_prob",
    "oos_demand_qty",
    "goods_cost_usd",
    "pod_cost_usd",
    "stockout_penalty_usd",
    "pod_conversion_loss_qty",
    "expected_profit_usd",
    "end_units",
    "orders",
    "min_on_hand",
    "variable_cost_usd",
    "terminal_value_usd",
    "backlog_end_qty",
    "transfer_qty",
)

MAX_OPEN_ORDERS = 64
#: window (days) of the end-of-horizon forecast trend that fades post-horizon sales
TREND_DAYS = 28
FORECAST_PAD_DAYS = 400


@dataclass(frozen=True)
class SimConfig:
    """Simulation settings shared by every SKU.

    ``terminal_cover_days``: leftover stock still sells for up to this many days after the
    horizon at the scenario's final demand rate (mean of its last ``tail_days`` days), fading
    with the forecast's trend over its last :data:`TREND_DAYS` (a decaying SKU sells little
    more); what sells is valued at landed cost less the storage and capital while it sells
    down; the rest is dead stock valued at the salvage value.
    """

    backorders: bool = False
    terminal_cover_days: float = 365.0
    tail_days: int = 14
    seed: int = 0
    risk_alpha: float = 0.95
    risk_lambda: float = 0.2
    #: worker threads for the kernel (None: one per CPU)
    threads: int | None = None


@dataclass(frozen=True)
class PlanInputs:
    """Arrays for one batch of SKUs (all float64 unless noted).

    ``demand`` ``(n, m, h)`` sample paths; ``economics`` ``(n, N_ECON)``; ``routes``
    ``(n, 2, N_ROUTE)``; ``pipeline_qty/eta/sd`` ``(n, k)`` lots already in transit (expected
    arrival day from today and its SD); ``sku_key`` int64 ``(n,)`` stable per-SKU key for
    the random streams (same key → same lead-time draws in every run and chunk).
    """

    demand: F64
    economics: F64
    routes: F64
    pipeline_qty: F64
    pipeline_eta: F64
    pipeline_sd: F64
    sku_key: NDArray[np.int64]
    sku_ids: tuple[str, ...] = ()
    forecast: F64 | None = field(default=None)

    @property
    def n_skus(self) -> int:
        return int(self.demand.shape[0])

    @property
    def n_scenarios(self) -> int:
        return int(self.demand.shape[1])

    @property
    def horizon(self) -> int:
        return int(self.demand.shape[2])

    def mean_forecast(self) -> F64:
        """Expected daily demand ``(n, h)`` — what every policy knows today."""
        if self.forecast is not None:
            return self.forecast
        return np.asarray(self.demand.mean(axis=1), dtype=np.float64)

    def take(self, index: NDArray[np.intp] | slice) -> PlanInputs:
        """The same inputs for a subset of SKUs."""
        return replace(
            self,
            demand=self.demand[index],
            economics=self.economics[index],
            routes=self.routes[index],
            pipeline_qty=self.pipeline_qty[index],
            pipeline_eta=self.pipeline_eta[index],
            pipeline_sd=self.pipeline_sd[index],
            sku_key=self.sku_key[index],
            sku_ids=tuple(np.asarray(self.sku_ids, dtype=object)[index].tolist())
            if self.sku_ids
            else (),
            forecast=None if self.forecast is None else self.forecast[index],
        )

    def with_scenarios(self, n: int) -> PlanInputs:
        """The first ``n`` scenarios (used for the parameter search)."""
        if n >= self.n_scenarios:
            return self
        fc = self.mean_forecast()
        return replace(self, demand=np.ascontiguousarray(self.demand[:, :n, :]), forecast=fc)

    def initial_units(self) -> F64:
        """Units on hand plus in transit today, per SKU."""
        return np.asarray(
            self.economics[:, E_ON_HAND] + self.pipeline_qty.sum(axis=1), dtype=np.float64
        )


@dataclass(frozen=True)
class SimResult:
    """Output of :func:`simulate` for ``n`` SKUs × ``c`` candidates × ``m`` scenarios."""

    metrics: F64  # (n, c, N_METRICS): per-scenario means (min for M_MIN_ON_HAND)
    profit: F64  # (n, c, m)
    #: (n, c, 4): units ordered today by route slot (0 slow, 1 fast) and, in slots 2 + slot,
    #: units transferred today from the origin warehouse by that route
    day0_qty: F64
    day0_eta: F64  # (n, c, 4): expected arrival day of today's orders and transfers
    risk_alpha: float
    risk_lambda: float
    #: (n, c, m, h): units on hand at the end of each day (``simulate(..., trace=True)``;
    #: None otherwise)
    on_hand: F64 | None = None

    def metric(self, name: str) -> F64:
        return np.asarray(self.metrics[..., METRIC_NAMES.index(name)], dtype=np.float64)

    @property
    def expected_profit(self) -> F64:
        return np.asarray(self.metrics[..., M_PROFIT], dtype=np.float64)

    @property
    def cvar(self) -> F64:
        return cvar_of_loss(self.profit, self.risk_alpha)

    @property
    def objective(self) -> F64:
        return np.asarray(self.expected_profit - self.risk_lambda * self.cvar, dtype=np.float64)


def cvar_of_loss(profit: F64, alpha: float) -> F64:
    """CVaR_α of the loss ``−profit`` over the last axis: mean of the worst ``1−α`` share.

    Rockafellar & Uryasev (2000) on an equally weighted sample: the mean of the
    ``⌈(1−α)·m⌉`` largest losses.

    >>> float(cvar_of_loss(np.array([[10.0, -5.0, 3.0, -20.0]]), 0.5)[0])
    12.5
    """
    m = profit.shape[-1]
    k = max(1, math.ceil((1.0 - alpha) * m - 1e-9))
    loss = -profit
    if k >= m:
        return np.asarray(loss.mean(axis=-1), dtype=np.float64)
    worst = np.partition(loss, m - k, axis=-1)[..., m - k :]
    return np.asarray(worst.mean(axis=-1), dtype=np.float64)


# ----------------------------------------------------------------------------------------------
# random streams


@njit(inline="always", cache=True)
def _mix64(z: np.uint64) -> np.uint64:
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


@njit(inline="always", cache=True)
def _uniform(seed: int, a: int, b: int, c: int, d: int) -> float:
    """A uniform (0,1) number that depends only on its five integer coordinates."""
    golden = np.uint64(0x9E3779B97F4A7C15)
    z = _mix64(np.uint64(seed) * golden + np.uint64(a))
    z = _mix64(z + np.uint64(b) * golden)
    z = _mix64(z + np.uint64(c) * golden)
    z = _mix64(z + np.uint64(d) * golden)
    return (float(z >> np.uint64(11)) + 0.5) * (1.0 / 9007199254740992.0)


@njit(inline="always", cache=True)
def _normal(seed: int, a: int, b: int, c: int, d: int) -> float:
    u1 = _uniform(seed, a, b, c, 2 * d)
    u2 = _uniform(seed, a, b, c, 2 * d + 1)
    return math.sqrt(-2.0 * math.log(u1)) * math.cos(2.0 * math.pi * u2)


@njit(inline="always", cache=True)
def _lead_time(mean: float, sd: float, lo: float, z: float, dist: int, quant: F64) -> int:
    """A lead time (whole days, at least ``lo``) from a standard normal draw ``z``.

    * lognormal (default): mean and SD as given;
    * gamma: the same mean and SD, by the Wilson–Hilferty transform of ``z``
      (x = kθ·(1 − 1/(9k) + z/(3√k))³, k = (mean/SD)²);
    * fixed (or SD = 0): the mean;
    * empirical: the quantile function interpolated in ``quant`` (lead times at
      probabilities 0, 0.1, …, 1) at Φ(z).

    The same ``z`` for every family keeps the draws common across policies.
    """
    if dist == DIST_EMPIRICAL:
        u = 0.5 * (1.0 + math.erf(z / math.sqrt(2.0)))
        pos = u * (N_QUANT - 1)
        j = min(int(pos), N_QUANT - 2)
        frac = pos - j
        x = quant[j] + frac * (quant[j + 1] - quant[j])
    elif dist == DIST_FIXED or sd <= 0.0 or mean <= 0.0:
        x = mean
    elif dist == DIST_GAMMA:
        k = (mean / sd) ** 2
        c = 1.0 - 1.0 / (9.0 * k) + z / (3.0 * math.sqrt(k))
        x = mean * c * c * c if c > 0.0 else 0.0
    else:
        s2 = math.log(1.0 + (sd / mean) ** 2)
        x = math.exp(math.log(mean) - 0.5 * s2 + math.sqrt(s2) * z)
    x = max(x, lo)
    return int(x + 0.5)


@njit(inline="always", cache=True)
def _route_lead_time(row: F64, z: float) -> int:
    """:func:`_lead_time` for one route row of the routes array."""
    return _lead_time(
        row[R_MEAN], row[R_SD], row[R_MIN], z, int(row[R_DIST] + 0.5), row[R_Q0 : R_Q0 + N_QUANT]
    )


@njit(inline="always", cache=True)
def _is_fixed(row: F64) -> bool:
    dist = int(row[R_DIST] + 0.5)
    if dist == DIST_EMPIRICAL:
        return bool(row[R_Q0 + N_QUANT - 1] <= row[R_Q0])
    return bool(dist == DIST_FIXED or row[R_SD] <= 0.0 or row[R_MEAN] <= 0.0)


# ----------------------------------------------------------------------------------------------
# after the horizon


@njit(inline="always", cache=True)
def _trend_per_day(fc_cum_row: F64, h: int, window: int) -> float:
    """Daily decay factor of the forecast at the end of the horizon (≤ 1): the ratio of
    its last ``window`` days to the ``window`` days before, to the power 1/``window``."""
    nt = min(window, h // 2)
    if nt < 1:
        return 1.0
    last = fc_cum_row[h] - fc_cum_row[h - nt]
    prev = fc_cum_row[h - nt] - fc_cum_row[h - 2 * nt]
    if prev <= 0.0 or last >= prev:
        return 1.0
    if last <= 0.0:
        return 0.0
    return float((last / prev) ** (1.0 / nt))


@njit(inline="always", cache=True)
def _geometric_days(q: float, days: float) -> float:
    """Σ_{d=1..days} q^d: days of the final rate that still sell over ``days``."""
    if days <= 0.0:
        return 0.0
    if q >= 1.0 - 1e-12:
        return days
    return float(q * (1.0 - q**days) / (1.0 - q))


@njit(inline="always", cache=True)
def _days_to_sell(units: float, rate: float, q: float, cap_days: float) -> float:
    """Days until ``units`` have sold at ``rate`` fading by ``q`` a day (at most ``cap_days``)."""
    if rate <= 0.0:
        return cap_days
    if q >= 1.0 - 1e-12:
        return min(units / rate, cap_days)
    x = 1.0 - units * (1.0 - q) / (rate * q)
    if x <= 0.0:
        return cap_days
    return min(math.log(x) / math.log(q), cap_days)


# ----------------------------------------------------------------------------------------------
# the kernel


@njit(cache=True, inline="always")
def _order_size(q_raw: float, moq: float, case: float, room: float, min_share: float) -> float:
    """Units to order for a raw need: at least the MOQ, whole cases, within ``room``
    (warehouse capacity or cash); 0 when what fits is below the MOQ, or when the need is
    below ``min_share`` × MOQ (not worth rounding up to a whole MOQ yet)."""
    if q_raw <= 1e-9 or q_raw < min_share * moq:
        return 0.0
    q = max(q_raw, moq)
    if case > 0.0:
        q = math.ceil(q / case - 1e-9) * case
    if q > room:
        q = math.floor(room / case + 1e-9) * case if case > 0.0 else room
    if q <= 1e-9 or q < moq:
        return 0.0
    return float(q)


#: LLVM fast-math flags that are safe here: reassociation, FMA contraction, reciprocals and
#: no signed zeros.  Not ``nnan``/``ninf``: the kernel relies on ``inf`` (no capacity or
#: cash limit, ``np.isfinite``) and NaN (inactive candidates).  Results move by
#: floating-point noise only (relative 1e-12 on the benchmark catalogue).
_FASTMATH = {"nsz", "contract", "arcp", "reassoc"}


@njit(cache=True, nogil=True, error_model="numpy", fastmath=_FASTMATH)
def _kernel(
    demand: F64,
    fc_cum: F64,
    params: F64,
    eco: F64,
    routes: F64,
    pipe_qty: F64,
    pipe_eta: F64,
    pipe_sd: F64,
    sku_key: NDArray[np.int64],
    seed: int,
    backorders: bool,
    term_cover: float,
    tail_days: int,
    metrics: F64,
    profit: F64,
    day0_qty: F64,
    day0_eta: F64,
    trace: F64,
) -> None:
    n, m, h = demand.shape
    tracing = trace.shape[3] > 0
    n_cand = params.shape[1]
    n_lots = pipe_qty.shape[1]
    hp = fc_cum.shape[1] - 1
    for i in range(n):
        arr = np.zeros(h + 1)
        cash_out = np.zeros(h + 1)
        cash_in = np.zeros(h + 1)
        lot_day = np.zeros(n_lots, dtype=np.int64)
        lead_cache = np.zeros((2, h), dtype=np.int64)
        o_qty = np.zeros(MAX_OPEN_ORDERS)
        o_eta = np.zeros(MAX_OPEN_ORDERS, dtype=np.int64)
        o_act = np.zeros(MAX_OPEN_ORDERS, dtype=np.int64)
        min_oh = np.full(n_cand, np.inf)
        rt = routes[i]
        key = sku_key[i]
        price = eco[i, E_PRICE]
        var = eco[i, E_VAR]
        storage = eco[i, E_STORAGE]
        capital = eco[i, E_CAPITAL]
        penalty_unit = eco[i, E_PENALTY]
        landed = eco[i, E_LANDED]
        salvage = eco[i, E_SALVAGE]
        settle = int(eco[i, E_SETTLE] + 0.5)
        pod_ok = eco[i, E_POD_OK] > 0.5
        pod_cost = eco[i, E_POD_COST]
        pod_conv = eco[i, E_POD_CONV]
        margin = price - var
        q_day = _trend_per_day(fc_cum[i], h, TREND_DAYS)
        hold_unit_day = storage + capital
        init_units = eco[i, E_ON_HAND]
        for lot in range(n_lots):
            init_units += pipe_qty[i, lot]
        eta_slow = int(rt[SLOW, R_MEAN] + 0.5)
        eta_fast = int(rt[FAST, R_MEAN] + 0.5)
        moq = eco[i, E_MOQ]
        case = eco[i, E_CASE]
        cap = eco[i, E_CAP]
        cash_lim = eco[i, E_CASH]
        cash_limited = np.isfinite(cash_lim)
        unit = eco[i, E_UNIT]
        duty_rate = eco[i, E_DUTY]
        dep = eco[i, E_DEPOSIT]
        r_ok = np.empty(2, dtype=np.bool_)
        r_fr = np.empty(2)
        r_min = np.empty(2)
        r_fix = np.empty(2)
        r_pay = np.empty(2, dtype=np.int64)
        r_cash = np.empty(2)
        r_fixed = np.empty(2, dtype=np.int64)  # lead time when it is not random, else -1
        r_prod = np.empty(2, dtype=np.int64)
        r_tcash = np.empty(2)
        origin0 = eco[i, E_ORIGIN]
        for r in range(2):
            r_prod[r] = int(rt[r, R_PROD] + 0.5)
            r_tcash[r] = unit * duty_rate + rt[r, R_FREIGHT]
            r_fixed[r] = _route_lead_time(rt[r], 0.0) if _is_fixed(rt[r]) else -1
            r_ok[r] = rt[r, R_OK] > 0.5
            r_fr[r] = rt[r, R_FREIGHT]
            r_min[r] = rt[r, R_MINCHG]
            r_fix[r] = rt[r, R_FIXED]
            r_pay[r] = int(rt[r, R_PAY] + 0.5)
            r_cash[r] = unit * (1.0 + duty_rate) + rt[r, R_FREIGHT]
        for c in range(n_cand):
            if params[i, c, P_ACTIVE] < 0.5:
                for k in range(N_METRICS):
                    metrics[i, c, k] = np.nan
                for s in range(m):
                    profit[i, c, s] = np.nan
        for s in range(m):
            dem = demand[i, s]
            # common random numbers: lot arrivals and lead times depend on (sku, scenario, day)
            for lot in range(n_lots):
                z = 0.0
                if pipe_qty[i, lot] > 0.0 and pipe_sd[i, lot] > 0.0:
                    z = _normal(seed, key, s, 100000 + lot, 7)
                lot_day[lot] = int(pipe_eta[i, lot] + pipe_sd[i, lot] * z + 0.5)
            lead_cache[:, :] = -1
            tail = 0.0
            nt = min(tail_days, h)
            for t in range(h - nt, h):
                tail += dem[t]
            dem_all = 0.0
            for t in range(h):
                dem_all += dem[t]
            # after the horizon the scenario's final rate continues, fading with the
            # forecast's own trend (q per day), for at most ``term_cover`` days
            rate_end = tail / max(nt, 1)
            sell_later_cap = rate_end * _geometric_days(q_day, term_cover)
            for c in range(n_cand):
                par = params[i, c]
                if par[P_ACTIVE] < 0.5:
                    continue
                q0 = par[P_Q0]
                r0 = int(par[P_R0] + 0.5)
                kf = par[P_K]
                rf = max(1, int(par[P_RF] + 0.5))
                base_units = par[P_BASE]
                beta = par[P_BETA]
                rs = max(1, int(par[P_RS] + 0.5))
                gate = par[P_GATE]
                decay = par[P_DECAY]
                pod_mode = par[P_POD] > 0.5 and pod_ok
                start = int(par[P_START] + 0.5)
                min_share = par[P_MINQ]
                win_fast = eta_fast + rf
                use_scale = kf > 0.0 or beta > 0.0 or gate > 0.0
                track_roll = use_scale or decay > 0.0
                arr[:] = 0.0
                cash_out[:] = 0.0
                cash_in[:] = 0.0
                acc_goods = 0.0
                acc_fd = 0.0
                acc_q = 0.0
                acc_n = 0.0
                acc_tq = 0.0
                origin = origin0
                n_open = 0
                oh = eco[i, E_ON_HAND]
                pipe = 0.0
                for lot in range(n_lots):
                    qty = pipe_qty[i, lot]
                    if qty <= 0.0:
                        continue
                    day = lot_day[lot]
                    if day <= 0:
                        oh += qty
                        continue
                    if day < h:
                        arr[day] += qty
                    pipe += qty
                    if n_open < MAX_OPEN_ORDERS:
                        o_qty[n_open] = qty
                        o_eta[n_open] = int(pipe_eta[i, lot] + 0.5)
                        o_act[n_open] = day
                        n_open += 1
                backlog = 0.0
                sold_all = 0.0
                lost = 0.0
                pod_units = 0.0
                holding = 0.0
                podc = 0.0
                penalty = 0.0
                conv_loss = 0.0
                oos_dem = 0.0
                cum_cash = 0.0
                peak_cash = 0.0
                first_arr = -1
                so_flag = 0.0
                roll = 0.0
                peak7 = 0.0
                stopped = False
                mo = min_oh[c]
                next_slow = start if beta > 0.0 else h + 1
                next_fast = start if (kf > 0.0 or base_units > 0.0) else h + 1
                next_first = 0 if q0 > 0.0 else h + 1
                for t in range(h):
                    a = arr[t]
                    if a > 0.0:
                        oh += a
                        pipe -= a
                        if first_arr < 0:
                            first_arr = t
                    # ---- reviews and orders (before today's demand)
                    if (t == next_slow or t == next_fast or t == next_first) and not stopped:  # noqa: SIM109
                        scale = 1.0
                        gated = False
                        if use_scale:
                            w = min(7, t)
                            fc_w = fc_cum[i, t] - fc_cum[i, t - w]
                            cpr = 1.0 + 0.3 * fc_w
                            scale = (roll + cpr) / (fc_w + cpr)
                            gated = gate > 0.0 and t >= 7 and scale < gate
                        for r in range(3):
                            if r == 0:
                                if t != next_slow:
                                    continue
                                next_slow += rs
                                if gated:
                                    continue
                                a0 = min(t + eta_slow, hp)
                                b0 = min(a0 + rs, hp)
                                q = beta * scale * (fc_cum[i, b0] - fc_cum[i, a0])
                                route = SLOW
                            elif r == 1:
                                if t != next_fast:
                                    continue
                                next_fast += rf
                                if gated:
                                    continue
                                # expedited inventory position: stock + pipeline, less the
                                # open slow orders and lots expected after the window (only
                                # those are listed; fast orders always land inside it)
                                ip = oh - backlog + pipe
                                if n_open > 0:
                                    j = 0
                                    for k in range(n_open):
                                        if o_act[k] > t:
                                            if o_eta[k] > t + win_fast:
                                                ip -= o_qty[k]
                                            o_qty[j] = o_qty[k]
                                            o_eta[j] = o_eta[k]
                                            o_act[j] = o_act[k]
                                            j += 1
                                    n_open = j
                                b0 = min(t + win_fast, hp)
                                target = kf * scale * (fc_cum[i, b0] - fc_cum[i, t]) + base_units
                                q = target - ip
                                route = FAST
                            else:
                                if t != next_first:
                                    continue
                                next_first = h + 1
                                q = q0
                                route = r0
                            if q <= 1e-9 or not r_ok[route]:
                                continue
                            if route == SLOW and n_open >= MAX_OPEN_ORDERS:
                                continue
                            if r_fixed[route] >= 0:
                                lead = r_fixed[route]
                            else:
                                lead = lead_cache[route, t]
                                if lead < 0:
                                    z = _normal(seed, key, s, t, route)
                                    lead = _route_lead_time(rt[route], z)
                                    lead_cache[route, t] = lead
                            tied = 0.0
                            if cash_limited:
                                tied = max(0.0, -cum_cash)
                                for k in range(t + 1, h):
                                    tied += cash_out[k]  # payments booked for later days
                            eta = eta_slow if route == SLOW else eta_fast
                            if origin > 1e-9:
                                # stock already bought in the origin warehouse ships first:
                                # no production, no goods cost, no MOQ (a transfer)
                                tq = min(q, origin, max(cap - oh - pipe, 0.0))
                                if cash_limited and r_tcash[route] > 0.0:
                                    tq = min(tq, max((cash_lim - tied) / r_tcash[route], 0.0))
                                if tq > 1e-9:
                                    lead_t = max(lead - r_prod[route], 1)
                                    eta_t = max(eta - r_prod[route], 1)
                                    fr_t = max(tq * r_fr[route], r_min[route]) + r_fix[route]
                                    duty_t = tq * unit * duty_rate
                                    acc_fd += fr_t + duty_t
                                    acc_tq += tq
                                    origin -= tq
                                    q -= tq
                                    cum_cash -= fr_t  # freight paid when it ships (today)
                                    tied += fr_t
                                    if t + lead_t < h:
                                        arr[t + lead_t] += tq
                                        if duty_t > 0.0:
                                            cash_out[t + lead_t] += duty_t
                                            tied += duty_t
                                    pipe += tq
                                    if route == SLOW and n_open < MAX_OPEN_ORDERS:
                                        o_qty[n_open] = tq
                                        o_eta[n_open] = t + eta_t
                                        o_act[n_open] = t + lead_t
                                        n_open += 1
                                    if t == 0 and s == 0:
                                        day0_qty[i, c, 2 + route] += tq
                                        day0_eta[i, c, 2 + route] = eta_t
                                if q <= 1e-9 or (route == SLOW and n_open >= MAX_OPEN_ORDERS):
                                    continue
                            room = cap - oh - pipe
                            if cash_limited and r_cash[route] > 0.0:
                                room = min(room, (cash_lim - tied) / r_cash[route])
                            qq = _order_size(q, moq, case, room, min_share)
                            if qq <= 0.0:
                                continue
                            # book: deposit today, balance + freight at shipment, duty on arrival
                            goods = qq * unit
                            freight = max(qq * r_fr[route], r_min[route]) + r_fix[route]
                            duty = goods * duty_rate
                            acc_goods += goods
                            acc_fd += freight + duty
                            acc_q += qq
                            acc_n += 1.0
                            cum_cash -= dep * goods  # deposit: paid today
                            balance = (1.0 - dep) * goods + freight
                            ship = t + r_pay[route]
                            if ship == t:
                                cum_cash -= balance
                            elif balance > 0.0 and ship < h:
                                cash_out[ship] += balance
                            if duty > 0.0 and t + lead < h:
                                cash_out[t + lead] += duty
                            if lead == 0:
                                oh += qq
                                if first_arr < 0:
                                    first_arr = t
                            else:
                                if t + lead < h:
                                    arr[t + lead] += qq
                                pipe += qq
                                if route == SLOW or eta > win_fast:
                                    o_qty[n_open] = qq
                                    o_eta[n_open] = t + eta
                                    o_act[n_open] = t + lead
                                    n_open += 1
                            if t == 0 and s == 0:
                                day0_qty[i, c, route] += qq
                                day0_eta[i, c, route] = eta
                    # ---- demand and sales
                    d = dem[t]
                    need = d + backlog
                    start_oh = oh
                    sold = need if need < oh else oh
                    oh -= sold
                    unmet = need - sold
                    backlog = 0.0
                    if unmet > 1e-12:
                        if pod_mode:
                            served = unmet * pod_conv
                            conv_loss += unmet - served
                            pod_units += served
                            podc += served * pod_cost
                            cash_out[t] += served * pod_cost
                            sold += served
                        else:
                            if start_oh <= 1e-12:
                                oos_dem += d
                            if first_arr < 0:
                                so_flag = 1.0
                            penalty += unmet * penalty_unit
                            if backorders:
                                backlog = unmet
                            else:
                                lost += unmet
                    sold_all += sold
                    if margin != 0.0 and t + settle < h:
                        cash_in[t + settle] += sold * margin
                    # ---- holding and cash
                    hc = oh * storage + (oh + pipe) * capital
                    holding += hc
                    if tracing:
                        trace[i, c, s, t] = oh
                    cum_cash += cash_in[t] - cash_out[t] - hc
                    if -cum_cash > peak_cash:
                        peak_cash = -cum_cash
                    if oh < mo:
                        mo = oh
                    # ---- lifecycle signal: 7-day rolling demand against its peak
                    if track_roll:
                        roll += d
                        if t >= 7:
                            roll -= dem[t - 7]
                        if t >= 6 and roll > peak7:
                            peak7 = roll
                        if decay > 0.0 and t >= 13 and roll < decay * peak7:
                            stopped = True
                # ---- end of horizon: what is left, what still sells, what is dead
                left = oh + pipe - backlog
                if left < 0.0:
                    left = 0.0
                sell_later = sell_later_cap if sell_later_cap < left else left
                dead = left - sell_later
                if sell_later > 0.0 and hold_unit_day > 0.0:
                    # storage and capital while the leftover sells down after the horizon
                    holding += (
                        hold_unit_day
                        * sell_later
                        * 0.5
                        * _days_to_sell(sell_later, rate_end, q_day, term_cover)
                    )
                # stock left in the origin warehouse keeps its unit cost (it can ship later)
                terminal = sell_later * landed + dead * salvage + origin * unit
                variable = sold_all * var
                revenue = sold_all * price
                pr = (
                    revenue
                    - variable
                    - acc_goods
                    - acc_fd
                    - holding
                    - podc
                    - penalty
                    + terminal
                    - init_units * landed
                    - origin0 * unit
                )
                profit[i, c, s] = pr
                min_oh[c] = mo
                mt = metrics[i, c]
                mt[M_REVENUE] += revenue
                mt[M_SOLD] += sold_all
                mt[M_DEMAND] += dem_all
                mt[M_LOST] += lost
                mt[M_POD_UNITS] += pod_units
                mt[M_DEAD_UNITS] += dead
                mt[M_DEAD_VALUE] += dead * landed
                mt[M_PEAK_CASH] += peak_cash
                mt[M_HOLDING] += holding
                mt[M_FREIGHT] += acc_fd
                mt[M_ORDERED] += acc_q
                mt[M_STOCKOUT] += so_flag
                mt[M_OOS_DEMAND] += oos_dem
                mt[M_GOODS] += acc_goods
                mt[M_POD_COST] += podc
                mt[M_PENALTY] += penalty
                mt[M_CONV_LOSS] += conv_loss
                mt[M_PROFIT] += pr
                mt[M_END_UNITS] += oh + pipe
                mt[M_ORDERS] += acc_n
                mt[M_VARIABLE] += variable
                mt[M_TERMINAL] += terminal
                mt[M_BACKLOG_END] += backlog
                mt[M_TRANSFERRED] += acc_tq
        for c in range(n_cand):
            if params[i, c, P_ACTIVE] < 0.5:
                continue
            for k in range(N_METRICS):
                metrics[i, c, k] /= m
            metrics[i, c, M_MIN_ON_HAND] = min_oh[c]


def forecast_cumsum(forecast: F64, pad_days: int = FORECAST_PAD_DAYS, tail_days: int = 14) -> F64:
    """Cumulative expected demand ``(n, h+pad+1)``; beyond the horizon the last ``tail_days``
    mean rate continues, so order-up-to targets near the end do not fall off a cliff."""
    n, h = forecast.shape
    tail = forecast[:, max(0, h - tail_days) :].mean(axis=1) if h else np.zeros(n)
    ext = np.concatenate([forecast, np.repeat(tail[:, None], pad_days, axis=1)], axis=1)
    out = np.zeros((n, h + pad_days + 1))
    np.cumsum(ext, axis=1, out=out[:, 1:])
    return out


def simulate(
    inputs: PlanInputs, params: F64, config: SimConfig, *, trace: bool = False
) -> SimResult:
    """Run every candidate policy ``params[i, c]`` on every scenario of SKU ``i``.

    ``trace=True`` also returns the daily trace ``on_hand`` (n, c, m, h): units on hand at the
    end of each day of each scenario (what the web's inventory projection draws); it costs
    ``n × c × m × h`` floats, so the plan itself never asks for it."""
    n, m, h = inputs.demand.shape
    params = np.ascontiguousarray(params, dtype=np.float64)
    if params.ndim != 3 or params.shape[0] != n or params.shape[2] != N_PARAMS:
        raise ValueError(f"params must have shape (n_skus, n_candidates, {N_PARAMS})")
    n_cand = params.shape[1]
    demand = np.ascontiguousarray(inputs.demand, dtype=np.float64)
    if demand.size and float(demand.min()) < 0:
        demand = np.maximum(demand, 0.0)
    fc_cum = forecast_cumsum(inputs.mean_forecast(), tail_days=config.tail_days)
    metrics = np.zeros((n, n_cand, N_METRICS))
    profit = np.zeros((n, n_cand, m))
    day0_qty = np.zeros((n, n_cand, 4))
    day0_eta = np.zeros((n, n_cand, 4))
    on_hand = np.zeros((n, n_cand, m, h if trace else 0))

    def result() -> SimResult:
        trace_out = on_hand if trace else None
        return SimResult(
            metrics, profit, day0_qty, day0_eta, config.risk_alpha, config.risk_lambda, trace_out
        )

    if not (n and m and h):
        return result()
    eco = np.ascontiguousarray(inputs.economics, dtype=np.float64)
    routes = np.ascontiguousarray(inputs.routes, dtype=np.float64)
    pq = np.ascontiguousarray(inputs.pipeline_qty, dtype=np.float64)
    pe = np.ascontiguousarray(inputs.pipeline_eta, dtype=np.float64)
    ps = np.ascontiguousarray(inputs.pipeline_sd, dtype=np.float64)
    keys = np.ascontiguousarray(inputs.sku_key, dtype=np.int64)

    def run(sl: slice) -> None:
        _kernel(
            demand[sl],
            fc_cum[sl],
            params[sl],
            eco[sl],
            routes[sl],
            pq[sl],
            pe[sl],
            ps[sl],
            keys[sl],
            int(config.seed),
            bool(config.backorders),
            float(config.terminal_cover_days),
            int(config.tail_days),
            metrics[sl],
            profit[sl],
            day0_qty[sl],
            day0_eta[sl],
            on_hand[sl],
        )

    threads = max(1, min(config.threads or os.cpu_count() or 1, n))
    if threads == 1:
        run(slice(0, n))
    else:
        step = max(1, -(-n // (4 * threads)))
        slices = [slice(a, min(a + step, n)) for a in range(0, n, step)]
        with ThreadPoolExecutor(max_workers=threads) as pool:
            list(pool.map(run, slices))
    return result()


def make_params(n_skus: int, n_candidates: int, **values: Any) -> F64:
    """A parameter array filled with defaults (inactive=0 unless ``active`` is given).

    Keyword names are :data:`PARAM_NAMES`; values broadcast to ``(n_skus, n_candidates)``.

    >>> make_params(2, 3, active=1, fast_cover_multiplier=[1.0, 1.5, 2.0])[1, 2, P_K]
    np.float64(2.0)
    """
    out = np.zeros((n_skus, n_candidates, N_PARAMS))
    out[..., P_RF] = 7
    out[..., P_RS] = 14
    for name, value in values.items():
        idx = PARAM_NAMES.index(name)
        out[..., idx] = np.broadcast_to(np.asarray(value, dtype=np.float64), (n_skus, n_candidates))
    return out


ECON_DEFAULTS: dict[str, float] = {
    "price": 0.0,
    "variable_cost": 0.0,
    "unit_cost": 0.0,
    "landed_cost": 0.0,
    "duty_rate": 0.0,
    "storage_cost_per_day": 0.0,
    "capital_cost_per_day": 0.0,
    "salvage_value": 0.0,
    "stockout_penalty": 0.0,
    "moq": 0.0,
    "case_pack": 0.0,
    "capacity_units": np.inf,
    "cash_limit": np.inf,
    "deposit_rate": 1.0,
    "settlement_days": 0.0,
    "pod_eligible": 0.0,
    "pod_unit_cost": 0.0,
    "pod_conversion": 1.0,
    "on_hand": 0.0,
    #: units of the SKU already bought and waiting in the origin (Chinese) warehouse
    "origin_stock": 0.0,
}
ROUTE_DEFAULTS: dict[str, float] = {
    "ok": 1.0,
    "lead_time_mean": 0.0,
    "lead_time_sd": 0.0,
    "lead_time_min": 0.0,
    "production_days": 0.0,
    "freight_per_unit": 0.0,
    "fixed_cost": 0.0,
    "min_charge": 0.0,
    #: distribution code (:data:`DIST_CODES`; empirical needs quantile columns)
    "dist": 0.0,
}


def build_inputs(
    demand: F64,
    *,
    slow: dict[str, Any] | None = None,
    fast: dict[str, Any] | None = None,
    pipeline: list[tuple[float, float, float]] | None = None,
    sku_ids: tuple[str, ...] = (),
    sku_key: NDArray[np.int64] | None = None,
    **economics: Any,
) -> PlanInputs:
    """Plain-array inputs with defaults: the quickest way to use the simulator directly.

    ``economics`` keys are those of :data:`ECON_DEFAULTS` (scalars or per-SKU arrays);
    ``slow``/``fast`` map :data:`ROUTE_DEFAULTS` keys to values (a missing route is
    unavailable); ``pipeline`` lists ``(units, expected day, SD days)`` lots in transit,
    the same for every SKU.
    """
    demand = np.asarray(demand, dtype=np.float64)
    if demand.ndim != 3:
        raise ValueError("demand must have shape (n_skus, n_scenarios, horizon)")
    n = demand.shape[0]
    unknown = set(economics) - set(ECON_DEFAULTS)
    if unknown:
        raise ValueError(f"unknown economics {sorted(unknown)}; expected {sorted(ECON_DEFAULTS)}")
    eco = np.zeros((n, N_ECON))
    for j, (name, default) in enumerate(ECON_DEFAULTS.items()):
        eco[:, j] = np.broadcast_to(np.asarray(economics.get(name, default), dtype=float), (n,))
    routes = np.zeros((n, 2, N_ROUTE))
    for slot, spec in ((SLOW, slow), (FAST, fast)):
        if spec is None:
            continue
        bad = set(spec) - set(ROUTE_DEFAULTS)
        if bad:
            raise ValueError(
                f"unknown route fields {sorted(bad)}; expected {sorted(ROUTE_DEFAULTS)}"
            )
        for j, (name, default) in enumerate(ROUTE_DEFAULTS.items()):
            routes[:, slot, j] = np.broadcast_to(
                np.asarray(spec.get(name, default), dtype=float), (n,)
            )
        # production days are part of the lead time (a transfer of ready stock skips them)
        routes[:, slot, R_PROD] = routes[:, slot, R_PAY]
    lots = pipeline or []
    k = max(1, len(lots))
    pq, pe, ps = np.zeros((n, k)), np.zeros((n, k)), np.zeros((n, k))
    for j, (units, day, sd) in enumerate(lots):
        pq[:, j], pe[:, j], ps[:, j] = units, day, sd
    key = np.arange(n, dtype=np.int64) if sku_key is None else np.asarray(sku_key, dtype=np.int64)
    return PlanInputs(demand, eco, routes, pq, pe, ps, key, sku_ids)


@njit(cache=True)
def _sample_lead_times(row: F64, n: int, seed: int) -> NDArray[np.int64]:
    out = np.empty(n, dtype=np.int64)
    for s in range(n):
        out[s] = _route_lead_time(row, _normal(seed, 0, s, 0, 0))
    return out


def sample_lead_times(
    mean_days: float,
    sd_days: float,
    min_days: float,
    n: int,
    seed: int = 0,
    *,
    dist: str = "lognormal",
    quantiles: F64 | None = None,
) -> NDArray[np.int64]:
    """Lead-time draws (whole days) exactly as the simulator makes them: ``dist`` with the
    given mean and SD (or the ``quantiles`` at 0, 0.1, …, 1 for ``empirical``), at least
    ``min_days``, rounded to the nearest day."""
    row = np.zeros(N_ROUTE)
    row[R_MEAN], row[R_SD], row[R_MIN] = mean_days, sd_days, min_days
    row[R_DIST] = DIST_CODES[dist]
    if quantiles is not None:
        row[R_Q0 : R_Q0 + N_QUANT] = np.asarray(quantiles, dtype=np.float64)
    elif dist == "empirical":
        raise ValueError("an empirical lead time needs its quantiles")
    return np.asarray(_sample_lead_times(row, int(n), int(seed)))
