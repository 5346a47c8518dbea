"""Health on the generated demo shop (the shared ``demo_store`` fixture): the metrics agree
with a direct computation from the orders' own SLA times, the UK shop is left out, and the
projection works on the demo's SKUs."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import polars as pl
import pytest
from health_support import pt

from quickturn.services import health as svc
from quickturn.store import Store


def _window_utc(today: date, days: int) -> tuple[datetime, datetime]:
    lo = today - timedelta(days=days)
    return pt(lo.year, lo.month, lo.day), pt(today.year, today.month, today.day)


def test_demo_metrics_match_the_orders_own_sla_times(demo_store: Store, demo_today: date) -> None:
    rep = svc.metrics(demo_store, today=demo_today).report
    m = {r["metric"]: r for r in rep.rolling.to_dicts()}
    o = demo_store.table("orders")
    us = o.filter(pl.col("market") == "US")
    fbs = us.filter(pl.col("fulfillment_type") != "FULFILLMENT_BY_TIKTOK")
    lo, hi = _window_utc(demo_today, 30)
    shipped = fbs.filter(pl.col("shipped_at").is_between(lo, hi, closed="left"))
    late = shipped.filter(pl.col("shipped_at") > pl.col("rts_sla_at")).height
    assert m["late_dispatch_rate"]["denominator"] == shipped.height > 100
    assert m["late_dispatch_rate"]["offending"] == late
    due = fbs.filter(
        pl.col("delivery_sla_at").is_between(lo, hi, closed="left")
        & ~pl.col("is_sample_order")
        & ~(pl.col("cancelled_at").is_not_null() & pl.col("delivered_at").is_null())
    )
    on_time = due.filter(pl.col("delivered_at") <= pl.col("delivery_sla_at")).height
    assert m["on_time_delivery_rate"]["denominator"] == due.height
    assert m["on_time_delivery_rate"]["numerator"] == on_time
    sf = us.filter(
        pl.col("created_at").is_between(lo, hi, closed="left")
        & ~pl.col("is_sample_order")
        & (pl.col("fulfillment_type") != "FULFILLMENT_BY_TIKTOK")
        & (pl.col("cancel_fault") == "seller")
    ).height
    assert m["seller_fault_cancellation_rate"]["offending"] == sf
    # the UK shop's orders are not in any metric
    uk = set(o.filter(pl.col("market") == "GB")["order_id"].to_list())
    assert uk and not uk & set(rep.offenders["order_id"].to_list())
    assert rep.score.eligible and rep.score.score is not None


def test_demo_projection_with_plan_results(demo_store: Store, demo_today: date) -> None:
    skus = demo_store.table("skus", columns=["sku_id"])["sku_id"].to_list()[:20]
    n = len(skus)
    # recommended: quick response, a little stock-out risk, 3PL delivery 4 ± 1.5 days;
    # heavy pre-stock: no stock-outs for half the SKUs, stranded demand for the others
    rows = pl.DataFrame(
        {
            "run_id": ["plan-demo"] * (2 * n),
            "sku_id": skus + skus,
            "policy": ["qr"] * n + ["heavy"] * n,
            "chosen": [True] * n + [False] * n,
            "expected_sales_qty": [50.0] * n + [55.0] * n,
            "lost_sales_qty": [5.0] * n + [0.0] * (n // 2) + [20.0] * (n - n // 2),
            "fulfilment_days_mean": [4.0] * n + [4.0] * n,
            "fulfilment_days_sd": [1.5] * (2 * n),
        }
    )
    demo_store.write(
        "runs",
        pl.DataFrame(
            {
                "run_id": ["plan-demo"],
                "module": ["plan"],
                "created_at": [datetime(2026, 3, 2, 6)],
                "as_of": [demo_today],
            }
        ),
    )
    demo_store.write("plan_sku_results", rows)
    pr = svc.project(demo_store, "latest")
    assert pr.today == demo_today  # the plan run's as-of day
    t = {r["metric"]: r for r in pr.projection.metrics.to_dicts()}
    for r in t.values():
        for col in ("current", "chosen", "heavy"):
            assert r[col] is None or 0.0 <= r[col] <= 1.0
    # chosen: 5 lost of 55 per SKU; heavy: 10 SKUs × 20 lost → more cancellations
    assert (
        t["seller_fault_cancellation_rate"]["heavy"] > t["seller_fault_cancellation_rate"]["chosen"]
    )
    # same delivery times → same on-time delivery; 4 ± 1.5 days vs a ≥ 8-day promise
    assert t["on_time_delivery_rate"]["chosen"] == pytest.approx(
        t["on_time_delivery_rate"]["heavy"]
    )
    assert t["on_time_delivery_rate"]["chosen"] > 0.99
    a = pr.projection.assumptions
    assert a["promise_source"] == "orders" and a["review_rate_source"] == "history"
    assert 0.05 < a["review_rate"] < 0.6
