"""The forecaster protocol every sense model follows, with per-SKU fallback.

Data flow::

    y (SKUs × days, NaN = unobserved) ─ fit ─> learned state (attributes ending in ``_``)
                                        └ predict(h, probs, n_paths, seed) ─> ForecastOutput
    forecast(y, h, …) = fit + predict chunk by chunk without keeping the state (memory-light)

Like statsforecast's models: parameters in ``__init__``; ``fit`` returns ``self``; learned
state ends in ``_``.  Unlike them, every call works on a whole panel of SKUs at once
(vectorised, Numba inside), in chunks of ``chunk_size`` rows.  A chunk that raises is split
in halves until the failing SKU is isolated; that SKU, and any SKU whose output is not
finite, gets the :class:`Fallback` forecast, so one bad SKU cannot stop a 10,000-SKU run.

Randomness is keyed per SKU (``keys``, e.g. a CRC32 of the SKU id) and ``seed``: a SKU's
sample paths do not depend on which other SKUs are in the panel or how it is chunked.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Self

import numpy as np

from quickturn.core.jit import njit
from quickturn.core.sense.types import (
    ContentPosts,
    FloatArray,
    ForecastOutput,
    IntArray,
    quantile_probs,
)

DEFAULT_PROBS: FloatArray = quantile_probs((80.0, 95.0))


def row_keys(ids: Sequence[str]) -> IntArray:
    """Stable per-SKU random-stream keys (CRC32 of the id; same in every process)."""
    return np.array([zlib.crc32(str(s).encode("utf-8")) for s in ids], dtype=np.int64)


def sanitize(y: FloatArray) -> FloatArray:
    """A float64 copy with non-finite and negative values turned into NaN (unobserved)."""
    out = np.array(y, dtype=np.float64, copy=True)
    if out.ndim == 1:
        out = out[None, :]
    if out.ndim != 2:
        raise ValueError(f"y must be 2-D (SKUs × days), got shape {out.shape}")
    bad = ~np.isfinite(out) | (out < 0)
    out[bad] = np.nan
    return out


@dataclass
class Chunk:
    """Inputs of one chunk of rows."""

    rows: IntArray  # positions in the full panel
    y: FloatArray
    keys: IntArray
    weekday0: IntArray  # weekday (Mon = 0) of column 0, per row
    content: ContentPosts | None
    category: list[str] | None


# ---------------------------------------------------------------------------------------------
# Random paths (Numba, seeded per SKU row)
# ---------------------------------------------------------------------------------------------


@njit(cache=True)
def _mix(seed: int, key: int) -> int:
    z = (seed * 0x9E3779B1 + key * 0x85EBCA77 + 0x165667B1) & 0x7FFFFFFF
    z ^= z >> 15
    z = (z * 0x2C1B3C6D) & 0x7FFFFFFF
    z ^= z >> 12
    return z


@njit(cache=True)
def nb_draw(mu: float, k: float) -> float:
    """One negative-binomial draw with mean ``mu`` and size ``k`` (gamma–Poisson)."""
    if mu <= 0.0:
        return 0.0
    if k >= 1e6:
        return float(np.random.poisson(mu))
    lam = np.random.gamma(k, mu / k)
    if lam > 1e12:
        return lam
    return float(np.random.poisson(lam))


@njit(cache=True)
def level_nb_paths(
    mu: FloatArray,
    size: FloatArray,
    level_cv: FloatArray,
    rw_sd: FloatArray,
    keys: IntArray,
    seed: int,
    n_paths: int,
) -> FloatArray:
    """Paths ``mu[i, t] × L[i, p, t]`` with NB noise.

    ``L`` starts as a gamma multiplier with mean 1 and coefficient of variation
    ``level_cv[i]`` (uncertainty of the estimated level) and drifts as a mean-one geometric
    random walk with daily log-step ``rw_sd[i]``.
    """
    n, h = mu.shape
    out = np.zeros((n, n_paths, h))
    for i in range(n):
        np.random.seed(_mix(seed, keys[i]))
        cv = level_cv[i]
        shape = 1.0 / (cv * cv) if cv > 1e-6 else 0.0
        s = rw_sd[i]
        for p in range(n_paths):
            lv = np.random.gamma(shape, 1.0 / shape) if shape > 0.0 else 1.0
            logrw = 0.0
            for t in range(h):
                if s > 0.0:
                    logrw += s * np.random.standard_normal() - 0.5 * s * s
                out[i, p, t] = nb_draw(mu[i, t] * lv * np.exp(logrw), size[i])
    return out


@njit(cache=True)
def bootstrap_paths(
    point: FloatArray, resid: FloatArray, keys: IntArray, seed: int, n_paths: int
) -> FloatArray:
    """Paths ``max(0, point + e)`` with ``e`` resampled from each row's residuals (NaN skipped)."""
    n, h = point.shape
    w = resid.shape[1]
    out = np.zeros((n, n_paths, h))
    buf = np.empty(w)
    for i in range(n):
        np.random.seed(_mix(seed, keys[i]))
        m = 0
        for j in range(w):
            if not np.isnan(resid[i, j]):
                buf[m] = resid[i, j]
                m += 1
        for p in range(n_paths):
            for t in range(h):
                e = buf[np.random.randint(0, m)] if m > 0 else 0.0
                v = point[i, t] + e
                out[i, p, t] = v if v > 0.0 else 0.0
    return out


def quantiles_from_paths(paths: FloatArray, probs: FloatArray) -> FloatArray:
    """``(n, q, h)`` quantiles of ``(n, P, h)`` paths (linear interpolation between order stats)."""
    n, n_paths, h = paths.shape
    if n_paths == 0 or probs.shape[0] == 0:
        # no quantiles asked for (sample paths only): no sort of every day's paths
        return np.zeros((n, probs.shape[0], h))
    s = np.sort(paths, axis=1)
    pos = probs * (n_paths - 1)
    lo = np.floor(pos).astype(np.int64)
    hi = np.minimum(lo + 1, n_paths - 1)
    frac = (pos - lo)[None, :, None]
    out: FloatArray = s[:, lo, :] * (1.0 - frac) + s[:, hi, :] * frac
    return out


def empirical_quantiles(point: FloatArray, resid: FloatArray, probs: FloatArray) -> FloatArray:
    """``(n, q, h)``: ``max(0, point + Q_p(residuals))`` per row (zero spread without residuals)."""
    n = point.shape[0]
    q = np.zeros((n, probs.shape[0]))
    ok = np.isfinite(resid).any(axis=1)
    if ok.any():
        q[ok] = np.nanquantile(resid[ok], probs, axis=1).T
    return np.asarray(np.maximum(point[:, None, :] + q[:, :, None], 0.0), dtype=np.float64)


def nb_size_mom(
    y: FloatArray, mu: FloatArray, prior: float = 1.0, weight: float = 30.0
) -> FloatArray:
    """Negative-binomial size ``k`` per row by moments on observed days, shrunk towards ``prior``.

    ``Var(y) = μ + μ²/k`` → ``1/k = Σ[(y−μ)² − μ] / Σ μ²``; the estimate of ``1/k`` is
    pooled with ``1/prior`` weighted by ``weight`` pseudo-days of ``μ² = mean μ²``.
    """
    ok = np.isfinite(y) & np.isfinite(mu)
    r = np.where(ok, (y - mu) ** 2 - mu, 0.0)
    m2 = np.where(ok, mu * mu, 0.0)
    n_ok = ok.sum(axis=1)
    mean_m2 = m2.sum(axis=1) / np.maximum(n_ok, 1)
    num = r.sum(axis=1) + weight * mean_m2 / prior
    den = m2.sum(axis=1) + weight * mean_m2
    inv_k = np.where(den > 0, num / np.maximum(den, 1e-300), 1.0 / prior)
    inv_k = np.clip(inv_k, 1e-3, 50.0)
    return 1.0 / inv_k


# ---------------------------------------------------------------------------------------------
# Protocol
# ---------------------------------------------------------------------------------------------


class Forecaster:
    """Base class: subclasses implement ``_fit_chunk`` and ``_predict_chunk``.

    ``fit(y, …)`` learns per-SKU state; ``predict(h, …)`` turns it into a
    :class:`ForecastOutput`; ``forecast(y, h, …)`` does both chunk by chunk without keeping
    the state.  ``probs`` are quantile probabilities (see
    :func:`~quickturn.core.sense.types.quantile_probs`).
    """

    name: str = "forecaster"
    chunk_size: int = 2048

    # -- subclass hooks ------------------------------------------------------------------
    def _start_panel(
        self,
        y: FloatArray,
        category: list[str] | None,
        content: ContentPosts | None = None,
        weekday0: IntArray | None = None,
    ) -> None:
        """Called once with the whole panel before it is cut into chunks (shared pools)."""

    def _fit_chunk(self, chunk: Chunk) -> dict[str, Any]:
        raise NotImplementedError

    def _predict_chunk(
        self,
        state: dict[str, Any],
        chunk: Chunk,
        h: int,
        probs: FloatArray,
        n_paths: int,
        seed: int,
    ) -> tuple[FloatArray, FloatArray, FloatArray | None]:
        """Return ``mean (n, h)``, ``quantiles (n, q, h)`` and paths ``(n, P, h)`` or None."""
        raise NotImplementedError

    def take_state(self, state: dict[str, Any], part: IntArray) -> dict[str, Any]:
        """The fitted state of rows ``part`` (positions in its chunk, ascending) alone, such
        that predicting them gives exactly their rows of the whole chunk's prediction."""
        raise NotImplementedError(f"{type(self).__name__} cannot cut a fitted state by rows")

    # -- public API ----------------------------------------------------------------------
    def fit(
        self,
        y: FloatArray,
        *,
        keys: IntArray | None = None,
        weekday0: int | IntArray = 0,
        content: ContentPosts | None = None,
        category: Sequence[str] | None = None,
    ) -> Self:
        """Learn per-SKU state from ``y`` (SKUs × days, NaN = unobserved).

        ``weekday0`` is the weekday (Monday = 0) of column 0: one for the whole panel, or one
        per row when the rows are aligned on their own last day (``qt.sense.forecast``)."""
        self.begin_panel(y, keys=keys, weekday0=weekday0, content=content, category=category)
        self.states_.extend(
            self.fit_chunks(
                self.chunk_panel(self.y_, self.keys_, self.weekday0_, self.content_, self.category_)
            )
        )
        return self

    # -- distributed use (services.cluster): the panel-wide part here, chunks anywhere -----
    def begin_panel(
        self,
        y: FloatArray,
        *,
        keys: IntArray | None = None,
        weekday0: int | IntArray = 0,
        content: ContentPosts | None = None,
        category: Sequence[str] | None = None,
    ) -> None:
        """What ``fit`` does before its chunk loop: keep the panel and build the pools shared
        by every chunk (from the whole panel).  Then ``chunk_panel`` on any contiguous run of
        whole chunks' rows and ``fit_chunks`` on them, in any process, give the states that
        ``fit`` gives (``adopt`` hands them back)."""
        self.y_ = sanitize(y)
        self.keys_ = _keys(keys, self.y_.shape[0])
        self.weekday0_ = weekdays(weekday0, self.y_.shape[0])
        self.content_ = content
        self.category_ = list(category) if category is not None else None
        self.states_: list[tuple[Chunk, dict[str, Any] | None]] = []
        self._start_panel(self.y_, self.category_, self.content_, self.weekday0_)

    def fit_chunks(self, chunks: Sequence[Chunk]) -> list[tuple[Chunk, dict[str, Any] | None]]:
        """The fitted state of each chunk (split in halves where a fit fails, as ``fit``)."""
        states: list[tuple[Chunk, dict[str, Any] | None]] = []
        for chunk in chunks:
            states.extend(self._safe_fit(chunk))
        return states

    def predict_states(
        self,
        states: Sequence[tuple[Chunk, dict[str, Any] | None]],
        h: int,
        *,
        probs: FloatArray | Sequence[float] = DEFAULT_PROBS,
        n_paths: int = 0,
        seed: int = 0,
    ) -> list[tuple[Chunk, FloatArray, FloatArray, FloatArray | None, list[str]]]:
        """The predicted part of each fitted chunk (as ``predict`` computes them)."""
        probs_a = _probs(probs)
        h = horizon(h)
        return [self._safe_predict(st, c, h, probs_a, n_paths, seed) for c, st in states]

    def adopt(
        self,
        states: Sequence[tuple[Chunk, dict[str, Any] | None]],
        parts: Sequence[tuple[Chunk, FloatArray, FloatArray, FloatArray | None, list[str]]],
        h: int,
        *,
        probs: FloatArray | Sequence[float] = DEFAULT_PROBS,
        n_paths: int = 0,
    ) -> ForecastOutput:
        """Keep the fitted ``states`` (as ``fit`` would) and assemble the predicted ``parts``."""
        self.states_ = list(states)
        return _assemble(list(parts), self.y_.shape[0], horizon(h), _probs(probs), n_paths)

    def predict(
        self,
        h: int,
        *,
        probs: FloatArray | Sequence[float] = DEFAULT_PROBS,
        n_paths: int = 0,
        seed: int = 0,
    ) -> ForecastOutput:
        if not hasattr(self, "states_"):
            raise RuntimeError(f"{type(self).__name__}.predict called before fit")
        probs_a = _probs(probs)
        h = horizon(h)
        parts = [
            self._safe_predict(state, chunk, h, probs_a, n_paths, seed)
            for chunk, state in self.states_
        ]
        return _assemble(parts, self.y_.shape[0], h, probs_a, n_paths)

    def forecast(
        self,
        y: FloatArray,
        h: int,
        *,
        keys: IntArray | None = None,
        weekday0: int | IntArray = 0,
        content: ContentPosts | None = None,
        category: Sequence[str] | None = None,
        probs: FloatArray | Sequence[float] = DEFAULT_PROBS,
        n_paths: int = 0,
        seed: int = 0,
    ) -> ForecastOutput:
        """Fit and predict chunk by chunk, keeping no per-SKU state (memory-light)."""
        ys = sanitize(y)
        kk = _keys(keys, ys.shape[0])
        probs_a = _probs(probs)
        h = horizon(h)
        cat = list(category) if category is not None else None
        parts = []
        wd0 = weekdays(weekday0, ys.shape[0])
        self._start_panel(ys, cat, content, wd0)
        for chunk in self.chunk_panel(ys, kk, wd0, content, cat):
            for sub, state in self._safe_fit(chunk):
                parts.append(self._safe_predict(state, sub, h, probs_a, n_paths, seed))
        return _assemble(parts, ys.shape[0], h, probs_a, n_paths)

    # -- machinery -----------------------------------------------------------------------
    def chunk_panel(
        self,
        y: FloatArray,
        keys: IntArray,
        weekday0: IntArray,
        content: ContentPosts | None,
        category: list[str] | None,
    ) -> list[Chunk]:
        """The fit chunks of ``chunk_size`` rows of a (sanitised) panel or run of its rows."""
        n = y.shape[0]
        out = []
        for a in range(0, max(n, 1), self.chunk_size):
            rows = np.arange(a, min(a + self.chunk_size, n), dtype=np.int64)
            if rows.size == 0 and n > 0:
                continue
            out.append(_make_chunk(rows, y, keys, weekday0, content, category))
        return out

    def _safe_fit(self, chunk: Chunk) -> list[tuple[Chunk, dict[str, Any] | None]]:
        try:
            return [(chunk, self._fit_chunk(chunk))]
        except Exception:
            if chunk.rows.shape[0] <= 1:
                return [(chunk, None)]
            half = chunk.rows.shape[0] // 2
            out = []
            for part in (np.arange(half), np.arange(half, chunk.rows.shape[0])):
                out.extend(self._safe_fit(_sub_chunk(chunk, part)))
            return out

    def _safe_predict(
        self,
        state: dict[str, Any] | None,
        chunk: Chunk,
        h: int,
        probs: FloatArray,
        n_paths: int,
        seed: int,
    ) -> tuple[Chunk, FloatArray, FloatArray, FloatArray | None, list[str]]:
        n = chunk.rows.shape[0]
        names = [self.name] * n
        try:
            if state is None:
                raise ValueError("fit failed")
            mean, q, paths = self._predict_chunk(state, chunk, h, probs, n_paths, seed)
            mean = np.asarray(mean, dtype=np.float64)
            q = np.asarray(q, dtype=np.float64)
            bad = ~np.isfinite(mean).all(axis=1) | ~np.isfinite(q).all(axis=(1, 2))
            if paths is not None:
                bad |= ~np.isfinite(paths).all(axis=(1, 2))
        except Exception:
            if n > 1 and state is not None:
                # isolate the failing SKU(s) by refitting halves
                half = n // 2
                pieces = []
                for part in (np.arange(half), np.arange(half, n)):
                    sub = _sub_chunk(chunk, part)
                    for c2, s2 in self._safe_fit(sub):
                        pieces.append(self._safe_predict(s2, c2, h, probs, n_paths, seed))
                return _concat_pieces(pieces, h, probs, n_paths)
            mean = np.zeros((n, h))
            q = np.zeros((n, probs.shape[0], h))
            paths = np.zeros((n, n_paths, h)) if n_paths else None
            bad = np.ones(n, dtype=bool)
        if bad.any():
            idx = np.flatnonzero(bad)
            fb = Fallback()
            sub = _sub_chunk(chunk, idx)
            fm, fq, fp = fb.safe_rows(sub, h, probs, n_paths, seed)
            mean[idx] = fm
            q[idx] = fq
            if paths is not None and fp is not None:
                paths[idx] = fp
            for j in idx:
                names[j] = "fallback"
        q = np.maximum(q, 0.0)
        q = np.maximum.accumulate(q, axis=1)  # quantiles never cross
        mean = np.maximum(mean, 0.0)
        return chunk, mean, q, paths, names


def weekdays(weekday0: int | IntArray, n: int) -> IntArray:
    """``weekday0`` (one int, or one per row) as an int array of ``n`` weekdays 0–6."""
    w = np.asarray(weekday0, dtype=np.int64).reshape(-1)
    if w.size == 1:
        return np.full(n, int(w[0]) % 7, dtype=np.int64)
    if w.shape != (n,):
        raise ValueError(f"weekday0 must be one int or one per SKU ({n}), got shape {w.shape}")
    return np.asarray(w % 7, dtype=np.int64)


def day_of_week(weekday0: IntArray, offset: int, length: int) -> IntArray:
    """``(n, length)`` weekday of columns ``offset … offset + length − 1`` per row."""
    out: IntArray = (weekday0[:, None] + offset + np.arange(length)[None, :]) % 7
    return out


def _keys(keys: IntArray | None, n: int) -> IntArray:
    if keys is None:
        return np.arange(n, dtype=np.int64)
    k = np.asarray(keys, dtype=np.int64)
    if k.shape != (n,):
        raise ValueError(f"keys must have one entry per SKU ({n}), got shape {k.shape}")
    return k


def _probs(probs: FloatArray | Sequence[float]) -> FloatArray:
    p = np.asarray(probs, dtype=np.float64).reshape(-1)
    if p.size and (np.any(p <= 0) | np.any(p >= 1)):
        raise ValueError(f"quantile probabilities must lie in (0, 1), got {p.tolist()}")
    return np.sort(p)


def horizon(h: int) -> int:
    if int(h) != h or h < 1:
        raise ValueError(f"horizon h must be a positive whole number of days, got {h!r}")
    return int(h)


def _make_chunk(
    rows: IntArray,
    y: FloatArray,
    keys: IntArray,
    weekday0: IntArray,
    content: ContentPosts | None,
    category: list[str] | None,
) -> Chunk:
    return Chunk(
        rows=rows,
        y=y[rows],
        keys=keys[rows],
        weekday0=weekday0[rows],
        content=content.subset(rows) if content is not None else None,
        category=[category[i] for i in rows] if category is not None else None,
    )


def _sub_chunk(chunk: Chunk, part: IntArray) -> Chunk:
    return Chunk(
        rows=chunk.rows[part],
        y=chunk.y[part],
        keys=chunk.keys[part],
        weekday0=chunk.weekday0[part],
        content=chunk.content.subset(part) if chunk.content is not None else None,
        category=[chunk.category[i] for i in part] if chunk.category is not None else None,
    )


def _concat_pieces(
    pieces: list[tuple[Chunk, FloatArray, FloatArray, FloatArray | None, list[str]]],
    h: int,
    probs: FloatArray,
    n_paths: int,
) -> tuple[Chunk, FloatArray, FloatArray, FloatArray | None, list[str]]:
    rows = np.concatenate([p[0].rows for p in pieces])
    chunk = Chunk(
        rows,
        np.vstack([p[0].y for p in pieces]),
        np.concatenate([p[0].keys for p in pieces]),
        np.concatenate([p[0].weekday0 for p in pieces]),
        None,
        None,
    )
    mean = np.vstack([p[1] for p in pieces])
    q = np.concatenate([p[2] for p in pieces], axis=0)
    paths = np.concatenate([p[3] for p in pieces if p[3] is not None], axis=0) if n_paths else None
    names = [nm for p in pieces for nm in p[4]]
    return chunk, mean, q, paths, names


def _assemble(
    parts: list[tuple[Chunk, FloatArray, FloatArray, FloatArray | None, list[str]]],
    n: int,
    h: int,
    probs: FloatArray,
    n_paths: int,
) -> ForecastOutput:
    mean = np.zeros((n, h))
    q = np.zeros((n, probs.shape[0], h))
    paths = np.zeros((n, n_paths, h)) if n_paths else None
    names = [""] * n
    for chunk, m, qq, pp, nm in parts:
        mean[chunk.rows] = m
        q[chunk.rows] = qq
        if paths is not None and pp is not None:
            paths[chunk.rows] = pp
        for r, s in zip(chunk.rows.tolist(), nm, strict=True):
            names[r] = s
    return ForecastOutput(mean=mean, probs=probs, quantiles=q, model=names, paths=paths)


# ---------------------------------------------------------------------------------------------
# Fallback
# ---------------------------------------------------------------------------------------------


class Fallback(Forecaster):
    """The forecaster of last resort: mean of the last 28 observed days, NB noise.

    Never raises; a row whose inputs are unusable gets zeros.
    """

    name = "fallback"

    def __init__(self, window: int = 28) -> None:
        self.window = window

    def _fit_chunk(self, chunk: Chunk) -> dict[str, Any]:
        y = chunk.y
        t = y.shape[1]
        tail = y[:, max(0, t - self.window) :]
        with np.errstate(all="ignore"):
            cnt = np.isfinite(tail).sum(axis=1)
            level = np.where(cnt > 0, np.nansum(tail, axis=1) / np.maximum(cnt, 1), 0.0)
        level = np.where(np.isfinite(level) & (level < 1e12), level, 0.0)
        size = nb_size_mom(tail, np.broadcast_to(level[:, None], tail.shape))
        return {"level": level, "size": size}

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

        level = state["level"]
        size = state["size"]
        mean = np.repeat(level[:, None], h, axis=1)
        p = size / (size + np.maximum(level, 1e-12))
        qv = stats.nbinom.ppf(probs[None, :], size[:, None], p[:, None])
        qv = np.where(level[:, None] > 0, qv, 0.0)
        q = np.repeat(qv[:, :, None], h, axis=2)
        paths = None
        if n_paths:
            z = np.zeros(level.shape[0])
            paths = level_nb_paths(mean, size, z, z, chunk.keys, seed, n_paths)
        return mean, q, paths

    def safe_rows(
        self, chunk: Chunk, h: int, probs: FloatArray, n_paths: int, seed: int
    ) -> tuple[FloatArray, FloatArray, FloatArray | None]:
        n = chunk.rows.shape[0]
        try:
            state = self._fit_chunk(chunk)
            m, q, p = self._predict_chunk(state, chunk, h, probs, n_paths, seed)
            ok = np.isfinite(m).all(axis=1) & np.isfinite(q).all(axis=(1, 2))
            if p is not None:
                ok &= np.isfinite(p).all(axis=(1, 2))
            m[~ok] = 0.0
            q[~ok] = 0.0
            if p is not None:
                p[~ok] = 0.0
            return m, q, p
        except Exception:
            return (
                np.zeros((n, h)),
                np.zeros((n, probs.shape[0], h)),
                np.zeros((n, n_paths, h)) if n_paths else None,
            )
