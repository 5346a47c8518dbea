"""Each metric on a small order history whose value is worked out by hand.

The run is on Mon 2025-12-15 (US Pacific); windows end on Sun 14 December:
30-day metrics cover 15 Nov … 14 Dec, 60-day metrics 16 Oct … 14 Dec.  Thanksgiving is
Thu 27 Nov 2025.  Times are Pacific wall-clock (``pt``), stored as naive UTC.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import polars as pl
import pytest
from health_support import end_of_day_pt, orders, pt, returns, reviews

from quickturn.core.health.metrics import metric_events, order_facts, weekly_metrics
from quickturn.core.health.params import health_params
from quickturn.core.health.report import health_report

TODAY = date(2025, 12, 15)
FBT = "FULFILLMENT_BY_TIKTOK"


def run(
    rows: list[dict[str, Any]],
    rv: pl.DataFrame | None = None,
    rt: pl.DataFrame | None = None,
    **cfg: Any,
) -> tuple[dict[str, dict[str, Any]], pl.DataFrame, Any]:
    rep, facts = health_report(orders(rows), rv, rt, health_params(cfg), TODAY, weeks=4)
    by_metric = {r["metric"]: r for r in rep.rolling.to_dicts()}
    return by_metric, facts, rep


def bad_orders(rep: Any, metric: str) -> list[str]:
    return sorted(rep.offenders.filter(pl.col("metric") == metric)["order_id"].to_list())


# -- late dispatch rate ------------------------------------------------------------------------

LDR_ORDERS = [
    # Fri 21 Nov 23:30 (before the cut-off) → deadline Tue 25 23:59.  Shipped Tue 23:00
    # (Wed 07:00 UTC): on time although the UTC date is Wednesday.
    {"order_id": "L1", "created_at": pt(2025, 11, 21, 23, 30), "shipped_at": pt(2025, 11, 25, 23)},
    # same order time, shipped Wed 26 09:00 → late
    {"order_id": "L2", "created_at": pt(2025, 11, 21, 23, 30), "shipped_at": pt(2025, 11, 26, 9)},
    # Sat 22 → counts from Mon 24 → deadline Wed 26 23:59; shipped Wed 16:00 → on time
    {"order_id": "L3", "created_at": pt(2025, 11, 22, 10), "shipped_at": pt(2025, 11, 26, 16)},
    # Wed 26 → (Thu 27 Thanksgiving) Fri 28, Mon 1 → deadline Mon 1 Dec; shipped Fri 28: on time
    {"order_id": "L4", "created_at": pt(2025, 11, 26, 10), "shipped_at": pt(2025, 11, 28, 17)},
    # same order, shipped Tue 2 Dec → late
    {"order_id": "L5", "created_at": pt(2025, 11, 26, 10), "shipped_at": pt(2025, 12, 2, 10)},
    # FBT order shipped late → exempt
    {
        "order_id": "L6",
        "created_at": pt(2025, 11, 26, 10),
        "shipped_at": pt(2025, 12, 5, 10),
        "fulfillment_type": FBT,
    },
    # own collection deadline Wed 19 Nov 16:00 UTC (08:00 PST) beats the rule (Wed 23:59):
    # shipped Wed 19 17:00 PST → late
    {
        "order_id": "L7",
        "created_at": pt(2025, 11, 17, 10),
        "shipping_due_at": datetime(2025, 11, 19, 16, 0),
        "shipped_at": pt(2025, 11, 19, 17),
    },
    # shipped late but on Mon 10 Nov, before the window
    {"order_id": "L8", "created_at": pt(2025, 11, 3, 10), "shipped_at": pt(2025, 11, 10, 10)},
    # not shipped yet: not a dispatched order
    {"order_id": "L9", "created_at": pt(2025, 12, 12, 10)},
    # creator sample: counts (samples are not excluded from LDR); Wed 26 → deadline Mon 1 Dec;
    # shipped Sun 30 Nov 22:00 PST (Mon 06:00 UTC): on time, in the week of Mon 24 Nov
    {
        "order_id": "L10",
        "created_at": pt(2025, 11, 26, 10),
        "shipped_at": pt(2025, 11, 30, 22),
        "is_sample_order": True,
    },
]


def test_late_dispatch_rate_by_hand() -> None:
    m, _, rep = run(LDR_ORDERS)
    ldr = m["late_dispatch_rate"]
    # dispatched in the window: L1, L2, L3, L4, L5, L7, L10 = 7; late: L2, L5, L7 = 3
    assert (ldr["offending"], ldr["denominator"]) == (3, 7)
    assert ldr["value"] == pytest.approx(3 / 7)
    assert ldr["status"] == "breach"
    assert bad_orders(rep, "late_dispatch_rate") == ["L2", "L5", "L7"]
    assert (ldr["window_start"], ldr["window_end"]) == (date(2025, 11, 15), date(2025, 12, 14))


def test_late_dispatch_weekly_uses_the_pacific_day() -> None:
    _, facts, rep = run(LDR_ORDERS)
    w = rep.weekly.filter(pl.col("metric") == "late_dispatch_rate", pl.col("denominator") > 0)
    got = {r["week_start"]: (r["offending"], r["denominator"]) for r in w.to_dicts()}
    assert got == {
        date(2025, 11, 17): (1, 1),  # L7
        date(2025, 11, 24): (1, 5),  # L1, L2 (late), L3, L4, L10 (Sunday night Pacific)
        date(2025, 12, 1): (1, 1),  # L5
    }
    assert all(d.weekday() == 0 for d in got)
    # the week of Mon 8 Dec … Sun 14 Dec is complete on Mon 15 → not partial
    last = rep.weekly.filter(pl.col("week_start") == date(2025, 12, 8)).row(0, named=True)
    assert last["partial"] is False
    # run on Wed 17 Dec: the week of Mon 15 holds Mon–Tue only → partial
    later = weekly_metrics(metric_events(facts), health_params(), date(2025, 12, 17), 2)
    assert later.filter(pl.col("week_start") == date(2025, 12, 15))["partial"].to_list()[0]


# -- valid tracking rate -----------------------------------------------------------------------


def test_valid_tracking_rate_by_hand() -> None:
    base = {"created_at": pt(2025, 12, 1, 10)}
    rows = [
        {**base, "order_id": "V1", "shipped_at": pt(2025, 12, 2, 10), "tracking_valid": True},
        {**base, "order_id": "V2", "shipped_at": pt(2025, 12, 2, 10), "tracking_valid": False},
        # no flag: a tracking number with a carrier scan is valid …
        {**base, "order_id": "V3", "shipped_at": pt(2025, 12, 2, 10), "tracking_id": "1Z999"},
        # … no tracking number is not
        {**base, "order_id": "V4", "shipped_at": pt(2025, 12, 2, 10)},
        # delivered without any carrier scan: shipped package, invalid tracking
        {
            **base,
            "order_id": "V5",
            "rts_at": pt(2025, 12, 2, 9),
            "delivered_at": pt(2025, 12, 6, 9),
            "tracking_id": "FAKE1",
        },
        # FBT: exempt
        {
            **base,
            "order_id": "V6",
            "shipped_at": pt(2025, 12, 2, 10),
            "tracking_valid": False,
            "fulfillment_type": FBT,
        },
        # not shipped: no package
        {**base, "order_id": "V7"},
    ]
    m, _, rep = run(rows)
    vtr = m["valid_tracking_rate"]
    # packages V1…V5 = 5; valid V1, V3 = 2 → 40%
    assert (vtr["numerator"], vtr["denominator"]) == (2, 5)
    assert vtr["value"] == pytest.approx(0.4)
    assert vtr["status"] == "breach"
    assert bad_orders(rep, "valid_tracking_rate") == ["V2", "V4", "V5"]


# -- seller-fault cancellation rate ----------------------------------------------------------


def test_seller_fault_cancellation_rate_by_hand() -> None:
    c = pt(2025, 11, 21, 23, 30)  # Fri before Thanksgiving; auto-cancel deadline Wed 3 Dec 23:59
    cx = pt(2025, 11, 23, 10)
    rows = [
        {"order_id": "C1", "created_at": c, "cancelled_at": cx, "cancel_fault": "seller"},
        {"order_id": "C2", "created_at": c, "cancelled_at": cx, "cancel_initiator": "SELLER"},
        {"order_id": "C3", "created_at": c, "cancelled_at": cx, "cancel_initiator": "BUYER"},
        # never paid, cancelled by the system: not a confirmed order
        {
            "order_id": "C4",
            "created_at": c,
            "paid_at": None,
            "status": "CANCELLED",
            "cancelled_at": cx,
            "cancel_initiator": "SYSTEM",
        },
        # system cancellation before the auto-cancel deadline (Wed 3 Dec 22:00 < 23:59):
        # not the missed-SLA auto-cancel
        {
            "order_id": "C5",
            "created_at": c,
            "cancelled_at": pt(2025, 12, 3, 22),
            "cancel_initiator": "SYSTEM",
        },
        # system cancellation after it (Thu 4 Dec 00:30), never shipped: missed SLA → seller fault
        {
            "order_id": "C6",
            "created_at": c,
            "cancelled_at": pt(2025, 12, 4, 0, 30),
            "cancel_initiator": "SYSTEM",
        },
        # creator sample and FBT orders: excluded
        {
            "order_id": "C7",
            "created_at": c,
            "cancelled_at": cx,
            "cancel_fault": "seller",
            "is_sample_order": True,
        },
        {
            "order_id": "C8",
            "created_at": c,
            "cancelled_at": cx,
            "cancel_fault": "seller",
            "fulfillment_type": FBT,
        },
        {
            "order_id": "C9",
            "created_at": c,
            "shipped_at": pt(2025, 11, 24, 10),
            "delivered_at": pt(2025, 11, 28, 10),
        },
        # the recorded fault wins over the initiator
        {
            "order_id": "C10",
            "created_at": c,
            "cancelled_at": cx,
            "cancel_initiator": "SELLER",
            "cancel_fault": "logistics",
        },
        # placed before the window (Fri 14 Nov)
        {
            "order_id": "C11",
            "created_at": pt(2025, 11, 14, 12),
            "cancelled_at": cx,
            "cancel_fault": "seller",
        },
    ]
    m, _, rep = run(rows)
    s = m["seller_fault_cancellation_rate"]
    # confirmed in window: C1, C2, C3, C5, C6, C9, C10 = 7; seller fault: C1, C2, C6 = 3
    assert (s["offending"], s["denominator"]) == (3, 7)
    assert s["value"] == pytest.approx(3 / 7)
    assert bad_orders(rep, "seller_fault_cancellation_rate") == ["C1", "C2", "C6"]


# -- on-time delivery rate ----------------------------------------------------------------------


def test_on_time_delivery_rate_by_hand() -> None:
    fri = pt(2025, 11, 21, 23, 30)  # deliver-by Tue 2 Dec 23:59 (6 BD, skipping Thanksgiving)
    rows = [
        # delivered Tue 2 Dec 23:00 PST (Wed 07:00 UTC): on time
        {
            "order_id": "D1",
            "created_at": fri,
            "shipped_at": pt(2025, 11, 24),
            "delivered_at": pt(2025, 12, 2, 23),
        },
        # delivered Wed 3 Dec 08:00: one day late
        {
            "order_id": "D2",
            "created_at": fri,
            "shipped_at": pt(2025, 11, 24),
            "delivered_at": pt(2025, 12, 3, 8),
        },
        # Sat 22 noon → Mon 24 → deliver-by Wed 3 Dec; delivered Wed 20:00: on time
        {
            "order_id": "D3",
            "created_at": pt(2025, 11, 22, 12),
            "shipped_at": pt(2025, 11, 25),
            "delivered_at": pt(2025, 12, 3, 20),
        },
        # Mon 1 Dec → deliver-by Tue 9 Dec; still in transit on Mon 15: late
        {"order_id": "D4", "created_at": pt(2025, 12, 1, 10), "shipped_at": pt(2025, 12, 3, 10)},
        # own deliver-by Fri 5 Dec 23:59 PST; delivered Fri 20:00: on time
        {
            "order_id": "D5",
            "created_at": pt(2025, 11, 20, 10),
            "delivery_sla_at": end_of_day_pt(2025, 12, 5),
            "shipped_at": pt(2025, 11, 21),
            "delivered_at": pt(2025, 12, 5, 20),
        },
        # cancelled, never delivered: not due
        {
            "order_id": "D6",
            "created_at": fri,
            "cancelled_at": pt(2025, 11, 23),
            "cancel_initiator": "BUYER",
        },
        # FBT late: exempt
        {
            "order_id": "D7",
            "created_at": fri,
            "delivered_at": pt(2025, 12, 10),
            "fulfillment_type": FBT,
        },
        # Fri 12 Dec → deliver-by Mon 22 Dec: not due yet
        {"order_id": "D8", "created_at": pt(2025, 12, 12, 10), "shipped_at": pt(2025, 12, 13)},
        # creator sample, late: excluded
        {
            "order_id": "D9",
            "created_at": fri,
            "delivered_at": pt(2025, 12, 10),
            "is_sample_order": True,
        },
    ]
    m, facts, rep = run(rows)
    o = m["on_time_delivery_rate"]
    # due: D1…D5 = 5; on time: D1, D3, D5 = 3 → 60%
    assert (o["numerator"], o["denominator"]) == (3, 5)
    assert o["value"] == pytest.approx(0.6)
    assert o["status"] == "breach"
    assert bad_orders(rep, "on_time_delivery_rate") == ["D2", "D4"]
    late = {r["order_id"]: r["delivery_late_days"] for r in facts.to_dicts()}
    assert late["D2"] == 1 and late["D1"] == 0
    # weekly: D1, D2 due Tue 2 Dec, D3 Wed 3, D5 Fri 5 → week of 1 Dec, 3 of 4 on time;
    # D4 due Tue 9 → week of 8 Dec, 0 of 1
    w = rep.weekly.filter(pl.col("metric") == "on_time_delivery_rate", pl.col("denominator") > 0)
    got = {r["week_start"]: (r["numerator"], r["denominator"]) for r in w.to_dicts()}
    assert got == {date(2025, 12, 1): (3, 4), date(2025, 12, 8): (0, 1)}


# -- negative review rate -------------------------------------------------------------------------


def test_negative_review_rate_first_review_only() -> None:
    d = pt(2025, 12, 1, 12)
    base = {"created_at": pt(2025, 11, 25, 10), "shipped_at": pt(2025, 11, 26, 10)}
    rows = [
        {**base, "order_id": "N1", "delivered_at": d},
        {**base, "order_id": "N2", "delivered_at": d},
        {**base, "order_id": "N3", "delivered_at": d},
        {**base, "order_id": "N4", "delivered_at": d},
        {**base, "order_id": "N5", "delivered_at": d},
        {**base, "order_id": "N6", "delivered_at": d, "is_sample_order": True},
        # delivered Tue 14 Oct, before the 60-day window (16 Oct …)
        {"order_id": "N7", "created_at": pt(2025, 10, 8), "delivered_at": pt(2025, 10, 14, 12)},
        # delivered Sun 14 Dec 23:30 PST (Mon 07:30 UTC) and reviewed 23:50 PST: inside
        {**base, "order_id": "N8", "delivered_at": pt(2025, 12, 14, 23, 30)},
        # FBT orders count in NRR
        {**base, "order_id": "N9", "delivered_at": d, "fulfillment_type": FBT},
    ]
    rv = reviews(
        [
            ("N1", 1, pt(2025, 12, 2)),
            ("N2", 5, pt(2025, 12, 2)),  # first review 5★ …
            ("N2", 1, pt(2025, 12, 5)),  # … a later 1★ does not count
            ("N3", 2, pt(2025, 12, 2)),  # first 2★ counts …
            ("N3", 5, pt(2025, 12, 6)),
            ("N5", 3, pt(2025, 12, 2)),  # 3★ is not negative
            ("N6", 1, pt(2025, 12, 2)),
            ("N7", 1, pt(2025, 10, 20)),
            ("N8", 1, pt(2025, 12, 14, 23, 50)),
            ("N9", 2, pt(2025, 12, 3)),
            # posted after the run's midnight: not known yet
            ("N4", 1, pt(2025, 12, 15, 0, 30)),
        ]
    )
    m, _, rep = run(rows, rv=rv)
    n = m["negative_review_rate"]
    # delivered in window, non-sample: N1, N2, N3, N4, N5, N8, N9 = 7; first 1–2★: N1, N3, N8, N9
    assert (n["offending"], n["denominator"]) == (4, 7)
    assert n["value"] == pytest.approx(4 / 7)
    assert bad_orders(rep, "negative_review_rate") == ["N1", "N3", "N8", "N9"]
    assert (n["window_start"], n["window_end"]) == (date(2025, 10, 16), date(2025, 12, 14))


# -- non-buyer-fault return / refund rate -------------------------------------------------------


def test_non_buyer_fault_return_rate_by_hand() -> None:
    d = pt(2025, 12, 1, 12)
    base = {"created_at": pt(2025, 11, 25, 10), "shipped_at": pt(2025, 11, 26), "delivered_at": d}
    rows = [{**base, "order_id": f"R{i}"} for i in range(1, 7)]
    rows.append({**base, "order_id": "R8", "is_sample_order": True})
    rt = returns(
        [
            {"order_id": "R1", "fault": "seller", "requested_at": pt(2025, 12, 3)},
            {"order_id": "R2", "fault": "buyer", "requested_at": pt(2025, 12, 3)},
            {
                "order_id": "R3",
                "fault": "logistics",
                "return_type": "refund_only",
                "requested_at": pt(2025, 12, 3),
            },
            {
                "order_id": "R4",
                "fault": "seller",
                "status": "rejected",
                "requested_at": pt(2025, 12, 3),
            },
            {"order_id": "R5", "fault": "unknown", "requested_at": pt(2025, 12, 3)},
            {"order_id": "R8", "fault": "seller", "requested_at": pt(2025, 12, 3)},
        ]
    )
    m, _, rep = run(rows, rt=rt)
    r = m["non_buyer_fault_return_rate"]
    # delivered non-sample R1…R6 = 6; seller/logistics fault, not rejected: R1, R3 → 1/3
    assert (r["offending"], r["denominator"]) == (2, 6)
    assert r["value"] == pytest.approx(1 / 3)
    assert bad_orders(rep, "non_buyer_fault_return_rate") == ["R1", "R3"]
    # counting "unknown" faults too is configuration
    m2, _, _ = run(rows, rt=rt, return_faults=["seller", "logistics", "unknown"])
    assert m2["non_buyer_fault_return_rate"]["offending"] == 3


# -- events after the as-of instant -----------------------------------------------------------


def test_events_after_the_run_are_not_known_yet() -> None:
    # delivered Mon 15 Dec 00:30 PST, after the run's midnight: still in transit for the run
    rows = [
        {
            "order_id": "F1",
            "created_at": pt(2025, 12, 1, 10),
            "shipped_at": pt(2025, 12, 2, 10),
            "delivered_at": pt(2025, 12, 15, 0, 30),
        },
        {"order_id": "F2", "created_at": pt(2025, 12, 15, 1)},  # placed after: ignored
    ]
    m, facts, _ = run(rows)
    assert facts["order_id"].to_list() == ["F1"]
    # due Tue 9 Dec, not delivered as of the run → late
    assert m["on_time_delivery_rate"]["value"] == 0.0
    assert m["negative_review_rate"]["denominator"] == 0
    assert m["negative_review_rate"]["status"] == "no_data"


def test_order_facts_accepts_missing_optional_columns() -> None:
    frame = pl.DataFrame(
        {"order_id": ["M1"], "status": ["AWAITING_SHIPMENT"], "created_at": [pt(2025, 12, 1, 10)]}
    )
    f = order_facts(frame, None, None, health_params(), TODAY)
    assert f["dispatch_deadline_at"][0] == end_of_day_pt(2025, 12, 3)
