"""Projection of the metrics under a plan, and the Olist calibration of the response curve."""

from __future__ import annotations

import math
from datetime import date

import numpy as np
import polars as pl
import pytest

from quickturn.core.health.params import (
    OLIST_P_MAX,
    OLIST_P_ON_TIME,
    OLIST_STARS_MIN,
    OLIST_STARS_ON_TIME,
    OLIST_STARS_TAU_DAYS,
    OLIST_TAU_DAYS,
    health_params,
)
from quickturn.core.health.projection import (
    Baseline,
    lateness_distribution,
    lognormal_cdf,
    project_plan,
    rule_promises,
)
from quickturn.core.health.response import (
    ResponseCurve,
    calibrate_response_curve,
    review_gap,
)


def plan_rows() -> pl.DataFrame:
    """Two SKUs.  Recommended: A quick response (90 sold, 10 lost to stock-outs, 3 days to
    deliver), B print-on-demand (100 sold, 12 days).  Heavy pre-stock: A 100 sold, B 60 sold
    and 40 lost (a stranded forecast), both 3 days from the US warehouse."""
    return pl.DataFrame(
        {
            "run_id": ["P1"] * 4,
            "sku_id": ["A", "A", "B", "B"],
            "policy": ["qr", "heavy", "pod", "heavy"],
            "chosen": [True, False, True, False],
            "expected_sales_qty": [90.0, 100.0, 100.0, 60.0],
            "lost_sales_qty": [10.0, 0.0, 0.0, 40.0],
            "fulfilment_days_mean": [3.0, 3.0, 12.0, 3.0],
            "fulfilment_days_sd": [0.0, 0.0, 0.0, 0.0],
        }
    )


def baseline(**kw: object) -> Baseline:
    base = {
        "current": {
            "late_dispatch_rate": 0.02,
            "valid_tracking_rate": 0.99,
            "seller_fault_cancellation_rate": 0.015,
            "on_time_delivery_rate": 0.9,
            "negative_review_rate": 0.004,
            "non_buyer_fault_return_rate": 0.01,
        },
        "other_cancellation_rate": 0.01,
        "review_rate": 0.1,
        "review_rate_source": "history",
        "p_on_time": 0.1,
        "p_on_time_source": "olist",
        "promise_days": np.array([8.5]),
        "promise_weights": np.array([1.0]),
        "promise_source": "rule",
        "delivered_orders": 500,
    }
    base.update(kw)
    return Baseline(**base)  # type: ignore[arg-type]


PARAMS = health_params(
    {
        "projection": {
            "oversell_share": 0.15,
            "curve": {"p_on_time": 0.1, "p_max": 0.8, "tau_days": 2.0},
        }
    }
)


def test_projection_by_hand() -> None:
    proj = project_plan(plan_rows(), baseline(), PARAMS)
    t = {r["metric"]: r for r in proj.metrics.to_dicts()}
    # B under the recommended plan: 12 days vs a promise of 8.5 → 3.5 days → 4 whole days
    # late; P(1–2★) = 0.1 + 0.7·(1 − e^(−4/2)) = 0.705265
    neg_b = 0.1 + 0.7 * (1 - math.exp(-2.0))
    # chosen: OTDR = 90 / 190 (only A on time)
    assert t["on_time_delivery_rate"]["chosen"] == pytest.approx(90 / 190)
    # NRR = review rate × (90·0.1 + 100·neg_b) / 190
    assert t["negative_review_rate"]["chosen"] == pytest.approx(0.1 * (9 + 100 * neg_b) / 190)
    # SFCR = other + 0.15·10 / (190 + 1.5)
    assert t["seller_fault_cancellation_rate"]["chosen"] == pytest.approx(0.01 + 1.5 / 191.5)
    # heavy: everything on time; 40 lost units → 6 cancelled orders of 166
    assert t["on_time_delivery_rate"]["heavy"] == pytest.approx(1.0)
    assert t["negative_review_rate"]["heavy"] == pytest.approx(0.1 * 0.1)
    assert t["seller_fault_cancellation_rate"]["heavy"] == pytest.approx(0.01 + 6 / 166)
    # metrics the plan does not drive keep their current value
    assert t["late_dispatch_rate"]["chosen"] == t["late_dispatch_rate"]["current"] == 0.02
    assert not t["late_dispatch_rate"]["projected"]
    # statuses: OTDR 47% breaches ≥ 80%; heavy's SFCR 4.6% breaches ≤ 2.5%
    assert t["on_time_delivery_rate"]["status_chosen"] == "breach"
    assert t["seller_fault_cancellation_rate"]["status_heavy"] == "breach"
    assert t["on_time_delivery_rate"]["status_heavy"] == "ok"
    assert set(proj.scores) == {"current", "chosen", "heavy"}
    sku = proj.per_sku.filter(pl.col("scenario") == "chosen").sort("sku_id")
    assert sku["on_time_prob"].to_list() == pytest.approx([1.0, 0.0])
    assert sku["negative_share_of_reviews"].to_list() == pytest.approx([0.1, neg_b])


def test_shop_baseline_replaces_the_olist_on_time_share() -> None:
    proj = project_plan(plan_rows(), baseline(p_on_time=0.05, p_on_time_source="history"), PARAMS)
    t = {r["metric"]: r for r in proj.metrics.to_dicts()}
    # heavy: all on time → NRR = 0.1 × 0.05
    assert t["negative_review_rate"]["heavy"] == pytest.approx(0.005)
    assert proj.assumptions["curve"]["p_on_time"] == 0.05


def test_skus_without_a_heavy_row_fall_back_to_their_chosen_policy() -> None:
    rows = plan_rows().filter(~((pl.col("sku_id") == "B") & (pl.col("policy") == "heavy")))
    proj = project_plan(rows, baseline(), PARAMS)
    t = {r["metric"]: r for r in proj.metrics.to_dicts()}
    # heavy: A heavy (100, on time) + B pod (100, late) → OTDR 0.5
    assert t["on_time_delivery_rate"]["heavy"] == pytest.approx(0.5)
    assert any("heavy" in n for n in proj.notes)


def test_lost_sales_from_the_out_of_stock_share_when_missing() -> None:
    rows = pl.DataFrame(
        {
            "sku_id": ["A"],
            "policy": ["qr"],
            "chosen": [True],
            "expected_sales_qty": [80.0],
            "oos_demand_share": [0.2],  # 20% of demand lost → 20 of 100
            "fulfilment_days_mean": [3.0],
            "fulfilment_days_sd": [0.0],
        }
    )
    proj = project_plan(rows, baseline(other_cancellation_rate=0.0), PARAMS, scenarios=("chosen",))
    t = {r["metric"]: r for r in proj.metrics.to_dicts()}
    assert t["seller_fault_cancellation_rate"]["chosen"] == pytest.approx(3 / 83)


def test_lateness_distribution_matches_monte_carlo() -> None:
    rng = np.random.default_rng(3)
    mean, sd = np.array([6.0, 9.0]), np.array([2.0, 4.0])
    promise, w = np.array([7.5, 8.6, 10.4]), np.array([2.0, 1.0, 1.0])
    p_on, p_late = lateness_distribution(mean, sd, promise, w, max_days=60)
    assert np.allclose(p_on + p_late.sum(axis=1), 1.0)
    n = 400_000
    for i in range(2):
        s2 = math.log1p((sd[i] / mean[i]) ** 2)
        t = rng.lognormal(math.log(mean[i]) - s2 / 2, math.sqrt(s2), n)
        d = rng.choice(promise, n, p=w / w.sum())
        late = np.ceil(t - d)
        assert p_on[i] == pytest.approx((late <= 0).mean(), abs=3e-3)
        assert p_late[i, 0] == pytest.approx((late == 1).mean(), abs=3e-3)
        assert p_late[i, 2] == pytest.approx((late == 3).mean(), abs=3e-3)
    assert lognormal_cdf(np.array([0.0, 5.0]), np.array([5.0]), np.array([0.0])).tolist() == [
        0.0,
        1.0,
    ]


def test_rule_promises_cover_weekends_and_holidays() -> None:
    # from Mon 24 Nov 2025 (Thanksgiving week): Mon noon + 6 BD = Tue 25, Wed 26, (Thu 27),
    # Fri 28, Mon 1, Tue 2, Wed 3 → Wed 3 Dec 23:59:59.999999: 9 days 11:59:59.999999
    promise, w = rule_promises(date(2025, 11, 24), health_params())
    assert len(promise) == 28 and w.sum() == 28
    assert promise[0] == pytest.approx(9 + (12 * 3600 - 1e-6) / 86400, abs=1e-9)
    # Tue 25 noon → Wed 26, (Thu 27), Fri 28, Mon 1, Tue 2, Wed 3, Thu 4 → 9 days 11:59:59.999999
    assert promise[1] == pytest.approx(promise[0])
    # Thu 27 (holiday) noon counts from Fri 28 → Mon 1 … Mon 8 Dec: 11 days 11:59:59.999999
    assert promise[3] == pytest.approx(11 + (12 * 3600 - 1e-6) / 86400, abs=1e-9)
    # Mon 1 Dec noon → Tue 9 Dec: 8 days 11:59:59.999999 (no holiday in the way)
    assert promise[7] == pytest.approx(8 + (12 * 3600 - 1e-6) / 86400, abs=1e-9)
    assert promise.min() > 6 and promise.max() < 12


def test_response_curve_shape() -> None:
    c = ResponseCurve()
    p = c.negative_share(np.arange(-3, 30))
    assert np.all(p[:4] == c.p_on_time)  # on time or early
    assert np.all(np.diff(p[3:]) > 0) and p[-1] < c.p_max
    s = c.expected_stars(np.arange(0, 30))
    assert s[0] == c.stars_on_time and np.all(np.diff(s) < 0)


@pytest.mark.shared_data
def test_olist_calibration_reproduces_the_review_gap(shared_data) -> None:  # type: ignore[no-untyped-def]
    from quickturn.services.health import olist_lateness

    frame = olist_lateness(shared_data / "olist")
    assert frame.height == 14448  # delivered orders with a review in the 15,000-order sample
    curve = calibrate_response_curve(frame)
    # the shipped defaults are this calibration
    assert curve.p_on_time == pytest.approx(OLIST_P_ON_TIME, abs=5e-5)
    assert curve.p_max == pytest.approx(OLIST_P_MAX, abs=5e-4)
    assert curve.tau_days == pytest.approx(OLIST_TAU_DAYS, abs=5e-3)
    assert curve.stars_on_time == pytest.approx(OLIST_STARS_ON_TIME, abs=5e-4)
    assert curve.stars_min == pytest.approx(OLIST_STARS_MIN, abs=5e-3)
    assert curve.stars_tau_days == pytest.approx(OLIST_STARS_TAU_DAYS, abs=5e-3)
    gap = review_gap(frame, curve)
    # Olist's published figures (data README): ≈ 6.4% late; 4.28★ on time vs 2.27★ late
    assert gap["late_share"] == pytest.approx(0.064, abs=0.001)
    assert round(gap["stars_on_time"], 2) == 4.28 and round(gap["stars_late"], 2) == 2.27
    # the fitted curve reproduces the on-time vs late gap
    obs_gap = gap["negative_share_late"] - gap["negative_share_on_time"]
    model_gap = gap["model_negative_share_late"] - gap["model_negative_share_on_time"]
    assert obs_gap > 0.5
    assert model_gap == pytest.approx(obs_gap, abs=0.015)
    star_gap = gap["stars_on_time"] - gap["stars_late"]
    assert gap["model_stars_on_time"] - gap["model_stars_late"] == pytest.approx(star_gap, abs=0.05)
    # and the default curve (no refit) does too
    default_gap = review_gap(frame, ResponseCurve())
    assert default_gap["model_negative_share_late"] == pytest.approx(
        gap["negative_share_late"], abs=0.015
    )


def test_plan_without_delivery_times_uses_the_shops_own() -> None:
    rows = plan_rows().drop("fulfilment_days_mean", "fulfilment_days_sd")
    # the shop delivers in 12 days, its promise is 8.5 days: everything is late
    proj = project_plan(rows, baseline(fulfilment_days_mean=12.0, fulfilment_days_sd=0.0), PARAMS)
    t = {r["metric"]: r for r in proj.metrics.to_dicts()}
    assert t["on_time_delivery_rate"]["chosen"] == 0.0
    fb = proj.assumptions["fallback_fulfilment_days"]
    assert fb["source"] == "history" and fb["skus_without_plan_days"] == 4
    # without shop history: the configured fallback (5 ± 1.5 days) → mostly on time
    proj2 = project_plan(rows, baseline(), PARAMS)
    t2 = {r["metric"]: r for r in proj2.metrics.to_dicts()}
    assert t2["on_time_delivery_rate"]["chosen"] > 0.95
    assert proj2.assumptions["fallback_fulfilment_days"]["source"] == "default"
