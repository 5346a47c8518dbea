"""Bulk order lines for benchmarks: valid, chunked, deterministic; and the benchmark smoke test."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from quickturn.demo.bulk import bulk_order_lines, bulk_skus
from quickturn.schema import get_table
from quickturn.validate import check_references, coerce

ROOT = Path(__file__).resolve().parents[1]


def test_bulk_chunks_are_valid_linked_and_sized() -> None:
    skus = bulk_skus(50, seed=2)
    chunks = list(
        bulk_order_lines(5_000, skus=skus, seed=2, chunk_lines=2_000, with_settlement=True)
    )
    assert [c.order_lines.height for c in chunks] == [2_000, 2_000, 1_000]
    orders = pl.concat([c.orders for c in chunks])
    lines = pl.concat([c.order_lines for c in chunks])
    settle = pl.concat([c.settlement_lines for c in chunks if c.settlement_lines is not None])
    assert orders["order_id"].is_unique().all()
    known = {"orders.order_id": set(orders["order_id"]), "skus.sku_id": set(skus["sku_id"])}
    for name, df in (
        ("skus", skus),
        ("orders", orders),
        ("order_lines", lines),
        ("settlement_lines", settle),
    ):
        _typed, findings = coerce(get_table(name), df)
        assert not [f for f in findings if f.is_error], (name, findings[:3])
        assert not check_references(get_table(name), df, known), name
    for c in chunks:  # every line's order is in its own chunk
        assert c.order_lines.join(c.orders, on="order_id", how="anti").height == 0
    # referral fee = 6% of (price after discounts + platform discount)
    rev = settle.filter(pl.col("fee_type") == "referral_fee").join(lines, on=["order_id", "sku_id"])
    want = (
        (rev["subtotal_after_discount"] + rev["platform_discount"]).cast(pl.Float64) * 0.06
    ).round(2)
    assert ((-rev["amount"].cast(pl.Float64) - want).abs() < 0.006).all()


def test_bulk_is_deterministic_and_chunk_independent() -> None:
    a = [c.order_lines for c in bulk_order_lines(3_000, n_skus=30, seed=5, chunk_lines=1_000)]
    b = [c.order_lines for c in bulk_order_lines(3_000, n_skus=30, seed=5, chunk_lines=1_000)]
    assert all(x.equals(y) for x, y in zip(a, b, strict=True))
    with pytest.raises(ValueError):
        next(bulk_order_lines(0))


@pytest.mark.slow
def test_benchmark_quick_smoke() -> None:
    res = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "demo_bench.py"), "--quick"],
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    out = json.loads(res.stdout)
    assert out["benchmark"] == "demo" and out["quick"] is True
    for key in ("generate", "demo_write", "bulk", "baseline", "ratio_bulk_vs_loop"):
        assert key in out
    for case in out["generate"]:
        assert {"seconds", "peak_mb", "rows", "n_skus", "days"} <= set(case)
    assert out["bulk"]["rows"] == 200_000
