"""Contribution-margin roll-ups for shops too large to hold in memory at once.

Data flow: the caller yields *partitions* — :class:`~quickturn.core.ledger.inputs.LedgerInputs`
each holding the order-scoped tables (orders, order lines, returns, settlement lines, bills)
of a disjoint set of orders, plus the shared tables (SKUs, layers' sources, FX, ad spend, …).
Each partition goes through the same :func:`~quickturn.core.ledger.engine.line_stage` as the
full ledger and is reduced at once to sums per roll-up key; only a slim record per order line
(SKU, time, units, sales, attribution) is kept for the two passes that need every order at
once — the costing pass per SKU and the ad pools per period — which run at the end exactly as
in :func:`~quickturn.core.ledger.engine.build_ledger`.  The result equals
``rollup(build_ledger(all).lines, …)`` exactly (a test checks it), in bounded memory.

The function is pure: reading the partitions (from Parquet, a database, …) is the caller's.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import polars as pl

from quickturn.core.ledger import attribution
from quickturn.core.ledger.accounts import ACCOUNT_NAMES, GROUPS
from quickturn.core.ledger.engine import add_details, costing, line_stage
from quickturn.core.ledger.fx import fx_table
from quickturn.core.ledger.inputs import LedgerInputs
from quickturn.core.ledger.landed import cost_layers, standard_costs
from quickturn.core.ledger.reports import DIMENSION_COLUMNS, group_exprs, overhead_as_lines
from quickturn.core.ledger.schedule import LedgerSettings
from quickturn.errors import Finding

ORDER_SCOPED = ("orders", "order_lines", "returns", "settlement_lines", "bills")
#: accounts that need every order at once (costing pass, ad pools)
CROSS_ACCOUNTS = ("cogs", "cogs_reversal", "return_write_off", "replacement", "ads")
SLIM_LINE = (
    "line_no",
    "sku_id",
    "created_at",
    "quantity",
    "order_date",
    "sales",
    "content_id",
    "traffic_source",
    "is_sample",
)
SLIM_RETURN = (
    "line_no",
    "sku_id",
    "ret_ts",
    "ret_date",
    "outcome",
    "rq",
    "repl_fulfil",
    "source_key",
    "currency",
)


def _keys(by: list[str]) -> list[str]:
    keys: list[str] = []
    for d in by:
        if d not in DIMENSION_COLUMNS or d in ("order", "line"):
            raise ValueError(f"cannot stream a roll-up by {d!r}")
        keys += [k for k in DIMENSION_COLUMNS[d] if k not in keys]
    return keys


def _key_exprs(keys: list[str]) -> list[pl.Expr]:
    """Key columns from line columns (period keys from the order date)."""
    out = []
    for k in keys:
        if k == "day":
            out.append(pl.col("order_date").alias("day"))
        elif k == "week":
            out.append(pl.col("order_date").dt.truncate("1w").alias("week"))
        elif k == "month":
            out.append(pl.col("order_date").dt.strftime("%Y-%m").alias("month"))
        else:
            out.append(pl.col(k))
    return out


def _sums(df: pl.DataFrame, keys: list[str], with_orders: bool) -> pl.DataFrame:
    """Waterfall groups (sample orders' amounts moved to ``samples`` row by row), summed per
    key; ``units`` excludes samples; ``orders`` counts distinct orders (partitions hold
    disjoint orders, so counts add up)."""
    for a in ACCOUNT_NAMES:
        if a not in df.columns:
            df = df.with_columns(pl.lit(0, pl.Int64).alias(a))
    cols = [
        *_key_exprs(keys),
        *group_exprs(),
        pl.when(~pl.col("is_sample")).then(pl.col("quantity")).otherwise(0).alias("units"),
    ]
    if with_orders:
        cols.append(pl.col("order_idx"))
    aggs = [pl.col(g).sum() for g in GROUPS] + [pl.col("units").sum()]
    if with_orders:
        aggs.append(pl.col("order_idx").n_unique().alias("orders"))
    return df.select(cols).group_by(keys).agg(aggs)


def _cross_sums(df: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    """Like :func:`_sums` for the cross-order accounts only (no units, no orders)."""
    sample = pl.col("is_sample")

    def unless_sample(e: pl.Expr) -> pl.Expr:
        return pl.when(sample).then(0).otherwise(e)

    groups = [
        unless_sample(pl.col("cogs") + pl.col("cogs_reversal")).alias("landed_cost"),
        unless_sample(pl.col("return_write_off") + pl.col("replacement")).alias("returns"),
        unless_sample(pl.col("ads")).alias("ads"),
        pl.when(sample)
        .then(pl.sum_horizontal([pl.col(a) for a in CROSS_ACCOUNTS]))
        .otherwise(0)
        .alias("samples"),
    ]
    out = (
        df.select(*_key_exprs(keys), *groups)
        .group_by(keys)
        .agg(pl.col(c).sum() for c in ("landed_cost", "returns", "ads", "samples"))
    )
    # dictionary-encoded keys back to text (the other partial sums are text)
    return out.with_columns(
        [pl.col(k).cast(pl.String) for k, t in out.schema.items() if t == pl.Categorical]
    )


def rollup_partitions(
    partitions: Iterable[LedgerInputs],
    settings: LedgerSettings | None = None,
    *,
    by: str | list[str] = ("sku", "day"),  # type: ignore[assignment]
    as_of: date | None = None,
) -> tuple[pl.DataFrame, list[Finding]]:
    """Roll-up (Int64 micro-USD: one column per waterfall group and ``margin``, plus
    ``orders`` and ``units``) of all partitions; see the module docstring."""
    s = settings or LedgerSettings()
    keys = _keys([by] if isinstance(by, str) else list(by))
    findings: list[Finding] = []
    partial: list[pl.DataFrame] = []
    slim_lines: list[pl.DataFrame] = []
    slim_returns: list[pl.DataFrame] = []
    overheads: list[pl.DataFrame] = []
    shared: LedgerInputs | None = None
    fx: pl.DataFrame | None = None
    offset = 0
    last_date: date | None = None
    for part in partitions:
        if shared is None:  # the shared tables, without this partition's orders
            shared = part.replace(**{t: getattr(part, t).head(0) for t in ORDER_SCOPED})
            fx = fx_table(part.fx_rates)
        assert fx is not None
        stage = line_stage(part, s, fx)
        findings += stage.findings
        lines = stage.lines
        if lines.height:
            d = lines["order_date"].max()
            if isinstance(d, date) and (last_date is None or d > last_date):
                last_date = d
        wide = add_details(lines, stage.details)
        partial.append(_sums(wide, keys, with_orders=True))
        del wide
        if len(partial) >= 3:  # keep the running sums small
            partial = [_merge(partial, keys)]
        extra = [k for k in keys if k not in SLIM_LINE and k not in ("day", "week", "month")]
        slim_lines.append(
            lines.select(*SLIM_LINE, *extra).with_columns(
                pl.col("line_no") + offset,
                # dictionary-encoded: a few bytes a line instead of the text
                *[
                    pl.col(c).cast(pl.Categorical)
                    for c in ("sku_id", "content_id", "traffic_source")
                ],
            )
        )
        if stage.returns.height:
            slim_returns.append(
                stage.returns.select(SLIM_RETURN).with_columns(pl.col("line_no") + offset)
            )
        overheads.append(stage.overhead)
        offset += lines.height
        del stage, lines, part
    if shared is None or fx is None:
        raise ValueError("no partitions")
    as_of = as_of or last_date or date(2000, 1, 1)
    all_lines = pl.concat(slim_lines)
    del slim_lines
    returns = (
        pl.concat(slim_returns)
        if slim_returns
        else pl.DataFrame(schema={c: pl.String for c in SLIM_RETURN}).with_columns(
            pl.col("line_no").cast(pl.Int64)
        )
    )
    layers, f = cost_layers(shared, s, fx)
    findings += f
    std = standard_costs(shared, s, fx, layers, as_of)
    lc, ret_cost, _cons, f = costing(all_lines, returns, layers, std, s, detail=False)
    findings += f
    ad_alloc, _pools, ad_over, f = attribution.allocate_ads(all_lines, shared, s, fx)
    findings += f
    # the cross-order accounts (cost of goods, returns' cost, ads), keyed like their lines
    key_cols = [k for k in keys if k in all_lines.columns and k not in ("order_date", "is_sample")]
    base = all_lines.select(
        "line_no",
        "order_date",
        "is_sample",
        *key_cols,
    )
    del all_lines
    if lc["line_no"].equals(base["line_no"]):  # the costing pass keeps the lines' order
        base = base.with_columns(lc["cogs"])
    else:
        base = base.join(
            lc.select("line_no", "cogs"), on="line_no", how="left", maintain_order="left"
        )
    del lc
    cost_accounts = add_details(base, ret_cost, ad_alloc, accounts=CROSS_ACCOUNTS)
    del base, ret_cost, ad_alloc
    step = 2_000_000  # in slices, to bound the temporaries
    for lo in range(0, cost_accounts.height, step):
        partial.append(_cross_sums(cost_accounts.slice(lo, step), keys))
    del cost_accounts
    over = pl.concat([*overheads, ad_over])
    if over.height:
        ov = overhead_as_lines(over).collect()
        partial.append(_sums(ov, keys, with_orders=False))
    out = _merge(partial, keys).with_columns(
        pl.sum_horizontal([pl.col(g) for g in GROUPS]).alias("margin")
    )
    return sort_unique_keys(out, keys), findings


def sort_unique_keys(df: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    """``df.sort(keys, nulls_last=True)`` for rows with distinct keys, through one packed
    Int64 key: each key column is replaced by the rank of its value among the column's
    distinct values (sorted, nulls last).  Several times faster than a multi-column sort
    with text keys; falls back to it when the ranks do not fit in 62 bits."""
    if df.height < 2:
        return df.sort(keys, nulls_last=True)
    codes: list[pl.Series] = []
    bits: list[int] = []
    for k in keys:
        u = df.select(pl.col(k).unique().sort(nulls_last=True)).with_row_index("__rank")
        code = df.select(k).join(u, on=k, how="left", nulls_equal=True, maintain_order="left")
        codes.append(code["__rank"].cast(pl.Int64))
        bits.append(max(1, (u.height - 1).bit_length()))
    if sum(bits) > 62 or any(c.null_count() for c in codes):
        return df.sort(keys, nulls_last=True)
    packed = codes[0]
    for c, b in zip(codes[1:], bits[1:], strict=True):
        packed = packed * (1 << b) + c
    return df.sort(packed)


def _merge(partial: list[pl.DataFrame], keys: list[str]) -> pl.DataFrame:
    allp = pl.concat(partial, how="diagonal_relaxed")
    return allp.group_by(keys).agg(
        pl.col("orders").fill_null(0).sum(),
        pl.col("units").fill_null(0).sum(),
        *[pl.col(g).fill_null(0).sum() for g in GROUPS],
    )
