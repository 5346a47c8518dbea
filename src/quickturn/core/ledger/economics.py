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

from quickturn.core.ledger.amounts import micro
from quickturn.core.ledger.engine import LedgerResult
from quickturn.core.ledger.fx import attach_fx, fx_table
from quickturn.money import MICRO

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


#: columns and dtypes of :func:`journal_unit_economics`
JOURNAL_ECONOMICS_SCHEMA: dict[str, pl.DataType] = {
    "sku_id": pl.String(),
    "price_usd": pl.Float64(),
    "landed_cost_usd": pl.Float64(),
    "variable_cost_usd": pl.Float64(),
    "unit_margin_usd": pl.Float64(),
    "cost_known": pl.Boolean(),
    "units_sold": pl.Float64(),
}


def journal_unit_economics(amounts: pl.DataFrame, units: pl.DataFrame) -> pl.DataFrame:
    """Unit economics per SKU from the persisted journal's aggregate (the one definition the
    plan and the web's inventory projection share; float64 USD per unit).

    ``amounts``: ``sku_id, account, amount_usd`` — the sums of a window's SKU postings of
    non-sample orders (``store.queries.ledger.sku_account_amounts``); ``units``: ``sku_id,
    units, lines, lines_without_cost`` — the order lines of the orders the ledger posted
    revenue for in that window (``store.queries.ledger.posted_line_units``).

    The same formulas as :func:`unit_economics` on a ledger result: price = (gross revenue +
    seller discount + revenue adjustment) ÷ units, landed = −COGS ÷ units, variable =
    −(:data:`VARIABLE_ACCOUNTS`) ÷ units.  Units are those of the lines the ledger posted
    (a cancelled or unposted order counts no unit), and the cost is known only when **every**
    such line of the SKU has a cost-of-goods posting — as the ledger's ``cost_known`` is the
    ``all`` over its lines; a SKU whose cost is partly unknown would otherwise get a landed
    cost averaged over units that carried none.  SKUs without units are left out.

    >>> a = pl.DataFrame({"sku_id": ["A", "A", "A"], "account": ["gross_revenue", "cogs",
    ...     "referral_fee"], "amount_usd": [100.0, -40.0, -6.0]})
    >>> u = pl.DataFrame({"sku_id": ["A"], "units": [4.0], "lines": [3],
    ...     "lines_without_cost": [0]})
    >>> journal_unit_economics(a, u).row(0)
    ('A', 25.0, 10.0, 1.5, 13.5, True, 4.0)
    """

    def total(accounts: tuple[str, ...]) -> pl.Expr:
        mine = pl.col("account").is_in(list(accounts))
        return pl.when(mine).then(pl.col("amount_usd")).otherwise(0.0).sum()

    if amounts.is_empty() or units.is_empty():
        return pl.DataFrame(schema=JOURNAL_ECONOMICS_SCHEMA)
    per = (
        amounts.with_columns(pl.col("amount_usd").cast(pl.Float64))
        .group_by("sku_id")
        .agg(
            total(PRICE_ACCOUNTS).alias("rev"),
            (-total(("cogs",))).alias("landed"),
            (-total(VARIABLE_ACCOUNTS)).alias("var"),
        )
        .join(
            units.select(
                "sku_id",
                pl.col("units").cast(pl.Float64),
                (pl.col("lines_without_cost").fill_null(0) == 0).alias("cost_known"),
            ),
            on="sku_id",
        )
        .filter(pl.col("units") > 0)
    )
    u = pl.col("units")
    out = per.select(
        "sku_id",
        (pl.col("rev") / u).alias("price_usd"),
        (pl.col("landed") / u).alias("landed_cost_usd"),
        (pl.col("var") / u).alias("variable_cost_usd"),
        ((pl.col("rev") - pl.col("landed") - pl.col("var")) / u).alias("unit_margin_usd"),
        "cost_known",
        u.alias("units_sold"),
    )
    return out.cast(JOURNAL_ECONOMICS_SCHEMA).sort("sku_id")  # type: ignore[arg-type]
