"""What a plan does to the shop's metrics: projection from the plan module's results.

Data flow::

    plan_sku_results rows of one plan run (per SKU × policy: expected sales, lost sales,
    order-to-delivery days mean/sd)            ─┐
    the shop's baseline (current metrics, non-stock cancellation share, review rate,
    on-time 1–2★ share, deliver-by promise distribution)  ─┤→ project_plan → Projection
    HealthParams (oversell share, response curve, …)       ─┘

For each scenario (the plan's chosen policy per SKU, and ``heavy`` pre-stock):

* **seller-fault cancellations** — stock-outs: a share ``oversell_share`` of the demand
  lost to stock-outs still becomes orders that the seller then cancels::

      SFCR = other + Σ oversell·lost / Σ (sales + oversell·lost)

  where ``other`` is the shop's current seller-fault cancellation share not caused by
  stock-outs (reason not mentioning stock).
* **on-time delivery** — order-to-delivery time T ~ lognormal with the plan's
  ``fulfilment_days_mean``/``_sd`` per SKU and policy; the promise D (days from order to
  the deliver-by deadline) is the distribution of the shop's own deadlines, or the
  reference rule (6 business days, 23:59 Pacific) over the coming weeks::

      OTDR = Σ_sku sales·P(T ≤ D) / Σ sales

* **negative reviews** — lateness L = ⌈T − D⌉ days feeds the response curve::

      NRR = review_rate · Σ_sku sales·E[P(1–2★ | L)] / Σ sales

  with the Olist-calibrated curve around the shop's own on-time 1–2★ share when it has
  enough reviews.
* late dispatch, valid tracking and non-buyer-fault returns do not depend on the stocking
  decision and keep their current values.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl
from scipy.special import ndtr

from quickturn.core.health.calendar import (
    add_business_days,
    business_start,
    deadline_at,
    holiday_list,
)
from quickturn.core.health.metrics import evaluate
from quickturn.core.health.params import DIRECTION, METRICS, HealthParams
from quickturn.core.health.response import ResponseCurve
from quickturn.core.health.score import score_estimate

FloatArray = npt.NDArray[np.float64]

PLAN_COLUMNS: dict[str, pl.DataType] = {
    "sku_id": pl.String(),
    "policy": pl.String(),
    "chosen": pl.Boolean(),
    "expected_sales_qty": pl.Float64(),
    "lost_sales_qty": pl.Float64(),
    "oos_demand_share": pl.Float64(),
    "stockout_prob": pl.Float64(),
    "fulfilment_days_mean": pl.Float64(),
    "fulfilment_days_sd": pl.Float64(),
}
PROJECTED = ("seller_fault_cancellation_rate", "on_time_delivery_rate", "negative_review_rate")


@dataclass(frozen=True)
class Baseline:
    """What the projection takes from the shop's history (see ``services.health``)."""

    current: dict[str, float | None]
    #: seller-fault cancellation share not caused by stock-outs
    other_cancellation_rate: float
    review_rate: float
    review_rate_source: str  # "history" or "default"
    p_on_time: float
    p_on_time_source: str  # "history" or "olist"
    promise_days: FloatArray  # promise sample (days from order to deliver-by)
    promise_weights: FloatArray
    promise_source: str  # "orders" (own deadlines) or "rule"
    delivered_orders: int
    #: the shop's own order-to-delivery days (used when the plan gives none)
    fulfilment_days_mean: float | None = None
    fulfilment_days_sd: float | None = None


@dataclass(frozen=True)
class Projection:
    """Projected metrics per scenario, per-SKU detail and the assumptions used."""

    metrics: pl.DataFrame  # metric, threshold, direction, current, <scenario>…, status_<scenario>…
    per_sku: pl.DataFrame
    scores: dict[str, Any]
    assumptions: dict[str, Any]
    scenarios: tuple[str, ...]
    notes: list[str] = field(default_factory=list)


def lognormal_cdf(x: FloatArray, mean: FloatArray, sd: FloatArray) -> FloatArray:
    """P(T ≤ x) for T lognormal with the given mean and standard deviation (broadcast).

    A zero ``sd`` gives a step at ``mean``.

    >>> float(lognormal_cdf(np.array(5.0), np.array(5.0), np.array(0.0)))
    1.0
    """
    x = np.asarray(x, dtype=np.float64)
    m = np.maximum(np.asarray(mean, dtype=np.float64), 1e-9)
    s = np.maximum(np.asarray(sd, dtype=np.float64), 0.0)
    sigma2 = np.log1p((s / m) ** 2)
    sigma = np.sqrt(sigma2)
    mu = np.log(m) - sigma2 / 2.0
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (np.log(np.maximum(x, 1e-12)) - mu) / np.where(sigma > 0, sigma, 1.0)
        cdf = np.where(sigma > 0, ndtr(z), (x >= m).astype(np.float64))
    return np.where(x <= 0, 0.0, cdf)


def lateness_distribution(
    mean: FloatArray,
    sd: FloatArray,
    promise: FloatArray,
    weights: FloatArray,
    max_days: int,
) -> tuple[FloatArray, FloatArray]:
    """Per SKU: P(on time) and P(⌈T − D⌉ = d) for d = 1..max_days (tail folded into the last).

    ``mean``/``sd`` have one entry per SKU; ``promise``/``weights`` describe D.
    """
    promise, inverse = np.unique(np.round(promise, 6), return_inverse=True)
    w = np.bincount(inverse, weights=weights) / weights.sum()
    mean_ = mean[:, None, None]
    sd_ = sd[:, None, None]
    d = np.arange(0, max_days + 1, dtype=np.float64)[None, None, :]
    cdf = lognormal_cdf(promise[None, :, None] + d, mean_, sd_)  # sku × promise × d
    cdf = (cdf * w[None, :, None]).sum(axis=1)  # sku × d
    p_on = cdf[:, 0]
    p_late = np.diff(cdf, axis=1)
    p_late[:, -1] += 1.0 - cdf[:, -1]
    return p_on, np.clip(p_late, 0.0, 1.0)


def rule_promises(today: date, params: HealthParams) -> tuple[FloatArray, FloatArray]:
    """Days from an order at noon (local) to its deliver-by deadline under the regular rule,
    for each day of the coming ``horizon_days`` (weekends and holidays included)."""
    days = [today + timedelta(days=i) for i in range(params.projection.horizon_days)]
    hol = holiday_list(today.year - 1, today.year + 1, params.extra_holidays)
    n = params.sla_days["regular"]["deliver"] or 6
    tz, cut = params.timezone, params.cutoff
    f = pl.DataFrame({"d": days}).with_columns(
        at=(pl.col("d").cast(pl.Datetime("us")) + pl.duration(hours=12))
        .dt.replace_time_zone(tz, ambiguous="earliest", non_existent="null")
        .dt.convert_time_zone("UTC")
        .dt.replace_time_zone(None)
    )
    f = f.with_columns(start=business_start(pl.col("at"), tz, cut, hol))
    f = f.with_columns(due=deadline_at(add_business_days(pl.col("start"), n, hol), tz, cut))
    promise = ((pl.col("due") - pl.col("at")).dt.total_microseconds() / 86_400_000_000.0).alias("p")
    arr = f.select(promise)["p"].to_numpy().astype(np.float64)
    return arr, np.ones_like(arr)


def scenario_rows(plan: pl.DataFrame, scenario: str) -> tuple[pl.DataFrame, int]:
    """Rows of one scenario: ``chosen`` (the recommended policy per SKU) or a policy name.

    SKUs without a row for that policy fall back to their chosen row; the count of such
    SKUs is returned.
    """
    chosen = plan.filter(pl.col("chosen").fill_null(False)).unique("sku_id", keep="first")
    if scenario == "chosen":
        return chosen, 0
    rows = plan.filter(pl.col("policy") == scenario).unique("sku_id", keep="first")
    missing = chosen.join(rows.select("sku_id"), on="sku_id", how="anti")
    return pl.concat([rows, missing], how="vertical"), missing.height


def project_plan(
    plan: pl.DataFrame,
    baseline: Baseline,
    params: HealthParams,
    scenarios: Sequence[str] = ("chosen", "heavy"),
) -> Projection:
    """Project SFCR, OTDR and NRR under each scenario (see module doc)."""
    pp = params.projection
    curve = ResponseCurve.from_params(pp.curve)
    if baseline.p_on_time_source == "history":
        curve = curve.with_baseline(baseline.p_on_time)
    plan = conform_plan(plan)
    per_sku_parts: list[pl.DataFrame] = []
    values: dict[str, dict[str, float | None]] = {}
    extras: dict[str, dict[str, float]] = {}
    notes: list[str] = []
    if baseline.fulfilment_days_mean is not None:
        fallback_mean = baseline.fulfilment_days_mean
        fallback_sd = baseline.fulfilment_days_sd or 0.0
        fallback_source = "history"
    else:
        fallback_mean = pp.fallback_fulfilment_days_mean
        fallback_sd = pp.fallback_fulfilment_days_sd
        fallback_source = "default"
    d = np.arange(1, pp.max_late_days + 1, dtype=np.float64)
    neg_by_day = curve.negative_share(d)
    stars_by_day = curve.expected_stars(d)
    for sc in scenarios:
        rows, missing = scenario_rows(plan, sc)
        if missing:
            notes.append(f"{sc}: {missing} SKU(s) without a {sc} result use their chosen policy")
        if rows.height == 0:
            values[sc] = {m: baseline.current.get(m) for m in METRICS}
            extras[sc] = {}
            continue
        rows = rows.with_columns(
            sales=pl.col("expected_sales_qty").fill_null(0.0).clip(0.0),
            fmean=pl.col("fulfilment_days_mean").fill_null(fallback_mean),
            fsd=pl.col("fulfilment_days_sd").fill_null(fallback_sd),
        ).with_columns(
            lost=pl.coalesce(
                pl.col("lost_sales_qty"),
                pl.when(pl.col("oos_demand_share") < 1)
                .then(
                    pl.col("sales") * pl.col("oos_demand_share") / (1 - pl.col("oos_demand_share"))
                )
                .otherwise(0.0),
            )
            .fill_null(0.0)
            .clip(0.0),
        )
        sales = rows["sales"].to_numpy().astype(np.float64)
        lost = rows["lost"].to_numpy().astype(np.float64)
        p_on, p_late = lateness_distribution(
            rows["fmean"].to_numpy().astype(np.float64),
            rows["fsd"].to_numpy().astype(np.float64),
            baseline.promise_days,
            baseline.promise_weights,
            pp.max_late_days,
        )
        neg = p_on * curve.p_on_time + p_late @ neg_by_day
        stars = p_on * curve.stars_on_time + p_late @ stars_by_day
        cancels = pp.oversell_share * lost
        total_sales = float(sales.sum())
        orders = total_sales + float(cancels.sum())
        sfcr = min(
            1.0,
            baseline.other_cancellation_rate
            + (float(cancels.sum()) / orders if orders > 0 else 0.0),
        )
        otdr = float((sales * p_on).sum() / total_sales) if total_sales > 0 else None
        nrr_reviewed = float((sales * neg).sum() / total_sales) if total_sales > 0 else None
        nrr = baseline.review_rate * nrr_reviewed if nrr_reviewed is not None else None
        vals = {m: baseline.current.get(m) for m in METRICS}
        vals.update(
            {
                "seller_fault_cancellation_rate": sfcr,
                "on_time_delivery_rate": otdr,
                "negative_review_rate": nrr,
            }
        )
        values[sc] = vals
        extras[sc] = {
            "expected_sales_qty": total_sales,
            "lost_sales_qty": float(lost.sum()),
            "stock_cancellations": float(cancels.sum()),
            "late_share": 1.0 - otdr if otdr is not None else float("nan"),
            "negative_share_of_reviews": nrr_reviewed if nrr_reviewed is not None else float("nan"),
            "expected_stars": float((sales * stars).sum() / total_sales)
            if total_sales > 0
            else float("nan"),
            "fallback_skus": float(missing),
        }
        per_sku_parts.append(
            rows.select("sku_id", "policy", "sales", "lost", "fmean", "fsd").with_columns(
                scenario=pl.lit(sc),
                stock_cancellations=pl.Series(cancels),
                on_time_prob=pl.Series(p_on),
                negative_share_of_reviews=pl.Series(neg),
                expected_stars=pl.Series(stars),
            )
        )

    thresholds = {m: params.threshold(m) for m in METRICS}
    table = pl.DataFrame(
        {
            "metric": list(METRICS),
            "threshold": [thresholds[m] for m in METRICS],
            "direction": [DIRECTION[m] for m in METRICS],
            "projected": [m in PROJECTED for m in METRICS],
            "current": [baseline.current.get(m) for m in METRICS],
            **{sc: [values[sc].get(m) for m in METRICS] for sc in scenarios},
        },
        schema_overrides={"current": pl.Float64, **{sc: pl.Float64 for sc in scenarios}},
    )
    for col in ("current", *scenarios):
        st = _status(table.select("metric", pl.col(col).alias("v")), params)
        table = table.with_columns(st.alias(f"status_{col}"))
    scores: dict[str, Any] = {}
    for col in ("current", *scenarios):
        frame = table.select("metric", pl.col(col).alias("value"), "threshold")
        est = score_estimate(frame, baseline.delivered_orders, params.score)
        scores[col] = {"score": est.score, "eligible": est.eligible, "label": est.label}
    per_sku = (
        pl.concat(per_sku_parts, how="vertical")
        .rename(
            {
                "sales": "expected_sales_qty",
                "lost": "lost_sales_qty",
                "fmean": "fulfilment_days_mean",
                "fsd": "fulfilment_days_sd",
            }
        )
        .select(
            "scenario",
            "sku_id",
            "policy",
            "expected_sales_qty",
            "lost_sales_qty",
            "stock_cancellations",
            "fulfilment_days_mean",
            "fulfilment_days_sd",
            "on_time_prob",
            "negative_share_of_reviews",
            "expected_stars",
        )
        if per_sku_parts
        else pl.DataFrame()
    )
    w = baseline.promise_weights / baseline.promise_weights.sum()
    assumptions = {
        "oversell_share": pp.oversell_share,
        "other_cancellation_rate": baseline.other_cancellation_rate,
        "review_rate": baseline.review_rate,
        "review_rate_source": baseline.review_rate_source,
        "curve": curve.as_dict(),
        "curve_baseline_source": baseline.p_on_time_source,
        "promise_days_mean": float((baseline.promise_days * w).sum()),
        "promise_source": baseline.promise_source,
        "fallback_fulfilment_days": {
            "mean": fallback_mean,
            "sd": fallback_sd,
            "source": fallback_source,
            "skus_without_plan_days": int(plan["fulfilment_days_mean"].is_null().sum()),
        },
        "scenario_totals": extras,
    }
    return Projection(
        metrics=table,
        per_sku=per_sku,
        scores=scores,
        assumptions=assumptions,
        scenarios=tuple(scenarios),
        notes=notes,
    )


def _status(frame: pl.DataFrame, params: HealthParams) -> pl.Series:
    """ok / near / breach / no_data of projected values (same rule as the metrics)."""
    direction = pl.col("metric").replace_strict(DIRECTION, return_dtype=pl.String)
    v = pl.col("v")
    # express values as counts of a notional 1,000,000 orders to reuse evaluate()
    n = 1_000_000.0
    f = frame.with_columns(
        denominator=pl.when(v.is_null()).then(0.0).otherwise(n),
        offending=pl.when(direction == "max").then(v * n).otherwise((1.0 - v) * n).fill_null(0.0),
    )
    return evaluate(f, params)["status"]


def conform_plan(plan: pl.DataFrame) -> pl.DataFrame:
    exprs = [
        pl.col(c).cast(t) if c in plan.columns else pl.lit(None, dtype=t).alias(c)
        for c, t in PLAN_COLUMNS.items()
    ]
    return plan.select(exprs)
