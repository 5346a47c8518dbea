"""Vectorised FX look-up: the USD value of one unit of a currency on a day.

Rule: the latest rate on or before the day; before
the first known rate, the first rate.  USD is always 1.  A currency with no rate at all gives a
null rate, which the engine turns into a finding (``LEDGER_FX_MISSING``) — never a silent 1.
"""

from __future__ import annotations

import polars as pl

from quickturn.core.ledger.amounts import FX_ONE, fx8


def fx_table(fx_rates: pl.DataFrame) -> pl.DataFrame:
    """``fx_rates`` as (currency, date, fx8) with integer 1e-8 rates, sorted by date."""
    return (
        fx_rates.select(
            pl.col("currency"), pl.col("date"), fx8(pl.col("usd_per_unit")).alias("fx8")
        )
        .drop_nulls()
        .filter(pl.col("fx8") > 0)
        .sort("date")
    )


def attach_fx(
    df: pl.DataFrame,
    date_col: str,
    currency_col: str,
    fx: pl.DataFrame,
    out: str = "fx8",
) -> pl.DataFrame:
    """Add column ``out``: the 1e-8 USD-per-unit rate of ``currency_col`` on ``date_col``."""
    cur = pl.col(currency_col)
    is_usd = cur == "USD"
    if df.height == 0 or df.select((is_usd | cur.is_null()).all()).item():
        return df.with_columns(
            pl.when(is_usd).then(pl.lit(FX_ONE, pl.Int64)).otherwise(None).alias(out)
        )
    idx = "__fx_i"
    df = df.with_row_index(idx)
    others = (
        df.filter(~is_usd & cur.is_not_null())
        .select(idx, cur.alias("__cur"), pl.col(date_col).cast(pl.Date).alias("__d"))
        .sort("__d")
    )
    tbl = fx.rename({"currency": "__cur", "date": "__d"})
    matched = others.join_asof(
        tbl, on="__d", by="__cur", strategy="backward", check_sortedness=False
    )
    first = tbl.group_by("__cur").agg(pl.col("fx8").first().alias("__first"))
    matched = matched.join(first, on="__cur", how="left").select(
        idx, pl.coalesce("fx8", "__first").alias(out)
    )
    df = df.join(matched, on=idx, how="left").sort(idx)
    return df.with_columns(
        pl.when(is_usd).then(pl.lit(FX_ONE, pl.Int64)).otherwise(pl.col(out)).alias(out)
    ).drop(idx)
