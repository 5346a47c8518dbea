"""Lifecycle phase of each SKU (testing, rising, peaking, steady, decaying, dead) and the
"traffic receding" alert.

(First version: rules on recent velocities; probabilities from Poisson uncertainty.)
"""

from __future__ import annotations

import numpy as np

from quickturn.core.sense.types import PHASES, FloatArray


def _window_rate(y: FloatArray, a: int, b: int) -> tuple[FloatArray, FloatArray]:
    t = y.shape[1]
    a, b = max(0, t - a), max(0, t - b)
    w = y[:, a:b]
    ok = np.isfinite(w)
    n = ok.sum(axis=1)
    s = np.where(ok, w, 0.0).sum(axis=1)
    return s, n


def simple_phase_probs(y: FloatArray, n_draws: int = 64, seed: int = 0) -> FloatArray:
    """``(n, 6)`` phase probabilities from 7/28/84-day rates (Poisson draws of each rate)."""
    n, t = y.shape
    ok = np.isfinite(y)
    first = np.where(ok.any(axis=1), np.argmax(ok, axis=1), t)
    age = t - first
    s7, n7 = _window_rate(y, 7, 0)
    s28, n28 = _window_rate(y, 28, 7)
    s84, n84 = _window_rate(y, 84, 28)
    rng = np.random.default_rng(seed)
    draws = np.zeros((n, len(PHASES)))
    for _ in range(n_draws):
        r7 = rng.gamma(s7 + 0.5, 1.0) / np.maximum(n7, 1)
        r28 = rng.gamma(s28 + 0.5, 1.0) / np.maximum(n28, 1)
        r84 = rng.gamma(s84 + 0.5, 1.0) / np.maximum(n84, 1)
        peak = np.maximum(np.maximum(r7, r28), r84)
        ph = np.full(n, 3)  # steady
        ph[(r7 > 1.5 * r28) & (r7 > 0.3)] = 1  # rising
        ph[(r7 >= 0.8 * peak) & (r28 > 1.5 * r84) & (r7 <= 1.5 * r28)] = 2  # peaking
        ph[(r7 < 0.6 * r28) & (r28 <= 1.2 * peak)] = 4  # decaying
        ph[(s7 + s28 == 0) & (age > 35)] = 5  # dead
        ph[(age <= 21) & (s7 + s28 + s84 < 30)] = 0  # testing
        draws[np.arange(n), ph] += 1
    return draws / n_draws


def most_likely(probs: FloatArray) -> list[str]:
    return [PHASES[int(j)] for j in np.argmax(probs, axis=1)]
