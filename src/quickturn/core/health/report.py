"""One call from frames to the whole health picture, plus the projection's baseline.

Data flow: orders, reviews, returns (frames) + :class:`HealthParams` + ``today`` →
:func:`health_report` → :class:`HealthReport` (rolling metrics vs thresholds, weekly trend,
offending orders, findings, score estimate) and the per-order facts it was built from →
:func:`projection_baseline` → the :class:`~quickturn.core.health.projection.Baseline` the
plan projection starts from.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np
import polars as pl

from quickturn.core.health.findings import info_finding, threshold_findings
from quickturn.core.health.metrics import (
    metric_events,
    offenders,
    order_facts,
    rolling_metrics,
    weekly_metrics,
    window_bounds,
)
from quickturn.core.health.params import HealthParams
from quickturn.core.health.projection import Baseline, rule_promises
from quickturn.core.health.score import ScoreEstimate, score_estimate
from quickturn.errors import Finding

#: cancellation reasons that mean "out of stock" (case-insensitive, en + zh)
STOCK_REASON = r"(?i)stock|inventory|sold out|缺货|库存"


@dataclass(frozen=True)
class HealthReport:
    """Metrics against thresholds, their weekly trend, the orders behind them and findings."""

    today: date
    rolling: pl.DataFrame
    weekly: pl.DataFrame
    offenders: pl.DataFrame
    findings: list[Finding]
    score: ScoreEstimate
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def breached(self) -> bool:
        return any(f.is_error for f in self.findings)

    def to_dict(self) -> dict[str, Any]:
        return {
            "today": self.today,
            "metrics": self.rolling,
            "weekly": self.weekly,
            "score": self.score,
            "counts": self.counts,
            "findings": self.findings,
        }


def _mean(s: pl.Series) -> float:
    v = s.cast(pl.Float64).mean()
    return float(v) if isinstance(v, (int, float)) else 0.0


def _delivered_recent(facts: pl.DataFrame, params: HealthParams, today: date) -> pl.DataFrame:
    lo = today - timedelta(days=params.score.window_days)
    return facts.filter(
        pl.col("delivered_day").is_between(lo, today - timedelta(days=1)) & ~pl.col("is_sample")
    )


def health_report(
    orders: pl.DataFrame,
    reviews: pl.DataFrame | None,
    returns: pl.DataFrame | None,
    params: HealthParams,
    today: date,
    weeks: int = 12,
) -> tuple[HealthReport, pl.DataFrame]:
    """Compute everything for the run on ``today`` (windows end the day before)."""
    facts = order_facts(orders, reviews, returns, params, today)
    events = metric_events(facts)
    rolling = rolling_metrics(events, params, today)
    weekly = weekly_metrics(events, params, today, weeks)
    bad = offenders(facts, params, today)
    findings = threshold_findings(rolling, bad, params)

    delivered = _delivered_recent(facts, params, today).height
    score = score_estimate(rolling, delivered, params.score)
    lo, _ = window_bounds("on_time_delivery_rate", params, today)
    no_deadline = facts.filter(
        pl.col("delivery_deadline_at").is_null()
        & (pl.col("created_day") >= lo)
        & ~pl.col("cancelled")
    ).height
    counts = {
        "orders": facts.height,
        "orders_without_deadline": no_deadline,
        "delivered_orders_score_window": delivered,
        "offending_orders": bad["order_id"].n_unique() if bad.height else 0,
    }
    if no_deadline:
        findings.append(
            info_finding(
                "HEALTH_NO_DEADLINE",
                "{n} recent order(s) have no deliver-by deadline (pre-orders without the "
                "platform's SLA times) and are left out of the on-time delivery rate.",
                "Import the orders with their SLA times (delivery_sla_at) from the API or "
                "Seller Center export.",
                n=no_deadline,
            )
        )
    if not score.eligible:
        findings.append(
            info_finding(
                "HEALTH_SCORE_UNAVAILABLE",
                "The shop score estimate needs at least {need} delivered orders in "
                "{days} days; the shop has {n}.",
                None,
                need=params.score.min_delivered_orders,
                days=params.score.window_days,
                n=delivered,
            )
        )
    no_data = rolling.filter(pl.col("status") == "no_data")["metric"].to_list()
    if no_data:
        findings.append(
            info_finding(
                "HEALTH_NO_DATA",
                "No orders in the window for: {metrics}.",
                "Check that orders (with shipped/delivered times), reviews and returns "
                "are imported, or pass --as-of for older data.",
                metrics=", ".join(no_data),
            )
        )
    report = HealthReport(
        today=today,
        rolling=rolling,
        weekly=weekly,
        offenders=bad,
        findings=findings,
        score=score,
        counts=counts,
    )
    return report, facts


def projection_baseline(
    facts: pl.DataFrame, report: HealthReport, params: HealthParams, today: date
) -> Baseline:
    """What the shop's history says about cancellations, reviews and promises."""
    pp = params.projection
    current = {r["metric"]: r["value"] for r in report.rolling.to_dicts()}

    lo, hi = window_bounds("seller_fault_cancellation_rate", params, today)
    sf = facts.filter(pl.col("sfcr_eligible") & pl.col("created_day").is_between(lo, hi))
    other = sf.filter(
        pl.col("sfcr_bad") & ~pl.col("cancel_reason").fill_null("").str.contains(STOCK_REASON)
    ).height
    other_rate = other / sf.height if sf.height else 0.0

    delivered = _delivered_recent(facts, params, today)
    if delivered.height >= pp.min_history_orders:
        review_rate = _mean(delivered["first_review_rating"].is_not_null())
        rr_source = "history"
    else:
        review_rate, rr_source = pp.default_review_rate, "default"
    on_time_reviewed = delivered.filter(
        pl.col("first_review_rating").is_not_null()
        & pl.col("delivery_deadline_at").is_not_null()
        & (pl.col("delivery_late_days") <= 0)
    )
    if on_time_reviewed.height >= pp.min_history_orders:
        p_on = _mean(on_time_reviewed["first_review_rating"] <= 2)
        p_source = "history"
    else:
        p_on, p_source = pp.curve.p_on_time, "olist"

    start = today - timedelta(days=params.score.window_days)
    own = facts.filter(
        (pl.col("delivery_deadline_source") == "order")
        & ~pl.col("is_fbt")
        & (pl.col("created_day") >= start)
    ).select(
        p=(pl.col("delivery_deadline_at") - pl.col("created_at")).dt.total_microseconds()
        / 86_400_000_000.0
    )
    own = own.filter(pl.col("p") > 0)
    if own.height >= pp.min_history_orders:
        hist = own.group_by(pl.col("p").round(2)).agg(w=pl.len())
        promise = hist["p"].to_numpy().astype(np.float64)
        weights = hist["w"].to_numpy().astype(np.float64)
        promise_source = "orders"
    else:
        promise, weights = rule_promises(today, params)
        promise_source = "rule"
    ff = facts.filter(
        ~pl.col("is_fbt")
        & ~pl.col("is_sample")
        & pl.col("delivered_day").is_between(
            today - timedelta(days=params.score.window_days), today - timedelta(days=1)
        )
    ).select(
        d=(pl.col("delivered_at") - pl.col("created_at")).dt.total_microseconds() / 86_400_000_000.0
    )
    f_mean: float | None = None
    f_sd: float | None = None
    if ff.height >= pp.min_history_orders:
        f_mean = _mean(ff["d"])
        sd = ff["d"].std()
        f_sd = float(sd) if isinstance(sd, (int, float)) else 0.0
    return Baseline(
        current=current,
        other_cancellation_rate=other_rate,
        review_rate=review_rate,
        review_rate_source=rr_source,
        p_on_time=p_on,
        p_on_time_source=p_source,
        promise_days=promise,
        promise_weights=weights,
        promise_source=promise_source,
        delivered_orders=delivered.height,
        fulfilment_days_mean=f_mean,
        fulfilment_days_sd=f_sd,
    )
