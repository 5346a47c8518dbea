"""Exact allocation stays exact on shop-sized amounts (no Int64 wrap-around)."""

from __future__ import annotations

import polars as pl

from quickturn.core.ledger.amounts import allocate


def test_allocation_of_a_large_pool_over_large_weights_is_exact() -> None:
    """A week's $90,000 of shop-wide ads (9e8 micro-units) over $4M of ads-attributed sales
    (4e10): total × weight is 3.6e19, beyond Int64.  Each of the two equal lines gets exactly
    half, and the shares add up to the pool."""
    df = pl.DataFrame(
        {"pool": [1, 1], "total": [900_000_000, 900_000_000], "w": [20_000_000_000] * 2}
    )
    out = allocate(df, pl.col("total"), pl.col("w"), "pool", "share")
    assert out["share"].to_list() == [450_000_000, 450_000_000]


def test_allocation_by_weight_with_a_remainder() -> None:
    """10.0000 over weights 1:2 → 3.3333 and 6.6667 (telescoping floor, sum exact)."""
    df = pl.DataFrame({"pool": [1, 1], "total": [100_000, 100_000], "w": [1, 2]})
    out = allocate(df, pl.col("total"), pl.col("w"), "pool", "share")
    assert out["share"].to_list() == [33_333, 66_667]
