"""Baseline forecasters in the same protocol as the lifecycle model.

Data flow: ``y`` (SKUs × days, NaN = unobserved) → one-step-ahead in-sample forecasts (a
Numba loop per SKU) → point forecast for the horizon + residuals of the last
``resid_window`` observed days → quantiles ``max(0, point + Q_p(residuals))`` and sample
paths by resampling those residuals.

* :class:`Naive` — last observed day.
* :class:`SeasonalNaive` — the same weekday last week.
* :class:`ErpVelocity` — the Chinese cross-border ERP rule: a weighted average of the
  3/7/14/30/60/90-day mean daily sales, stock-out days dropped from each window.
* :class:`Croston` (Croston 1972) and :class:`TSB` (Teunter, Syntetos & Babai 2011) for
  intermittent demand.
* :class:`LogLinearDecay` — a straight line through ``log(1 + y)`` of the last 10 observed
  days (slope capped at 0), negative-binomial quantiles: the one-line launch-curve baseline.
* :class:`AutoETS` — statsforecast's AutoETS (optional; imported lazily; slow per series).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from quickturn.core.jit import njit
from quickturn.core.sense.base import (
    Chunk,
    Forecaster,
    bootstrap_paths,
    empirical_quantiles,
    level_nb_paths,
    nb_size_mom,
)
from quickturn.core.sense.types import FloatArray, IntArray

ERP_WINDOWS: tuple[int, ...] = (3, 7, 14, 30, 60, 90)
ERP_WEIGHTS: tuple[float, ...] = (0.10, 0.20, 0.20, 0.20, 0.15, 0.15)


class _ResidualBaseline(Forecaster):
    """Shared machinery: subclasses return in-sample one-step forecasts and the point path."""

    resid_window: int = 90

    def _fitted(self, y: FloatArray, weekday0: IntArray) -> tuple[FloatArray, FloatArray]:
        """Return ``fitted (n, T)`` one-step-ahead forecasts and ``state (n, k)`` for ``_point``."""
        raise NotImplementedError

    def _point(self, state: FloatArray, h: int, t_end: int, weekday0: IntArray) -> FloatArray:
        return np.repeat(state[:, :1], h, axis=1)

    def _fit_chunk(self, chunk: Chunk) -> dict[str, Any]:
        fitted, state = self._fitted(chunk.y, chunk.weekday0)
        resid = _last_observed(chunk.y - fitted, self.resid_window)
        return {"state": state, "resid": resid, "t_end": chunk.y.shape[1]}

    def _predict_chunk(
        self,
        state: dict[str, Any],
        chunk: Chunk,
        h: int,
        probs: FloatArray,
        n_paths: int,
        seed: int,
    ) -> tuple[FloatArray, FloatArray, FloatArray | None]:
        point = np.maximum(self._point(state["state"], h, state["t_end"], chunk.weekday0), 0.0)
        q = empirical_quantiles(point, state["resid"], probs)
        paths = (
            bootstrap_paths(point, state["resid"], chunk.keys, seed, n_paths) if n_paths else None
        )
        return point, q, paths


def _last_observed(resid: FloatArray, window: int) -> FloatArray:
    """The last ``window`` finite residuals of each row (NaN-padded on the left)."""
    n = resid.shape[0]
    out = np.full((n, window), np.nan)
    _last_obs_kernel(resid, out)
    return out


@njit(cache=True)
def _last_obs_kernel(resid: FloatArray, out: FloatArray) -> None:
    n, t = resid.shape
    w = out.shape[1]
    for i in range(n):
        j = w - 1
        for s in range(t - 1, -1, -1):
            if j < 0:
                break
            v = resid[i, s]
            if not np.isnan(v):
                out[i, j] = v
                j -= 1


# ---------------------------------------------------------------------------------------------


@njit(cache=True)
def _naive_kernel(y: FloatArray, lag: int) -> tuple[FloatArray, FloatArray]:
    n, t = y.shape
    fitted = np.full((n, t), np.nan)
    state = np.zeros((n, lag))
    for i in range(n):
        last = np.full(lag, np.nan)
        for s in range(t):
            slot = s % lag
            fitted[i, s] = last[slot]
            if not np.isnan(y[i, s]):
                last[slot] = y[i, s]
        # fill slots never observed with the mean of the known ones
        tot = 0.0
        cnt = 0
        for j in range(lag):
            if not np.isnan(last[j]):
                tot += last[j]
                cnt += 1
        fill = tot / cnt if cnt > 0 else 0.0
        for j in range(lag):
            state[i, j] = last[j] if not np.isnan(last[j]) else fill
    return fitted, state


class Naive(_ResidualBaseline):
    """Tomorrow sells what the last observed day sold."""

    name = "naive"

    def _fitted(self, y: FloatArray, weekday0: IntArray) -> tuple[FloatArray, FloatArray]:
        return _naive_kernel(y, 1)


class SeasonalNaive(_ResidualBaseline):
    """Each day sells what the same weekday sold last week (``season_length`` = 7)."""

    name = "seasonal_naive"

    def __init__(self, season_length: int = 7) -> None:
        self.season_length = season_length

    def _fitted(self, y: FloatArray, weekday0: IntArray) -> tuple[FloatArray, FloatArray]:
        return _naive_kernel(y, self.season_length)

    def _point(self, state: FloatArray, h: int, t_end: int, weekday0: IntArray) -> FloatArray:
        m = self.season_length
        slots = (t_end + np.arange(h)) % m
        return state[:, slots]


# ---------------------------------------------------------------------------------------------


@njit(cache=True)
def _erp_kernel(
    y: FloatArray, windows: np.ndarray, weights: FloatArray
) -> tuple[FloatArray, FloatArray]:
    n, t = y.shape
    k = windows.shape[0]
    fitted = np.full((n, t), np.nan)
    state = np.zeros((n, 1))
    csum = np.zeros(t + 1)
    ccnt = np.zeros(t + 1)
    for i in range(n):
        for s in range(t):
            v = y[i, s]
            ok = not np.isnan(v)
            csum[s + 1] = csum[s] + (v if ok else 0.0)
            ccnt[s + 1] = ccnt[s] + (1.0 if ok else 0.0)
        for s in range(t + 1):
            num = 0.0
            wsum = 0.0
            for j in range(k):
                a = s - windows[j]
                if a < 0:
                    a = 0
                c = ccnt[s] - ccnt[a]
                if c > 0:
                    num += weights[j] * (csum[s] - csum[a]) / c
                    wsum += weights[j]
            f = num / wsum if wsum > 0 else np.nan
            if s < t:
                fitted[i, s] = f
            else:
                state[i, 0] = f if wsum > 0 else 0.0
    return fitted, state


class ErpVelocity(_ResidualBaseline):
    """Weighted 3/7/14/30/60/90-day velocity with stock-out days dropped (ERP practice)."""

    name = "erp_velocity"

    def __init__(
        self,
        windows: Sequence[int] = ERP_WINDOWS,
        weights: Sequence[float] = ERP_WEIGHTS,
    ) -> None:
        if len(windows) != len(weights):
            raise ValueError("windows and weights must have the same length")
        self.windows = tuple(int(w) for w in windows)
        self.weights = tuple(float(w) for w in weights)

    def _fitted(self, y: FloatArray, weekday0: IntArray) -> tuple[FloatArray, FloatArray]:
        return _erp_kernel(
            y, np.array(self.windows, dtype=np.int64), np.array(self.weights, dtype=np.float64)
        )


# ---------------------------------------------------------------------------------------------


@njit(cache=True)
def _croston_kernel(
    y: FloatArray, alpha: float, beta: float, tsb: bool
) -> tuple[FloatArray, FloatArray]:
    n, t = y.shape
    fitted = np.full((n, t), np.nan)
    state = np.zeros((n, 1))
    for i in range(n):
        z = np.nan  # demand size
        p = np.nan  # interval (Croston) or probability (TSB)
        q = 1.0  # periods since last demand
        for s in range(t):
            v = y[i, s]
            if not np.isnan(z):
                fitted[i, s] = z * p if tsb else z / p
            if np.isnan(v):
                continue
            if np.isnan(z):
                if v > 0:
                    z = v
                    p = 1.0 if tsb else q
                    q = 1.0
                else:
                    q += 1.0
                continue
            if tsb:
                p = p + beta * ((1.0 if v > 0 else 0.0) - p)
                if v > 0:
                    z = z + alpha * (v - z)
            else:
                if v > 0:
                    z = z + alpha * (v - z)
                    p = p + alpha * (q - p)
                    q = 1.0
                else:
                    q += 1.0
        if np.isnan(z):
            state[i, 0] = 0.0
        else:
            state[i, 0] = z * p if tsb else z / p
    return fitted, state


class Croston(_ResidualBaseline):
    """Croston (1972): smooth non-zero sizes and the intervals between them; forecast size ÷ interval."""

    name = "croston"

    def __init__(self, alpha: float = 0.1) -> None:
        self.alpha = alpha

    def _fitted(self, y: FloatArray, weekday0: IntArray) -> tuple[FloatArray, FloatArray]:
        return _croston_kernel(y, self.alpha, self.alpha, False)


class TSB(_ResidualBaseline):
    """Teunter–Syntetos–Babai (2011): smooth the demand probability every day and the size on
    demand days; forecast probability × size (decays towards zero when sales stop)."""

    name = "tsb"

    def __init__(self, alpha_d: float = 0.1, alpha_p: float = 0.1) -> None:
        self.alpha_d = alpha_d
        self.alpha_p = alpha_p

    def _fitted(self, y: FloatArray, weekday0: IntArray) -> tuple[FloatArray, FloatArray]:
        return _croston_kernel(y, self.alpha_d, self.alpha_p, True)


# ---------------------------------------------------------------------------------------------


@njit(cache=True)
def _loglin_kernel(y: FloatArray, window: int) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Per row: OLS of ``log(1 + y)`` on the day over the last ``window`` observed days.

    Returns ``intercept`` and ``slope`` (at column 0) and the fitted mean on every column."""
    n, t = y.shape
    a_out = np.zeros(n)
    b_out = np.zeros(n)
    fitted = np.full((n, t), np.nan)
    for i in range(n):
        xs = np.zeros(window)
        zs = np.zeros(window)
        m = 0
        for s in range(t - 1, -1, -1):
            if m >= window:
                break
            v = y[i, s]
            if not np.isnan(v):
                xs[m] = s
                zs[m] = np.log1p(v)
                m += 1
        if m == 0:
            continue
        mx = xs[:m].mean()
        mz = zs[:m].mean()
        sxx = 0.0
        sxz = 0.0
        for j in range(m):
            sxx += (xs[j] - mx) ** 2
            sxz += (xs[j] - mx) * (zs[j] - mz)
        b = sxz / sxx if sxx > 0.0 else 0.0
        if b > 0.0:
            b = 0.0
        a = mz - b * mx
        a_out[i] = a
        b_out[i] = b
        for j in range(m):
            s = int(xs[j])
            fitted[i, s] = max(np.exp(a + b * s) - 1.0, 0.0)
    return a_out, b_out, fitted


class LogLinearDecay(Forecaster):
    """The launch-curve baseline: ``log(1 + y) = a + b·t`` fitted by least squares to the last
    ``window`` observed days (10), the slope capped at 0 (a decay, never a growth line), the
    mean ``exp(a + b·t) − 1`` extrapolated; negative-binomial quantiles and paths with the
    size by moments on the window (:func:`~quickturn.core.sense.base.nb_size_mom`, prior 1).
    """

    name = "decay"

    def __init__(self, window: int = 10) -> None:
        self.window = window

    def _fit_chunk(self, chunk: Chunk) -> dict[str, Any]:
        a, b, fitted = _loglin_kernel(chunk.y, self.window)
        size = nb_size_mom(chunk.y, fitted, prior=1.0, weight=float(self.window))
        return {"a": a, "b": b, "size": size, "t_end": chunk.y.shape[1]}

    def _predict_chunk(
        self,
        state: dict[str, Any],
        chunk: Chunk,
        h: int,
        probs: FloatArray,
        n_paths: int,
        seed: int,
    ) -> tuple[FloatArray, FloatArray, FloatArray | None]:
        from scipy import stats

        days = state["t_end"] + np.arange(h)[None, :]
        mean = np.maximum(np.exp(state["a"][:, None] + state["b"][:, None] * days) - 1.0, 0.0)
        k = state["size"][:, None, None]
        mu = mean[:, None, :]
        q = stats.nbinom.ppf(probs[None, :, None], k, k / (k + np.maximum(mu, 1e-12)))
        q = np.where(mu > 0, q, 0.0)
        still = np.zeros(mean.shape[0])  # no level uncertainty or drift: plain NB counts
        paths = (
            level_nb_paths(mean, state["size"], still, still, chunk.keys, seed, n_paths)
            if n_paths
            else None
        )
        return mean, np.asarray(q, dtype=np.float64), paths


class AutoETS(Forecaster):
    """statsforecast's AutoETS per series (optional extra; slow: ≈0.1 s per daily series).

    Unobserved days are filled with the series' mean; the series starts at its first observed
    day.  Quantiles come from statsforecast's prediction intervals (clipped at zero); paths
    are normal draws with the matching per-day standard deviation.
    """

    name = "autoets"
    chunk_size = 256

    def __init__(self, season_length: int = 7, model: str = "ZZZ") -> None:
        self.season_length = season_length
        self.model = model

    def _fit_chunk(self, chunk: Chunk) -> dict[str, Any]:
        return {"y": chunk.y}

    def _predict_chunk(
        self,
        state: dict[str, Any],
        chunk: Chunk,
        h: int,
        probs: FloatArray,
        n_paths: int,
        seed: int,
    ) -> tuple[FloatArray, FloatArray, FloatArray | None]:
        from scipy import stats
        from statsforecast.models import AutoETS as _SfAutoETS

        y = state["y"]
        n = y.shape[0]
        mean = np.zeros((n, h))
        sd = np.zeros((n, h))
        z80 = stats.norm.ppf(0.9)
        for i in range(n):
            row = y[i]
            ok = np.isfinite(row)
            if not ok.any():
                continue
            first = int(np.argmax(ok))
            series = row[first:].copy()
            fill = float(np.nanmean(series))
            series[~np.isfinite(series)] = fill
            if series.shape[0] < 3 or np.allclose(series, series[0]):
                mean[i] = series[-1] if series.shape[0] else 0.0
                continue
            season = self.season_length if series.shape[0] >= 2 * self.season_length + 1 else 1
            res = _SfAutoETS(season_length=season, model=self.model).forecast(
                y=series, h=h, level=[80]
            )
            mean[i] = res["mean"]
            sd[i] = (res["hi-80"] - res["mean"]) / z80
        zq = stats.norm.ppf(probs)
        q = np.maximum(mean[:, None, :] + zq[None, :, None] * sd[:, None, :], 0.0)
        paths = None
        if n_paths:
            paths = np.zeros((n, n_paths, h))
            for i in range(n):
                rng = np.random.default_rng([seed, int(chunk.keys[i]) & 0x7FFFFFFF])
                z = rng.standard_normal((n_paths, h))
                paths[i] = np.maximum(mean[i][None, :] + sd[i][None, :] * z, 0.0)
        return np.maximum(mean, 0.0), q, paths


BASELINES: dict[str, type[Forecaster]] = {
    "naive": Naive,
    "seasonal_naive": SeasonalNaive,
    "erp_velocity": ErpVelocity,
    "croston": Croston,
    "tsb": TSB,
    "decay": LogLinearDecay,
    "autoets": AutoETS,
}
