"""The lifecycle model: demand = baseline + content-driven bursts, negative-binomial noise.

(First version: the baseline part — a censoring-aware local level with weekday factors,
negative-binomial noise and level uncertainty.  Bursts follow.)
"""

from __future__ import annotations

from typing import Any

import numba as nb
import numpy as np

from quickturn.core.sense.base import (
    Chunk,
    Forecaster,
    level_nb_paths,
    nb_size_mom,
    quantiles_from_paths,
)
from quickturn.core.sense.types import FloatArray

SES_ALPHAS: tuple[float, ...] = (0.02, 0.05, 0.1, 0.2, 0.35)


@nb.njit(cache=True)
def ses_select(
    y: FloatArray, alphas: FloatArray, burn: int
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Simple exponential smoothing over observed days, α chosen by one-step squared error.

    Returns the final level, the chosen α and the one-step fitted values (per row).
    """
    n, t = y.shape
    k = alphas.shape[0]
    level_out = np.zeros(n)
    alpha_out = np.zeros(n)
    fitted = np.full((n, t), np.nan)
    for i in range(n):
        best = np.inf
        best_j = 0
        # initial level: mean of the first observed days
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
                if seen >= burn:
                    sse += (v - lv) ** 2
                lv += a * (v - lv)
                seen += 1
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
    y: FloatArray, weekday0: int, window: int = 182, prior_days: float = 8.0
) -> FloatArray:
    """Multiplicative weekday factors ``(n, 7)`` (mean 1) from the last ``window`` days.

    Each SKU's factors are shrunk towards the panel's pooled factors with ``prior_days``
    pseudo-observations per weekday, so sparse SKUs borrow the shop's weekly rhythm.
    """
    n, t = y.shape
    a = max(0, t - window)
    tail = y[:, a:]
    wd = (weekday0 + a + np.arange(tail.shape[1])) % 7
    ok = np.isfinite(tail)
    v = np.where(ok, tail, 0.0)
    sums = np.zeros((n, 7))
    cnts = np.zeros((n, 7))
    for d in range(7):
        m = wd == d
        sums[:, d] = v[:, m].sum(axis=1)
        cnts[:, d] = ok[:, m].sum(axis=1)
    # pooled: share-weighted so big sellers do not dominate
    tot = sums.sum(axis=1)
    rate = np.where(cnts > 0, sums / np.maximum(cnts, 1), 0.0)
    mean_rate = np.where(tot > 0, tot / np.maximum(cnts.sum(axis=1), 1), 0.0)
    rel = np.where(mean_rate[:, None] > 0, rate / np.maximum(mean_rate[:, None], 1e-12), 1.0)
    wts = np.minimum(tot, 50.0)
    pooled = (
        (rel * wts[:, None]).sum(axis=0) / max(wts.sum(), 1e-12) if wts.sum() > 0 else np.ones(7)
    )
    pooled = pooled / max(pooled.mean(), 1e-12)
    # shrink per SKU: pseudo units = prior_days × mean_rate on each weekday
    pseudo = prior_days * mean_rate[:, None]
    f = (sums + pseudo * pooled[None, :]) / np.maximum(
        (cnts + prior_days) * mean_rate[:, None], 1e-12
    )
    f = np.where(mean_rate[:, None] > 0, f, pooled[None, :])
    f = f / np.maximum(f.mean(axis=1, keepdims=True), 1e-12)
    return np.asarray(f, dtype=np.float64)


class Lifecycle(Forecaster):
    """Baseline + bursts, negative-binomial noise, parameter uncertainty in the paths."""

    name = "lifecycle"

    def __init__(self, n_quantile_paths: int = 200, alphas: tuple[float, ...] = SES_ALPHAS) -> None:
        self.n_quantile_paths = n_quantile_paths
        self.alphas = alphas

    def _fit_chunk(self, chunk: Chunk) -> dict[str, Any]:
        y = chunk.y
        t = y.shape[1]
        dow = weekday_factors(y, chunk.weekday0)
        wd = (chunk.weekday0 + np.arange(t)) % 7
        ydes = y / dow[:, wd]
        level, alpha, fitted = ses_select(ydes, np.array(self.alphas), 7)
        mu_in = fitted * dow[:, wd]
        size = nb_size_mom(y[:, -120:], mu_in[:, -120:], prior=2.0)
        lv = np.maximum(level, 1e-9)
        cv2 = alpha / (2.0 - alpha) * (1.0 / lv + 1.0 / size)
        level_cv = np.sqrt(np.minimum(cv2, 4.0))
        rw_sd = np.minimum(alpha * np.sqrt(1.0 / lv + 1.0 / size), 0.3) * 0.5
        return {
            "level": np.maximum(level, 0.0),
            "dow": dow,
            "size": size,
            "level_cv": level_cv,
            "rw_sd": rw_sd,
            "t_end": t,
        }

    def _predict_chunk(
        self,
        state: dict[str, Any],
        chunk: Chunk,
        h: int,
        probs: FloatArray,
        n_paths: int,
        seed: int,
    ) -> tuple[FloatArray, FloatArray, FloatArray | None]:
        wd = (chunk.weekday0 + state["t_end"] + np.arange(h)) % 7
        mean = state["level"][:, None] * state["dow"][:, wd]
        m = max(n_paths, self.n_quantile_paths)
        paths = level_nb_paths(
            mean, state["size"], state["level_cv"], state["rw_sd"], chunk.keys, seed, m
        )
        q = quantiles_from_paths(paths, probs)
        return mean, q, (paths[:, :n_paths] if n_paths else None)
