"""Reports over the ledger: the waterfall per order line, roll-ups by any dimension, "who
loses money" lists, in USD or CNY.

Data flow: ``LedgerResult.lines`` (one row per order line, one Int64 micro-USD column per
account) → :func:`with_groups` adds the waterfall groups → :func:`rollup` groups by the chosen
dimension (plus postings that belong to no order line, e.g. a SKU's storage bill) → amounts as
exact ``Decimal(18,4)`` columns.  Period roll-ups (day / week / month) use the *order date*:
the margin of the orders placed that day, including their later returns.  CNY figures convert
each day's USD amounts at that day's rate.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from quickturn.core.ledger.accounts import ACCOUNT_NAMES, ACCOUNTS, GROUPS
from quickturn.core.ledger.amounts import FX_ONE, convert_from_usd, to_decimal_expr

#: ``--by`` value → column(s) of the lines frame
DIMENSION_COLUMNS: dict[str, tuple[str, ...]] = {
    "sku": ("sku_id",),
    "content": ("content_id",),
    "creator": ("creator_id",),
    "route": ("route",),
    "model": ("operating_model",),
    "market": ("market",),
    "source": ("traffic_source",),
    "day": ("day",),
    "week": ("week",),
    "month": ("month",),
    "order": ("order_id",),
    "line": ("order_id", "sku_id"),
    "shop": ("shop_id",),
}
BY_CHOICES = tuple(DIMENSION_COLUMNS)
AMOUNT_COLUMNS: tuple[str, ...] = (*GROUPS, "margin")
UNALLOCATED = "(unallocated)"


def group_exprs(prefix: str = "") -> list[pl.Expr]:
    """Waterfall group totals from account columns.

    Every amount of a sample order (free creator sample) goes to ``samples`` — its cost of
    goods, label, fulfilment and any revenue or discount on it — so samples never inflate
    revenue and are charged to the creator who received them.
    """
    is_sample = pl.col("is_sample").fill_null(False)
    out = []
    for g in GROUPS:
        terms: list[pl.Expr] = []
        for a, (ag, _s, _f) in ACCOUNTS.items():
            col = pl.col(prefix + a)
            if g == "samples":
                terms.append(col if ag == "samples" else pl.when(is_sample).then(col).otherwise(0))
            elif ag == g:
                terms.append(pl.when(is_sample).then(0).otherwise(col))
        out.append(
            pl.sum_horizontal(terms).cast(pl.Int64).alias(g)
            if terms
            else pl.lit(0, pl.Int64).alias(g)
        )
    return out


def with_period_columns(
    df: pl.DataFrame | pl.LazyFrame, date_col: str = "order_date"
) -> pl.LazyFrame:
    d = pl.col(date_col)
    return df.lazy().with_columns(
        d.alias("day"),
        d.dt.truncate("1w").alias("week"),
        d.dt.strftime("%Y-%m").alias("month"),
    )


def with_groups(lines: pl.DataFrame | pl.LazyFrame) -> pl.LazyFrame:
    """Lines with one column per waterfall group and the margin."""
    return (
        lines.lazy()
        .with_columns(group_exprs())
        .with_columns(pl.sum_horizontal([pl.col(g) for g in GROUPS]).alias("margin"))
    )


def overhead_as_lines(overhead: pl.DataFrame) -> pl.LazyFrame:
    """Postings that belong to no order line, shaped like lines (one account column each)."""
    o = overhead.lazy()
    return o.select(
        pl.lit(None, pl.String).alias("order_id"),
        pl.col("sku_id"),
        pl.col("content_id"),
        pl.col("creator_id"),
        pl.col("date").alias("order_date"),
        pl.lit(False).alias("is_sample"),
        pl.lit(0, pl.Int64).alias("quantity"),
        pl.lit(True).alias("cost_known"),
        pl.lit("actual").alias("fees_basis"),
        *[
            pl.when(pl.col("account") == a)
            .then(pl.col("amount_usd"))
            .otherwise(0)
            .cast(pl.Int64)
            .alias(a)
            for a in ACCOUNT_NAMES
        ],
    )


def rollup(
    lines: pl.DataFrame,
    overhead: pl.DataFrame | None = None,
    *,
    by: str | list[str] = "sku",
    date_from: date | None = None,
    date_to: date | None = None,
    currency: str = "USD",
    cny_rates: pl.DataFrame | None = None,
    as_decimal: bool = True,
) -> pl.DataFrame:
    """Contribution margin by dimension(s), with every waterfall group.

    ``cny_rates`` (date, fx8) is needed for ``currency="CNY"``.  Returns one row per key
    with ``orders``, ``units``, the groups, ``margin``, ``margin_rate`` (margin ÷ revenue,
    float, display only), ``lines_cost_unknown`` and ``lines_estimated``.
    """
    dims = [by] if isinstance(by, str) else list(by)
    keys: list[str] = []
    for d in dims:
        if d not in DIMENSION_COLUMNS:
            raise ValueError(f"unknown dimension {d!r}; choose from {', '.join(BY_CHOICES)}")
        keys += [k for k in DIMENSION_COLUMNS[d] if k not in keys]
    cols = [
        "order_id",
        "sku_id",
        "content_id",
        "creator_id",
        "traffic_source",
        "route",
        "operating_model",
        "market",
        "shop_id",
        "order_date",
        "is_sample",
        "quantity",
        "cost_known",
        "fees_basis",
        *ACCOUNT_NAMES,
    ]
    lf = lines.lazy().select([c for c in cols if c in lines.columns])
    if overhead is not None and overhead.height:
        lf = pl.concat([lf, overhead_as_lines(overhead)], how="diagonal_relaxed")
    if date_from is not None:
        lf = lf.filter(pl.col("order_date") >= date_from)
    if date_to is not None:
        lf = lf.filter(pl.col("order_date") <= date_to)
    lf = with_period_columns(lf)
    lf = lf.with_columns(group_exprs()).with_columns(
        pl.sum_horizontal([pl.col(g) for g in GROUPS]).alias("margin")
    )
    line_key = pl.col("order_id").is_not_null()
    aggs = [
        pl.col("order_id").drop_nulls().n_unique().alias("orders"),
        pl.when(~pl.col("is_sample")).then(pl.col("quantity")).otherwise(0).sum().alias("units"),
        *[pl.col(a).sum() for a in AMOUNT_COLUMNS],
        (line_key & ~pl.col("cost_known")).sum().alias("lines_cost_unknown"),
        (line_key & (pl.col("fees_basis") == "estimated")).sum().alias("lines_estimated"),
    ]
    if currency == "CNY":
        if cny_rates is None or cny_rates.height == 0:
            raise ValueError("no CNY rate in fx_rates: cannot report in CNY")
        day = lf.group_by([*keys, "order_date"]).agg(aggs)
        rates = cny_rates.lazy().sort("date")
        day = (
            day.sort("order_date")
            .join_asof(rates, left_on="order_date", right_on="date", strategy="backward")
            .with_columns(pl.col("fx8").fill_null(cny_rates.sort("date")["fx8"][0]))
            .with_columns(
                [convert_from_usd(pl.col(a), pl.col("fx8")).alias(a) for a in AMOUNT_COLUMNS]
            )
        )
        out = day.group_by(keys).agg(
            pl.col("orders").sum(),
            pl.col("units").sum(),
            *[pl.col(a).sum() for a in AMOUNT_COLUMNS],
            pl.col("lines_cost_unknown").sum(),
            pl.col("lines_estimated").sum(),
        )
    elif currency == "USD":
        out = lf.group_by(keys).agg(aggs)
    else:
        raise ValueError(f"reports are in USD or CNY, not {currency!r}")
    return _finish(out, keys, as_decimal=as_decimal)


def _finish(out: pl.LazyFrame, keys: list[str], *, as_decimal: bool) -> pl.DataFrame:
    """A roll-up's rows (keys, counts, Int64 amounts) with the margin rate, sorted (margin
    descending), amounts as Decimals, in the report's column order."""
    out = out.with_columns(
        pl.when(pl.col("revenue") != 0)
        .then(pl.col("margin").cast(pl.Float64) / pl.col("revenue").cast(pl.Float64))
        .otherwise(None)
        .alias("margin_rate")
    ).sort("margin", *keys, descending=[True] + [False] * len(keys), nulls_last=True)
    if as_decimal:
        out = out.with_columns([to_decimal_expr(pl.col(a)).alias(a) for a in AMOUNT_COLUMNS])
    df = out.collect()
    return df.select(
        [
            *keys,
            "orders",
            "units",
            *AMOUNT_COLUMNS,
            "margin_rate",
            "lines_cost_unknown",
            "lines_estimated",
        ]
    )


#: ``--by`` values :func:`rollup_sums` can roll up: dimensions every posting of an order line
#: carries (and ``ledger_lines`` holds), so sums taken in the database per key add up
SUM_DIMENSIONS = ("sku", "content", "creator", "route", "model", "market", "source")


def sum_keys(by: str | list[str]) -> list[str] | None:
    """The key columns of ``by`` when :func:`rollup_sums` can roll it up, else ``None``."""
    dims = [by] if isinstance(by, str) else list(by)
    if not dims or any(d not in SUM_DIMENSIONS for d in dims):
        return None
    keys: list[str] = []
    for d in dims:
        keys += [k for k in DIMENSION_COLUMNS[d] if k not in keys]
    return keys


def rollup_sums(
    amounts: pl.DataFrame,
    counts: pl.DataFrame,
    overhead: pl.DataFrame | None,
    *,
    keys: list[str],
    as_decimal: bool = True,
) -> pl.DataFrame:
    """:func:`rollup` (USD) from sums the database took per key, without the order lines.

    ``amounts``: ``keys…, component, amount_usd`` — the net micro-USD of the order lines'
    postings per key and waterfall component (a sample order's postings are all in
    ``samples``, so a component's sum is the group's total); ``counts``: ``keys…, orders,
    units, lines_cost_unknown, lines_estimated`` of the order lines per key; ``overhead``:
    the postings of no order line (as in :func:`rollup`).  Both already cut to the dates.
    A key is reported when it has an order line or overhead (as :func:`rollup` on the lines
    read back from the journal: postings of an order line the journal no longer holds net to
    zero and add no row).  Same rows, columns, types and order as :func:`rollup`.
    """
    zero = [pl.lit(0, pl.Int64).alias(g) for g in GROUPS]
    count_cols = ("orders", "units", "lines_cost_unknown", "lines_estimated")
    parts = [
        counts.lazy().select(
            *[pl.col(k).cast(pl.String) for k in keys],
            *[pl.col(c).cast(pl.Int64) for c in count_cols],
            *zero,
            pl.lit(True).alias("__row"),
        ),
        amounts.lazy()
        .group_by(keys)
        .agg(
            pl.col("amount_usd").filter(pl.col("component") == g).sum().cast(pl.Int64).alias(g)
            for g in GROUPS
        )
        .with_columns(pl.lit(False).alias("__row")),
    ]
    if overhead is not None and overhead.height:
        o = overhead_as_lines(overhead)
        have = o.collect_schema().names()
        parts.append(
            o.with_columns(group_exprs())
            .select(
                *[pl.col(k) if k in have else pl.lit(None, pl.String).alias(k) for k in keys],
                *GROUPS,
            )
            .with_columns(pl.lit(True).alias("__row"))
        )
    out = (
        pl.concat(parts, how="diagonal_relaxed")
        .group_by(keys)
        .agg(*[pl.col(c).sum() for c in (*count_cols, *GROUPS)], pl.col("__row").any())
        .filter(pl.col("__row"))
        .with_columns(
            pl.col("orders").cast(pl.UInt32),
            pl.col("lines_cost_unknown").cast(pl.UInt32),
            pl.col("lines_estimated").cast(pl.UInt32),
            pl.sum_horizontal([pl.col(g) for g in GROUPS]).alias("margin"),
        )
    )
    return _finish(out, keys, as_decimal=as_decimal)


def losers(table: pl.DataFrame, key: str, n: int = 10) -> pl.DataFrame:
    """Rows of a roll-up whose margin is negative, worst first (unallocated keys dropped)."""
    return table.filter(pl.col(key).is_not_null() & (pl.col("margin") < 0)).sort("margin").head(n)


def waterfall(row: dict[str, object]) -> list[tuple[str, object]]:
    """(step, amount) pairs of one line or roll-up row: the groups in order, then margin."""
    return [(g, row.get(g)) for g in GROUPS] + [("margin", row.get("margin"))]


def cny_rates(fx: pl.DataFrame) -> pl.DataFrame:
    """(date, fx8) for CNY from an :func:`~quickturn.core.ledger.fx.fx_table`."""
    return fx.filter(pl.col("currency") == "CNY").select("date", "fx8").sort("date")


__all__ = [
    "AMOUNT_COLUMNS",
    "BY_CHOICES",
    "DIMENSION_COLUMNS",
    "FX_ONE",
    "SUM_DIMENSIONS",
    "losers",
    "rollup",
    "rollup_sums",
    "sum_keys",
    "waterfall",
    "with_groups",
]
