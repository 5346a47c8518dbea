"""Unit economics per SKU for the planner: realised price, landed cost and variable cost per unit.

Data flow: ``LedgerResult.lines`` of the last ``days`` days before ``today`` (sample orders
excluded) → per SKU, per unit sold:

* ``price_usd`` = (gross revenue + seller discount + settlement revenue adjustment) ÷ units;
* ``landed_cost_usd`` = cost of goods (FIFO / moving average / standard) ÷ units;
* ``variable_cost_usd`` = −(buyer shipping income + platform fees + commission + FBT / pick &
  pack + shipping label + returns + cost reversed on returns) ÷ units — everything that
  scales with units sold except ads, samples and period warehousing bills;
* ``unit_margin_usd`` = price − landed − variable.

A SKU without sales in the window gets its list price (USD), its standard unit cost (latest
received layer, else unit cost × FX + duty) and the shop's variable-cost ratio of the window
(the referral fee rate when the shop has no sales either).  Figures are float64 (they feed a
simulation); the ledger itself stays exact.
"""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl

from quickturn.core.ledger.amounts import MICRO, micro
from quickturn.core.ledger.engine import LedgerResult
from quickturn.core.ledger.fx import attach_fx, fx_table

COLUMNS = (
    "sku_id",
    "price_usd",
    "landed_cost_usd",
    "variable_cost_usd",
    "unit_margin_usd",
    "cost_known",
    "units_sold",
    "basis",
)

#: ledger accounts that scale with units sold: the variable cost per unit (also read from the
#: persisted journal by the plan and the web's inventory projection)
VARIABLE_ACCOUNTS: tuple[str, ...] = (
    "shipping_income",
    "referral_fee",
    "referral_fee_refund",
    "refund_admin_fee",
    "payment_fee",
    "other_platform_fees",
    "commission",
    "commission_clawback",
    "fbt_fee",
    "pick_pack",
    "shipping_cost",
    "refunds",
    "return_shipping",
    "return_handling",
    "return_write_off",
    "replacement",
    "cogs_reversal",
)
#: ledger accounts that make up the price per unit
PRICE_ACCOUNTS: tuple[str, ...] = ("gross_revenue", "seller_discount", "revenue_adjustment")


def unit_economics(
    result: LedgerResult,
    skus: pl.DataFrame,
    fx_rates: pl.DataFrame,
    *,
    today: date,
    days: int = 90,
) -> pl.DataFrame:
    """One row per SKU of ``skus`` (see module docstring); USD float64 per unit."""
    start = today - timedelta(days=days)
    win = result.lines.filter(
        (pl.col("order_date") >= start) & (pl.col("order_date") < today) & ~pl.col("is_sample")
    )
    agg = win.group_by("sku_id").agg(
        pl.col("quantity").sum().alias("units"),
        pl.sum_horizontal([pl.col(a) for a in PRICE_ACCOUNTS]).sum().alias("rev"),
        (-pl.col("cogs")).sum().alias("landed"),
        (-pl.sum_horizontal([pl.col(a) for a in VARIABLE_ACCOUNTS])).sum().alias("var"),
        pl.col("cost_known").all().alias("known"),
    )
    tot_rev = int(agg["rev"].sum() or 0)
    tot_var = int(agg["var"].sum() or 0)
    ratio = tot_var / tot_rev if tot_rev > 0 else float(result.settings.referral_fee_rate)
    fx = fx_table(fx_rates)
    base = skus.select(
        "sku_id",
        micro(pl.col("list_price")).alias("lp"),
        pl.col("price_currency").fill_null("USD").alias("pc"),
        pl.lit(today, pl.Date).alias("__d"),
    )
    base = attach_fx(base, "__d", "pc", fx, "fx8")
    base = base.with_columns(
        (pl.col("lp").cast(pl.Float64) * pl.col("fx8").cast(pl.Float64) / 1e8 / MICRO).alias(
            "list_usd"
        )
    )
    out = (
        base.join(agg, on="sku_id", how="left")
        .join(result.standard_costs, on="sku_id", how="left")
        .with_columns(pl.col("units").fill_null(0))
    )
    sold = pl.col("units") > 0
    u = pl.col("units").cast(pl.Float64)
    out = (
        out.with_columns(
            pl.when(sold)
            .then(pl.col("rev") / u / MICRO)
            .otherwise(pl.col("list_usd"))
            .alias("price_usd"),
            pl.when(sold & pl.col("known"))
            .then(pl.col("landed") / u / MICRO)
            .otherwise(pl.col("std_unit_usd").cast(pl.Float64) / MICRO)
            .alias("landed_cost_usd"),
            pl.when(sold & pl.col("known"))
            .then(True)
            .otherwise(pl.col("std_unit_usd").is_not_null())
            .alias("cost_known"),
            pl.when(sold).then(pl.lit("sales")).otherwise(pl.lit("list_price")).alias("basis"),
        )
        .with_columns(
            pl.when(sold)
            .then(pl.col("var") / u / MICRO)
            .otherwise(pl.col("price_usd") * ratio)
            .alias("variable_cost_usd"),
        )
        .with_columns(
            (pl.col("price_usd") - pl.col("landed_cost_usd") - pl.col("variable_cost_usd")).alias(
                "unit_margin_usd"
            ),
            pl.col("units").alias("units_sold"),
        )
    )
    return out.select(COLUMNS).sort("sku_id")
