"""Seeded synthetic lifecycle panels for tests and benchmarks (no IO).

Data flow: seed → per-SKU archetype (steady, burst, dead, testing) → baseline intensity and
content posts (daily views rise and decay along an exponential or power-law kernel) →
demand = baseline + conversion × views → Poisson units → random stock-outs censor days.
The shapes follow the demo shop's generator so that model development does not depend on it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from quickturn.core.sense.types import ContentPosts, FloatArray, Panel

ARCHETYPES: tuple[str, ...] = ("steady", "burst", "dead", "testing")


@dataclass(frozen=True)
class Synthetic:
    panel: Panel
    archetype: list[str]
    kernel: list[str]
    intensity: FloatArray  # true expected demand (n, days + extra)
    demand: FloatArray  # uncensored draws (n, days + extra)
    extra: int  # days simulated beyond the panel (the future, for evaluation)


def _shape(t: FloatArray, power: bool, tau: float, alpha: float, c: float) -> FloatArray:
    rise = 1.0 - np.exp(-(t + 1.0) / 0.8)
    dec = (1.0 + t / c) ** (-alpha) if power else np.exp(-t / tau)
    return np.asarray(rise * dec, dtype=np.float64)


def synthetic_panel(
    n: int = 200,
    days: int = 365,
    *,
    seed: int = 0,
    extra: int = 0,
    mix: tuple[float, float, float, float] = (0.5, 0.3, 0.1, 0.1),
    start: date = date(2024, 1, 1),
    stockouts: bool = True,
    content: bool = True,
) -> Synthetic:
    """``n`` SKUs × ``days`` observed days (+ ``extra`` future days kept for evaluation)."""
    rng = np.random.default_rng(seed)
    total = days + extra
    arche = rng.choice(len(ARCHETYPES), size=n, p=np.array(mix) / sum(mix))
    t = np.arange(total, dtype=np.float64)
    dow = (start.weekday() + np.arange(total)) % 7
    week = np.where(dow >= 5, 1.25, 1.0)
    week = week / week.mean()
    lam = np.zeros((n, total))
    launch = np.zeros(n, dtype=np.int64)
    kern = []
    sku_l: list[int] = []
    day_l: list[int] = []
    views_l: list[FloatArray] = []
    for i in range(n):
        a = ARCHETYPES[arche[i]]
        level = float(rng.lognormal(0.5, 1.0))
        power = bool(rng.random() < 0.5)
        kern.append("power_law" if power else "exponential")
        conv = float(rng.lognormal(np.log(0.002), 0.5))
        if a == "steady":
            trend = 1 + rng.uniform(-0.2, 0.35) * t / 365.0
            lam[i] = level * trend * week
            launch[i] = 0
            n_posts = rng.poisson(1.0)
            post_days = rng.integers(0, total, n_posts)
            post_views = 2000 * rng.lognormal(0, 1.0, n_posts)
        elif a == "burst":
            launch[i] = int(rng.integers(0, max(days - 20, 1)))
            lam[i] = np.where(t >= launch[i], 0.3 * level * week, 0.0)
            k = 1 + rng.poisson(2.0)
            first = launch[i] + int(rng.integers(2, 30))
            others = launch[i] + rng.integers(0, max(total - launch[i], 1), k - 1)
            post_days = np.concatenate([[first], others])
            post_views = np.concatenate(
                [[60000 * rng.lognormal(0, 0.8)], 60000 * 0.12 * rng.lognormal(0, 1.0, k - 1)]
            )
        elif a == "dead":
            launch[i] = 0
            tau = rng.uniform(12, 30)
            end = rng.integers(60, 130)
            lam[i] = 2.0 * level * np.exp(-t / tau) * (t < end) * week
            post_days = np.array([int(rng.integers(0, 30))])
            post_views = np.array([20000 * rng.lognormal(0, 0.8)])
        else:  # testing
            launch[i] = int(rng.integers(max(days - 40, 0), days))
            lam[i] = np.where(t >= launch[i], 0.3 * level * week, 0.0)
            post_days = np.array([launch[i] + int(rng.integers(0, 10))])
            post_views = np.array([3000 * rng.lognormal(0, 1.0)])
        tau_k = rng.uniform(2.0, 8.0)
        alpha_k = rng.uniform(0.8, 1.6)
        c_k = rng.uniform(1.0, 4.0)
        for d0, v0 in zip(post_days, post_views, strict=True):
            d0 = int(min(max(d0, launch[i]), total - 1))
            life = total - d0
            sh = _shape(np.arange(life, dtype=np.float64), power, tau_k, alpha_k, c_k)
            norm = _shape(np.arange(400, dtype=np.float64), power, tau_k, alpha_k, c_k).sum()
            v = np.zeros(total)
            v[d0:] = v0 * sh / norm * rng.lognormal(0, 0.12, life)
            v = np.round(v)
            lam[i] += conv * v
            if content:
                sku_l.append(i)
                day_l.append(d0)
                views_l.append(v)
    demand = rng.poisson(lam).astype(np.float64)
    y = demand[:, :days].copy()
    for i in range(n):
        y[i, : launch[i]] = np.nan
        if stockouts and rng.random() < 0.2:
            a0 = int(rng.integers(launch[i], max(launch[i] + 1, days - 5)))
            y[i, a0 : a0 + int(rng.integers(3, 15))] = np.nan
    if sku_l:
        posts = ContentPosts(
            sku=np.array(sku_l, dtype=np.int64),
            day=np.array(day_l, dtype=np.int64),
            views=np.vstack(views_l),
        )
    else:
        posts = ContentPosts.empty(total)
    panel = Panel(
        y=y,
        sku_ids=[f"S{i:05d}" for i in range(n)],
        start=start,
        content=posts,
        category=[["toys", "beauty", "home"][i % 3] for i in range(n)],
    )
    return Synthetic(
        panel=panel,
        archetype=[ARCHETYPES[a] for a in arche],
        kernel=kern,
        intensity=lam,
        demand=demand,
        extra=extra,
    )
