"""Exact, vectorised money arithmetic on integer micro-units (1e-4 of a currency unit).

Every amount in the ledger path is an ``Int64`` number of micro-units (the store's
DECIMAL(18,4) scale).  Rates are ``Int64`` millionths (DECIMAL(12,6)) and FX rates ``Int64``
1e-8 units (DECIMAL(18,8)).  Products are formed in ``Int128`` so that nothing overflows, and
every division says how it rounds:

* fees are rounded to the cent, half away from zero (what the platform prints);
* FX conversions are rounded to the micro-unit, half to even (as :func:`quickturn.money.store_quantize`);
* scalar helpers (``MICRO``, ``to_micro``, ``from_micro``) live in :mod:`quickturn.money`.
* allocations of one amount over many rows use the *telescoping floor* rule
  ``share_i = ⌊T·W_i/W⌋ − ⌊T·W_{i−1}/W⌋`` (``W_i`` the running weight), whose shares sum to
  ``T`` exactly.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import polars as pl

CENT = 100  # micro-units per cent
RATE_ONE = 1_000_000  # rate scale (DECIMAL(12,6))
FX_ONE = 100_000_000  # FX scale (DECIMAL(18,8))

I128 = pl.Int128


def dec_to_int(expr: pl.Expr, scale: int) -> pl.Expr:
    """A Decimal column as its exact scaled integer (``Int64``); nulls stay null."""
    out: pl.Expr = expr.cast(pl.Decimal(38, scale)).to_physical().cast(pl.Int64)
    return out


def micro(expr: pl.Expr) -> pl.Expr:
    """Money column (DECIMAL(18,4)) → Int64 micro-units."""
    return dec_to_int(expr, 4)


def rate6(expr: pl.Expr) -> pl.Expr:
    """Rate column (DECIMAL(12,6)) → Int64 millionths."""
    return dec_to_int(expr, 6)


def fx8(expr: pl.Expr) -> pl.Expr:
    """FX column (DECIMAL(18,8)) → Int64 1e-8 units."""
    return dec_to_int(expr, 8)


def to_decimal_expr(expr: pl.Expr, scale: int = 4) -> pl.Expr:
    """Int64 scaled integer → Decimal(18, scale) (exact)."""
    out: pl.Expr = expr.cast(pl.Decimal(38, 0)).cast(pl.Decimal(38, scale)) / (10**scale)
    return out


def dec_rate(value: Decimal | int | str) -> int:
    d = Decimal(value) if not isinstance(value, Decimal) else value
    return int((d * RATE_ONE).to_integral_value(rounding="ROUND_HALF_EVEN"))


def div_half_up(num: pl.Expr, den: int | pl.Expr) -> pl.Expr:
    """``num / den`` rounded half away from zero, for integer expressions (den > 0)."""
    n = num.cast(I128)
    d = den if isinstance(den, int) else den.cast(I128)
    mag = (n.abs() * 2 + d) // (d * 2)
    return pl.when(n < 0).then(pl.lit(0, I128) - mag).otherwise(mag).cast(pl.Int64)


def div_half_even(num: pl.Expr, den: int) -> pl.Expr:
    """``num / den`` rounded half to even (den > 0 constant)."""
    n = num.cast(I128)
    q = n // den  # floor
    r = n - q * den
    up = (r * 2 > den) | ((r * 2 == den) & (q % 2 != 0))
    return (q + up.cast(I128)).cast(pl.Int64)


def fee_cents(amount_micro: pl.Expr, rate_millionths: pl.Expr | int) -> pl.Expr:
    """``rate × amount`` rounded to the cent (half up), in micro-units."""
    r = rate_millionths if isinstance(rate_millionths, pl.Expr) else pl.lit(rate_millionths)
    prod = amount_micro.cast(I128) * r.cast(I128)
    return div_half_up(prod, RATE_ONE * CENT) * CENT


def convert_fx(amount_micro: pl.Expr, usd_per_unit_fx8: pl.Expr) -> pl.Expr:
    """Amount in a currency → USD micro-units at ``usd_per_unit`` (half to even)."""
    prod = amount_micro.cast(I128) * usd_per_unit_fx8.cast(I128)
    return div_half_even(prod, FX_ONE)


def convert_from_usd(amount_micro: pl.Expr, usd_per_unit_fx8: pl.Expr) -> pl.Expr:
    """USD micro-units → a currency at ``usd_per_unit`` (half to even)."""
    n = amount_micro.cast(I128) * FX_ONE
    d = usd_per_unit_fx8.cast(I128)
    q = n // d
    r = n - q * d
    up = (r * 2 > d) | ((r * 2 == d) & (q % 2 != 0))
    return (q + up.cast(I128)).cast(pl.Int64)


def sort_pairs(df: pl.DataFrame, major: str, minor: str) -> pl.DataFrame:
    """``df.sort(major, minor)`` for integer columns, through one packed Int64 key
    (``major · 2^b + minor``): a one-column sort is several times faster than a two-column
    one.  Ties keep their input order.  Falls back to the two-column sort when a value is
    null, negative or too large to pack."""
    if df.height < 2:
        return df.sort(major, minor, maintain_order=True)
    a, b = pl.col(major), pl.col(minor)
    st = df.select(
        a.min().alias("a0"),
        a.max().alias("a1"),
        b.min().alias("b0"),
        b.max().alias("b1"),
        (a.null_count() + b.null_count()).alias("nulls"),
    ).row(0)
    a0, a1, b0, b1, nulls = (int(x) for x in st)
    bits = b1.bit_length()
    if nulls or a0 < 0 or b0 < 0 or a1.bit_length() + bits > 62:
        return df.sort(major, minor, maintain_order=True)
    key = a.cast(pl.Int64) * (1 << bits) + b.cast(pl.Int64)
    return df.sort(key, maintain_order=True)


def allocate(
    df: pl.DataFrame,
    total: pl.Expr,
    weight: pl.Expr,
    group: str,
    out: str,
    *,
    fallback_equal: bool = True,
) -> pl.DataFrame:
    """``df`` with column ``out``: ``total`` (same value on every row of a group) allocated
    over the rows of ``group`` by ``weight`` exactly — the *telescoping floor* rule
    ``share_i = ⌊T·W_i/W⌋ − ⌊T·W_{i−1}/W⌋`` (``W_i`` the running weight): shares sum to
    ``T`` and each is within one micro-unit of ``T × weight / Σweight``.

    Rows of one group must be *contiguous* and in a deterministic order (sort by the group
    first).  Running sums are taken over the whole column and re-based at each group's first
    row (linear, no window function), in stages so nothing is computed twice.  When a
    group's weights sum to zero the total is spread equally (``fallback_equal``), else
    nothing is allocated.
    """
    g = pl.col(group)
    tmp = ["__a_t", "__a_w", "__a_first", "__a_last", "__a_cum", "__a_r"]
    d = df.with_columns(
        total.cast(pl.Int64).alias("__a_t"),
        weight.fill_null(0).clip(lower_bound=0).cast(pl.Int64).alias("__a_w"),
        (g != g.shift(1)).fill_null(True).alias("__a_first"),
        (g != g.shift(-1)).fill_null(True).alias("__a_last"),
        pl.int_range(pl.len(), dtype=pl.Int64).alias("__a_r"),
    ).with_columns(pl.col("__a_w").cum_sum().alias("__a_cum"))
    first, last = pl.col("__a_first"), pl.col("__a_last")
    d = d.with_columns(
        (
            pl.col("__a_cum")
            - pl.when(first)
            .then(pl.col("__a_cum") - pl.col("__a_w"))
            .otherwise(None)
            .forward_fill()
        ).alias("__a_wcum"),
        (
            pl.col("__a_r")
            - pl.when(first).then(pl.col("__a_r")).otherwise(None).forward_fill()
            + 1
        ).alias("__a_k"),
    ).with_columns(
        pl.when(last).then(pl.col("__a_wcum")).otherwise(None).backward_fill().alias("__a_wsum"),
        pl.when(last).then(pl.col("__a_k")).otherwise(None).backward_fill().alias("__a_n"),
    )
    tmp += ["__a_wcum", "__a_k", "__a_wsum", "__a_n"]
    use_w = pl.col("__a_wsum") > 0
    if fallback_equal:
        d = d.with_columns(
            pl.when(use_w).then(pl.col("__a_wcum")).otherwise(pl.col("__a_k")).alias("__a_hi"),
            pl.when(use_w).then(pl.col("__a_wsum")).otherwise(pl.col("__a_n")).alias("__a_den"),
            pl.when(use_w).then(pl.col("__a_w")).otherwise(1).alias("__a_own"),
        )
    else:
        d = d.with_columns(
            pl.col("__a_wcum").alias("__a_hi"),
            pl.when(use_w).then(pl.col("__a_wsum")).otherwise(1).alias("__a_den"),
            pl.col("__a_w").alias("__a_own"),
        )
    tmp += ["__a_hi", "__a_den", "__a_own"]
    t = pl.col("__a_t")
    # the bound in floats: an Int64 product would itself wrap around on large shops
    bound = d.select(
        t.abs().max().cast(pl.Float64) * pl.col("__a_den").max().cast(pl.Float64)
    ).item()
    wide = bound is not None and bound >= 2.0**62
    tt = t.cast(I128) if wide else t
    share = (tt * pl.col("__a_hi")) // pl.col("__a_den") - (
        tt * (pl.col("__a_hi") - pl.col("__a_own"))
    ) // pl.col("__a_den")
    if not fallback_equal:
        share = pl.when(use_w).then(share).otherwise(0)
    return d.with_columns(share.cast(pl.Int64).alias(out)).drop(tmp)


def proportional(amount: pl.Expr, numerator: pl.Expr, denominator: pl.Expr) -> pl.Expr:
    """``amount × numerator / denominator`` rounded half up (0 when the denominator is 0)."""
    prod = amount.cast(I128) * numerator.cast(I128)
    den = denominator.cast(I128)
    return (
        pl.when(den > 0)
        .then(div_half_up(prod, pl.when(den > 0).then(den).otherwise(1)))
        .otherwise(0)
        .cast(pl.Int64)
    )


def case(pairs: Sequence[tuple[pl.Expr, pl.Expr]], default: pl.Expr | None = None) -> pl.Expr:
    """``when c1 then v1 when c2 then v2 … otherwise default`` from a list of pairs."""
    chain: Any = None
    for cond, value in pairs:
        chain = pl.when(cond).then(value) if chain is None else chain.when(cond).then(value)
    if chain is None:
        return default if default is not None else pl.lit(None)
    out: pl.Expr = chain.otherwise(default if default is not None else pl.lit(None))
    return out
