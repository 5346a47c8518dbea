"""Rolling-origin backtests of any set of forecasters on one panel.

Data flow: panel → for each origin ``o = T − w·h`` (w = 1..windows): train on days ``< o``
(content sliced at ``o`` too, so no post or view from the future leaks in), forecast ``h``
days, score against days ``o..o+h−1`` → per-series metrics per (model, window) → pooled
summaries overall and by the lifecycle phase each SKU was in at the origin.

``first_week_to_rest_of_life`` scores the "7 days after launch → remaining lifetime demand"
task: for each SKU launched inside the panel, train on its first 7 days and compare the
forecast total over the rest of the panel with what it actually sold.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from quickturn.core.sense.base import Forecaster
from quickturn.core.sense.metrics import M5_PROBS, pooled, series_metrics
from quickturn.core.sense.types import PHASES, FloatArray, IntArray, Panel

#: quantiles every backtest asks for: the M5 set plus the 80% interval
BACKTEST_PROBS: FloatArray = np.union1d(M5_PROBS, [0.1, 0.9])

PhaseFn = Callable[[Panel], list[str]]


@dataclass
class BacktestResult:
    h: int
    windows: int
    origins: list[int]
    #: model → pooled metrics over every window and series
    overall: dict[str, dict[str, float]] = field(default_factory=dict)
    #: model → phase → pooled metrics
    by_phase: dict[str, dict[str, dict[str, float]]] = field(default_factory=dict)
    #: model → group name → pooled metrics (e.g. demo archetypes)
    by_group: dict[str, dict[str, dict[str, float]]] = field(default_factory=dict)
    #: model → per-window pooled metrics
    by_window: dict[str, list[dict[str, float]]] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    fallbacks: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "h": self.h,
            "windows": self.windows,
            "origins": self.origins,
            "overall": self.overall,
            "by_phase": self.by_phase,
            "by_group": self.by_group,
            "by_window": self.by_window,
            "seconds": self.seconds,
            "fallbacks": self.fallbacks,
        }


def slice_panel(panel: Panel, end: int, start: int = 0) -> Panel:
    content = panel.content.sliced(end, start) if panel.content is not None else None
    from datetime import timedelta

    return Panel(
        y=panel.y[:, start:end],
        sku_ids=panel.sku_ids,
        start=panel.start + timedelta(days=start),
        content=content,
        category=panel.category,
    )


def rolling_origin(
    panel: Panel,
    models: Mapping[str, Forecaster],
    *,
    h: int = 28,
    windows: int = 4,
    phase_fn: PhaseFn | None = None,
    groups: Mapping[str, np.ndarray] | None = None,
    actual: FloatArray | None = None,
    min_train: int = 28,
    seed: int = 0,
    keys: IntArray | None = None,
    timer: Callable[[], float] | None = None,
) -> BacktestResult:
    """Score every model over ``windows`` non-overlapping origins ``h`` days apart.

    ``actual`` (default: the panel itself) can hold uncensored truth for synthetic data.
    ``groups`` maps a name to a boolean mask over SKUs for extra breakdowns.
    """
    t_n = panel.n_days
    truth = panel.y if actual is None else actual
    origins = [t_n - w * h for w in range(windows, 0, -1) if t_n - w * h >= min_train]
    res = BacktestResult(h=h, windows=len(origins), origins=origins)
    parts: dict[str, list[dict[str, FloatArray]]] = {m: [] for m in models}
    phase_lists: list[np.ndarray] = []
    for o in origins:
        train = slice_panel(panel, o)
        act = truth[:, o : o + h]
        ph = np.array(phase_fn(train) if phase_fn is not None else ["all"] * panel.n)
        phase_lists.append(ph)
        for name, model in models.items():
            t0 = timer() if timer else 0.0
            out = model.forecast(
                train.y,
                h,
                keys=keys,
                weekday0=train.start.weekday(),
                content=train.content,
                category=train.category,
                probs=BACKTEST_PROBS,
                seed=seed,
            )
            if timer:
                res.seconds[name] = res.seconds.get(name, 0.0) + timer() - t0
            res.fallbacks[name] = res.fallbacks.get(name, 0) + sum(
                1 for m in out.model if m == "fallback"
            )
            parts[name].append(series_metrics(train.y, act, out.mean, out.quantiles, out.probs))
    phases_all = np.concatenate(phase_lists) if phase_lists else np.array([])
    for name in models:
        if not parts[name]:
            continue
        cat = {k: np.concatenate([p[k] for p in parts[name]]) for k in parts[name][0]}
        res.overall[name] = pooled(cat)
        res.by_window[name] = [pooled(p) for p in parts[name]]
        res.by_phase[name] = {
            ph: pooled(cat, phases_all == ph) for ph in (*PHASES, "all") if (phases_all == ph).any()
        }
        if groups:
            reps = len(parts[name])
            res.by_group[name] = {
                g: pooled(cat, np.tile(mask, reps)) for g, mask in groups.items() if mask.any()
            }
    return res


def first_week_to_rest_of_life(
    panel: Panel,
    models: Mapping[str, Forecaster],
    *,
    actual: FloatArray | None = None,
    first_days: int = 7,
    min_rest: int = 28,
    seed: int = 0,
    n_paths: int = 0,
) -> dict[str, dict[str, float]]:
    """Forecast each launched SKU's remaining demand (until the panel ends) from its first
    ``first_days`` days; report pooled absolute error ÷ actual, the median per-SKU APE and
    the bias.  With ``n_paths``, ``<model>:median`` also scores the median of the simulated
    totals (the point forecast that minimises absolute error for a skewed distribution)."""
    truth = panel.y if actual is None else actual
    t_n = panel.n_days
    ok = np.isfinite(panel.y)
    first = np.where(ok.any(axis=1), np.argmax(ok, axis=1), t_n)
    eligible = (first > 0) & (first + first_days + min_rest <= t_n)
    idx = np.flatnonzero(eligible)
    out: dict[str, dict[str, float]] = {}
    if idx.size == 0:
        return {name: {"skus": 0} for name in models}
    # one fit per distinct origin, on every SKU of the shop as it was that day (so the
    # shop-wide priors — kernels, launch pattern, category conversion — are the real ones)
    origins = first[idx] + first_days
    preds = {name: np.zeros(idx.size) for name in models}
    medians = {name: np.zeros(idx.size) for name in models}
    acts = np.zeros(idx.size)
    for o in np.unique(origins):
        pos = np.flatnonzero(origins == o)
        sel = idx[pos]
        train = slice_panel(panel, int(o))
        h = t_n - int(o)
        acts[pos] = np.nansum(truth[sel, o:t_n], axis=1)
        for name, model in models.items():
            fc = model.forecast(
                train.y,
                h,
                weekday0=train.start.weekday(),
                content=train.content,
                category=train.category,
                probs=np.array([0.5]),
                n_paths=n_paths,
                seed=seed,
            )
            preds[name][pos] = fc.mean[sel].sum(axis=1)
            if fc.paths is not None:
                medians[name][pos] = np.median(fc.paths[sel].sum(axis=2), axis=1)
    for name in models:
        variants = {name: preds[name]}
        if n_paths:
            variants[f"{name}:median"] = medians[name]
        for label, pred in variants.items():
            err = np.abs(pred - acts)
            with np.errstate(divide="ignore", invalid="ignore"):
                ape = np.where(acts > 0, err / acts, np.nan)
            out[label] = {
                "skus": int(idx.size),
                "pooled_abs_error_rate": float(err.sum() / max(acts.sum(), 1e-12)),
                "median_ape": float(np.nanmedian(ape)) if np.isfinite(ape).any() else float("nan"),
                "bias": float((pred - acts).sum() / max(acts.sum(), 1e-12)),
            }
    return out
