"""The lifecycle model: demand = baseline + content-driven bursts, negative-binomial noise.

Data flow (one chunk of SKUs at a time, Numba inside)::

    posts' daily views ──(grid likelihood, shop-wide prior)──> kernel posterior per post
                                                               (exponential vs power law)
    y (SKUs × days) ──(EM: attribute each day's units to baseline / each post)──>
        baseline series, conversion per post (units per view) shrunk to the SKU,
        the SKU's conversion shrunk to its category
    baseline series ──(local level, weekday factors, α by one-step error)──> level today
    ──> mean forecast  = level × weekday + Σ active posts conv × expected future views
                         + expected new posts (rate × size × kernel)
    ──> sample paths   = parameter draws (level, kernel, conversion, new posts) + NB noise
    ──> quantiles      = order statistics of the paths

The model for SKU i on day t::

    λ_it = b_it · w_i,dow(t) + Σ_k c_k · v_k(t)          v_k = views of post k
    y_it ~ NegBin(mean λ_it, size κ_i)                    (censored days skipped)
    v_k(t) = V_k · S_θk(t − τ_k)                          S from the kernel grid
    c_k ~ Gamma(a0, rate a0 / c_i),   c_i shrunk to the category with ``n0`` pseudo-units

Sources: Bass (1969) for the life-cycle vocabulary; SEISMIC (Zhao et al. 2015) for
predicting a cascade's final size from its early observations with a power-law memory
kernel; Crane & Sornette (2008) for exponential vs power-law relaxation of bursts.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numba as nb
import numpy as np

from quickturn.core.jit import njit
from quickturn.core.sense.base import (
    Chunk,
    Forecaster,
    _mix,
    day_of_week,
    nb_draw,
    nb_size_mom,
    quantiles_from_paths,
    weekdays,
)
from quickturn.core.sense.kernels import KernelGrid, kernel_grid
from quickturn.core.sense.launch import LEVEL_DAYS, launch_curves, launch_pool, launch_rows
from quickturn.core.sense.types import ContentPosts, FloatArray, IntArray

SES_ALPHAS: tuple[float, ...] = (0.02, 0.05, 0.1, 0.2, 0.35)


@lru_cache(maxsize=2)
def default_grid(length: int = 400) -> KernelGrid:
    return kernel_grid(length)


# ---------------------------------------------------------------------------------------------
# Baseline helpers
# ---------------------------------------------------------------------------------------------


@njit(cache=True)
def ses_select(
    y: FloatArray, alphas: FloatArray, burn: int, ahead: int
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Simple exponential smoothing over observed days, α chosen by how well the level at
    each day predicts the mean of the next ``ahead`` observed days (squared error).

    Selecting α on the multi-day mean (not on the next day) matches what the level is used
    for — a horizon of weeks — and avoids picking a too-smooth level on lumpy series.
    Returns the final level, the chosen α and the one-step fitted values (per row).
    """
    n, t = y.shape
    k = alphas.shape[0]
    level_out = np.zeros(n)
    alpha_out = np.zeros(n)
    fitted = np.full((n, t), np.nan)
    csum = np.zeros(t + 1)
    ccnt = np.zeros(t + 1)
    for i in range(n):
        for s in range(t):
            v = y[i, s]
            ok = not np.isnan(v)
            csum[s + 1] = csum[s] + (v if ok else 0.0)
            ccnt[s + 1] = ccnt[s] + (1.0 if ok else 0.0)
        best = np.inf
        best_j = 0
        for j in range(k):
            a = alphas[j]
            lv = np.nan
            sse = 0.0
            seen = 0
            for s in range(t):
                v = y[i, s]
                if np.isnan(v):
                    continue
                if np.isnan(lv):
                    lv = v
                    seen = 1
                    continue
                lv += a * (v - lv)
                seen += 1
                if seen >= burn:
                    e = min(s + 1 + ahead, t)
                    c = ccnt[e] - ccnt[s + 1]
                    if c >= ahead // 2:
                        sse += ((csum[e] - csum[s + 1]) / c - lv) ** 2
            if sse < best:
                best = sse
                best_j = j
        a = alphas[best_j]
        lv = np.nan
        for s in range(t):
            v = y[i, s]
            fitted[i, s] = lv
            if np.isnan(v):
                continue
            if np.isnan(lv):
                lv = v
            else:
                lv += a * (v - lv)
        level_out[i] = 0.0 if np.isnan(lv) else lv
        alpha_out[i] = a
    return level_out, alpha_out, fitted


def weekday_factors(
    y: FloatArray,
    weekday0: int | IntArray,
    window: int = 182,
    prior_days: float = 8.0,
    floor: float = 0.01,
) -> FloatArray:
    """Multiplicative weekday factors ``(n, 7)`` (mean 1) from the last ``window`` days.

    Each SKU's factors are shrunk towards the panel's pooled factors with ``prior_days``
    pseudo-observations per weekday, so sparse SKUs borrow the shop's weekly rhythm.
    """
    n, t = y.shape
    a = max(0, t - window)
    tail = y[:, a:]
    wd = day_of_week(weekdays(weekday0, n), a, tail.shape[1])
    ok = np.isfinite(tail)
    v = np.where(ok, tail, 0.0)
    sums = np.zeros((n, 7))
    cnts = np.zeros((n, 7))
    for d in range(7):
        m = wd == d
        sums[:, d] = (v * m).sum(axis=1)
        cnts[:, d] = (ok & m).sum(axis=1)
    tot = sums.sum(axis=1)
    rate = np.where(cnts > 0, sums / np.maximum(cnts, 1), 0.0)
    mean_rate = np.where(tot > 0, tot / np.maximum(cnts.sum(axis=1), 1), 0.0)
    rel = np.where(mean_rate[:, None] > 0, rate / np.maximum(mean_rate[:, None], 1e-12), 1.0)
    wts = np.minimum(tot, 50.0)
    if wts.sum() > 0:
        pooled = (rel * wts[:, None]).sum(axis=0) / wts.sum()
    else:
        pooled = np.ones(7)
    pooled = pooled / max(float(pooled.mean()), 1e-12)
    pseudo = prior_days * mean_rate[:, None]
    f = (sums + pseudo * pooled[None, :]) / np.maximum(
        (cnts + prior_days) * mean_rate[:, None], 1e-12
    )
    f = np.where(mean_rate[:, None] > 0, f, pooled[None, :])
    f = np.maximum(f / np.maximum(f.mean(axis=1, keepdims=True), 1e-12), floor)
    f = f / f.mean(axis=1, keepdims=True)
    return np.asarray(f, dtype=np.float64)


# ---------------------------------------------------------------------------------------------
# Post kernels: grid likelihood of each post's observed views
# ---------------------------------------------------------------------------------------------


@njit(cache=True, parallel=True)
def post_loglik(
    views: FloatArray,
    day: IntArray,
    m: IntArray,
    shape: FloatArray,
    size_v: float,
) -> tuple[FloatArray, FloatArray]:
    """Negative-binomial log-likelihood ``(P, G)`` of each post's first ``m`` days of views
    under each grid shape, at the total ``V̂ = Σ v / Σ S`` (the shape's MLE under Poisson).

    Days 0–29 count one by one; later days are thinned to every third day with weight 3
    (the tail's slope is what they tell).  Terms that do not depend on the shape are dropped.
    Returns ``(ll, V̂)``.
    """
    p_n = views.shape[0]
    g_n, length = shape.shape
    ll = np.zeros((p_n, g_n))
    vhat = np.zeros((p_n, g_n))
    k = size_v
    logshape = np.log(shape)
    for p in nb.prange(p_n):
        mm = m[p]
        if mm > length:
            mm = length
        if mm <= 0:
            continue
        d0 = day[p]
        tot = 0.0
        for t in range(mm):
            tot += views[p, d0 + t]
        if tot <= 0.0:
            continue
        for g in range(g_n):
            s = 0.0
            for t in range(mm):
                s += shape[g, t]
            v_hat = tot / s
            vhat[p, g] = v_hat
            lv = np.log(v_hat)
            acc = 0.0
            t = 0
            while t < mm:
                w = 1.0 if t < 30 else 3.0
                mu = v_hat * shape[g, t]
                v = views[p, d0 + t]
                acc += w * (v * (lv + logshape[g, t]) - (k + v) * np.log(k + mu))
                t += 1 if t < 30 else 3
            ll[p, g] = acc
    return ll, vhat


def views_dispersion(
    views: FloatArray,
    day: IntArray,
    m: IntArray,
    ll: FloatArray,
    vhat: FloatArray,
    shape: FloatArray,
) -> float:
    """Pooled NB size of post views around each post's best-fitting shape (moments)."""
    num = 0.0
    den = 0.0
    best = np.argmax(ll, axis=1)
    for p in range(views.shape[0]):
        mm = min(int(m[p]), shape.shape[1])
        if mm <= 1 or vhat[p, best[p]] <= 0:
            continue
        mu = vhat[p, best[p]] * shape[best[p], :mm]
        v = views[p, day[p] : day[p] + mm]
        num += float(((v - mu) ** 2 - mu).sum())
        den += float((mu * mu).sum())
    if den <= 0:
        return 30.0
    inv = max(num / den, 1e-3)
    return float(np.clip(1.0 / inv, 2.0, 1000.0))


# ---------------------------------------------------------------------------------------------
# EM: attribute sales to baseline and posts
# ---------------------------------------------------------------------------------------------


@njit(cache=True)
def _smooth_two_sided(u: FloatArray, ok: np.ndarray, alpha: float, out: FloatArray) -> None:
    t = u.shape[0]
    fwd = np.zeros(t)
    bwd = np.zeros(t)
    lv = np.nan
    # initialise with the mean of the first observed days
    s = 0.0
    c = 0
    for j in range(t):
        if ok[j]:
            s += u[j]
            c += 1
            if c >= 7:
                break
    lv = s / c if c > 0 else 0.0
    for j in range(t):
        if ok[j]:
            lv += alpha * (u[j] - lv)
        fwd[j] = lv
    s = 0.0
    c = 0
    for j in range(t - 1, -1, -1):
        if ok[j]:
            s += u[j]
            c += 1
            if c >= 7:
                break
    lv = s / c if c > 0 else 0.0
    for j in range(t - 1, -1, -1):
        if ok[j]:
            lv += alpha * (u[j] - lv)
        bwd[j] = lv
    for j in range(t):
        out[j] = 0.5 * (fwd[j] + bwd[j])


@njit(cache=True, parallel=True)
def em_attribute(
    y: FloatArray,
    dowf: FloatArray,
    ptr: IntArray,
    post_day: IntArray,
    post_end: IntArray,
    views: FloatArray,
    c_prior: FloatArray,
    n0: FloatArray,
    c_cat: FloatArray,
    a0: float,
    iters: int,
    alpha_b: float,
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]:
    """Poisson EM (MAP) of ``y_t ≈ b_t·w_t + Σ_k c_k v_k(t)`` per SKU over observed days.

    ``ptr`` is the CSR index of each SKU's posts; post k's views are ``views[k, day:end]``.
    The SKU's conversion is ``c_i = (Σ_k z_k + n0·c_cat) / (Σ_k X_k + n0)`` (``n0``
    pseudo-views at the category's rate; ``n0 = 0`` means no pooling) and each post's is
    ``c_k = (z_k + a0) / (X_k + a0 / c_i)`` where ``z_k`` are the units attributed to post k and
    ``X_k`` its views on observed days.  ``b`` is a two-sided exponential smoother of the units
    attributed to the baseline.  Returns ``b, c_post, z_post, X_post, c_sku, zb``.
    """
    n, t_n = y.shape
    n_posts = views.shape[0]
    b_out = np.zeros((n, t_n))
    zb_out = np.full((n, t_n), np.nan)
    c_post = np.zeros(n_posts)
    z_post = np.zeros(n_posts)
    x_post = np.zeros(n_posts)
    c_sku = np.zeros(n)
    for i in nb.prange(n):
        ok = np.zeros(t_n, dtype=np.bool_)
        for t in range(t_n):
            ok[t] = not np.isnan(y[i, t])
        k0 = ptr[i]
        k1 = ptr[i + 1]
        ci = c_prior[i]
        for k in range(k0, k1):
            xs = 0.0
            for t in range(post_day[k], post_end[k]):
                if ok[t]:
                    xs += views[k, t]
            x_post[k] = xs
            c_post[k] = ci
        # initial baseline: smoother of y / w, scaled down where posts are active
        u = np.zeros(t_n)
        for t in range(t_n):
            u[t] = y[i, t] / dowf[i, t] if ok[t] else 0.0
        b = np.zeros(t_n)
        _smooth_two_sided(u, ok, alpha_b, b)
        lam = np.zeros(t_n)
        zb = np.zeros(t_n)
        for _ in range(iters):
            for t in range(t_n):
                lam[t] = b[t] * dowf[i, t]
            for k in range(k0, k1):
                ck = c_post[k]
                for t in range(post_day[k], post_end[k]):
                    lam[t] += ck * views[k, t]
            for t in range(t_n):
                if ok[t] and lam[t] > 0.0:
                    zb[t] = y[i, t] * b[t] * dowf[i, t] / lam[t]
                else:
                    zb[t] = 0.0
            zs = 0.0
            xs_all = 0.0
            for k in range(k0, k1):
                ck = c_post[k]
                z = 0.0
                for t in range(post_day[k], post_end[k]):
                    if ok[t] and lam[t] > 0.0:
                        z += y[i, t] * ck * views[k, t] / lam[t]
                z_post[k] = z
                zs += z
                xs_all += x_post[k]
            if k1 > k0:
                ci = (zs + n0[i] * c_cat[i]) / (xs_all + n0[i]) if xs_all + n0[i] > 0 else 0.0
                for k in range(k0, k1):
                    c_post[k] = (z_post[k] + a0) / (x_post[k] + a0 / max(ci, 1e-12))
            for t in range(t_n):
                u[t] = zb[t] / dowf[i, t] if ok[t] else 0.0
            _smooth_two_sided(u, ok, alpha_b, b)
        c_sku[i] = ci
        for t in range(t_n):
            b_out[i, t] = b[t]
            if ok[t]:
                zb_out[i, t] = zb[t]
    return b_out, c_post, z_post, x_post, c_sku, zb_out


# ---------------------------------------------------------------------------------------------
# Sample paths
# ---------------------------------------------------------------------------------------------


@njit(cache=True)
def _pick(cum: FloatArray, u: float) -> int:
    lo = 0
    hi = cum.shape[0] - 1
    x = u * cum[hi]
    while lo < hi:
        mid = (lo + hi) // 2
        if cum[mid] < x:
            lo = mid + 1
        else:
            hi = mid
    return lo


@njit(cache=True, parallel=True)
def lifecycle_paths(
    base: FloatArray,
    size: FloatArray,
    level_cv: FloatArray,
    rw_sd: FloatArray,
    act_ptr: IntArray,
    act_age: IntArray,
    act_cumw: FloatArray,
    act_vhat: FloatArray,
    act_shape_a: FloatArray,
    act_rate: FloatArray,
    rho_cum: FloatArray,
    c_sku: FloatArray,
    a0: float,
    own_w: FloatArray,
    own_ptr: IntArray,
    own_off: IntArray,
    own_cum: FloatArray,
    own_sizes: FloatArray,
    pool_bucket: IntArray,
    pool_ptr: IntArray,
    pool_sizes: FloatArray,
    prior_cum: FloatArray,
    shape: FloatArray,
    keys: IntArray,
    seed: int,
    n_paths: int,
    mode: int = 0,
) -> FloatArray:
    """Simulate demand; ``mode`` 0: daily units ``(n, n_paths, h)``; 1: path totals
    ``(n, n_paths, 1)`` (one negative-binomial draw per path matching the total's mean and
    variance); 2: daily expected demand without count noise.

    Per path: draw the level multiplier (and its random
    walk), each active post's kernel and conversion, new posts (Poisson count, lognormal views,
    kernel from the prior, conversion around the SKU's), then negative-binomial noise.
    ``rho_cum`` is the cumulative new-post rate over kinds × horizon days (kind-major: one
    block of ``h`` days per kind), ``own_off[i, k]`` where kind k's posts start among SKU i's
    and ``own_w[i, k]`` the weight of those posts' sizes against the shop's."""
    n, h = base.shape
    length = shape.shape[1]
    out = np.zeros((n, n_paths, 1 if mode == 1 else h))
    for i in nb.prange(n):
        np.random.seed(_mix(seed, keys[i]))
        cv = level_cv[i]
        lshape = 1.0 / (cv * cv) if cv > 1e-6 else 0.0
        s = rw_sd[i]
        mu = np.zeros(h)
        for p in range(n_paths):
            lv = np.random.gamma(lshape, 1.0 / lshape) if lshape > 0.0 else 1.0
            logrw = 0.0
            for t in range(h):
                if s > 0.0:
                    logrw += s * np.random.standard_normal() - 0.5 * s * s
                mu[t] = base[i, t] * lv * np.exp(logrw)
            for k in range(act_ptr[i], act_ptr[i + 1]):
                g = _pick(act_cumw[k], np.random.random())
                ck = np.random.gamma(act_shape_a[k], 1.0 / act_rate[k])
                amp = ck * act_vhat[k, g]
                age = act_age[k]
                for t in range(h):
                    a = age + t
                    if a >= length:
                        break
                    mu[t] += amp * shape[g, a]
            lam_new = rho_cum[i, rho_cum.shape[1] - 1]
            if lam_new > 0.0 and c_sku[i] > 0.0:
                n_new = np.random.poisson(lam_new)
                for _ in range(n_new):
                    # the (kind, day) of the new post: rho_cum runs over kinds × horizon days
                    uk = _pick(rho_cum[i], np.random.random())
                    kind = uk // h
                    u0 = uk - kind * h
                    g = _pick(prior_cum, np.random.random())
                    o0 = own_ptr[i] + own_off[i, kind]
                    o1 = own_ptr[i] + own_off[i, kind + 1]
                    if o1 > o0 and np.random.random() < own_w[i, kind]:
                        vv = own_sizes[o0 + _pick(own_cum[o0:o1], np.random.random())]
                    else:
                        b = pool_bucket[i, uk]
                        m0 = pool_ptr[b]
                        m1 = pool_ptr[b + 1]
                        vv = pool_sizes[np.random.randint(m0, m1)] if m1 > m0 else 0.0
                    ck = np.random.gamma(a0, c_sku[i] / a0)
                    amp = ck * vv
                    for t in range(u0, h):
                        mu[t] += amp * shape[g, t - u0]
            if mode == 1:
                m1 = 0.0
                m2 = 0.0
                for t in range(h):
                    m1 += mu[t]
                    m2 += mu[t] * mu[t]
                k_tot = m1 * m1 / (m2 / size[i]) if m2 > 0.0 else 1e6
                out[i, p, 0] = nb_draw(m1, k_tot)
            elif mode == 2:
                for t in range(h):
                    out[i, p, t] = mu[t]
            else:
                for t in range(h):
                    out[i, p, t] = nb_draw(mu[t], size[i])
    return out


# ---------------------------------------------------------------------------------------------
# The forecaster
# ---------------------------------------------------------------------------------------------


class Lifecycle(Forecaster):
    """Baseline + content-driven bursts with fitted exponential / power-law kernels.

    Parameters (defaults in brackets): ``n_quantile_paths`` paths used for quantiles [200];
    ``a0`` pseudo-units tying a post's conversion to its SKU's [2]; ``n0_units`` pseudo-units
    tying a SKU's conversion to its category's [5]; ``em_iters`` [30]; ``alpha_b`` smoothing
    of the baseline inside EM [0.05]; ``fit_days`` days of a post's views used to fit its kernel
    [150]; ``active_days`` a post is still active when it had views in this many last days [14];
    new posts: ``new_post_halflife`` [60] and ``new_post_prior_days`` [10] for their rate,
    ``new_post_scale`` [1] multiplies it (0 switches new posts off), ``own_size_pseudo`` [10]
    pseudo-posts tying a new post's size to the shop's posts at that age rather than the SKU's
    own, ``pool_cap_quantile`` [0.95] winsorizes post sizes (one-off launch virals are not
    resampled at face value; without it the demo's mean forecast was biased up by ~45%).
    ``launch_curves`` [True]: a SKU launched inside the panel and younger than 120 days is
    forecast as its recent 14-day level × the shop's launch curve at its age
    (:mod:`quickturn.core.sense.launch`), learned from ≥ ``launch_min_launches`` [5] earlier
    launches (category first), instead of a flat level.
    ``post_kinds`` [False]: when the posts say who posted (:attr:`ContentPosts.creator`),
    learn the rate and size of new posts per kind — the shop's own account vs affiliate
    creators — each pooled across the shop by SKU age and shrunk per SKU, and winsorize sizes
    within each kind; a SKU with only own videos is then not given creators' posts at the
    rate of the SKUs creators picked up.  ``launch_content_free`` [False]: with posts, the
    launch pool holds each earlier launch's units attributed to its baseline by EM (content
    counted once: the curve multiplies the content-free level, posts add content apart)
    instead of its raw units.  Both are off by default: on the demo backtest neither, alone
    or together, passes the issue-14 acceptance (``docs/sense.md``, "Why testing SKUs are
    over-forecast").
    """

    name = "lifecycle"

    def __init__(
        self,
        n_quantile_paths: int = 200,
        alphas: tuple[float, ...] = SES_ALPHAS,
        a0: float = 2.0,
        n0_units: float = 5.0,
        em_iters: int = 30,
        alpha_b: float = 0.05,
        fit_days: int = 150,
        active_days: int = 14,
        new_post_halflife: float = 60.0,
        new_post_prior_days: float = 10.0,
        new_post_scale: float = 1.0,
        pool_cap_quantile: float = 0.95,
        own_size_pseudo: float = 10.0,
        launch_curves: bool = True,
        launch_min_launches: int = 5,
        launch_bandwidth: float = 1.0,
        launch_slope_prior_sd: float = float("inf"),
        size_prior: float = 10.0,
        size_weight: float = 14.0,
        rw_scale: float = 0.5,
        level_cv_scale: float = 1.0,
        post_kinds: bool = False,
        launch_content_free: bool = False,
    ) -> None:
        self.launch_curves = launch_curves
        self.launch_min_launches = launch_min_launches
        self.launch_bandwidth = launch_bandwidth
        self.launch_slope_prior_sd = launch_slope_prior_sd
        self.size_prior = size_prior
        self.size_weight = size_weight
        self.rw_scale = rw_scale
        self.level_cv_scale = level_cv_scale
        self.n_quantile_paths = n_quantile_paths
        self.alphas = alphas
        self.a0 = a0
        self.n0_units = n0_units
        self.em_iters = em_iters
        self.alpha_b = alpha_b
        self.fit_days = fit_days
        self.active_days = active_days
        self.new_post_halflife = new_post_halflife
        self.new_post_prior_days = new_post_prior_days
        self.new_post_scale = new_post_scale
        self.pool_cap_quantile = pool_cap_quantile
        self.own_size_pseudo = own_size_pseudo
        self.post_kinds = post_kinds
        self.launch_content_free = launch_content_free

    # -- fit -------------------------------------------------------------------------------
    def _start_panel(
        self,
        y: FloatArray,
        category: list[str] | None,
        content: ContentPosts | None = None,
        weekday0: IntArray | None = None,
    ) -> None:
        """Earlier launches of the whole panel, shared by its chunks.

        With posts, each launch enters the pool with the units EM attributes to its
        baseline (``zb``), not its raw units: the forecast multiplies the curve into the
        content-free level and adds the posts apart, so content is counted once."""
        if not self.launch_curves:
            self.launch_pool_ = None
            return
        units = y
        if self.launch_content_free and content is not None and content.n:
            n, t_n = y.shape
            rows = launch_rows(y)
            if rows.size:
                wd0 = weekdays(weekday0 if weekday0 is not None else 0, n)
                sub = content.subset(rows)
                cat = [category[i] for i in rows] if category is not None else None
                pa = _post_arrays(sub, rows.size, t_n)
                if pa.sku.size:
                    zb = self._attribute(y[rows], wd0[rows], cat, pa)[5]
                    units = y.copy()
                    units[rows] = zb
        self.launch_pool_ = launch_pool(units, category)

    def _attribute(
        self,
        y: FloatArray,
        weekday0: IntArray,
        category: list[str] | None,
        pa: _PostArrays,
    ) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]:
        """EM pass 1 without pooling → category conversion; pass 2 with it.  Returns the
        fitted baseline ``b·w`` (smoothed baseline × weekday factors), each post's
        conversion, attributed units and views, the SKU's conversion and ``zb``, the units
        attributed to the baseline (NaN unobserved)."""
        n, t_n = y.shape
        p_sku, p_day, p_end, views, ptr = pa.sku, pa.day, pa.end, pa.views, pa.ptr
        n_posts = p_sku.shape[0]
        wd = day_of_week(weekday0, 0, t_n)
        dow0 = weekday_factors(y, weekday0)
        dowf = np.ascontiguousarray(np.take_along_axis(dow0, wd, axis=1))
        zeros = np.zeros(n)
        cat_idx, cat_n = _category_index(category, n)
        tot_y = np.nansum(y, axis=1)
        tot_x = np.zeros(n)
        np.add.at(tot_x, p_sku, views.sum(axis=1))
        c_glob = float(tot_y.sum() / tot_x.sum() * 0.2) if tot_x.sum() > 0 else 0.0
        c_start = np.full(n, max(c_glob, 1e-9))
        if n_posts:
            _, _, z1, x1, _, _ = em_attribute(
                y,
                dowf,
                ptr,
                p_day,
                p_end,
                views,
                c_start,
                zeros,
                zeros,
                self.a0,
                max(self.em_iters // 2, 5),
                self.alpha_b,
            )
            z_sku = np.zeros(n)
            x_sku = np.zeros(n)
            np.add.at(z_sku, p_sku, z1)
            np.add.at(x_sku, p_sku, x1)
            z_cat = np.bincount(cat_idx, weights=z_sku, minlength=cat_n)
            x_cat = np.bincount(cat_idx, weights=x_sku, minlength=cat_n)
            c_all = z_sku.sum() / x_sku.sum() if x_sku.sum() > 0 else c_glob
            # the category's rate, itself shrunk to the panel's with 20 pseudo-units
            c_cat_c = (z_cat + 20.0) / (x_cat + 20.0 / max(c_all, 1e-12))
            c_cat = c_cat_c[cat_idx]
        else:
            c_cat = c_start
        n0 = self.n0_units / np.maximum(c_cat, 1e-12)
        b, c_post, z_post, x_post, c_sku, zb = em_attribute(
            y,
            dowf,
            ptr,
            p_day,
            p_end,
            views,
            c_cat,
            n0,
            c_cat,
            self.a0,
            self.em_iters,
            self.alpha_b,
        )
        c_sku = np.where(ptr[1:] > ptr[:-1], c_sku, c_cat)
        return b * dowf, c_post, z_post, x_post, c_sku, zb

    def _fit_chunk(self, chunk: Chunk) -> dict[str, Any]:
        y = chunk.y
        n, t_n = y.shape
        grid = default_grid()
        g_n = grid.size
        wd = day_of_week(chunk.weekday0, 0, t_n)
        pa = _post_arrays(chunk.content, n, t_n, kinds=self.post_kinds)
        p_sku, p_day, p_kind, n_kinds = pa.sku, pa.day, pa.kind, pa.n_kinds
        views, p_end = pa.views, pa.end
        n_posts = p_sku.shape[0]
        m_obs = t_n - p_day  # days of views observed since posting

        # -- kernels: prior from long-observed posts, posterior for active ones --------------
        recent = np.array(
            [
                views[k, max(p_day[k], t_n - self.active_days) : t_n].sum() > 0
                for k in range(n_posts)
            ],
            dtype=bool,
        )
        active = recent & (m_obs < grid.length) & (p_end > p_day)
        informative = (m_obs >= 14) & (p_end > p_day)
        fit_m = np.minimum(m_obs, self.fit_days).astype(np.int64)
        size_v = 30.0
        # default prior: the two families equally likely, uniform within each
        fam_n = np.bincount(grid.family, minlength=2).astype(np.float64)
        prior = 0.5 / fam_n[grid.family]
        if informative.any():
            idx = np.flatnonzero(informative)
            if idx.size > 600:
                idx = idx[np.linspace(0, idx.size - 1, 600).astype(np.int64)]
            sub = idx[np.linspace(0, idx.size - 1, min(idx.size, 150)).astype(np.int64)]
            ll0, vh0 = post_loglik(views[sub], p_day[sub], fit_m[sub], grid.shape, size_v)
            size_v = views_dispersion(views[sub], p_day[sub], fit_m[sub], ll0, vh0, grid.shape)
            ll0, _ = post_loglik(views[idx], p_day[idx], fit_m[idx], grid.shape, size_v)
            best = np.argmax(ll0, axis=1)
            counts = np.bincount(best, minlength=g_n).astype(np.float64)
            prior = counts + 0.05 * counts.sum() * prior + 1e-3 * prior
            prior /= prior.sum()
        act_idx = np.flatnonzero(active)
        if act_idx.size:
            ll, vhat = post_loglik(
                views[act_idx], p_day[act_idx], fit_m[act_idx], grid.shape, size_v
            )
            lw = ll + np.log(prior)[None, :]
            lw -= lw.max(axis=1, keepdims=True)
            w = np.exp(lw)
            w /= w.sum(axis=1, keepdims=True)
        else:
            w = np.zeros((0, g_n))
            vhat = np.zeros((0, g_n))
            ll = np.zeros((0, g_n))

        # -- EM: each day's units to the baseline and to each post ----------------------------
        fitted_base, c_post, z_post, x_post, c_sku, zb = self._attribute(
            y, chunk.weekday0, chunk.category, pa
        )

        # -- baseline level today ------------------------------------------------------------
        dow = weekday_factors(zb, chunk.weekday0)
        dowf2 = np.take_along_axis(dow, wd, axis=1)
        level, alpha, fitted = ses_select(zb / dowf2, np.array(self.alphas), 7, 28)
        content_hist = np.zeros((n, t_n))
        for k in range(n_posts):
            content_hist[p_sku[k], p_day[k] : p_end[k]] += c_post[k] * views[k, p_day[k] : p_end[k]]
        mu_in = fitted * dowf2 + content_hist
        size = nb_size_mom(
            y[:, -180:], mu_in[:, -180:], prior=self.size_prior, weight=self.size_weight
        )
        # -- young SKUs: recent level × the shop's launch curve at their age ----------------
        lc = None
        if self.launch_curves:
            with np.errstate(invalid="ignore", divide="ignore"):
                pool = getattr(self, "launch_pool_", None)
                if pool is None:
                    pool = launch_pool(y, chunk.category)
                lc = launch_curves(
                    zb / dowf2,
                    pool,
                    chunk.category,
                    min_launches=self.launch_min_launches,
                    bandwidth=self.launch_bandwidth,
                    slope_prior_sd=self.launch_slope_prior_sd,
                    # the pool holds raw units: with posts in the panel, content adds the
                    # bursts, so a pooled level would count them twice
                    pool_level=n_posts == 0,
                )
            level = np.where(lc.young, lc.level, level)
            # a young SKU's own 14 days say little about its daily dispersion: use that of
            # the analogous launches around their curves
            size = np.where(lc.young & np.isfinite(lc.size), lc.size, size)
        lv = np.maximum(level, 1e-9)
        cv2 = alpha / (2.0 - alpha) * (1.0 / lv + 1.0 / size)
        if lc is not None:
            # a young level is a mean of ≤ 14 days; the curve itself varies launch to launch.
            # A pooled level's CV is the spread of earlier launches' outcomes given their
            # recent level, which already holds that level's noise
            rv = np.maximum(lc.recent, 1e-9)
            days = np.minimum(np.maximum(np.isfinite(zb).sum(axis=1), 1), LEVEL_DAYS)
            own = (1.0 / rv + 1.0 / size) / days + lc.cv**2
            cv2 = np.where(lc.young, np.where(lc.pooled, lc.cv**2, own), cv2)
        level_cv = np.sqrt(np.minimum(cv2, 4.0)) * self.level_cv_scale
        rw_sd = np.minimum(alpha * np.sqrt(1.0 / lv + 1.0 / size), 0.3) * self.rw_scale

        # -- active posts: future views; new posts: rate and size -----------------------------
        a_sku = p_sku[act_idx]
        act_ptr = np.zeros(n + 1, dtype=np.int64)
        np.add.at(act_ptr, a_sku + 1, 1)
        act_ptr = np.cumsum(act_ptr)
        act_age = m_obs[act_idx].astype(np.int64)
        act_shape_a = self.a0 + z_post[act_idx]
        act_rate = self.a0 / np.maximum(c_sku[a_sku], 1e-12) + x_post[act_idx]
        act_cumw = np.cumsum(w, axis=1)
        post_total = views.sum(axis=1)
        if act_idx.size:  # a young post's total so far understates it: use the expected total
            post_total[act_idx] = np.maximum(post_total[act_idx], (w * vhat).sum(axis=1))
        if self.pool_cap_quantile < 1.0:
            # winsorized within each kind: a creator's viral is not capped at own videos' reach
            for k in range(n_kinds):
                mine = p_kind == k
                if mine.any():
                    cap = np.quantile(post_total[mine], self.pool_cap_quantile)
                    post_total[mine] = np.minimum(post_total[mine], cap)
        sizes = _new_post_rates(
            p_sku,
            p_day,
            p_kind,
            n_kinds,
            post_total,
            n,
            t_n,
            y,
            self.new_post_halflife,
            own_pseudo=self.own_size_pseudo,
        )
        kernel_ll = np.zeros((n, 2))
        fam = grid.family
        if act_idx.size:
            for j, k in enumerate(act_idx):
                for f in (0, 1):
                    kernel_ll[p_sku[k], f] += float(ll[j][fam == f].max())
        has_act = np.zeros(n, dtype=bool)
        has_act[a_sku] = True
        kernel = np.where(
            ~has_act,
            "none",
            np.where(kernel_ll[:, 1] > kernel_ll[:, 0], "power_law", "exponential"),
        )
        young_rows = np.flatnonzero(lc.young) if lc is not None else np.zeros(0, np.int64)
        return {
            "launch_rows": young_rows,
            "launch_ratio": lc.ratio[young_rows] if lc is not None else np.ones((0, 1)),
            "launch_n": lc.n_launches if lc is not None else np.zeros(n, np.int64),
            "level": np.maximum(level, 0.0),
            "alpha": alpha,
            "dow": dow,
            "size": size,
            "level_cv": level_cv,
            "rw_sd": rw_sd,
            "t_end": t_n,
            "c_sku": c_sku,
            "act_ptr": act_ptr,
            "act_age": act_age,
            "act_w": w,
            "act_cumw": np.ascontiguousarray(act_cumw),
            "act_vhat": np.ascontiguousarray(vhat),
            "act_shape_a": act_shape_a,
            "act_rate": act_rate,
            "act_cmean": act_shape_a / act_rate,
            **sizes,
            "prior": prior,
            "kernel": kernel,
            "fitted_base": fitted_base,
            "fitted_content": content_hist,
        }

    # -- cut by rows ---------------------------------------------------------------------
    def take_state(self, state: dict[str, Any], part: IntArray) -> dict[str, Any]:
        """Rows ``part`` of a fitted chunk state: per-SKU arrays and their posts (CSR) cut,
        the chunk's shared pools (post sizes by age, kernel prior) kept whole."""
        part = np.asarray(part, dtype=np.int64)
        n = int(state["level"].shape[0])
        out: dict[str, Any] = {}
        for key, value in state.items():
            if key in _SHARED_KEYS:
                out[key] = value
            elif key in _ROW_KEYS:
                out[key] = value[part]
            elif key not in _CSR_ALL and key not in _LAUNCH_KEYS:
                raise KeyError(f"Lifecycle.take_state does not know state key {key!r}")
        for ptr_key, keys in _CSR_KEYS.items():
            ptr = state[ptr_key]
            counts = ptr[part + 1] - ptr[part]
            new_ptr = np.zeros(part.size + 1, dtype=np.int64)
            new_ptr[1:] = np.cumsum(counts)
            idx = (
                np.concatenate([np.arange(ptr[i], ptr[i + 1]) for i in part]).astype(np.int64)
                if part.size
                else np.zeros(0, np.int64)
            )
            out[ptr_key] = new_ptr
            for key in keys:
                out[key] = np.ascontiguousarray(state[key][idx])
        pos = np.full(n, -1, dtype=np.int64)
        pos[part] = np.arange(part.size)
        young = state["launch_rows"]
        mine = pos[young] >= 0
        out["launch_rows"] = pos[young][mine]
        out["launch_ratio"] = state["launch_ratio"][mine]
        return out

    # -- predict ---------------------------------------------------------------------------
    def mean_components(
        self, state: dict[str, Any], weekday0: int | IntArray, h: int
    ) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Expected baseline, active-post and new-post demand ``(n, h)`` each."""
        grid = default_grid()
        t_end = state["t_end"]
        n_rows = state["level"].shape[0]
        wd = day_of_week(weekdays(weekday0, n_rows), t_end, h)
        base = state["level"][:, None] * np.take_along_axis(state["dow"], wd, axis=1)
        rows = state.get("launch_rows")
        if rows is not None and rows.size:
            ratio = state["launch_ratio"]
            hh = min(h, ratio.shape[1])
            base[rows, :hh] *= ratio[:, :hh]
            if h > hh:
                base[rows, hh:] *= ratio[:, -1:]
        n = base.shape[0]
        active = np.zeros((n, h))
        ptr = state["act_ptr"]
        w = state["act_w"]
        vh = state["act_vhat"]
        cm = state["act_cmean"]
        for i in range(n):
            for k in range(ptr[i], ptr[i + 1]):
                age = int(state["act_age"][k])
                idx = np.arange(age, age + h)
                ok = idx < grid.length
                sh = np.zeros((grid.size, h))
                sh[:, ok] = grid.shape[:, idx[ok]]
                active[i] += cm[k] * ((w[k] * vh[k])[:, None] * sh).sum(axis=0)
        rho, _, size_mean = self.new_post_profile(state, h)
        # expected units from posts made on day u, seen on day j ≥ u: Σ_u ρ_u E[V_u] c S̄(j−u)
        shape_bar = state["prior"] @ grid.shape[:, :h]
        flow = (rho * size_mean).sum(axis=1) * state["c_sku"][:, None]
        new = np.zeros((n, h))
        for u in range(h):
            new[:, u:] += flow[:, u : u + 1] * shape_bar[None, : h - u]
        return base, active, new

    def new_post_profile(
        self, state: dict[str, Any], h: int
    ) -> tuple[FloatArray, IntArray, FloatArray]:
        """Per SKU, kind of post (own account / affiliate creator, or one kind) and horizon
        day: new-post rate, the shop's post-size bucket of that kind at that age, and the
        expected size of such a post made that day (``(n, kinds, h)`` each)."""
        edges = np.array(AGE_EDGES)
        nb_ = edges.shape[0] - 1
        ages = state["age_now"][:, None] + np.arange(h)[None, :]
        bk = np.clip(np.searchsorted(edges, ages, side="right") - 1, 0, nb_ - 1)
        pd_ = self.new_post_prior_days
        rate_b = state["rate_b"]  # (kinds, buckets)
        rho = (
            (state["post_cnt"][:, :, None] + pd_ * rate_b[:, bk].transpose(1, 0, 2))
            / (state["post_expo"][:, None, None] + pd_)
            * self.new_post_scale
        )
        pool_b = state["bucket_map"][:, bk].transpose(1, 0, 2)
        own_w = state["own_w"][:, :, None]
        size_mean = own_w * state["own_mean"][:, :, None] + (1.0 - own_w) * state["mean_b"][pool_b]
        return rho, pool_b.astype(np.int64), size_mean

    def _predict_chunk(
        self,
        state: dict[str, Any],
        chunk: Chunk,
        h: int,
        probs: FloatArray,
        n_paths: int,
        seed: int,
    ) -> tuple[FloatArray, FloatArray, FloatArray | None]:
        base, active, new = self.mean_components(state, chunk.weekday0, h)
        mean = base + active + new
        if n_paths == 0 and probs.size == 0:
            # the mean alone (the plan's first pass): no paths to draw
            return mean, np.zeros((mean.shape[0], 0, h)), None
        m = max(n_paths, self.n_quantile_paths)
        paths = self.simulate(state, base, chunk.keys, seed, m)
        q = quantiles_from_paths(paths, probs)
        return mean, q, (paths[:, :n_paths] if n_paths else None)

    def simulate(
        self,
        state: dict[str, Any],
        base: FloatArray,
        keys: IntArray,
        seed: int,
        n_paths: int,
        mode: int = 0,
    ) -> FloatArray:
        """Sample paths given the baseline mean ``base`` (``mode``: see :func:`lifecycle_paths`)."""
        grid = default_grid()
        rho, pool_b, _ = self.new_post_profile(state, base.shape[1])
        n_rows = rho.shape[0]
        rho = rho.reshape(n_rows, -1)  # kinds × days, kind-major
        pool_b = pool_b.reshape(n_rows, -1)
        out: FloatArray = lifecycle_paths(
            np.ascontiguousarray(base),
            state["size"],
            state["level_cv"],
            state["rw_sd"],
            state["act_ptr"],
            state["act_age"],
            state["act_cumw"],
            state["act_vhat"],
            state["act_shape_a"],
            state["act_rate"],
            np.ascontiguousarray(np.cumsum(rho, axis=1)),
            state["c_sku"],
            self.a0,
            np.ascontiguousarray(state["own_w"]),
            state["own_ptr"],
            np.ascontiguousarray(state["own_off"]),
            state["own_cum"],
            state["own_sizes"],
            np.ascontiguousarray(pool_b),
            state["pool_ptr"],
            state["pool_sizes"],
            np.cumsum(state["prior"]),
            grid.shape,
            keys,
            seed,
            n_paths,
            mode,
        )
        return out


#: state keys of :meth:`Lifecycle._fit_chunk`: one row per SKU …
_ROW_KEYS = frozenset(
    {
        "launch_n",
        "level",
        "alpha",
        "dow",
        "size",
        "level_cv",
        "rw_sd",
        "c_sku",
        "kernel",
        "fitted_base",
        "fitted_content",
        "age_now",
        "post_cnt",
        "post_expo",
        "own_w",
        "own_mean",
        "own_off",
    }
)
#: … shared by the chunk's SKUs …
_SHARED_KEYS = frozenset(
    {
        "t_end",
        "prior",
        "rate_b",
        "mean_b",
        "bucket_map",
        "pool_ptr",
        "pool_sizes",
    }
)
#: … one row per post, indexed by a per-SKU pointer …
_CSR_KEYS: dict[str, tuple[str, ...]] = {
    "act_ptr": (
        "act_age",
        "act_w",
        "act_cumw",
        "act_vhat",
        "act_shape_a",
        "act_rate",
        "act_cmean",
    ),
    "own_ptr": ("own_cum", "own_sizes"),
}
#: … and the young SKUs' launch curves (row numbers and their ratios)
_LAUNCH_KEYS = frozenset({"launch_rows", "launch_ratio"})
_CSR_ALL = frozenset(k for ptr, ks in _CSR_KEYS.items() for k in (ptr, *ks))


@dataclass(frozen=True)
class _PostArrays:
    """A chunk's posts in the order the model uses them: by SKU, then kind (own, creator)."""

    sku: IntArray
    day: IntArray
    kind: IntArray  # 0 the shop's own account (or not told apart), 1 an affiliate creator
    n_kinds: int
    views: FloatArray  # (posts, t_n), zero outside views
    ptr: IntArray  # CSR: posts of SKU i are ptr[i]:ptr[i+1]
    end: IntArray  # day after the last day with views


def _post_arrays(
    content: ContentPosts | None, n: int, t_n: int, *, kinds: bool = False
) -> _PostArrays:
    """Posts sorted by SKU then kind; with ``kinds`` and :attr:`ContentPosts.creator` two
    kinds (own account, affiliate creator), else one."""
    posts = content if content is not None else ContentPosts.empty(t_n)
    posts = posts.sliced(t_n) if posts.views.shape[1] >= t_n else posts
    told = kinds and posts.creator is not None
    n_kinds = 2 if told else 1
    kind_all = (
        np.asarray(posts.creator, dtype=np.int64) if told else np.zeros(posts.n, dtype=np.int64)
    )
    order = np.lexsort((kind_all, posts.sku))
    p_sku = posts.sku[order]
    p_day = posts.day[order]
    views = np.ascontiguousarray(posts.views[order][:, :t_n], dtype=np.float64)
    views = np.where(np.isfinite(views) & (views > 0), views, 0.0)
    n_posts = p_sku.shape[0]
    ptr = np.zeros(n + 1, dtype=np.int64)
    np.add.at(ptr, p_sku + 1, 1)
    ptr = np.cumsum(ptr)
    # post extent: from posting to the last day with views
    p_end = np.full(n_posts, 0, dtype=np.int64)
    for k in range(n_posts):
        nz = np.flatnonzero(views[k, p_day[k] :])
        p_end[k] = p_day[k] + (int(nz[-1]) + 1 if nz.size else 0)
    return _PostArrays(p_sku, p_day, kind_all[order], n_kinds, views, ptr, p_end)


def _category_index(category: list[str] | None, n: int) -> tuple[IntArray, int]:
    if category is None:
        return np.zeros(n, dtype=np.int64), 1
    names: dict[str, int] = {}
    idx = np.array([names.setdefault(c, len(names)) for c in category], dtype=np.int64)
    return idx, max(len(names), 1)


#: SKU-age buckets (days since first observed day) of the shop's launch pattern
AGE_EDGES: tuple[float, ...] = (0.0, 7.0, 14.0, 30.0, 60.0, 120.0, np.inf)


def _new_post_rates(
    p_sku: IntArray,
    p_day: IntArray,
    p_kind: IntArray,
    n_kinds: int,
    tot: FloatArray,
    n: int,
    t_n: int,
    y: FloatArray,
    halflife: float,
    own_pseudo: float = 10.0,
) -> dict[str, Any]:
    """What the rate of new posts and the distribution of their total views are built from,
    per kind of post (``p_kind``: 0 the shop's own account, 1 an affiliate creator; one kind
    when the posts are not told apart).

    The prior is the shop's launch pattern: posts per SKU-day and their sizes by SKU age
    (days since launch; SKUs already selling when the history starts count as old), learned
    from the whole panel for each kind — sellers seed a new SKU with their own videos, and
    creators pick some SKUs up with posts that reach a far larger audience.  Each SKU's own
    recency-weighted post rate of each kind (half-life ``halflife``) is shrunk towards the
    prior of that kind at its age on each future day (:meth:`Lifecycle.new_post_profile`), so
    a SKU with only own videos is not given creators' posts at the rate and size of the
    SKUs creators did pick up.  A new post's views are drawn from the SKU's own past posts of
    that kind (recency-weighted) with probability ``w = c / (c + k0)`` (``c`` their
    recency-weighted count), else from the shop's posts of that kind made at that age —
    empirical distributions, not a fitted family, because launch posts and routine posts
    differ by orders of magnitude.
    """
    ok = np.isfinite(y)
    first = np.where(ok.any(axis=1), np.argmax(ok, axis=1), t_n)
    launched = first > 0  # launched inside the panel: its age is known
    edges = np.array(AGE_EDGES)
    nb_ = edges.shape[0] - 1
    life = np.maximum(t_n - first, 0).astype(np.float64)
    expo_b = np.zeros(nb_)
    for b in range(nb_):
        lo, hi = edges[b], edges[b + 1]
        days_in = np.clip(np.minimum(life, hi) - lo, 0.0, None)
        expo_b[b] = days_in[launched].sum() + (life[~launched].sum() if b == nb_ - 1 else 0.0)
    age_post = np.where(launched[p_sku], p_day - first[p_sku], np.inf)
    bucket = np.clip(np.searchsorted(edges, age_post, side="right") - 1, 0, nb_ - 1)
    # buckets are kind-major: kind k, age bucket b is k·nb + b; kind k's fallback (all its
    # posts, for age buckets without any) is n_kinds·nb + k
    key = p_kind * nb_ + bucket
    cnt_kb = np.bincount(key, minlength=n_kinds * nb_).astype(np.float64).reshape(n_kinds, nb_)
    all_rate = cnt_kb.sum(axis=1, keepdims=True) / max(expo_b.sum(), 1.0)
    rate_b = (cnt_kb + all_rate * 30.0) / (expo_b[None, :] + 30.0)
    order = np.argsort(key, kind="stable")
    sizes_sorted = tot[order]
    ptr_kb = np.zeros(n_kinds * nb_ + 1, dtype=np.int64)
    ptr_kb[1:] = np.cumsum(cnt_kb.ravel()).astype(np.int64)
    mean_kb = np.array(
        [
            sizes_sorted[ptr_kb[j] : ptr_kb[j + 1]].mean() if ptr_kb[j + 1] > ptr_kb[j] else 0.0
            for j in range(n_kinds * nb_)
        ]
    ).reshape(n_kinds, nb_)
    kind_sizes = [tot[p_kind == k] for k in range(n_kinds)]
    kind_mean = np.array([float(v.mean()) if v.size else 0.0 for v in kind_sizes])
    mean_kb = np.where(cnt_kb > 0, mean_kb, kind_mean[:, None])
    age_now = np.where(launched, t_n - first, np.inf)
    bucket_map = np.where(
        cnt_kb > 0,
        np.arange(n_kinds * nb_, dtype=np.int64).reshape(n_kinds, nb_),
        n_kinds * nb_ + np.arange(n_kinds, dtype=np.int64)[:, None],
    )
    mean_all_b = np.concatenate([mean_kb.ravel(), kind_mean])
    pool_ptr = np.concatenate(
        [ptr_kb, ptr_kb[-1] + np.cumsum([v.size for v in kind_sizes], dtype=np.int64)]
    )
    pool_sizes = np.concatenate([sizes_sorted, *kind_sizes])
    # SKU's own posts of each kind, recency-weighted (p_sku sorted, then p_kind within a SKU)
    decay = np.log(2.0) / halflife
    expo = (1.0 - np.exp(-decay * life)) / (1.0 - np.exp(-decay))
    wpost = np.exp(-decay * (t_n - 1 - p_day))
    cnt = np.zeros((n, n_kinds))
    np.add.at(cnt, (p_sku, p_kind), wpost)
    own_w = cnt / (cnt + own_pseudo)
    own_ptr = np.zeros(n + 1, dtype=np.int64)
    np.add.at(own_ptr, p_sku + 1, 1)
    own_ptr = np.cumsum(own_ptr)
    n_ik = np.zeros((n, n_kinds), dtype=np.int64)
    np.add.at(n_ik, (p_sku, p_kind), 1)
    own_off = np.zeros((n, n_kinds + 1), dtype=np.int64)
    own_off[:, 1:] = np.cumsum(n_ik, axis=1)
    own_cum = np.zeros(p_sku.shape[0])
    own_mean = np.zeros((n, n_kinds))
    for i in np.flatnonzero(own_ptr[1:] > own_ptr[:-1]):
        for k in range(n_kinds):
            a, b = own_ptr[i] + own_off[i, k], own_ptr[i] + own_off[i, k + 1]
            if b <= a:
                continue
            own_cum[a:b] = np.cumsum(wpost[a:b])
            own_mean[i, k] = float((wpost[a:b] * tot[a:b]).sum() / max(wpost[a:b].sum(), 1e-300))
    return {
        "age_now": age_now.astype(np.float64),
        "post_cnt": cnt,
        "post_expo": expo,
        "rate_b": rate_b,
        "mean_b": mean_all_b,
        "bucket_map": bucket_map,
        "own_w": own_w,
        "own_mean": own_mean,
        "own_off": own_off,
        "own_ptr": own_ptr,
        "own_cum": own_cum,
        "own_sizes": np.ascontiguousarray(tot),
        "pool_ptr": pool_ptr.astype(np.int64),
        "pool_sizes": np.ascontiguousarray(pool_sizes, dtype=np.float64),
    }
