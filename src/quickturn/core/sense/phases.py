"""Lifecycle phases with probabilities, the "traffic receding" alert and remaining demand.

Data flow: a fitted :class:`~quickturn.core.sense.lifecycle.Lifecycle` (its fitted history
``λ̂ = baseline + content`` and its sample paths) + the panel → per SKU:

* **phase probabilities** over testing / rising / peaking / steady / decaying / dead: the
  rules below are applied to ``n_draws`` joint draws of the recent rates (gamma posteriors
  of the observed counts) and of the next two weeks' rate (sample paths); the share of draws
  in each phase is its probability.  Rules, with ``r7`` the last 7 days' rate, ``r14`` the 7
  days before, ``peak`` the highest 7-day rate of the last 90 days, ``f14`` the next 14 days'
  rate and ``age`` the days since the SKU's first observed day:

  - *dead*: ``age > 28``, ``r7 + f14 < 0.1`` units/day and nothing sold in 28 days;
  - *testing*: ``age ≤ 28`` and fewer than 30 units sold so far;
  - SKUs whose demand over the last 28 days is ≥ 30% content-driven follow the content
    cycle: *rising* if ``f14 > 1.2·r7`` or ``r7 > 1.5·r14`` (and ``f14 ≥ 0.9·r7``), else
    *peaking* if ``r7 ≥ 0.8·peak`` (at the top of its 90-day range, whatever comes next),
    else *decaying* if ``f14 < 0.75·r7`` or ``r7 < 0.6·peak``;
  - baseline-driven SKUs use four-week trends (``r28`` vs the four weeks before, ``r28p``,
    and the next four weeks ``f28``): *rising* when up by half, *decaying* when down 40%;
  - *steady*: everything else.

  These mirror the Bass-curve vocabulary (before / at / after peak adoption, maturity, end of
  life); Hu et al. (2019) found > 20% of products never have a mature phase, so a SKU may go
  from peaking straight to decaying.

* **receding alert**: the change point is the day the model's fitted demand (7-day trailing
  mean) peaked inside the last ``window`` days (56); the alert is raised when it has fallen
  by at least ``drop`` (30%) since, the units sold in the last 14 days vs the 7 days up to the
  peak confirm it (a Poisson likelihood-ratio test, 2·log LR > 13.8, p < 0.0002 — strict,
  because the peak was searched for), and — for SKUs with content views in the last 60 days —
  the views fell by 30% too (traffic, not just sales).

* **remaining lifecycle demand** over ``life_days`` (default 365): mean from the model's
  components, P10/P90 from simulated path totals.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from quickturn.core.sense.types import PHASES, ContentPosts, FloatArray, IntArray


@dataclass(frozen=True)
class PhaseReport:
    probs: FloatArray  # (n, 6) in PHASES order
    phase: list[str]
    receding: np.ndarray  # bool (n,)
    receding_day: IntArray  # panel column of the change point, -1 when no alert
    kernel: list[str]
    velocity_7d: FloatArray
    remaining_mean: FloatArray
    remaining_p10: FloatArray
    remaining_p90: FloatArray


def _rate(y: FloatArray, a: int, b: int) -> tuple[FloatArray, FloatArray]:
    """Sum and observed-day count of columns ``t−a .. t−b−1`` (counting back from the end)."""
    t = y.shape[1]
    w = y[:, max(0, t - a) : max(0, t - b)]
    ok = np.isfinite(w)
    return np.where(ok, w, 0.0).sum(axis=1), ok.sum(axis=1).astype(np.float64)


def classify(
    r: dict[str, FloatArray],
    f14: FloatArray,
    f28: FloatArray,
) -> IntArray:
    """Phase index (into :data:`PHASES`) per SKU, by the rules in the module docstring.

    ``r`` holds the history features (``r7, r14, r28, r28p, peak7, share28, age, sold,
    sold28``); ``f14``/``f28`` the expected daily demand over the next 14/28 days (one draw).
    """
    ph = np.full(np.shape(f14), 3, dtype=np.int64)  # steady
    r7, r14, r28, r28p, peak7 = r["r7"], r["r14"], r["r28"], r["r28p"], r["peak7"]
    burst = r["share28"] >= 0.3
    # burst-driven SKUs: the content cycle decides
    ph[burst & ((f14 < 0.75 * r7) | (r7 < 0.6 * peak7))] = 4
    ph[burst & (r7 >= 0.8 * peak7)] = 2  # at the top of its 90-day range
    ph[burst & ((f14 > 1.2 * r7) | (r7 > 1.5 * r14)) & (f14 >= 0.9 * r7)] = 1
    # baseline-driven SKUs: four-week trends
    base = ~burst
    ph[base & (((r28 < 0.6 * r28p) & (f28 <= 1.1 * r28)) | (f28 < 0.6 * r28))] = 4
    ph[base & (((r28 > 1.5 * r28p) & (f28 >= 0.9 * r28)) | (f28 > 1.5 * r28))] = 1
    ph[(r["age"] > 28) & (r7 + f14 < 0.1) & (r["sold28"] == 0)] = 5
    ph[(r["age"] <= 28) & (r["sold"] < 30)] = 0
    return ph


def phase_probabilities(
    y: FloatArray,
    fitted: FloatArray,
    content_fitted: FloatArray,
    future: FloatArray,
) -> FloatArray:
    """``(n, 6)`` phase probabilities.

    ``fitted``/``content_fitted``: the model's in-sample expected demand and its content part
    (n, T); ``future``: parameter draws of the expected daily demand over the next 28 days
    (n, P, 28).  The history features come from the fitted curve (the model's smoothed view
    of the past); the share of draws of the future that land in each phase is its probability.
    """
    n, t = y.shape
    ok = np.isfinite(y)
    first = np.where(ok.any(axis=1), np.argmax(ok, axis=1), t)
    f = np.where(np.isfinite(fitted), fitted, 0.0)
    cf = np.where(np.isfinite(content_fitted), content_fitted, 0.0)

    def mean_cols(a: FloatArray, lo: int, hi: int) -> FloatArray:
        w = a[:, max(0, t - lo) : max(0, t - hi)]
        return w.mean(axis=1) if w.shape[1] else np.zeros(n)

    g = f[:, -90:]
    if g.shape[1] >= 7:
        c = np.cumsum(np.pad(g, ((0, 0), (1, 0))), axis=1)
        peak7 = ((c[:, 7:] - c[:, :-7]) / 7.0).max(axis=1)
    else:
        peak7 = mean_cols(f, 7, 0)
    tf28 = f[:, -28:].sum(axis=1)
    feats = {
        "r7": mean_cols(f, 7, 0),
        "r14": mean_cols(f, 14, 7),
        "r28": mean_cols(f, 28, 0),
        "r28p": mean_cols(f, 56, 28),
        "peak7": peak7,
        "share28": np.where(tf28 > 0, cf[:, -28:].sum(axis=1) / np.maximum(tf28, 1e-12), 0.0),
        "age": (t - first).astype(np.float64),
        "sold": np.nansum(y, axis=1),
        "sold28": _rate(y, 28, 0)[0],
    }
    p = future.shape[1]
    counts = np.zeros((n, len(PHASES)))
    if p == 0 or future.shape[2] == 0:
        future = np.repeat(feats["r7"][:, None, None], 28, axis=2)
        p = 1
    for d in range(p):
        fut = future[:, d, :]
        ph = classify(feats, fut[:, :14].mean(axis=1), fut.mean(axis=1))
        counts[np.arange(n), ph] += 1.0
    out: FloatArray = counts / p
    return out


def traffic(
    y: FloatArray, fitted: FloatArray, content: ContentPosts | None, recent_days: int = 60
) -> tuple[FloatArray, FloatArray, np.ndarray]:
    """Daily traffic per SKU as (smooth series, counts, "is views" flag): content views when
    the SKU has posts with views in the last ``recent_days``, else the model's fitted demand
    (smooth) and the units sold (counts)."""
    n, t = y.shape
    units = np.where(np.isfinite(y), y, np.nan)
    if content is None or content.n == 0:
        return fitted, units, np.zeros(n, dtype=bool)
    views = np.zeros((n, t))
    np.add.at(views, content.sku, content.views[:, :t])
    has = np.zeros(n, dtype=bool)
    has[content.sku[content.day >= t - recent_days]] = True
    has |= views[:, max(0, t - recent_days) :].sum(axis=1) > 0
    has &= views[:, max(0, t - recent_days) :].sum(axis=1) > 0
    smooth = np.where(has[:, None], views, fitted)
    counts = np.where(has[:, None], views, units)
    return smooth, counts, has


def receding_alert(
    smooth: FloatArray,
    counts: FloatArray,
    *,
    window: int = 56,
    drop: float = 0.3,
    min_peak: float = 0.5,
    critical: float = 13.8,
) -> tuple[np.ndarray, IntArray]:
    """Alert flag and change-point column per SKU (see the module docstring)."""
    n, t = smooth.shape
    alert = np.zeros(n, dtype=bool)
    day = np.full(n, -1, dtype=np.int64)
    if t < 21:
        return alert, day
    x = np.where(np.isfinite(smooth), smooth, 0.0)
    c = np.cumsum(np.pad(x, ((0, 0), (1, 0))), axis=1)
    lo = max(7, t - window)
    j = np.arange(lo, t)
    m7 = (c[:, j + 1] - c[:, j - 6]) / 7.0  # trailing 7-day mean ending at column j
    arg = np.argmax(m7, axis=1)
    rows = np.arange(n)
    peak = m7[rows, arg]
    peak_col = lo + arg
    now = (c[:, t] - c[:, t - 14]) / 14.0
    # Poisson likelihood ratio: counts in the 7 days up to the peak vs the last 14 days
    cnt = np.where(np.isfinite(counts), counts, 0.0)
    okc = np.isfinite(counts).astype(np.float64)
    cc = np.cumsum(np.pad(cnt, ((0, 0), (1, 0))), axis=1)
    cn = np.cumsum(np.pad(okc, ((0, 0), (1, 0))), axis=1)
    s1 = cc[rows, peak_col + 1] - cc[rows, peak_col - 6]
    k1 = cn[rows, peak_col + 1] - cn[rows, peak_col - 6]
    s2 = cc[:, t] - cc[:, t - 14]
    k2 = cn[:, t] - cn[:, t - 14]
    pooled = (s1 + s2) / np.maximum(k1 + k2, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        t1 = np.where(s1 > 0, s1 * np.log(s1 / np.maximum(k1 * pooled, 1e-300)), 0.0)
        t2 = np.where(s2 > 0, s2 * np.log(s2 / np.maximum(k2 * pooled, 1e-300)), 0.0)
    lr = 2.0 * (t1 + t2)
    alert = (
        (peak >= min_peak)
        & (now <= (1.0 - drop) * peak)
        & (s2 / np.maximum(k2, 1.0) <= (1.0 - drop) * s1 / np.maximum(k1, 1.0))
        & (lr > critical)
        & (peak_col < t - 3)
        & (peak_col > lo + 2)  # an interior peak: the change point is inside the window
    )
    # the change point: the first day of the decline, i.e. the middle of the peak week
    day = np.where(alert, np.maximum(peak_col - 3, 0), -1)
    return alert, day.astype(np.int64)


def report(
    model: Any,
    y: FloatArray,
    content: ContentPosts | None,
    *,
    life_days: int = 365,
    n_paths: int = 100,
    seed: int = 0,
) -> PhaseReport:
    """Phases, receding alerts, kernels and remaining demand from a fitted Lifecycle model."""
    n, t = y.shape
    fitted = np.zeros((n, t))
    content_fit = np.zeros((n, t))
    future = np.zeros((n, n_paths, 28))
    rem_mean = np.zeros(n)
    rem_p10 = np.zeros(n)
    rem_p90 = np.zeros(n)
    kernel = ["none"] * n
    for chunk, state in model.states_:
        rows = chunk.rows
        if state is None:
            continue
        fitted[rows] = state["fitted_base"] + state["fitted_content"]
        content_fit[rows] = state["fitted_content"]
        base, _, _ = model.mean_components(state, chunk.weekday0, 28)
        future[rows] = model.simulate(state, base, chunk.keys, seed, n_paths, mode=2)
        b_l, a_l, n_l = model.mean_components(state, chunk.weekday0, life_days)
        rem_mean[rows] = (b_l + a_l + n_l).sum(axis=1)
        tot = model.simulate(state, b_l, chunk.keys, seed + 1, max(n_paths // 2, 20), mode=1)
        rem_p10[rows] = np.quantile(tot[:, :, 0], 0.1, axis=1)
        rem_p90[rows] = np.quantile(tot[:, :, 0], 0.9, axis=1)
        for r, k in zip(rows.tolist(), state["kernel"].tolist(), strict=True):
            kernel[r] = str(k)
    probs = phase_probabilities(y, fitted, content_fit, future)
    alert, day = receding_alert(fitted, y)
    views, counts, has_views = traffic(y, fitted, content)
    if has_views.any():
        # with content, the views must have receded too (traffic, not just sales)
        v_alert, _ = receding_alert(views, counts, critical=0.0)
        alert = np.where(has_views, alert & v_alert, alert)
    s7, n7 = _rate(y, 7, 0)
    return PhaseReport(
        probs=probs,
        phase=[PHASES[int(j)] for j in np.argmax(probs, axis=1)],
        receding=alert,
        receding_day=day,
        kernel=kernel,
        velocity_7d=s7 / np.maximum(n7, 1.0),
        remaining_mean=rem_mean,
        remaining_p10=rem_p10,
        remaining_p90=rem_p90,
    )


def most_likely(probs: FloatArray) -> list[str]:
    return [PHASES[int(j)] for j in np.argmax(probs, axis=1)]
