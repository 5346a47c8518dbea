"""Launch curves: how a young SKU's baseline declines, learned from the shop's earlier launches.

Data flow (pure numpy, one chunk of SKUs)::

    baseline units z (SKUs × days, NaN = unobserved), first observed day per SKU
      ──(SKUs launched inside the panel, aligned by age)──> launch matrix A (launches × ages)
      ──(per target age a: ratio of sums over earlier launches observed past a)──>
        r(a, t) = Σ_j A[j, a + t] / Σ_j L_j(a)        L_j(a) = mean of A[j] over ages a−13 … a
      ──(category first, shrunk to all launches; parametric tail beyond the data)──>
        the SKU's multiplier on its recent level for each future day

A SKU ``a`` days old (``a`` < :data:`MAX_AGE`) is forecast as ``L_i(a) · r(a, t)`` instead of a
flat level, so a SKU 7–14 days old gets the decline (or the growth) that launches of its shop
really had at that age.  Where fewer than ``min_launches`` earlier launches were observed
that far, the curve continues as the better of an exponential (``log r`` linear in ``t``) and
a power law (``log r`` linear in ``log t``) fitted to the observed part of the curve; with
no earlier launch at all the multiplier is 1 (the flat level).

The spread of the launches' own outcomes around the pooled curve (volume-weighted CV of each
launch's horizon total over ``h·L_j``) is returned too: it widens the level uncertainty,
because the next launch's fate is uncertain, not just its day-to-day noise.

Sources: the empirical "life-cycle curve" analogy method of new-product forecasting (Kahn
2002, *An exploratory investigation of new product forecasting practices*; Goodwin, Dyussekeneva
& Meeran 2013 on forecasting by analogy); exponential vs power-law relaxation after a burst
(Crane & Sornette 2008).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from quickturn.core.sense.types import BoolArray, FloatArray, IntArray

#: SKUs younger than this (days since first observed day) get a launch curve
MAX_AGE = 120
#: days of the recent level, both for the target SKU and for every earlier launch
LEVEL_DAYS = 14
#: days of curve kept per SKU (the longest horizon the phases report asks for)
CURVE_DAYS = 365
#: days after the SKU's age over which the level is pooled across launches (and the curve has
#: mean 1)
HORIZON_DAYS = 28
#: an earlier SKU counts as a launch only if first seen this many days into the panel (a SKU
#: first seen in the first weeks of a history is usually an old product that sold late)
MIN_LAUNCH_DAY = 28


@dataclass(frozen=True)
class LaunchCurves:
    """Per SKU: ``young`` (a curve applies), ``recent`` level (units/day over its last 14
    days, weekday-adjusted), expected ``level`` over the next :data:`HORIZON_DAYS` days,
    ``ratio`` (``n × CURVE_DAYS``, multiplier of ``level`` on future day t+1, mean 1 over the
    first :data:`HORIZON_DAYS`), ``cv`` of ``level`` across analogous launches, ``n_launches``
    behind it and ``pooled`` (the level is the posterior from the launches' level regression,
    whose spread already holds the noise of the recent level; else recent × curve) and
    ``size``, the launches' daily negative-binomial size around their curves (NaN if none)."""

    young: BoolArray
    level: FloatArray
    ratio: FloatArray
    cv: FloatArray
    n_launches: IntArray
    recent: FloatArray
    pooled: BoolArray
    size: FloatArray


def first_observed(y: FloatArray) -> IntArray:
    ok = np.isfinite(y)
    out: IntArray = np.where(ok.any(axis=1), np.argmax(ok, axis=1), y.shape[1]).astype(np.int64)
    return out


def _by_age(z: FloatArray, first: IntArray, rows: IntArray, length: int) -> FloatArray:
    t_n = z.shape[1]
    idx = first[rows][:, None] + np.arange(length)[None, :]
    inside = idx < t_n
    out = np.full((rows.size, length), np.nan)
    if rows.size:
        vals = z[rows[:, None], np.minimum(idx, t_n - 1)]
        out[inside] = vals[inside]
    return out


def _tail_fit(r: FloatArray, n_obs: FloatArray, min_launches: int) -> FloatArray:
    """Continue ``r`` (one curve, ``CURVE_DAYS``) past the last day with enough launches."""
    good = n_obs >= min_launches
    if good.all():
        return r
    last = int(np.flatnonzero(good).max()) if good.any() else -1
    out = r.copy()
    if last < 6:  # too little curve to fit a tail: hold the last known multiplier
        fill = float(r[last]) if last >= 0 else 1.0
        out[last + 1 :] = fill
        return out
    t = np.arange(1, last + 2, dtype=np.float64)
    lr = np.log(np.maximum(r[: last + 1], 1e-6))
    tail = slice(max(0, last + 1 - 28), last + 1)
    best_sse, best = np.inf, None
    for x in (t, np.log(t)):
        a, b = np.polyfit(x[tail], lr[tail], 1)
        b = min(b, 0.0)  # a tail never grows without evidence
        sse = float(((a + b * x[tail] - lr[tail]) ** 2).sum())
        if sse < best_sse:
            best_sse, best = sse, (a, b, x is not t)
    assert best is not None
    a, b, power = best
    tt = np.arange(last + 2, CURVE_DAYS + 1, dtype=np.float64)
    xt = np.log(tt) if power else tt
    # continue from the last observed multiplier, with the fitted slope
    x_last = np.log(last + 1.0) if power else last + 1.0
    anchor = lr[last]
    out[last + 1 :] = np.exp(anchor + b * (xt - x_last))
    return out


def window_features(units: FloatArray, lo: int, hi: int) -> tuple[FloatArray, FloatArray]:
    """Level and shape features of ages ``lo … hi`` (inclusive) per row of ``units``.

    ``level`` is the mean over observed days; the features are the share of days with sales
    (repeat demand vs one order), the log trend from the first to the second half of the
    window, and the share of the window's units sold on its biggest day (a one-off order)."""
    w = units[:, lo : hi + 1]
    ok = np.isfinite(w)
    v = np.where(ok, w, 0.0)
    cnt = np.maximum(ok.sum(axis=1), 1)
    level = v.sum(axis=1) / cnt
    sell = (v > 0).sum(axis=1) / cnt
    half = max(v.shape[1] // 2, 1)
    c1 = np.maximum(ok[:, :half].sum(axis=1), 1)
    c2 = np.maximum(ok[:, half:].sum(axis=1), 1)
    m1 = v[:, :half].sum(axis=1) / c1
    m2 = v[:, half:].sum(axis=1) / c2
    trend = np.log((m2 + 0.5) / (m1 + 0.5))
    peak = v.max(axis=1, initial=0.0) / np.maximum(v.sum(axis=1), 1e-12)
    return level, np.column_stack([sell, trend, peak])


def _level_posterior(
    x: FloatArray,
    yv: FloatArray,
    wf: FloatArray,
    x_t: FloatArray,
    slope_prior_sd: float,
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Weighted regression ``log F_j = α + β log L_j + e_j`` over earlier launches, one per
    target (rows of ``wf``), and the predictive distribution of each target's ``log F``.

    ``β`` is the credibility of the SKU's own level: kept in [0, 1], flat there by default;
    a finite ``slope_prior_sd`` adds a normal prior centred on 1 (the own level carries over
    unshrunk), combined with the data's slope by precision; the residuals ``e_j`` are kept whole (Duan's smearing: the mean of
    ``exp(μ + e)`` is the retransformed mean without a normality assumption).
    Returns ``(μ_t, v_t, e, ok)``: predictive centre, parameter variance, residuals per
    (target, launch) and whether the regression had data (≥ 3 effective launches whose
    levels differ)."""
    sw = wf.sum(axis=1)
    ok = sw > 0
    sws = np.maximum(sw, 1e-300)
    n_eff = sw**2 / np.maximum((wf * wf).sum(axis=1), 1e-300)
    xb = wf @ x / sws
    yb = wf @ yv / sws
    sxx = np.maximum(wf @ (x * x) / sws - xb**2, 0.0)
    sxy = wf @ (x * yv) / sws - xb * yb
    b_hat = np.where(sxx > 1e-9, sxy / np.maximum(sxx, 1e-12), 1.0)
    a_hat = yb - b_hat * xb
    e_hat = yv[None, :] - a_hat[:, None] - b_hat[:, None] * x[None, :]
    dof = np.maximum(n_eff - 2.0, 1.0)
    s2 = (wf * e_hat**2).sum(axis=1) / sws * n_eff / dof
    prec_d = n_eff * sxx / np.maximum(s2, 1e-6)
    prec_0 = 1.0 / slope_prior_sd**2 if np.isfinite(slope_prior_sd) else 0.0
    beta = np.clip((prec_d * b_hat + prec_0) / (prec_d + prec_0), 0.0, 1.0)
    alpha = yb - beta * xb
    e = yv[None, :] - alpha[:, None] - beta[:, None] * x[None, :]
    mu = alpha + beta * x_t
    v = s2 / np.maximum(n_eff, 1.0) + (x_t - xb) ** 2 / np.maximum(prec_d + prec_0, 1e-12)
    # without spread in the launches' levels the slope is unidentified: no pooled level
    ok = ok & (n_eff >= 3.0) & ((sxx > 1e-6) | (prec_0 > 0))
    return mu, np.minimum(v, 4.0), e, ok


def _curves_at_age(
    pool: LaunchPool,
    age: int,
    level_t: FloatArray,
    feat_t: FloatArray,
    cat_t: npt.NDArray[np.object_] | None,
    min_launches: int,
    category_boost: float,
    bandwidth: float,
    slope_prior_sd: float = np.inf,
    pool_level: bool = True,
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, BoolArray, FloatArray]:
    """Analogue-weighted curves for ``m`` targets of the same ``age``: the expected level
    over the next :data:`HORIZON_DAYS` days, the curve ``(m, CURVE_DAYS)`` (mean 1 over those
    days), the CV of that level, the effective launch count, and whether the level came from
    the pooled regression (else it is the SKU's own level × the curve, no shrinkage), and the
    negative-binomial size of the analogous launches' daily units around their own curve
    (NaN without data)."""
    m = level_t.shape[0]
    lo = max(0, age - LEVEL_DAYS + 1)
    lev, feat = window_features(pool.units, lo, age)
    use = (pool.obs_age > age) & (lev > 0) & np.isfinite(pool.units[:, lo : age + 1]).any(axis=1)
    ratio = np.ones((m, CURVE_DAYS))
    cv = np.zeros(m)
    n_eff = np.zeros(m)
    level = level_t.copy()
    shrunk = np.zeros(m, dtype=bool)
    size = np.full(m, np.nan)
    if use.sum() < min_launches:
        return level, ratio, cv, n_eff, shrunk, size
    lev, feat = lev[use], feat[use]
    obs = pool.obs_age[use]
    units = pool.units[use]
    scale = np.maximum(feat.std(axis=0), 1e-6)
    d2 = (((feat_t[:, None, :] - feat[None, :, :]) / scale) ** 2).sum(axis=2)
    w = np.exp(-0.5 * d2 / bandwidth**2)
    if cat_t is not None and pool.category is not None:
        same = cat_t[:, None] == pool.category[use][None, :]
        w = w * (1.0 + category_boost * same)
    t_idx = age + 1 + np.arange(CURVE_DAYS)
    inside = t_idx < units.shape[1]
    fut = np.full((units.shape[0], CURVE_DAYS), np.nan)
    fut[:, inside] = units[:, t_idx[inside]]
    valid = (t_idx[None, :] <= obs[:, None]) & np.isfinite(fut)
    vf = valid.astype(np.float64)
    num = w @ np.where(valid, fut, 0.0)
    den = w @ (vf * lev[:, None])
    eff = (w @ vf) ** 2 / np.maximum((w * w) @ vf, 1e-300)
    r = np.where(den > 0, num / np.maximum(den, 1e-300), 1.0)
    h = HORIZON_DAYS
    full = valid[:, :h].all(axis=1)
    fmean = np.where(full, np.nansum(np.where(valid[:, :h], fut[:, :h], 0.0), axis=1) / h, 0.0)
    # the level over the next h days, regressed on the level so far across earlier
    # launches (half a unit of continuity on each window's total keeps zeros finite)
    c_l = 0.5 / (age - lo + 1)
    c_f = 0.5 / h
    x = np.log(lev + c_l)
    yv = np.log(fmean + c_f)
    wf = w * full
    mu, v_par, e, ok = _level_posterior(x, yv, wf, np.log(level_t + c_l), slope_prior_sd)
    sw = np.maximum(wf.sum(axis=1), 1e-300)
    for k in range(m):
        rk = _tail_fit(r[k], eff[k], min_launches)
        rbar = max(float(rk[:h].mean()), 1e-12)
        ratio[k] = rk / rbar
        n_eff[k] = eff[k, 0]
        if ok[k] and pool_level:
            g = np.exp(mu[k] + e[k])
            m1 = float((wf[k] * g).sum() / sw[k]) * np.exp(0.5 * v_par[k])
            m2 = float((wf[k] * g * g).sum() / sw[k]) * np.exp(2.0 * v_par[k])
            level[k] = max(m1 - c_f, 0.0)
            cv[k] = np.sqrt(max(m2 - m1 * m1, 0.0)) / max(level[k], 1e-12)
            shrunk[k] = True
            # day-to-day over-dispersion of those launches around fmean_j × curve (moments)
            mjt = fmean[:, None] * ratio[k, None, :h]
            dev = np.where(full[:, None], (np.nan_to_num(fut[:, :h]) - mjt) ** 2 - mjt, 0.0)
            den_k = float(wf[k] @ (mjt * mjt).sum(axis=1))
            if den_k > 0:
                inv = max(float(wf[k] @ dev.sum(axis=1)) / den_k, 1e-3)
                size[k] = float(np.clip(1.0 / inv, 0.05, 1000.0))
        else:
            level[k] = level_t[k] * rbar
            wk = w[k] * lev * full
            if wk.sum() > 0:
                rr = fmean * h / np.maximum(lev, 1e-300) / (rbar * h)
                cv[k] = float(np.sqrt((wk * np.where(full, rr - 1.0, 0.0) ** 2).sum() / wk.sum()))
    return level, ratio, cv, n_eff, shrunk, size


@dataclass(frozen=True)
class LaunchPool:
    """The shop's earlier launches aligned by age: ``units[j, s]`` on day ``s`` after launch
    (NaN unobserved), ``obs_age[j]`` the last age observed, ``category[j]`` (or None)."""

    units: FloatArray
    obs_age: IntArray
    category: npt.NDArray[np.object_] | None

    @property
    def n(self) -> int:
        return int(self.obs_age.shape[0])


def launch_rows(y: FloatArray, *, min_launch_day: int = MIN_LAUNCH_DAY) -> IntArray:
    """Rows of ``y`` that count as launches: first observed on or after ``min_launch_day``."""
    first = first_observed(y)
    out: IntArray = np.flatnonzero((first >= min_launch_day) & (first < y.shape[1])).astype(
        np.int64
    )
    return out


def launch_pool(
    y: FloatArray,
    category: Sequence[str] | None = None,
    *,
    min_launch_day: int = MIN_LAUNCH_DAY,
) -> LaunchPool:
    """Every SKU of the whole panel first observed on or after column ``min_launch_day``
    (built once per panel, before it is cut into chunks, so chunks share one pool)."""
    t_n = y.shape[1]
    first = first_observed(y)
    rows = launch_rows(y, min_launch_day=min_launch_day)
    units = _by_age(y, first, rows, t_n)
    obs_age = (t_n - 1 - first[rows]).astype(np.int64)
    cats = np.array(list(category), dtype=object)[rows] if category is not None else None
    return LaunchPool(units, obs_age, cats)


def launch_curves(
    z: FloatArray,
    pool: LaunchPool,
    category: Sequence[str] | None = None,
    *,
    min_launches: int = 5,
    category_boost: float = 2.0,
    bandwidth: float = 1.0,
    max_age: int = MAX_AGE,
    slope_prior_sd: float = np.inf,
    pool_level: bool = True,
) -> LaunchCurves:
    """Launch curves for the young SKUs of ``z`` (SKUs × days, NaN unobserved) from ``pool``.

    A SKU is young when its first observed day is after column 0 and it is younger than
    ``max_age``.  Each earlier launch observed past the SKU's age weighs
    ``exp(−d²/2b²)·(1 + boost·same category)``, ``d`` the standardised distance between the
    two launches' window features (:func:`window_features`) and ``b`` the ``bandwidth``:
    the curve is the weighted ratio of sums ``Σ w_j A_j(a+t) / Σ w_j L_j(a)`` — forecasting
    by analogy, so a launch that sold on one big day follows launches that did the same.

    With ``pool_level`` the expected level is the posterior of the launches' regression of
    later level on early level (:func:`_level_posterior`); without it (the pool's raw units
    hold content-driven sales that the caller models apart) it is the recent level × curve.
    """
    n, t_n = z.shape
    first = first_observed(z)
    launched = (first > 0) & (first < t_n)
    age = np.where(launched, t_n - 1 - first, -1)
    young = launched & (age < max_age)
    level = np.zeros(n)
    recent = np.zeros(n)
    pooled = np.zeros(n, dtype=bool)
    size = np.full(n, np.nan)
    ratio = np.ones((n, CURVE_DAYS))
    cv = np.zeros(n)
    n_l = np.zeros(n, dtype=np.int64)
    if not young.any() or pool.n < min_launches:
        return LaunchCurves(np.zeros(n, dtype=bool), level, ratio, cv, n_l, recent, pooled, size)
    cats = np.array(list(category), dtype=object) if category is not None else None
    by_age = _by_age(z, first, np.arange(n), t_n)
    for a in np.unique(age[young]):
        rows = np.flatnonzero(young & (age == a))
        lo = max(0, int(a) - LEVEL_DAYS + 1)
        lev_t, feat_t = window_features(by_age[rows], lo, int(a))
        lv, r, c, eff, sh, sz = _curves_at_age(
            pool,
            int(a),
            lev_t,
            feat_t,
            cats[rows] if cats is not None else None,
            min_launches,
            category_boost,
            bandwidth,
            slope_prior_sd,
            pool_level,
        )
        ok = eff >= min_launches
        young[rows[~ok]] = False
        recent[rows] = lev_t
        level[rows] = np.where(ok, lv, lev_t)
        ratio[rows[ok]] = r[ok]
        cv[rows[ok]] = c[ok]
        pooled[rows] = ok & sh
        size[rows] = np.where(ok & sh, sz, np.nan)
        n_l[rows] = np.round(eff).astype(np.int64)
    return LaunchCurves(young, level, ratio, cv, n_l, recent, pooled, size)
