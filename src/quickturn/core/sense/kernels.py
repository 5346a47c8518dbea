"""Burst kernels (exponential and power-law tails with a rise) and Bass diffusion.

A burst of content-driven demand rises and decays along a kernel ``S(t)``, ``t`` = days since
posting, normalised so that ``Σ_{t<L} S(t) = 1`` over a lifetime of ``L`` days::

    rise(t)  = 1 − exp(−(t + 1) / r)
    exponential:  S(t) ∝ rise(t) · exp(−t / τ)
    power law:    S(t) ∝ rise(t) · (1 + t / c)^(−α)        (Omori / Crane & Sornette tail)

The model keeps a grid of both families; each post's observed views give a likelihood per
grid point, and a shop-wide prior over the grid comes from the posts already observed at
length (see :mod:`quickturn.core.sense.lifecycle`).  A power-law tail leaves far more
residual demand than an exponential one (Crane & Sornette 2008), which is why the choice
matters for end-of-life stock.

Bass (1969) diffusion gives the textbook life-cycle curve used to name phases:
``F(t) = (1 − e^{−(p+q)t}) / (1 + (q/p) e^{−(p+q)t})``, peak at ``t* = ln(q/p)/(p+q)``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from quickturn.core.sense.types import FloatArray, IntArray

FAMILIES: tuple[str, ...] = ("exponential", "power_law")

RISES: tuple[float, ...] = (0.3, 0.8, 2.0)
EXP_TAUS: tuple[float, ...] = (
    0.35,
    0.7,
    1.0,
    1.5,
    2.2,
    3.3,
    5.0,
    7.5,
    11.0,
    16.0,
    25.0,
    40.0,
    70.0,
)
POW_ALPHAS: tuple[float, ...] = (0.4, 0.6, 0.8, 1.0, 1.3, 1.7, 2.2, 3.0)
POW_CS: tuple[float, ...] = (0.5, 1.0, 2.0, 4.0, 8.0)


def bass_cdf(t: float | FloatArray, p: float, q: float) -> float | FloatArray:
    """Bass (1969) cumulative adoption share ``F(t)``.

    >>> round(float(bass_cdf(5.0, 0.03, 0.38)), 4)
    0.3312
    """
    e = np.exp(-(p + q) * np.asarray(t, dtype=np.float64))
    out = (1.0 - e) / (1.0 + (q / p) * e)
    return float(out) if np.ndim(out) == 0 else out


def bass_pdf(t: float | FloatArray, p: float, q: float) -> float | FloatArray:
    """Bass adoption density ``f(t) = ((p+q)²/p) e^{−(p+q)t} / (1 + (q/p) e^{−(p+q)t})²``.

    >>> round(float(bass_pdf(bass_peak_time(0.03, 0.38), 0.03, 0.38)), 5)
    0.11059
    """
    e = np.exp(-(p + q) * np.asarray(t, dtype=np.float64))
    out = ((p + q) ** 2 / p) * e / (1.0 + (q / p) * e) ** 2
    return float(out) if np.ndim(out) == 0 else out


def bass_peak_time(p: float, q: float) -> float:
    """Time of peak adoption ``t* = ln(q/p) / (p+q)`` (no peak when ``q ≤ p``: returns 0).

    >>> round(bass_peak_time(0.03, 0.38), 3)
    6.193
    """
    return math.log(q / p) / (p + q) if q > p else 0.0


@dataclass(frozen=True)
class KernelGrid:
    """Normalised burst shapes ``shape[g, t]`` for ``t < length`` and their parameters."""

    shape: FloatArray  # (G, L), rows sum to 1
    cdf: FloatArray  # (G, L + 1), cdf[g, t] = Σ_{s<t} shape[g, s]
    family: IntArray  # 0 exponential, 1 power law
    rise: FloatArray
    tau: FloatArray  # exponential decay time (NaN for power law)
    alpha: FloatArray  # power-law exponent (NaN for exponential)
    c: FloatArray  # power-law offset (NaN for exponential)

    @property
    def size(self) -> int:
        return int(self.shape.shape[0])

    @property
    def length(self) -> int:
        return int(self.shape.shape[1])

    def label(self, g: int) -> str:
        if self.family[g] == 0:
            return f"exponential(τ={self.tau[g]:g}, rise={self.rise[g]:g})"
        return f"power_law(α={self.alpha[g]:g}, c={self.c[g]:g}, rise={self.rise[g]:g})"


def kernel_grid(
    length: int = 400,
    rises: tuple[float, ...] = RISES,
    taus: tuple[float, ...] = EXP_TAUS,
    alphas: tuple[float, ...] = POW_ALPHAS,
    cs: tuple[float, ...] = POW_CS,
) -> KernelGrid:
    """The grid of exponential and power-law burst shapes (each row sums to one)."""
    t = np.arange(length, dtype=np.float64)
    rows = []
    fam, rr, tt, aa, cc = [], [], [], [], []
    for r in rises:
        rise = 1.0 - np.exp(-(t + 1.0) / r)
        for tau in taus:
            rows.append(rise * np.exp(-t / tau))
            fam.append(0)
            rr.append(r)
            tt.append(tau)
            aa.append(np.nan)
            cc.append(np.nan)
        for a in alphas:
            for c in cs:
                rows.append(rise * (1.0 + t / c) ** (-a))
                fam.append(1)
                rr.append(r)
                tt.append(np.nan)
                aa.append(a)
                cc.append(c)
    shape = np.vstack(rows)
    shape /= shape.sum(axis=1, keepdims=True)
    cdf = np.zeros((shape.shape[0], length + 1))
    cdf[:, 1:] = np.cumsum(shape, axis=1)
    return KernelGrid(
        shape=shape,
        cdf=cdf,
        family=np.array(fam, dtype=np.int64),
        rise=np.array(rr),
        tau=np.array(tt),
        alpha=np.array(aa),
        c=np.array(cc),
    )
