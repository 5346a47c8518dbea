"""Cash: a daily timeline of money in and out, and a projection over the next ``days``.

Data flow: purchase orders (+ suppliers' terms), shipments (+ their cost layers), 3PL/FBT bills,
ad spend, settlement lines and the ledger's order lines → dated cash events (one per source row,
negative = out) → a daily series with a running balance.

Rules (all configurable, see ``docs/ledger.md``):

* supplier: deposit (PO rate, else supplier rate, else ``default_deposit_rate``) on the order
  date; balance on the supplier's ``balance_due`` event (``on_ready``: ready date,
  ``on_shipment``: first departure of the PO's goods, ``on_arrival``: their arrival or ETA,
  ``net_days``: departure) plus ``balance_days``; paid at the FX rate of the payment day;
* freight on departure; duty and inbound fees on arrival (ETA while in transit);
* bills on their due date (else bill date + ``bill_payment_days``); ad spend on its day
  (``ads_payment`` settlement deductions are not counted twice);
* platform settlements: statement lines on their date; orders without a statement are
  estimated — the settlement part of their ledger postings, paid ``settlement_days`` after
  delivery (not yet delivered: after ``expected_delivery_days``), less a reserve of
  ``reserve_rate`` released ``reserve_days`` later;
* expected sales (projection only): units per SKU and day from the sense forecast when given,
  else the run rate of the last ``run_rate_days``; each unit brings the SKU's recent net
  settlement per unit (paid after delivery + settlement) and costs its recent non-settlement
  variable cost (3PL pick & pack, return shipping, handling) on the day; ad spend and bills
  continue at their recent daily run rate.

The projection's balance starts at ``opening_cash_usd`` today; the *peak cash need* is the
deepest the balance goes below that start, on the *lowest-balance date*.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import polars as pl

from quickturn.core.ledger.accounts import ACCOUNTS
from quickturn.core.ledger.amounts import (
    convert_fx,
    dec_rate,
    div_half_up,
    micro,
    rate6,
)
from quickturn.core.ledger.engine import LedgerResult
from quickturn.core.ledger.fx import attach_fx, fx_table
from quickturn.core.ledger.inputs import LedgerInputs
from quickturn.core.ledger.schedule import LedgerSettings
from quickturn.money import MICRO, to_micro

CATEGORIES = (
    "settlements",
    "expected_sales",
    "supplier",
    "freight_duty",
    "bills",
    "ads",
    "fulfilment",
)

EVENT_SCHEMA: dict[str, pl.DataType] = {
    "date": pl.Date(),
    "category": pl.String(),
    "amount_usd": pl.Int64(),
    "basis": pl.String(),
    "source_table": pl.String(),
    "source_key": pl.String(),
    "note": pl.String(),
}

#: accounts whose amounts the platform pays out or deducts in a settlement
SETTLEMENT_FLOW = tuple(a for a, (_g, settles, _f) in ACCOUNTS.items() if settles)


@dataclass
class CashResult:
    events: pl.DataFrame  # one row per cash event (see EVENT_SCHEMA)
    daily: pl.DataFrame  # one row per day: categories, inflow, outflow, net, balances
    summary: dict[str, Any]


def _events(df: pl.DataFrame) -> pl.DataFrame:
    return df.select(
        [
            (pl.col(c) if c in df.columns else pl.lit(None)).cast(t).alias(c)
            for c, t in EVENT_SCHEMA.items()
        ]
    )


def _usd_on(
    df: pl.DataFrame, amount: pl.Expr, currency: str, on: str, fx: pl.DataFrame
) -> pl.DataFrame:
    df = attach_fx(df, on, currency, fx, "__fx")
    return df.with_columns(convert_fx(amount, pl.col("__fx")).alias("amount_usd")).drop("__fx")


def supplier_events(
    inputs: LedgerInputs, settings: LedgerSettings, fx: pl.DataFrame
) -> pl.DataFrame:
    po = inputs.purchase_orders.filter(pl.col("status").fill_null("open") != "cancelled")
    if po.height == 0:
        return pl.DataFrame(schema=EVENT_SCHEMA)
    sup = inputs.suppliers.select(
        "supplier_id",
        rate6(pl.col("deposit_rate")).alias("s_dep"),
        pl.col("balance_due").alias("s_due"),
        pl.col("balance_days").alias("s_days"),
    )
    sl = inputs.shipment_lines.join(
        inputs.shipments.select("shipment_id", "shipped_on", "arrived_on", "eta_on"),
        on="shipment_id",
        how="left",
    )
    moves = sl.group_by("po_id", "sku_id").agg(
        pl.col("shipped_on").min().alias("first_ship"),
        pl.coalesce("arrived_on", "eta_on").min().alias("first_arrival"),
    )
    po = (
        po.join(sup, on="supplier_id", how="left")
        .join(moves, on=["po_id", "sku_id"], how="left")
        .with_columns(
            (micro(pl.col("unit_cost")) * pl.col("quantity")).alias("total"),
            pl.coalesce(
                rate6(pl.col("deposit_rate")),
                "s_dep",
                pl.lit(dec_rate(settings.default_deposit_rate)),
            ).alias("dep6"),
            pl.coalesce("s_due", pl.lit(settings.default_balance_due)).alias("due"),
            pl.coalesce("s_days", pl.lit(settings.default_balance_days))
            .cast(pl.Int64)
            .alias("days"),
        )
    )
    ready = pl.coalesce("ready_on", "ordered_on")
    event = (
        pl.when(pl.col("due") == "on_ready")
        .then(ready)
        .when(pl.col("due") == "on_arrival")
        .then(pl.coalesce("first_arrival", "first_ship", ready))
        .otherwise(pl.coalesce("first_ship", ready))
    )
    po = po.with_columns(
        div_half_up(pl.col("total").cast(pl.Int128) * pl.col("dep6"), 1_000_000).alias("deposit"),
        (event + pl.duration(days=pl.col("days"))).alias("balance_on"),
    ).with_columns((pl.col("total") - pl.col("deposit")).alias("balance"))
    key = pl.format("po_id={};sku_id={}", "po_id", "sku_id")
    dep = _usd_on(po, -pl.col("deposit"), "currency", "ordered_on", fx).select(
        pl.col("ordered_on").alias("date"),
        pl.lit("supplier").alias("category"),
        "amount_usd",
        pl.lit("actual").alias("basis"),
        pl.lit("purchase_orders").alias("source_table"),
        key.alias("source_key"),
        pl.format("deposit {}", pl.col("dep6").cast(pl.Float64) / 10_000).alias("note"),
    )
    bal = _usd_on(po, -pl.col("balance"), "currency", "balance_on", fx).select(
        pl.col("balance_on").alias("date"),
        pl.lit("supplier").alias("category"),
        "amount_usd",
        pl.lit("actual").alias("basis"),
        pl.lit("purchase_orders").alias("source_table"),
        key.alias("source_key"),
        pl.format("balance ({})", "due").alias("note"),
    )
    return pl.concat([_events(dep), _events(bal)]).filter(pl.col("amount_usd") != 0)


def freight_events(result: LedgerResult, inputs: LedgerInputs) -> pl.DataFrame:
    lay = result.layers.filter(pl.col("shipment_id").is_not_null())
    if lay.height == 0:
        return pl.DataFrame(schema=EVENT_SCHEMA)
    per = lay.group_by("shipment_id").agg(
        pl.col("freight_usd").sum(), pl.col("duty_usd").sum(), pl.col("inbound_usd").sum()
    )
    sh = inputs.shipments.select(
        "shipment_id", "shipped_on", pl.coalesce("arrived_on", "eta_on", "shipped_on").alias("arr")
    )
    per = per.join(sh, on="shipment_id", how="left")
    key = pl.format("shipment_id={}", "shipment_id")
    fr = per.select(
        pl.col("shipped_on").alias("date"),
        pl.lit("freight_duty").alias("category"),
        (-pl.col("freight_usd")).alias("amount_usd"),
        pl.lit("actual").alias("basis"),
        pl.lit("shipments").alias("source_table"),
        key.alias("source_key"),
        pl.lit("freight").alias("note"),
    )
    du = per.select(
        pl.col("arr").alias("date"),
        pl.lit("freight_duty").alias("category"),
        (-(pl.col("duty_usd") + pl.col("inbound_usd"))).alias("amount_usd"),
        pl.lit("actual").alias("basis"),
        pl.lit("shipments").alias("source_table"),
        key.alias("source_key"),
        pl.lit("duty and inbound fees").alias("note"),
    )
    return pl.concat([_events(fr), _events(du)]).filter(pl.col("amount_usd") != 0)


def bill_events(inputs: LedgerInputs, settings: LedgerSettings, fx: pl.DataFrame) -> pl.DataFrame:
    b = inputs.bills
    if b.height == 0:
        return pl.DataFrame(schema=EVENT_SCHEMA)
    b = b.with_columns(
        pl.coalesce(
            "due_date", pl.col("bill_date") + pl.duration(days=settings.bill_payment_days)
        ).alias("pay_on")
    )
    b = _usd_on(b, -micro(pl.col("amount")), "currency", "bill_date", fx)
    return _events(
        b.select(
            pl.col("pay_on").alias("date"),
            pl.lit("bills").alias("category"),
            "amount_usd",
            pl.lit("actual").alias("basis"),
            pl.lit("bills").alias("source_table"),
            pl.format("bill_id={};line_id={}", "bill_id", "line_id").alias("source_key"),
            pl.col("charge_type").alias("note"),
        )
    ).filter(pl.col("amount_usd").is_not_null())


def ad_events(inputs: LedgerInputs, fx: pl.DataFrame) -> pl.DataFrame:
    a = inputs.ad_spend
    if a.height == 0:
        return pl.DataFrame(schema=EVENT_SCHEMA)
    a = _usd_on(a, -micro(pl.col("spend")), "currency", "date", fx)
    return _events(
        a.select(
            "date",
            pl.lit("ads").alias("category"),
            "amount_usd",
            pl.lit("actual").alias("basis"),
            pl.lit("ad_spend").alias("source_table"),
            pl.format("campaign_id={};date={}", "campaign_id", "date").alias("source_key"),
        )
    ).filter(pl.col("amount_usd").is_not_null())


def settlement_events(
    result: LedgerResult, inputs: LedgerInputs, settings: LedgerSettings, fx: pl.DataFrame
) -> pl.DataFrame:
    st = inputs.settlement_lines.filter(pl.col("fee_type") != "ads_payment")
    parts = []
    if st.height:
        st = _usd_on(st, micro(pl.col("amount")), "currency", "statement_date", fx)
        parts.append(
            _events(
                st.select(
                    pl.col("statement_date").alias("date"),
                    pl.lit("settlements").alias("category"),
                    "amount_usd",
                    pl.lit("actual").alias("basis"),
                    pl.lit("settlement_lines").alias("source_table"),
                    pl.format("statement_id={};line_id={}", "statement_id", "line_id").alias(
                        "source_key"
                    ),
                    pl.col("fee_type").alias("note"),
                )
            ).filter(pl.col("amount_usd").is_not_null())
        )
    lines = result.lines
    if lines.height:
        settled = inputs.settlement_lines.select("order_id").drop_nulls().unique()
        flow = pl.sum_horizontal([pl.col(a) for a in SETTLEMENT_FLOW if a in lines.columns])
        per = (
            lines.join(settled, on="order_id", how="anti")
            .group_by("order_id")
            .agg(
                flow.sum().alias("net"),
                pl.col("delivered_at").first(),
                pl.col("created_at").first(),
            )
            .with_columns(
                pl.coalesce(
                    pl.col("delivered_at").dt.date(),
                    pl.col("created_at").dt.date()
                    + pl.duration(days=settings.expected_delivery_days),
                ).alias("deliv")
            )
            .with_columns(
                (pl.col("deliv") + pl.duration(days=settings.settlement_days)).alias("pay_on")
            )
        )
        r6 = dec_rate(settings.reserve_rate)
        per = per.with_columns(
            div_half_up(pl.col("net").cast(pl.Int128) * r6, 1_000_000).alias("reserve")
        )
        key = pl.format("order_id={}", "order_id")
        parts.append(
            _events(
                per.select(
                    pl.col("pay_on").alias("date"),
                    pl.lit("settlements").alias("category"),
                    (pl.col("net") - pl.col("reserve")).alias("amount_usd"),
                    pl.lit("estimated").alias("basis"),
                    pl.lit("orders").alias("source_table"),
                    key.alias("source_key"),
                    pl.lit("estimated settlement (delivery + settlement period)").alias("note"),
                )
            )
        )
        if r6:
            parts.append(
                _events(
                    per.filter(pl.col("reserve") != 0).select(
                        (pl.col("pay_on") + pl.duration(days=settings.reserve_days)).alias("date"),
                        pl.lit("settlements").alias("category"),
                        pl.col("reserve").alias("amount_usd"),
                        pl.lit("estimated").alias("basis"),
                        pl.lit("orders").alias("source_table"),
                        key.alias("source_key"),
                        pl.lit("reserve released").alias("note"),
                    )
                )
            )
    return pl.concat(parts) if parts else pl.DataFrame(schema=EVENT_SCHEMA)


def expected_sales_events(
    result: LedgerResult,
    inputs: LedgerInputs,
    settings: LedgerSettings,
    *,
    today: date,
    days: int,
    expected: pl.DataFrame | None,
    expected_source: str = "sense forecast",
) -> tuple[pl.DataFrame, str]:
    """Projected cash of future sales; returns (events, where the expected units came from).

    ``expected`` (sku_id, date, units) names where its units came from in ``expected_source``;
    without it the run rate of the last ``run_rate_days`` is used.
    """
    start = today - timedelta(days=settings.run_rate_days)
    recent = result.lines.filter(
        (pl.col("order_date") >= start) & (pl.col("order_date") < today) & ~pl.col("is_sample")
    )
    flow = pl.sum_horizontal([pl.col(a) for a in SETTLEMENT_FLOW if a in recent.columns])
    other = pl.sum_horizontal(
        [
            pl.col(a)
            for a in ("pick_pack", "return_shipping", "return_handling", "replacement")
            if a in recent.columns
        ]
    )
    per_sku = recent.group_by("sku_id").agg(
        pl.col("quantity").sum().alias("hist_units"),
        flow.sum().alias("flow"),
        other.sum().alias("other"),
    )
    horizon = pl.date_range(today, today + timedelta(days=days - 1), eager=True).alias("date")
    if expected is not None and expected.height:
        exp = expected.filter(
            (pl.col("date") >= today) & (pl.col("date") < today + timedelta(days=days))
        )
        source = expected_source
        units = exp.select("sku_id", "date", pl.col("units").cast(pl.Float64))
    else:
        source = f"run rate of the last {settings.run_rate_days} days"
        rate = per_sku.select(
            "sku_id",
            (pl.col("hist_units").cast(pl.Float64) / settings.run_rate_days).alias("units"),
        )
        units = rate.join(pl.DataFrame(horizon), how="cross")
    if units.height == 0 or per_sku.height == 0:
        return pl.DataFrame(schema=EVENT_SCHEMA), source
    # units are expectations (float); money per unit stays exact: amount = round(units × per-unit)
    j = units.join(per_sku, on="sku_id", how="inner").filter(
        (pl.col("units") > 0) & (pl.col("hist_units") > 0)
    )
    den = pl.col("hist_units").cast(pl.Int128) * 1_000_000
    j = j.with_columns(
        (pl.col("units") * 1_000_000).round(0).cast(pl.Int64).alias("__u6"),
    ).with_columns(
        div_half_up(pl.col("flow").cast(pl.Int128) * pl.col("__u6"), den).alias("inflow"),
        div_half_up(pl.col("other").cast(pl.Int128) * pl.col("__u6"), den).alias("cost"),
    )
    lag = settings.expected_delivery_days + settings.settlement_days
    daily_in = j.group_by(pl.col("date") + pl.duration(days=lag)).agg(pl.col("inflow").sum())
    daily_cost = j.group_by("date").agg(pl.col("cost").sum())
    ev_in = _events(
        daily_in.select(
            "date",
            pl.lit("expected_sales").alias("category"),
            pl.col("inflow").alias("amount_usd"),
            pl.lit("estimated").alias("basis"),
            pl.lit("order_lines").alias("source_table"),
            pl.format("order_date={}..{}", pl.lit(start), pl.lit(today - timedelta(days=1))).alias(
                "source_key"
            ),
            pl.lit(f"settlements of expected sales ({source})").alias("note"),
        )
    )
    ev_cost = _events(
        daily_cost.select(
            "date",
            pl.lit("fulfilment").alias("category"),
            pl.col("cost").alias("amount_usd"),
            pl.lit("estimated").alias("basis"),
            pl.lit("order_lines").alias("source_table"),
            pl.format("order_date={}..{}", pl.lit(start), pl.lit(today - timedelta(days=1))).alias(
                "source_key"
            ),
            pl.lit(f"3PL and return costs of expected sales ({source})").alias("note"),
        )
    )
    return pl.concat([ev_in, ev_cost]).filter(pl.col("amount_usd") != 0), source


def run_rate_events(
    hist: pl.DataFrame, category: str, settings: LedgerSettings, *, today: date, days: int
) -> pl.DataFrame:
    """Continue a category's recent daily average over the projection."""
    start = today - timedelta(days=settings.run_rate_days)
    recent = hist.filter(
        (pl.col("category") == category) & (pl.col("date") >= start) & (pl.col("date") < today)
    )
    total = int(recent["amount_usd"].sum() or 0)
    if total == 0:
        return pl.DataFrame(schema=EVENT_SCHEMA)
    per_day = total // settings.run_rate_days
    dates = pl.date_range(today, today + timedelta(days=days - 1), eager=True)
    return _events(
        pl.DataFrame({"date": dates}).with_columns(
            pl.lit(category).alias("category"),
            pl.lit(per_day, pl.Int64).alias("amount_usd"),
            pl.lit("estimated").alias("basis"),
            pl.lit(hist.filter(pl.col("category") == category)["source_table"].first() or "").alias(
                "source_table"
            ),
            pl.lit(f"date={start}..{today - timedelta(days=1)}").alias("source_key"),
            pl.lit(f"run rate of the last {settings.run_rate_days} days").alias("note"),
        )
    )


def cash_flow(
    result: LedgerResult,
    inputs: LedgerInputs,
    settings: LedgerSettings | None = None,
    *,
    today: date,
    days: int = 90,
    expected: pl.DataFrame | None = None,
    expected_source: str = "sense forecast",
) -> CashResult:
    """Cash events, the daily timeline and the projection summary (see module docstring)."""
    s = settings or result.settings
    fx = fx_table(inputs.fx_rates)
    known = pl.concat(
        [
            supplier_events(inputs, s, fx),
            freight_events(result, inputs),
            bill_events(inputs, s, fx),
            ad_events(inputs, fx),
            settlement_events(result, inputs, s, fx),
        ]
    ).filter(pl.col("date").is_not_null() & pl.col("amount_usd").is_not_null())
    # recurring costs already scheduled in the future are left as they are; the run rate
    # only fills days with nothing scheduled for that category
    future = [known]
    for cat in ("ads", "bills"):
        rr = run_rate_events(known, cat, s, today=today, days=days)
        scheduled = (
            known.filter((pl.col("category") == cat) & (pl.col("date") >= today))
            .select("date")
            .unique()
        )
        future.append(rr.join(scheduled, on="date", how="anti"))
    exp, source = expected_sales_events(
        result,
        inputs,
        s,
        today=today,
        days=days,
        expected=expected,
        expected_source=expected_source,
    )
    future.append(exp)
    events = pl.concat(future).sort("date", "category")
    end = today + timedelta(days=days - 1)
    events = events.filter(pl.col("date") <= end)
    first = events["date"].min() if events.height else today
    assert isinstance(first, date)
    first = min(first, today)
    daily = (
        pl.DataFrame({"date": pl.date_range(first, end, eager=True)})
        .join(
            events.group_by("date").agg(
                *[
                    pl.when(pl.col("category") == c)
                    .then(pl.col("amount_usd"))
                    .otherwise(0)
                    .sum()
                    .alias(c)
                    for c in CATEGORIES
                ],
                pl.when(pl.col("amount_usd") > 0)
                .then(pl.col("amount_usd"))
                .otherwise(0)
                .sum()
                .alias("inflow"),
                pl.when(pl.col("amount_usd") < 0)
                .then(pl.col("amount_usd"))
                .otherwise(0)
                .sum()
                .alias("outflow"),
            ),
            on="date",
            how="left",
        )
        .fill_null(0)
        .with_columns(
            (pl.col("inflow") + pl.col("outflow")).alias("net"),
            pl.when(pl.col("date") < today)
            .then(pl.lit("history"))
            .otherwise(pl.lit("projection"))
            .alias("kind"),
        )
        .with_columns(pl.col("net").cum_sum().alias("cumulative"))
    )
    opening = to_micro(s.opening_cash_usd)
    daily = daily.with_columns(
        pl.when(pl.col("kind") == "projection")
        .then(
            opening
            + pl.when(pl.col("kind") == "projection").then(pl.col("net")).otherwise(0).cum_sum()
        )
        .otherwise(None)
        .alias("balance")
    )
    proj = daily.filter(pl.col("kind") == "projection")
    low = proj.sort("balance", "date").head(1)
    lowest = int(low["balance"][0]) if low.height else opening
    summary: dict[str, Any] = {
        "today": today,
        "days": days,
        "opening_cash_usd": opening,
        "lowest_balance_usd": lowest,
        "lowest_balance_date": low["date"][0] if low.height else today,
        "peak_cash_need_usd": max(0, opening - lowest) if lowest < opening else 0,
        "end_balance_usd": int(proj["balance"][-1]) if proj.height else opening,
        "projected_inflow_usd": int(proj["inflow"].sum() or 0),
        "projected_outflow_usd": int(proj["outflow"].sum() or 0),
        "expected_sales_source": source,
    }
    return CashResult(events=events, daily=daily, summary=summary)


SPARK = "▁▂▃▄▅▆▇█"


def sparkline(values: list[float], width: int = 60) -> str:
    """A one-line chart of ``values`` (at most ``width`` characters)."""
    if not values:
        return ""
    step = max(1, -(-len(values) // width))
    pts = [values[i] for i in range(0, len(values), step)]
    lo, hi = min(pts), max(pts)
    if hi == lo:
        return SPARK[3] * len(pts)
    return "".join(SPARK[int((v - lo) / (hi - lo) * (len(SPARK) - 1))] for v in pts)


__all__ = ["CATEGORIES", "EVENT_SCHEMA", "MICRO", "CashResult", "cash_flow"]
