"""Health benchmark: the vectorised metrics on a large synthetic shop vs a row-by-row baseline.

Prints one JSON document: inputs, sizes, seconds per stage, peak memory (max RSS), and the
speed ratio of the vectorised Polars path against a plain-Python per-order implementation of
the same deadlines (zoneinfo + a business-day loop) measured in the same run on a sample,
whose results are also checked against the vectorised ones.

    uv run python benchmarks/health_bench.py            # 500,000 orders, 5,000 SKUs
    uv run python benchmarks/health_bench.py --quick    # tiny smoke run
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import polars as pl

from quickturn.core.health.calendar import holiday_list
from quickturn.core.health.metrics import order_facts
from quickturn.core.health.params import health_params
from quickturn.core.health.projection import Baseline, project_plan, rule_promises
from quickturn.core.health.report import health_report

TODAY = date(2025, 12, 15)
PT = ZoneInfo("America/Los_Angeles")


def synthetic_shop(n: int, seed: int = 0) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    rng = np.random.default_rng(seed)
    end = datetime(2025, 12, 15, 8)
    created = np.datetime64(end) - (rng.uniform(0, 400, n) * 86400e6).astype("timedelta64[us]")
    day = np.timedelta64(86_400_000_000, "us")
    paid = created + (rng.uniform(0, 1800e6, n)).astype("timedelta64[us]")
    ship_days = rng.gamma(2.0, 0.7, n)
    shipped = paid + (ship_days * day.astype(np.float64)).astype("timedelta64[us]")
    deliv_days = rng.gamma(4.0, 1.2, n)
    delivered = shipped + (deliv_days * day.astype(np.float64)).astype("timedelta64[us]")
    cancelled = rng.random(n) < 0.03
    fbt = rng.random(n) < 0.1
    sample = rng.random(n) < 0.01
    nat = np.datetime64("NaT", "us")
    orders = pl.DataFrame(
        {
            "order_id": [f"O{i:07d}" for i in range(n)],
            "status": np.where(cancelled, "CANCELLED", "DELIVERED"),
            "created_at": created,
            "paid_at": paid,
            "shipped_at": np.where(cancelled, nat, shipped),
            "delivered_at": np.where(cancelled, nat, delivered),
            "cancelled_at": np.where(cancelled, paid + day, nat),
            "cancel_initiator": pl.Series(rng.choice(["BUYER", "SELLER", "SYSTEM"], n)).set(
                pl.Series(~cancelled), None
            ),
            "fulfillment_type": np.where(fbt, "FULFILLMENT_BY_TIKTOK", "FULFILLMENT_BY_SELLER"),
            "tracking_valid": rng.random(n) < 0.98,
            "is_sample_order": sample,
        }
    )
    reviewed = (~cancelled) & (rng.random(n) < 0.15)
    late = deliv_days + ship_days > 8
    rating = np.where(
        late,
        rng.choice([1, 2, 3, 4, 5], n, p=[0.4, 0.2, 0.1, 0.1, 0.2]),
        rng.choice([1, 2, 3, 4, 5], n, p=[0.05, 0.04, 0.08, 0.2, 0.63]),
    )
    idx = np.flatnonzero(reviewed)
    reviews = pl.DataFrame(
        {
            "order_id": orders["order_id"].gather(idx),
            "rating": rating[idx],
            "created_at": delivered[idx] + day,
        }
    )
    ridx = np.flatnonzero((~cancelled) & (rng.random(n) < 0.03))
    returns = pl.DataFrame(
        {
            "return_id": [f"R{i}" for i in range(len(ridx))],
            "order_id": orders["order_id"].gather(ridx),
            "fault": rng.choice(["buyer", "seller", "logistics", "unknown"], len(ridx)),
            "status": "completed",
            "return_type": "return_refund",
            "requested_at": delivered[ridx] + 2 * day,
        }
    )
    return orders, reviews, returns


def baseline_deadlines(
    created: list[datetime], holidays: set[date]
) -> list[tuple[datetime, datetime, datetime]]:
    """Per-order Python: Pacific business start (23:59 cut-off), then dispatch (+2), deliver-by
    (+6) and auto-cancel (+7) business days at 23:59:59.999999 Pacific, as naive UTC."""

    def is_bd(d: date) -> bool:
        return d.weekday() < 5 and d not in holidays

    out = []
    for c in created:
        d = c.replace(tzinfo=UTC).astimezone(PT).date()
        while not is_bd(d):
            d += timedelta(days=1)
        found: dict[int, date] = {}
        k = 0
        while k < 7:
            d += timedelta(days=1)
            if is_bd(d):
                k += 1
                found[k] = d
        row = []
        for n in (2, 6, 7):
            x = found[n]
            dl = datetime(x.year, x.month, x.day, 23, 59, 59, 999999, tzinfo=PT)
            row.append(dl.astimezone(UTC).replace(tzinfo=None))
        out.append((row[0], row[1], row[2]))
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--orders", type=int, default=None)
    args = ap.parse_args()
    n = args.orders or (2_000 if args.quick else 500_000)
    n_base = min(n, 500 if args.quick else 20_000)
    n_sku = 50 if args.quick else 5_000
    params = health_params({"sla_clock": "created"})

    t0 = time.perf_counter()
    orders, reviews, returns = synthetic_shop(n)
    t_gen = time.perf_counter() - t0

    t0 = time.perf_counter()
    facts = order_facts(orders, reviews, returns, params, TODAY)
    t_facts = time.perf_counter() - t0
    t0 = time.perf_counter()
    report, _ = health_report(orders, reviews, returns, params, TODAY, weeks=12)
    t_report = time.perf_counter() - t0

    # baseline: per-order Python deadlines on a sample, checked against the vectorised ones
    sample = orders.head(n_base)
    hol = set(holiday_list(2024, 2026))
    t0 = time.perf_counter()
    base = baseline_deadlines(sample["created_at"].to_list(), hol)
    t_base = time.perf_counter() - t0
    vec = (
        facts.head(n_base)
        .select("rule_dispatch_at", "rule_delivery_at", "rule_auto_cancel_at")
        .rows()
    )
    mismatches = sum(1 for a, b in zip(base, vec, strict=True) if a != b)
    per_order_vec = t_facts / n
    per_order_base = t_base / n_base

    rng = np.random.default_rng(1)
    plan = pl.DataFrame(
        {
            "sku_id": np.repeat([f"S{i}" for i in range(n_sku)], 2),
            "policy": ["qr", "heavy"] * n_sku,
            "chosen": [True, False] * n_sku,
            "expected_sales_qty": rng.gamma(2, 50, 2 * n_sku),
            "lost_sales_qty": rng.gamma(1, 5, 2 * n_sku),
            "fulfilment_days_mean": rng.uniform(3, 12, 2 * n_sku),
            "fulfilment_days_sd": rng.uniform(0.5, 3, 2 * n_sku),
        }
    )
    promise, w = rule_promises(TODAY, params)
    bl = Baseline(
        current={r["metric"]: r["value"] for r in report.rolling.to_dicts()},
        other_cancellation_rate=0.005,
        review_rate=0.15,
        review_rate_source="history",
        p_on_time=0.09,
        p_on_time_source="olist",
        promise_days=promise,
        promise_weights=w,
        promise_source="rule",
        delivered_orders=1000,
    )
    t0 = time.perf_counter()
    project_plan(plan, bl, params)
    t_proj = time.perf_counter() - t0

    print(
        json.dumps(
            {
                "benchmark": "health",
                "inputs": {
                    "orders": n,
                    "reviews": reviews.height,
                    "returns": returns.height,
                    "skus_projected": n_sku,
                    "baseline_sample_orders": n_base,
                    "weeks": 12,
                },
                "seconds": {
                    "generate": round(t_gen, 3),
                    "order_facts": round(t_facts, 3),
                    "health_report": round(t_report, 3),
                    "baseline_python_sample": round(t_base, 3),
                    "projection": round(t_proj, 3),
                },
                "per_order_us": {
                    "vectorised_facts": round(per_order_vec * 1e6, 3),
                    "python_baseline_deadlines": round(per_order_base * 1e6, 3),
                },
                "ratio_baseline_vs_vectorised": round(per_order_base / per_order_vec, 1),
                "baseline_mismatches": mismatches,
                "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
                "metrics": {r["metric"]: r["value"] for r in report.rolling.to_dicts()},
                "python": sys.version.split()[0],
                "polars": pl.__version__,
            }
        )
    )


if __name__ == "__main__":
    main()
