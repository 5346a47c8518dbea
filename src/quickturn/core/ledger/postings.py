"""Postings: the ledger as a long list of immutable entries, each with its source row.

Data flow: ``LedgerResult`` → :func:`postings` → one row per (order line or overhead, account,
source row) with the amount in micro-USD (and in the source currency where there is one),
``basis`` (``actual`` or ``estimated``), whether it flows through the platform settlement, the
source table and natural key (``col=value;col=value``, ``a..b`` for a date range, ``NULL`` for
an empty cell) and the report dimensions.  Sums by line equal the wide ``lines`` frame exactly.

:func:`journal_diff` turns a fresh set of postings and the stored journal into the rows to
append: new entries, and reversals of stored entries that no longer hold (e.g. an estimated fee
once the settlement line arrives).  Stored rows are never updated or deleted.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from quickturn.core.ledger.accounts import ACCOUNTS, ESTIMATED_LINE_ACCOUNTS
from quickturn.core.ledger.engine import LedgerResult

POSTING_SCHEMA: dict[str, pl.DataType] = {
    "entry_key": pl.String(),
    "date": pl.Date(),
    "order_date": pl.Date(),
    "order_id": pl.String(),
    "sku_id": pl.String(),
    "account": pl.String(),
    "component": pl.String(),
    "amount_usd": pl.Int64(),
    "amount": pl.Int64(),
    "currency": pl.String(),
    "basis": pl.String(),
    "settlement": pl.Boolean(),
    "source_table": pl.String(),
    "source_key": pl.String(),
    "content_id": pl.String(),
    "creator_id": pl.String(),
    "traffic_source": pl.String(),
    "route": pl.String(),
    "operating_model": pl.String(),
    "market": pl.String(),
    "is_sample": pl.Boolean(),
    "note": pl.String(),
}

LINE_DIMS = (
    "line_no",
    "order_id",
    "sku_id",
    "order_date",
    "content_id",
    "creator_id",
    "traffic_source",
    "route",
    "operating_model",
    "market",
    "is_sample",
    "currency",
    "fx8",
)

#: where each estimated line account comes from
_EST_SOURCE: dict[str, tuple[str, str, str]] = {
    # account: (source table, key template, note)
    "shipping_income": (
        "orders",
        "order_id",
        "buyer shipping fee + platform shipping discount, by line sales",
    ),
    "shipping_cost": ("orders", "order_id", "original shipping fee (label), by line sales"),
    "referral_fee": (
        "order_lines",
        "line",
        "referral rate × (customer payment + platform discount − tax)",
    ),
    "payment_fee": ("order_lines", "line", "payment fee rate × customer payment + fixed fee"),
    "commission": ("order_lines", "line", "commission rate × (gross − seller discount)"),
    "fbt_fee": ("order_lines", "line", "FBT rate card by weight tier × units"),
    "pick_pack": ("locations", "warehouse", "warehouse outbound fee per unit × units"),
}


def _component(account: pl.Expr, is_sample: pl.Expr) -> pl.Expr:
    groups = {a: g for a, (g, _s, _f) in ACCOUNTS.items()}
    base = account.replace_strict(groups, default="other")
    return pl.when(is_sample.fill_null(False)).then(pl.lit("samples")).otherwise(base)


def _finish(df: pl.DataFrame) -> pl.DataFrame:
    df = df.with_columns(_component(pl.col("account"), pl.col("is_sample")).alias("component"))
    cols = [
        (pl.col(c) if c in df.columns else pl.lit(None)).cast(dt).alias(c)
        for c, dt in POSTING_SCHEMA.items()
        if c != "entry_key"
    ]
    return df.select(cols)


def postings(result: LedgerResult, *, line_keys: bool = True) -> pl.DataFrame:
    """Every posting of ``result`` (see module docstring), with a stable ``entry_key``."""
    lines = result.lines
    dims = lines.select([c for c in LINE_DIMS if c in lines.columns])
    parts: list[pl.DataFrame] = []
    line_key = pl.format("order_id={};sku_id={}", "order_id", "sku_id")

    # 1. revenue and discount straight from the order line
    for acc in ("gross_revenue", "seller_discount"):
        parts.append(
            _finish(
                lines.filter(pl.col(acc) != 0).select(
                    *[c for c in LINE_DIMS if c in lines.columns and c != "currency"],
                    pl.col("order_date").alias("date"),
                    pl.lit(acc).alias("account"),
                    pl.col(acc).alias("amount_usd"),
                    (pl.col("gross_cur") if acc == "gross_revenue" else -pl.col("sdisc_cur")).alias(
                        "amount"
                    ),
                    pl.col("currency"),
                    pl.lit("actual").alias("basis"),
                    pl.lit(True).alias("settlement"),
                    pl.lit("order_lines").alias("source_table"),
                    line_key.alias("source_key"),
                )
            )
        )

    # 2. estimated accounts: the line's value minus what detail rows already explain
    det_sum = (
        result.details.filter(pl.col("account").is_in(list(ESTIMATED_LINE_ACCOUNTS)))
        .group_by("line_no", "account")
        .agg(pl.col("amount_usd").sum().alias("__det"))
    )
    for acc in ESTIMATED_LINE_ACCOUNTS:
        table, key, note = _EST_SOURCE[acc]
        d = det_sum.filter(pl.col("account") == acc).select("line_no", "__det")
        est = lines.select(
            *[c for c in LINE_DIMS if c in lines.columns],
            pl.col(acc),
            "warehouse_id",
            "fulfillment_type",
        ).join(d, on="line_no", how="left")
        est = est.with_columns((pl.col(acc) - pl.col("__det").fill_null(0)).alias("__est")).filter(
            pl.col("__est") != 0
        )
        if key == "order_id":
            src = pl.format("order_id={}", "order_id")
        elif key == "warehouse":
            src = pl.format("location_id={}", "warehouse_id")
        else:
            src = line_key
        parts.append(
            _finish(
                est.select(
                    *[c for c in LINE_DIMS if c in est.columns and c != "currency"],
                    pl.col("order_date").alias("date"),
                    pl.lit(acc).alias("account"),
                    pl.col("__est").alias("amount_usd"),
                    pl.lit("USD").alias("currency"),
                    pl.lit("estimated").alias("basis"),
                    pl.lit(ACCOUNTS[acc][1] and acc != "pick_pack").alias("settlement"),
                    pl.lit(table).alias("source_table"),
                    src.alias("source_key"),
                    pl.lit(note).alias("note"),
                )
            )
        )

    # 3. detail rows (settlement lines, bills, returns)
    if result.details.height:
        det = result.details.join(dims.drop("currency", "fx8"), on="line_no", how="left")
        parts.append(_finish(det))

    # 4. cost of goods: one posting per layer consumed (+ the standard-cost part)
    cons = result.consumption
    # per layer when the result has consumption records (a subset of it may have none of its
    # own: its standard-cost lines are still posted as in the whole result)
    if cons.height or result.by_layer:
        layers = result.layers.select("layer_id", "source_table", "source_key")
        layer_src = cons.filter(pl.col("cost_usd") >= 0).join(layers, on="layer_id", how="left")
        layer_src = layer_src.with_columns(
            pl.coalesce("source_table", pl.lit("returns")).alias("source_table"),
            pl.coalesce("source_key", pl.col("layer_id").str.strip_prefix("restock:")).alias(
                "source_key"
            ),
        )
        cg = (
            layer_src.group_by("line_no", "source_table", "source_key")
            .agg(pl.col("cost_usd").sum(), pl.col("units").sum())
            .join(dims.drop("currency", "fx8"), on="line_no", how="left")
        )
        parts.append(
            _finish(
                cg.select(
                    pl.all().exclude("cost_usd", "units"),
                    pl.col("order_date").alias("date"),
                    pl.lit("cogs").alias("account"),
                    (-pl.col("cost_usd")).alias("amount_usd"),
                    pl.lit("USD").alias("currency"),
                    pl.lit("actual").alias("basis"),
                    pl.lit(False).alias("settlement"),
                    pl.format(
                        "{} unit(s) from this cost layer ({})",
                        "units",
                        pl.lit(result.settings.costing_method),
                    ).alias("note"),
                )
            )
        )
        std_part = lines.filter(pl.col("cogs_std").fill_null(0) > 0)
        parts.append(
            _finish(
                std_part.select(
                    *[c for c in LINE_DIMS if c in lines.columns and c != "currency"],
                    pl.col("order_date").alias("date"),
                    pl.lit("cogs").alias("account"),
                    (-pl.col("cogs_std")).alias("amount_usd"),
                    pl.lit("USD").alias("currency"),
                    pl.lit("estimated").alias("basis"),
                    pl.lit(False).alias("settlement"),
                    pl.lit("skus").alias("source_table"),
                    pl.format("sku_id={}", "sku_id").alias("source_key"),
                    pl.format(
                        "{} unit(s) at standard cost ({})", "uncovered_units", "std_basis"
                    ).alias("note"),
                )
            )
        )
    else:
        cg = lines.filter(pl.col("cogs") != 0)
        parts.append(
            _finish(
                cg.select(
                    *[c for c in LINE_DIMS if c in lines.columns and c != "currency"],
                    pl.col("order_date").alias("date"),
                    pl.lit("cogs").alias("account"),
                    pl.col("cogs").alias("amount_usd"),
                    pl.lit("USD").alias("currency"),
                    pl.when(pl.col("cost_basis").is_in(["fifo", "moving_average"]))
                    .then(pl.lit("actual"))
                    .otherwise(pl.lit("estimated"))
                    .alias("basis"),
                    pl.lit(False).alias("settlement"),
                    pl.lit("ledger_cost_layers").alias("source_table"),
                    pl.format("sku_id={}", "sku_id").alias("source_key"),
                    pl.format("cost of goods ({})", "cost_basis").alias("note"),
                )
            )
        )

    # 5. ads
    if result.ad_allocations.height:
        ads = result.ad_allocations.join(
            result.ad_pools.select("pool_id", "source_key", "rule"), on="pool_id"
        ).join(dims.drop("currency", "fx8"), on="line_no", how="left")
        parts.append(
            _finish(
                ads.select(
                    pl.all().exclude("pool_id", "rule"),
                    pl.col("order_date").alias("date"),
                    pl.lit("ads").alias("account"),
                    pl.lit("USD").alias("currency"),
                    pl.lit("actual").alias("basis"),
                    pl.lit(False).alias("settlement"),
                    pl.lit("ad_spend").alias("source_table"),
                    pl.format("share of sales among {}", "rule").alias("note"),
                )
            )
        )

    # 6. overhead (no order line)
    if result.overhead.height:
        parts.append(_finish(result.overhead.with_columns(pl.lit(False).alias("is_sample"))))

    out = pl.concat(parts, how="vertical_relaxed").filter(pl.col("amount_usd") != 0)
    return with_entry_keys(out)


def stable_hash(values: pl.Series) -> pl.Series:
    """A 128-bit hash of each string as 32 hex digits — our own FNV-1a, so entry keys stay
    the same across Polars versions and machines (nulls hash as the empty string)."""
    import pyarrow as pa

    # the Numba kernel is imported here: reading the journal (``quickturn ledger`` on an
    # unchanged shop) imports this module but needs no entry keys, and no Numba
    from quickturn.core.ledger.kernels import fnv128_hex

    arr = values.fill_null("").cast(pl.String).to_arrow()
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    bufs = arr.buffers()
    off_dtype = np.int64 if pa.types.is_large_string(arr.type) else np.int32
    offsets = np.frombuffer(bufs[1], dtype=off_dtype)[arr.offset : arr.offset + len(arr) + 1]
    data = np.frombuffer(bufs[2], dtype=np.uint8) if bufs[2] is not None else np.zeros(1, np.uint8)
    hexed = fnv128_hex(data, offsets.astype(np.int64))
    n = len(arr)
    out = pa.LargeStringArray.from_buffers(
        n, pa.py_buffer(np.arange(0, 32 * (n + 1), 32, dtype=np.int64)), pa.py_buffer(hexed)
    )
    series = pl.from_arrow(out)
    assert isinstance(series, pl.Series)
    return series.alias(values.name)


def with_entry_keys(df: pl.DataFrame) -> pl.DataFrame:
    """Add ``entry_key``: a stable hash of what the posting says (identity + amount + basis).

    Postings with the same identity (account, source, order line) are merged first, so keys
    are unique.
    """
    ident = pl.concat_str(
        [
            pl.col("account"),
            pl.col("source_table"),
            pl.col("source_key"),
            pl.col("order_id").fill_null(""),
            pl.col("sku_id").fill_null(""),
            pl.col("content_id").fill_null(""),
            pl.col("basis"),
            pl.col("date").cast(pl.String).fill_null(""),
        ],
        separator="|",
    )
    df = df.with_columns(ident.alias("__ident"))
    if df.select(pl.col("__ident").is_duplicated().any()).item():
        first = [
            pl.col(c).first() for c in df.columns if c not in ("__ident", "amount_usd", "amount")
        ]
        df = df.group_by("__ident", maintain_order=True).agg(
            *first, pl.col("amount_usd").sum(), pl.col("amount").sum()
        )
    key_text = pl.concat_str(
        [pl.col("__ident"), pl.col("amount_usd").cast(pl.String)], separator="|"
    )
    df = df.with_columns(key_text.alias("__key"))
    df = df.with_columns(stable_hash(df["__key"]).alias("entry_key")).drop("__ident", "__key")
    return df.select(list(POSTING_SCHEMA))


def journal_diff(
    fresh: pl.DataFrame, stored: pl.DataFrame, *, run_id: str
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(postings to append, stored postings to reverse) so the journal sums to ``fresh``.

    ``stored`` needs the journal's ``posting_id, entry_key, reversal_of``.  A stored posting
    is *active* when it is not a reversal and nothing reverses it.  New postings get their
    ``entry_key`` as id, or ``entry_key:run_id`` when that id was used before (an entry that
    was reversed and now holds again).
    """
    reversed_ids = stored.filter(pl.col("reversal_of").is_not_null()).select(
        pl.col("reversal_of").alias("posting_id")
    )
    active = stored.filter(pl.col("reversal_of").is_null()).join(
        reversed_ids, on="posting_id", how="anti"
    )
    to_post = fresh.join(active.select("entry_key"), on="entry_key", how="anti")
    key = pl.col("entry_key")
    if stored.height:
        used = key.is_in(stored["posting_id"].cast(pl.String).implode())
        posting_id = pl.when(used).then(pl.concat_str([key, pl.lit(f":{run_id}")])).otherwise(key)
    else:
        posting_id = key
    to_post = to_post.with_columns(
        posting_id.cast(pl.String).alias("posting_id"),
        pl.lit(None, pl.String).alias("reversal_of"),
    )
    gone = active.join(fresh.select("entry_key"), on="entry_key", how="anti")
    return to_post, gone


def reverse(rows: pl.DataFrame) -> pl.DataFrame:
    """Reversal postings of stored ``rows`` (same columns, negated amounts)."""
    return (
        rows.with_columns(
            pl.format("R:{}", "posting_id").alias("__id"),
            pl.col("posting_id").alias("reversal_of"),
            (-pl.col("amount_usd")).alias("amount_usd"),
            (-pl.col("amount")).alias("amount"),
            pl.lit("reversal: the source changed or no longer applies").alias("note"),
        )
        .with_columns(pl.col("__id").alias("posting_id"))
        .drop("__id")
    )
