"""Lateness → reviews: the response curve P(first review 1–2★ | days late vs promise).

Data flow: a frame of reviewed deliveries ``late_days`` (delivered day − promised day,
≤ 0 on time) and ``rating`` (1–5) → :func:`calibrate_response_curve` (maximum likelihood) →
:class:`ResponseCurve`, used by the projection to turn a delivery-time distribution into an
expected negative-review share.  The shipped defaults (``params.OLIST_*``) were fitted on the
real Olist sample (``../shared/data/olist``, 14,448 delivered and reviewed orders) and a test
re-fits them from the data.

Model (docs/health.md, "Response curve")::

    P(1–2★ | d) = p_on_time                                        for d ≤ 0
    P(1–2★ | d) = p_on_time + (p_max − p_on_time)·(1 − exp(−d/τ))  for d ≥ 1

``p_on_time`` is the share of 1–2★ first reviews among on-time orders (its MLE is that
share); ``p_max`` and ``τ`` maximise the binomial likelihood of the late orders grouped by
whole days late.  The same saturating form, fitted by weighted least squares on the mean
star rating per day late, gives the expected rating curve used to report the star gap.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import polars as pl
from scipy.optimize import minimize

from quickturn.core.health.params import (
    OLIST_P_MAX,
    OLIST_P_ON_TIME,
    OLIST_STARS_MIN,
    OLIST_STARS_ON_TIME,
    OLIST_STARS_TAU_DAYS,
    OLIST_TAU_DAYS,
    CurveParams,
)

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class ResponseCurve:
    """P(first review 1–2★ | d days late) and the expected star rating (see module doc)."""

    p_on_time: float = OLIST_P_ON_TIME
    p_max: float = OLIST_P_MAX
    tau_days: float = OLIST_TAU_DAYS
    stars_on_time: float = OLIST_STARS_ON_TIME
    stars_min: float = OLIST_STARS_MIN
    stars_tau_days: float = OLIST_STARS_TAU_DAYS

    @classmethod
    def from_params(cls, params: CurveParams) -> ResponseCurve:
        return cls(p_on_time=params.p_on_time, p_max=params.p_max, tau_days=params.tau_days)

    def negative_share(self, days_late: npt.ArrayLike) -> FloatArray:
        """P(1–2★) for whole days late (≤ 0: on time).

        >>> ResponseCurve(0.1, 0.8, 2.0).negative_share([-3, 0, 2]).round(4).tolist()
        [0.1, 0.1, 0.5425]
        """
        d = np.asarray(days_late, dtype=np.float64)
        rise = 1.0 - np.exp(-np.maximum(d, 0.0) / self.tau_days)
        return np.where(
            d > 0, self.p_on_time + (self.p_max - self.p_on_time) * rise, self.p_on_time
        )

    def expected_stars(self, days_late: npt.ArrayLike) -> FloatArray:
        """Expected star rating for whole days late."""
        d = np.asarray(days_late, dtype=np.float64)
        drop = 1.0 - np.exp(-np.maximum(d, 0.0) / self.stars_tau_days)
        return np.where(
            d > 0,
            self.stars_on_time - (self.stars_on_time - self.stars_min) * drop,
            self.stars_on_time,
        )

    def with_baseline(self, p_on_time: float) -> ResponseCurve:
        """The same lateness response around a shop's own on-time negative share."""
        return ResponseCurve(
            p_on_time=p_on_time,
            p_max=max(self.p_max, p_on_time),
            tau_days=self.tau_days,
            stars_on_time=self.stars_on_time,
            stars_min=self.stars_min,
            stars_tau_days=self.stars_tau_days,
        )

    def as_dict(self) -> dict[str, float]:
        return {
            "p_on_time": self.p_on_time,
            "p_max": self.p_max,
            "tau_days": self.tau_days,
            "stars_on_time": self.stars_on_time,
            "stars_min": self.stars_min,
            "stars_tau_days": self.stars_tau_days,
        }


def _by_day(frame: pl.DataFrame, max_days: int) -> pl.DataFrame:
    return (
        frame.filter(pl.col("late_days") > 0)
        .with_columns(pl.col("late_days").clip(1, max_days))
        .group_by("late_days")
        .agg(
            n=pl.len(),
            neg=(pl.col("rating") <= 2).sum(),
            stars=pl.col("rating").mean(),
        )
        .sort("late_days")
    )


def calibrate_response_curve(frame: pl.DataFrame, max_days: int = 60) -> ResponseCurve:
    """Fit :class:`ResponseCurve` to reviewed deliveries (columns ``late_days``, ``rating``).

    Raises ``ValueError`` when there are no on-time or no late reviews to fit.
    """
    f = frame.select(
        pl.col("late_days").cast(pl.Int64), pl.col("rating").cast(pl.Int64)
    ).drop_nulls()
    on = f.filter(pl.col("late_days") <= 0)
    late = _by_day(f, max_days)
    if on.height == 0 or late.height == 0:
        raise ValueError("calibration needs both on-time and late reviewed deliveries")
    p_on = float((on["rating"] <= 2).mean())  # type: ignore[arg-type]
    s_on = float(on["rating"].mean())  # type: ignore[arg-type]
    d = late["late_days"].to_numpy().astype(np.float64)
    n = late["n"].to_numpy().astype(np.float64)
    k = late["neg"].to_numpy().astype(np.float64)
    stars = late["stars"].to_numpy().astype(np.float64)

    def nll(x: FloatArray) -> float:
        p_max, tau = float(x[0]), float(x[1])
        p = p_on + (p_max - p_on) * (1.0 - np.exp(-d / tau))
        p = np.clip(p, 1e-9, 1 - 1e-9)
        return float(-(k * np.log(p) + (n - k) * np.log(1.0 - p)).sum())

    best = minimize(
        nll,
        x0=np.array([min(0.99, max(p_on + 0.01, float(k.sum() / n.sum()))), 3.0]),
        method="L-BFGS-B",
        bounds=[(p_on + 1e-6, 0.999), (0.05, 120.0)],
    )

    def sse(x: FloatArray) -> float:
        s_min, tau = float(x[0]), float(x[1])
        pred = s_on - (s_on - s_min) * (1.0 - np.exp(-d / tau))
        return float((n * (stars - pred) ** 2).sum())

    best_s = minimize(
        sse,
        x0=np.array([2.0, 3.0]),
        method="L-BFGS-B",
        bounds=[(1.0, s_on), (0.05, 120.0)],
    )
    return ResponseCurve(
        p_on_time=p_on,
        p_max=float(best.x[0]),
        tau_days=float(best.x[1]),
        stars_on_time=s_on,
        stars_min=float(best_s.x[0]),
        stars_tau_days=float(best_s.x[1]),
    )


def review_gap(frame: pl.DataFrame, curve: ResponseCurve | None = None) -> dict[str, float]:
    """Observed and (with ``curve``) modelled on-time vs late review figures of a frame
    with ``late_days`` and ``rating``: 1–2★ share and mean stars of each group."""
    f = frame.select(
        pl.col("late_days").cast(pl.Int64), pl.col("rating").cast(pl.Int64)
    ).drop_nulls()
    on = f.filter(pl.col("late_days") <= 0)
    late = f.filter(pl.col("late_days") > 0)
    out = {
        "orders": float(f.height),
        "late_share": late.height / f.height if f.height else float("nan"),
        "negative_share_on_time": float((on["rating"] <= 2).mean() or 0.0),  # type: ignore[arg-type]
        "negative_share_late": float((late["rating"] <= 2).mean() or 0.0),  # type: ignore[arg-type]
        "stars_on_time": float(on["rating"].mean() or 0.0),  # type: ignore[arg-type]
        "stars_late": float(late["rating"].mean() or 0.0),  # type: ignore[arg-type]
    }
    if curve is not None:
        d_on = on["late_days"].to_numpy()
        d_late = late["late_days"].to_numpy()
        out["model_negative_share_on_time"] = float(curve.negative_share(d_on).mean())
        out["model_negative_share_late"] = float(curve.negative_share(d_late).mean())
        out["model_stars_on_time"] = float(curve.expected_stars(d_on).mean())
        out["model_stars_late"] = float(curve.expected_stars(d_late).mean())
    return out


def lateness_from_olist(orders: pl.DataFrame, reviews: pl.DataFrame) -> pl.DataFrame:
    """Olist tables → ``order_id, late_days, rating`` for delivered orders with a review.

    ``late_days`` = delivered calendar day − estimated delivery day (Olist's promise); the
    rating is the order's *first* review (by ``review_creation_date``), as in TikTok's NRR.
    """

    def ts(col: str) -> pl.Expr:
        c = pl.col(col)
        return c.str.to_datetime(strict=False) if orders.schema.get(col) == pl.String else c

    o = (
        orders.filter(pl.col("order_status") == "delivered")
        .with_columns(
            delivered=ts("order_delivered_customer_date"),
            estimated=ts("order_estimated_delivery_date"),
        )
        .drop_nulls(["delivered", "estimated"])
        .select(
            "order_id",
            late_days=(
                pl.col("delivered").dt.date() - pl.col("estimated").dt.date()
            ).dt.total_days(),
        )
    )
    rc = pl.col("review_creation_date")
    r = (
        reviews.with_columns(
            created=rc.str.to_datetime(strict=False)
            if reviews.schema.get("review_creation_date") == pl.String
            else rc
        )
        .sort("created", "review_id")
        .group_by("order_id", maintain_order=True)
        .agg(rating=pl.col("review_score").first())
    )
    return o.join(r, on="order_id", how="inner").sort("order_id")
