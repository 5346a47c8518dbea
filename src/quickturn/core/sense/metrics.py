"""Forecast accuracy metrics (per series, then pooled), as in the M4/M5 competitions.

Data flow: training history (for the scale), actuals, mean and quantile forecasts → per-series
MASE and scaled pinball loss, pooled WAPE, interval coverage and bias.  Unobserved (NaN)
actuals are skipped everywhere.

* scale_i = mean |y_t − y_{t−1}| over the training days (consecutive observed days);
  series with a zero scale are left out of the scaled metrics.
* MASE_i = mean_t |y_t − ŷ_t| / scale_i                       (Hyndman & Koehler 2006)
* SPL_i  = mean_{q,t} ρ_q(y_t − Q_q,t) / scale_i, ρ_q(u) = u·(q − 1[u<0])   (M5 WSPL, unweighted)
* WAPE   = Σ|y − ŷ| / Σ y;  bias = Σ(ŷ − y) / Σ y;  coverage = share of y inside [lo, hi].
"""

from __future__ import annotations

import numpy as np

from quickturn.core.sense.types import FloatArray

#: M5 uncertainty-track quantiles (9 levels)
M5_PROBS: FloatArray = np.array([0.005, 0.025, 0.165, 0.25, 0.5, 0.75, 0.835, 0.975, 0.995])


def naive_scale(train: FloatArray) -> FloatArray:
    """Mean absolute one-day change over the training history (NaN-aware), per row."""
    d = np.abs(np.diff(train, axis=1))
    with np.errstate(invalid="ignore"):
        cnt = np.isfinite(d).sum(axis=1)
        s = np.where(cnt > 0, np.nansum(d, axis=1) / np.maximum(cnt, 1), np.nan)
    return np.asarray(s, dtype=np.float64)


def pinball(y: FloatArray, q: FloatArray, probs: FloatArray) -> FloatArray:
    """Pinball loss ``(n, Q, h)`` of quantiles ``q (n, Q, h)`` for actuals ``y (n, h)``."""
    u = y[:, None, :] - q
    p = probs[None, :, None]
    return np.asarray(np.where(u >= 0, p * u, (p - 1.0) * u), dtype=np.float64)


def series_metrics(
    train: FloatArray,
    actual: FloatArray,
    mean: FloatArray,
    quantiles: FloatArray,
    probs: FloatArray,
    spl_probs: FloatArray = M5_PROBS,
) -> dict[str, FloatArray]:
    """Per-series metrics (arrays of length n) and the sums needed to pool them."""
    ok = np.isfinite(actual)
    y = np.where(ok, actual, 0.0)
    scale = naive_scale(train)
    good = np.isfinite(scale) & (scale > 0) & ok.any(axis=1)
    nobs = ok.sum(axis=1)
    abs_err = np.where(ok, np.abs(y - mean), 0.0).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mase = np.where(good, abs_err / np.maximum(nobs, 1) / scale, np.nan)
    sel = [int(np.argmin(np.abs(probs - p))) for p in spl_probs]
    if not all(abs(probs[j] - p) < 1e-9 for j, p in zip(sel, spl_probs, strict=True)):
        raise ValueError(f"quantiles {spl_probs.tolist()} are needed for the pinball loss")
    pl_ = pinball(y, quantiles[:, sel, :], spl_probs)
    pl_ = np.where(ok[:, None, :], pl_, 0.0).sum(axis=2).mean(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        spl = np.where(good, pl_ / np.maximum(nobs, 1) / scale, np.nan)
    out: dict[str, FloatArray] = {
        "mase": mase,
        "spl": spl,
        "abs_err": abs_err,
        "err": np.where(ok, mean - y, 0.0).sum(axis=1),
        "actual": y.sum(axis=1),
        "nobs": nobs.astype(np.float64),
    }
    for level in (80, 95):
        a = (1 - level / 100) / 2
        lo = _find(probs, a)
        hi = _find(probs, 1 - a)
        if lo is None or hi is None:
            continue
        inside = ok & (y >= quantiles[:, lo, :] - 1e-9) & (y <= quantiles[:, hi, :] + 1e-9)
        out[f"in{level}"] = inside.sum(axis=1).astype(np.float64)
    return out


def _find(probs: FloatArray, p: float) -> int | None:
    j = int(np.argmin(np.abs(probs - p)))
    return j if abs(probs[j] - p) < 1e-9 else None


def pooled(parts: dict[str, FloatArray], mask: np.ndarray | None = None) -> dict[str, float]:
    """Pool per-series metrics: mean MASE and SPL, WAPE, bias and coverage over all days."""
    m = np.ones_like(parts["mase"], dtype=bool) if mask is None else mask
    act = float(parts["actual"][m].sum())
    nobs = float(parts["nobs"][m].sum())
    res = {
        "series": int(m.sum()),
        "mase": _nanmean(parts["mase"][m]),
        "spl": _nanmean(parts["spl"][m]),
        "wape": float(parts["abs_err"][m].sum() / act) if act > 0 else float("nan"),
        "bias": float(parts["err"][m].sum() / act) if act > 0 else float("nan"),
    }
    for level in (80, 95):
        key = f"in{level}"
        if key in parts:
            res[f"coverage{level}"] = (
                float(parts[key][m].sum() / nobs) if nobs > 0 else float("nan")
            )
    return res


def _nanmean(x: FloatArray) -> float:
    x = x[np.isfinite(x)]
    return float(x.mean()) if x.size else float("nan")
