"""An APPROXIMATION of TikTok's Shop Performance Score (SPS, 0–5) from the metrics.

TikTok does not publish the SPS formula (weights depend on the shop's main category, and
it includes customer-service metrics quickturn cannot observe).  This estimate exists so a
seller can see the *direction* a change takes the score in; it is labelled as an estimate
everywhere it is shown.

Data flow: rolling metrics frame (``metric, value, threshold, direction``) + delivered-order
count → :func:`score_estimate` → :class:`ScoreEstimate`.

Formula (docs/health.md, "Score"): for each metric with weight w > 0 and data, let
``bad`` be its bad share (the rate for "at most" metrics, 1 − rate for "at least" ones) and
``allowed`` the bad share its threshold allows; with x = bad / allowed::

    sub = 5 − (5 − s_t)·x                         for x ≤ 1   (s_t = score_at_threshold, 3)
    sub = s_t·max(0, 1 − (x − 1)/(m − 1))         for x > 1   (m = zero_at_multiple, 3)

    score = Σ w·sub / Σ w        (over metrics with data; weights renormalised)

The score is only given when the shop has ≥ 30 delivered non-sample orders in 90 days,
as TikTok requires before it computes an SPS.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import polars as pl

from quickturn.core.health.params import DIRECTION, METRICS, ScoreParams

LABEL = "estimate — not TikTok's formula"


@dataclass(frozen=True)
class ScoreEstimate:
    """Approximate SPS with its components (see module doc)."""

    score: float | None
    eligible: bool
    delivered_orders: int
    min_delivered_orders: int
    coverage: float  # share of the configured weight that had data
    components: list[dict[str, Any]] = field(default_factory=list)
    label: str = LABEL


def subscore(bad: float, allowed: float, params: ScoreParams) -> float:
    """Sub-score 0–5 of one metric from its bad share and the allowed bad share.

    >>> p = ScoreParams()
    >>> [round(subscore(b, 0.04, p), 3) for b in (0.0, 0.02, 0.04, 0.08, 0.12, 0.5)]
    [5.0, 4.0, 3.0, 1.5, 0.0, 0.0]
    """
    s_t, m = params.score_at_threshold, params.zero_at_multiple
    if allowed <= 0:
        return 5.0 if bad <= 0 else 0.0
    x = bad / allowed
    if x <= 1.0:
        return 5.0 - (5.0 - s_t) * x
    return s_t * max(0.0, 1.0 - (x - 1.0) / (m - 1.0))


def score_estimate(
    metrics: pl.DataFrame, delivered_orders: int, params: ScoreParams
) -> ScoreEstimate:
    """Weighted mean of sub-scores of ``metrics`` (columns ``metric, value, threshold``)."""
    rows = {r["metric"]: r for r in metrics.to_dicts()}
    total_w = sum(float(params.weights.get(m, 0.0)) for m in METRICS)
    comps: list[dict[str, Any]] = []
    used_w = 0.0
    acc = 0.0
    for m in METRICS:
        w = float(params.weights.get(m, 0.0))
        r = rows.get(m)
        if w <= 0 or r is None:
            continue
        value, thr = r.get("value"), float(r["threshold"])
        if value is None:
            comps.append({"metric": m, "weight": w, "value": None, "subscore": None})
            continue
        if DIRECTION[m] == "max":
            bad, allowed = float(value), thr
        else:
            bad, allowed = 1.0 - float(value), 1.0 - thr
        sub = subscore(bad, allowed, params)
        comps.append({"metric": m, "weight": w, "value": float(value), "subscore": sub})
        used_w += w
        acc += w * sub
    eligible = delivered_orders >= params.min_delivered_orders
    score = acc / used_w if used_w > 0 and eligible else None
    return ScoreEstimate(
        score=score,
        eligible=eligible,
        delivered_orders=delivered_orders,
        min_delivered_orders=params.min_delivered_orders,
        coverage=used_w / total_w if total_w > 0 else 0.0,
        components=comps,
    )
