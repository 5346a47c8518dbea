"""Ad spend allocated to order lines (default rule: share of attributed GMV in the period).

Data flow: ``ad_spend`` rows (FX at the spend date) are pooled per target and period —
``content`` (the row names a content id), ``sku`` (names a SKU) or ``shop`` (neither) × the
period (day, ISO week or month, ``ad_allocation_period``).  Each pool is spread over the order
lines of the same period by their sales (gross − seller discount), exactly (telescoping):

* a content pool → lines attributed to that content;
* a SKU pool → that SKU's lines whose traffic source is ``ads``; if none, all its lines;
* a shop pool → all lines whose traffic source is ``ads``; if none, all lines.

Sample orders and lines with no sales take no ad spend.  A pool with no eligible line stays
unallocated (a shop- or SKU-level posting) and is reported as a finding.
"""

from __future__ import annotations

import polars as pl

from quickturn.core.ledger.accounts import OVERHEAD_SCHEMA
from quickturn.core.ledger.amounts import allocate, convert_fx, micro, sort_pairs
from quickturn.core.ledger.findings import finding
from quickturn.core.ledger.fx import attach_fx
from quickturn.core.ledger.inputs import LedgerInputs
from quickturn.core.ledger.schedule import LedgerSettings
from quickturn.errors import Finding

ALLOC_SCHEMA: dict[str, pl.DataType] = {
    "line_no": pl.Int64(),
    "pool_id": pl.Int64(),
    "amount_usd": pl.Int64(),
}
POOL_SCHEMA: dict[str, pl.DataType] = {
    "pool_id": pl.Int64(),
    "target": pl.String(),
    "target_id": pl.String(),
    "period_start": pl.Date(),
    "period_end": pl.Date(),
    "amount_usd": pl.Int64(),
    "rule": pl.String(),
    "source_key": pl.String(),
}


def period_start(col: str, period: str) -> pl.Expr:
    c = pl.col(col)
    if period == "day":
        return c
    if period == "week":
        return c.dt.truncate("1w")
    return c.dt.truncate("1mo")


def period_end(col: str, period: str) -> pl.Expr:
    c = pl.col(col)
    if period == "day":
        return c
    if period == "week":
        return c.dt.offset_by("6d")
    return c.dt.month_end()


def allocate_ads(
    lines: pl.DataFrame, inputs: LedgerInputs, settings: LedgerSettings, fx: pl.DataFrame
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame, list[Finding]]:
    """Return (allocations per line and pool, pools, unallocated overhead, findings)."""
    findings: list[Finding] = []
    ads = inputs.ad_spend
    empty_over = pl.DataFrame(schema=OVERHEAD_SCHEMA)
    if ads.height == 0:
        return (
            pl.DataFrame(schema=ALLOC_SCHEMA),
            pl.DataFrame(schema=POOL_SCHEMA),
            empty_over,
            findings,
        )
    period = settings.ad_allocation_period
    ads = attach_fx(ads, "date", "currency", fx, "fx8")
    bad = ads.filter(pl.col("fx8").is_null())
    if bad.height:
        curs = sorted({str(c) for c in bad["currency"].to_list()})
        findings.append(
            finding(
                "LEDGER_FX_MISSING",
                "error",
                "{n} ad spend row(s) are in currencies with no FX rate ({currencies}); they are left out",
                fix="Import fx_rates (date, currency, usd_per_unit) for {currencies}.",
                source="ad_spend",
                column="currency",
                n=bad.height,
                currencies=", ".join(curs),
            )
        )
        ads = ads.filter(pl.col("fx8").is_not_null())
    ads = ads.with_columns(
        convert_fx(micro(pl.col("spend")), pl.col("fx8")).alias("usd"),
        pl.when(pl.col("content_id").is_not_null())
        .then(pl.lit("content"))
        .when(pl.col("sku_id").is_not_null())
        .then(pl.lit("sku"))
        .otherwise(pl.lit("shop"))
        .alias("target"),
        pl.coalesce("content_id", "sku_id", pl.lit("")).alias("target_id"),
        period_start("date", period).alias("period_start"),
    )
    pools = (
        ads.group_by("target", "target_id", "period_start")
        .agg(
            pl.col("usd").sum().alias("amount_usd"),
            pl.col("sku_id").drop_nulls().first().alias("sku_id"),
        )
        .sort("period_start", "target", "target_id")
        .with_row_index("pool_id")
        .with_columns(
            pl.col("pool_id").cast(pl.Int64),
            period_end("period_start", period).alias("period_end"),
        )
        .with_columns(
            pl.when(pl.col("target") == "content")
            .then(pl.format("content_id={};date={}..{}", "target_id", "period_start", "period_end"))
            .when(pl.col("target") == "sku")
            .then(
                pl.format(
                    "sku_id={};content_id=NULL;date={}..{}",
                    "target_id",
                    "period_start",
                    "period_end",
                )
            )
            .otherwise(
                pl.format("sku_id=NULL;content_id=NULL;date={}..{}", "period_start", "period_end")
            )
            .alias("source_key")
        )
    )
    # eligible lines; SKU and content dictionary-encoded (a few bytes a line)
    el = (
        lines.select(
            "line_no",
            pl.col("sku_id").cast(pl.Categorical),
            pl.col("content_id").cast(pl.Categorical),
            (pl.col("traffic_source").cast(pl.String) == "ads").fill_null(False).alias("is_ads"),
            "sales",
            "is_sample",
            period_start("order_date", period).alias("period_start"),
        )
        .filter(~pl.col("is_sample") & (pl.col("sales") > 0))
        .drop("is_sample")
    )
    is_ads = pl.col("is_ads")
    # (target, candidate lines, join key, rule)
    stages: list[tuple[str, pl.DataFrame, str | None, str]] = [
        (
            "content",
            el.filter(pl.col("content_id").is_not_null()),
            "content_id",
            "attributed content",
        ),
        ("sku", el.filter(is_ads), "sku_id", "ads-attributed lines of the SKU"),
        ("sku", el, "sku_id", "all lines of the SKU"),
        ("shop", el.filter(is_ads), None, "ads-attributed lines"),
        ("shop", el, None, "all lines"),
    ]
    allocs: list[pl.DataFrame] = []
    rules: list[pl.DataFrame] = []
    done = pl.DataFrame(schema={"pool_id": pl.Int64})
    for target, cand, key, rule in stages:
        p = pools.filter(pl.col("target") == target).join(done, on="pool_id", how="anti")
        if p.height == 0:
            continue
        p = p.select(
            "pool_id",
            pl.col("target_id").cast(pl.Categorical),
            "period_start",
            pl.col("amount_usd").alias("total"),
        )
        if key is None:
            j = p.drop("target_id").join(
                cand.select("line_no", "sales", "period_start"), on="period_start", how="inner"
            )
        else:
            j = p.join(
                cand.select("line_no", "sales", "period_start", pl.col(key).alias("target_id")),
                on=["target_id", "period_start"],
                how="inner",
            )
        if j.height == 0:
            continue
        j = allocate(
            sort_pairs(j.select("pool_id", "line_no", "total", "sales"), "pool_id", "line_no"),
            pl.col("total"),
            pl.col("sales"),
            "pool_id",
            "amount_usd",
        )
        allocs.append(j.select("line_no", "pool_id", (-pl.col("amount_usd")).alias("amount_usd")))
        matched = j.select("pool_id").unique()
        rules.append(matched.with_columns(pl.lit(rule).alias("rule")))
        done = pl.concat([done, matched])
        del j
    alloc = pl.concat(allocs) if allocs else pl.DataFrame(schema=ALLOC_SCHEMA)
    rule_df = (
        pl.concat(rules) if rules else pl.DataFrame(schema={"pool_id": pl.Int64, "rule": pl.String})
    )
    pools = pools.join(rule_df, on="pool_id", how="left").with_columns(
        pl.col("rule").fill_null("unallocated")
    )
    un = pools.filter(pl.col("rule") == "unallocated")
    over = empty_over
    if un.height:
        over = un.select(
            pl.col("sku_id"),
            pl.when(pl.col("target") == "content")
            .then(pl.col("target_id"))
            .otherwise(None)
            .alias("content_id"),
            pl.lit(None, pl.String).alias("creator_id"),
            pl.lit("ads").alias("account"),
            (-pl.col("amount_usd")).alias("amount_usd"),
            pl.lit(None, pl.Int64).alias("amount"),
            pl.lit("USD").alias("currency"),
            pl.lit("actual").alias("basis"),
            pl.lit(False).alias("settlement"),
            pl.lit("ad_spend").alias("source_table"),
            "source_key",
            pl.col("period_start").alias("date"),
            pl.lit("no sales in the period to carry this ad spend").alias("note"),
        )
        over = over.select([pl.col(c).cast(t) for c, t in OVERHEAD_SCHEMA.items()])
        total = int(un["amount_usd"].sum())
        findings.append(
            finding(
                "LEDGER_ADS_UNALLOCATED",
                "info",
                "{n} ad spend pool(s) totalling ${amount} had no sales in their period; they are charged to the SKU or the shop, not to any order",
                fix="Check the ad_spend rows' sku_id / content_id, or use a longer ad_allocation_period.",
                source="ad_spend",
                n=un.height,
                amount=f"{total / 10_000:,.2f}",
            )
        )
    return alloc, pools.select(list(POOL_SCHEMA)), over, findings
