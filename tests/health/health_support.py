"""Helpers for the health tests: Pacific wall-clock times and small order histories.

Times are written as US Pacific wall-clock times (what the seller sees) and converted to
naive UTC (what the store holds) with the standard library's zoneinfo, independently of
the Polars code under test.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl

from quickturn.core.health.metrics import ORDER_COLUMNS, RETURN_COLUMNS, REVIEW_COLUMNS

PT = ZoneInfo("America/Los_Angeles")


def pt(y: int, m: int, d: int, hh: int = 0, mm: int = 0, ss: int = 0, us: int = 0) -> datetime:
    """Naive UTC instant of a US Pacific wall-clock time."""
    return datetime(y, m, d, hh, mm, ss, us, tzinfo=PT).astimezone(UTC).replace(tzinfo=None)


def end_of_day_pt(y: int, m: int, d: int) -> datetime:
    """The 23:59 cut-off of a Pacific day (last microsecond of the minute), naive UTC."""
    return pt(y, m, d, 23, 59, 59, 999_999)


def orders(rows: list[dict[str, Any]]) -> pl.DataFrame:
    """An orders frame: ``status`` defaults to DELIVERED when delivered, else AWAITING_SHIPMENT;
    ``paid_at`` defaults to ``created_at``; currency USD."""
    full = []
    for r in rows:
        r = dict(r)
        r.setdefault("paid_at", r["created_at"])
        if "status" not in r:
            if r.get("cancelled_at"):
                r["status"] = "CANCELLED"
            elif r.get("delivered_at"):
                r["status"] = "DELIVERED"
            elif r.get("shipped_at"):
                r["status"] = "IN_TRANSIT"
            else:
                r["status"] = "AWAITING_SHIPMENT"
        full.append(r)
    schema = dict(ORDER_COLUMNS)
    df = pl.DataFrame(
        full,
        schema_overrides={k: v for k, v in schema.items() if k in full[0]},
        infer_schema_length=None,
    )
    for name, dtype in schema.items():
        if name not in df.columns:
            df = df.with_columns(pl.lit(None, dtype=dtype).alias(name))
    return df.select([pl.col(c).cast(t) for c, t in schema.items()]).with_columns(
        currency=pl.lit("USD")
    )


def reviews(rows: list[tuple[str, int, datetime]]) -> pl.DataFrame:
    """``(order_id, rating, created_at)`` → reviews frame."""
    return pl.DataFrame(
        {
            "review_id": [f"RV{i}" for i in range(len(rows))],
            "order_id": [r[0] for r in rows],
            "rating": [r[1] for r in rows],
            "created_at": [r[2] for r in rows],
        },
        schema_overrides={"created_at": REVIEW_COLUMNS["created_at"]},
    )


def returns(rows: list[dict[str, Any]]) -> pl.DataFrame:
    """Returns frame from dicts (``order_id``, ``fault``, ``requested_at`` …)."""
    full = []
    for i, r in enumerate(rows):
        r = dict(r)
        r.setdefault("return_id", f"RT{i}")
        r.setdefault("return_type", "return_refund")
        r.setdefault("status", "completed")
        r.setdefault("reason", "")
        full.append(r)
    df = pl.DataFrame(full, infer_schema_length=None)
    return df.select([pl.col(c).cast(t) for c, t in RETURN_COLUMNS.items()]).with_columns(
        sku_id=pl.lit("SKU1"), quantity=pl.lit(1), currency=pl.lit("USD")
    )
