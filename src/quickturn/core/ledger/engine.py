"""The ledger engine: order lines → contribution margin with every component and its source.

Data flow (pure; frames in, frames out):

1. ``prepare_lines``: order lines ⋈ orders (cancelled and unpaid orders dropped) ⋈ shops, FX at
   the order date → one row per order line (``line_no``) with amounts in micro-USD and the
   report dimensions (SKU, content, creator, traffic source, route, model, market, date).
2. Estimated accounts from the fee schedule (referral, payment fee, commission, FBT rate card,
   3PL pick & pack, shipping label and buyer shipping).
3. Actual accounts from settlement lines and 3PL/FBT bills.  An actual *family* (e.g. the
   referral fee) present for an order replaces that family's estimate for the whole order.
4. Returns by outcome; cost layers (:mod:`.landed`) and one costing pass (:mod:`.costing`)
   over receipts, sales, restocks, write-offs and replacements.
5. Ad spend allocated to lines (:mod:`.attribution`).
6. Everything summed per line into the wide ``lines`` frame (one Int64 column per account) —
   the input of every report — while ``details`` keeps one row per source row for postings
   and ``explain``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import numpy as np
import polars as pl

from quickturn.core.ledger import attribution
from quickturn.core.ledger.accounts import (
    ACCOUNT_NAMES,
    ACCOUNTS,
    BILL_ORDER_ACCOUNTS,
    DETAIL_SCHEMA,
    ESTIMATED_LINE_ACCOUNTS,
    OVERHEAD_SCHEMA,
    SETTLEMENT_ACCOUNTS,
)
from quickturn.core.ledger.amounts import (
    CENT,
    I128,
    allocate,
    case,
    convert_fx,
    dec_rate,
    div_half_up,
    fee_cents,
    micro,
    rate6,
    sort_pairs,
)
from quickturn.core.ledger.findings import finding, sample
from quickturn.core.ledger.fx import attach_fx, fx_table
from quickturn.core.ledger.inputs import LedgerInputs
from quickturn.core.ledger.landed import cost_layers, standard_costs
from quickturn.core.ledger.schedule import LedgerSettings
from quickturn.errors import Finding
from quickturn.money import MICRO, to_micro

DEFAULT_TZ = "America/Los_Angeles"
EXCLUDED_STATUSES = ("CANCELLED", "UNPAID")
LB_G = 453.59237
IN3_CM3 = 16.387064

DIMENSIONS = (
    "order_id",
    "sku_id",
    "order_date",
    "content_id",
    "creator_id",
    "traffic_source",
    "route",
    "operating_model",
    "market",
    "fulfillment_type",
    "shop_id",
)


@dataclass
class LedgerResult:
    """Everything one ledger build produces (amounts: Int64 micro-USD)."""

    lines: pl.DataFrame
    details: pl.DataFrame
    overhead: pl.DataFrame
    layers: pl.DataFrame
    ad_allocations: pl.DataFrame
    ad_pools: pl.DataFrame
    consumption: pl.DataFrame
    standard_costs: pl.DataFrame
    settings: LedgerSettings
    findings: list[Finding] = field(default_factory=list)
    as_of: date | None = None
    #: the shop's cost of goods came with consumption records (which layer each sale's units
    #: came from): its postings are per layer.  Kept by a subset of the result whose own lines
    #: consumed no layer (:func:`~quickturn.core.ledger.incremental.subset`), so that they are
    #: posted as in the whole result
    by_layer: bool = False


# -- helpers -------------------------------------------------------------------------------


def local_date(ts: str, tz_col: str, tzs: list[str]) -> pl.Expr:
    """Calendar day of a naive-UTC timestamp in the shop's time zone."""
    base = pl.col(ts).dt.replace_time_zone("UTC")
    if not tzs:
        tzs = [DEFAULT_TZ]
    pairs = [(pl.col(tz_col) == tz, base.dt.convert_time_zone(tz).dt.date()) for tz in tzs]
    return case(pairs, base.dt.convert_time_zone(DEFAULT_TZ).dt.date())


def _empty(schema: dict[str, pl.DataType]) -> pl.DataFrame:
    return pl.DataFrame(schema=schema)


def _detail(df: pl.DataFrame) -> pl.DataFrame:
    """Select/cast ``df`` to :data:`DETAIL_SCHEMA` (missing columns become null)."""
    return df.select(
        [
            (pl.col(c) if c in df.columns else pl.lit(None)).cast(dt).alias(c)
            for c, dt in DETAIL_SCHEMA.items()
        ]
    )


def _overhead(df: pl.DataFrame) -> pl.DataFrame:
    return df.select(
        [
            (pl.col(c) if c in df.columns else pl.lit(None)).cast(dt).alias(c)
            for c, dt in OVERHEAD_SCHEMA.items()
        ]
    )


def proportional_cents(amount: pl.Expr, num: pl.Expr, den: pl.Expr) -> pl.Expr:
    """``amount × num / den`` rounded half up to the cent (0 when ``den`` ≤ 0)."""
    prod = amount.cast(I128) * num.cast(I128)
    d = den.cast(I128)
    safe = pl.when(d > 0).then(d).otherwise(pl.lit(1, I128))
    return pl.when(d > 0).then(div_half_up(prod, safe * CENT) * CENT).otherwise(0).cast(pl.Int64)


# -- 1. order lines ------------------------------------------------------------------------


ORDER_COLUMNS = (
    "order_id",
    "shop_id",
    "market",
    "currency",
    "status",
    "created_at",
    "shipped_at",
    "delivered_at",
    "fulfillment_type",
    "warehouse_id",
    "route_id",
    "operating_model",
    "is_sample_order",
    "shipping_fee",
    "shipping_fee_seller_discount",
    "shipping_fee_platform_discount",
    "tax",
)
LINE_COLUMNS = (
    "order_id",
    "sku_id",
    "quantity",
    "unit_price",
    "subtotal_before_discount",
    "seller_discount",
    "platform_discount",
    "subtotal_after_discount",
    "tax",
    "traffic_source",
    "content_id",
    "creator_id",
    "commission_rate",
)


def _sorted_by(df: pl.DataFrame, major: str, minor: str) -> bool:
    """True when rows are already ordered by (major, minor) — a linear check, cheaper than a
    sort (files and databases usually return orders in id order)."""
    if df.height < 2:
        return True
    a, b = pl.col(major), pl.col(minor)
    bad = df.select(
        ((a < a.shift(1)) | ((a == a.shift(1)) & (b <= b.shift(1)))).fill_null(False).any()
    ).item()
    return not bad


def group_total(expr: pl.Expr, group: str) -> pl.Expr:
    """``expr.sum().over(group)`` for rows whose groups are contiguous (linear, no window)."""
    g = pl.col(group)
    first = (g != g.shift(1)).fill_null(True)
    last = (g != g.shift(-1)).fill_null(True)
    cum = expr.cum_sum()
    within = cum - pl.when(first).then(cum - expr).otherwise(None).forward_fill()
    return pl.when(last).then(within).otherwise(None).backward_fill()


def _join_narrow(df: pl.DataFrame, other: pl.DataFrame, key: str) -> pl.DataFrame:
    """``df.join(other, on=key, how="left")`` in ``df``'s row order; when ``other``'s keys are
    unique, only the key column is joined and the new columns are appended (the wide frame is
    not copied)."""
    if other[key].is_duplicated().any():
        return df.join(other, on=key, how="left", maintain_order="left")
    got = df.select(key).join(other, on=key, how="left", maintain_order="left")
    return df.hstack(got.drop(key))


def prepare_lines(
    inputs: LedgerInputs, settings: LedgerSettings, fx: pl.DataFrame
) -> tuple[pl.DataFrame, pl.DataFrame, list[Finding]]:
    """One row per order line with USD micro amounts and dimensions; also the order headers.

    Lines are ordered by order id then SKU (whatever order the tables were read in), so
    allocations within an order are reproducible on every backend.
    """
    findings: list[Finding] = []
    shops = inputs.shops.select("shop_id", pl.col("timezone").fill_null(DEFAULT_TZ).alias("tz"))
    tzs = sorted(set(shops["tz"].to_list()) | {DEFAULT_TZ})
    # every order, sorted by id: order_idx is its row number, so header columns are gathered
    # onto the lines by position after one narrow join on the id
    orders = inputs.orders.select(ORDER_COLUMNS)
    if not orders["order_id"].is_sorted():
        orders = orders.sort("order_id")
    if shops.height:
        orders = orders.join(shops, on="shop_id", how="left", maintain_order="left").with_columns(
            pl.col("tz").fill_null(DEFAULT_TZ)
        )
    else:
        orders = orders.with_columns(pl.lit(DEFAULT_TZ).alias("tz"))
    excluded = pl.col("status").is_in(EXCLUDED_STATUSES)
    orders = orders.with_columns(
        pl.int_range(pl.len(), dtype=pl.Int64).alias("order_idx"),
        local_date("created_at", "tz", tzs).alias("order_date"),
    )
    orders = attach_fx(orders, "order_date", "currency", fx, "fx8")
    bad_fx = orders.filter(pl.col("fx8").is_null() & ~excluded)
    if bad_fx.height:
        curs = sorted({str(c) for c in bad_fx["currency"].to_list()})
        findings.append(
            finding(
                "LEDGER_FX_MISSING",
                "error",
                "{n} order(s) are in currencies with no FX rate ({currencies}); they are left out of every figure",
                fix="Import fx_rates (date, currency, usd_per_unit) for {currencies}.",
                source="orders",
                column="currency",
                value=curs,
                expected="a currency with rows in fx_rates",
                n=bad_fx.height,
                currencies=", ".join(curs),
                record={"order_ids": bad_fx["order_id"].head(50).to_list()},
            )
        )
    kept = ~excluded & pl.col("fx8").is_not_null()
    fxc = pl.col("fx8")
    all_usd = (
        orders.filter(kept).select((fxc == 100_000_000).all()).item() if orders.height else True
    )

    def usd(expr: pl.Expr) -> pl.Expr:
        if all_usd:
            return expr
        return pl.when(fxc == 100_000_000).then(expr).otherwise(convert_fx(expr, fxc))

    orders = orders.with_columns(
        kept.alias("kept"),
        usd(micro(pl.col("shipping_fee")).fill_null(0)).alias("o_ship_fee"),
        usd(micro(pl.col("shipping_fee_seller_discount")).fill_null(0)).alias("o_ship_sd"),
        usd(micro(pl.col("shipping_fee_platform_discount")).fill_null(0)).alias("o_ship_pd"),
        usd(micro(pl.col("tax")).fill_null(0)).alias("o_tax"),
        pl.col("is_sample_order").fill_null(False).alias("is_sample"),
        pl.col("fulfillment_type").fill_null("FULFILLMENT_BY_SELLER"),
        pl.col("operating_model").fill_null("self_operated"),
        pl.col("market").fill_null("US"),
    )

    ol = inputs.order_lines.select(LINE_COLUMNS).join(
        orders.select("order_id", "order_idx"), on="order_id", how="left"
    )
    orphan = (
        ol.filter(pl.col("order_idx").is_null()) if ol["order_idx"].null_count() else ol.head(0)
    )
    if orphan.height:
        ids = orphan["order_id"].unique().sort().to_list()
        findings.append(
            finding(
                "LEDGER_LINE_UNKNOWN_ORDER",
                "error",
                "{n} order line(s) refer to orders that do not exist: {ids}",
                fix="Import the orders (header) file for these order ids, or fix order_id.",
                source="order_lines",
                column="order_id",
                n=orphan.height,
                ids=sample(ids),
            )
        )
        ol = ol.filter(pl.col("order_idx").is_not_null())
    head = orders.select(
        "kept",
        "shop_id",
        "market",
        "currency",
        "created_at",
        "shipped_at",
        "delivered_at",
        "order_date",
        "tz",
        "fx8",
        "fulfillment_type",
        "warehouse_id",
        "route_id",
        "operating_model",
        "is_sample",
        "o_ship_fee",
        "o_ship_sd",
        "o_ship_pd",
        "o_tax",
    )
    # lines of excluded orders dropped before the header columns are gathered (one narrow
    # gather instead of filtering the wide frame)
    kept_line = head["kept"].gather(ol["order_idx"])
    if not kept_line.all():
        ol = ol.filter(kept_line)
    lines = pl.concat([ol, head.select(pl.all().gather(ol["order_idx"]))], how="horizontal")
    orders = orders.filter(pl.col("kept"))
    rate_parts = [rate6(pl.col("commission_rate"))]
    if inputs.content.height:
        content = inputs.content.select(
            "content_id",
            pl.col("creator_id").alias("c_creator"),
            rate6(pl.col("commission_rate")).alias("c_rate"),
        )
        lines = _join_narrow(lines, content, "content_id").with_columns(
            pl.coalesce("creator_id", "c_creator").alias("creator_id")
        )
        rate_parts.append(pl.col("c_rate"))
    if inputs.creators.height:
        creators = inputs.creators.select(
            "creator_id", rate6(pl.col("commission_rate")).alias("cr_rate")
        )
        lines = _join_narrow(lines, creators, "creator_id")
        rate_parts.append(pl.col("cr_rate"))
    if not _sorted_by(lines, "order_idx", "sku_id"):
        lines = lines.sort("order_idx", "sku_id")
    q = pl.col("quantity").cast(pl.Int64)
    gross_cur = pl.coalesce(
        micro(pl.col("subtotal_before_discount")), micro(pl.col("unit_price")) * q
    )
    sd_cur = micro(pl.col("seller_discount")).fill_null(0)
    pd_cur = micro(pl.col("platform_discount")).fill_null(0)
    after_cur = pl.coalesce(micro(pl.col("subtotal_after_discount")), gross_cur - sd_cur - pd_cur)
    tax_cur = micro(pl.col("tax")).fill_null(0)
    # a line without a tax of its own (a Seller Center export has the tax per order) takes its
    # share of the order's tax by its subtotal after discounts, unless another line of the
    # order has one
    if lines["tax"].null_count():
        has_line_tax = group_total(pl.col("tax").is_not_null().cast(pl.Int64), "order_idx") > 0
        lines = allocate(
            lines,
            pl.when(has_line_tax).then(0).otherwise(pl.col("o_tax")),
            after_cur.clip(lower_bound=0),
            "order_idx",
            "__o_tax",
        )
        line_tax = usd(tax_cur) + pl.when(pl.col("tax").is_null()).then(
            pl.col("__o_tax")
        ).otherwise(0)
    else:
        line_tax = usd(tax_cur)
    affiliated = pl.col("creator_id").is_not_null() | (pl.col("traffic_source") == "affiliate")
    lines = lines.select(
        pl.int_range(pl.len(), dtype=pl.Int64).alias("line_no"),
        "order_idx",
        "order_id",
        "sku_id",
        q.alias("quantity"),
        pl.col("traffic_source").fill_null("organic"),
        "content_id",
        "creator_id",
        "shop_id",
        "market",
        "currency",
        "created_at",
        "shipped_at",
        "delivered_at",
        "order_date",
        "tz",
        "fx8",
        "fulfillment_type",
        "warehouse_id",
        "operating_model",
        "is_sample",
        "o_ship_fee",
        "o_ship_sd",
        "o_ship_pd",
        gross_cur.alias("gross_cur"),
        sd_cur.alias("sdisc_cur"),
        usd(gross_cur).alias("gross"),
        usd(sd_cur).alias("sdisc"),
        (usd(gross_cur) - usd(sd_cur)).alias("sales"),
        (usd(after_cur) + line_tax).alias("buyer_paid"),
        pl.coalesce(
            "route_id",
            pl.when(pl.col("fulfillment_type") == "FULFILLMENT_BY_TIKTOK")
            .then(pl.lit("FBT"))
            .when(pl.col("fulfillment_type") == "FULFILLMENT_BY_PLATFORM")
            .then(pl.lit("platform"))
            .when(pl.col("warehouse_id").is_not_null())
            .then(pl.format("3PL:{}", "warehouse_id"))
            .otherwise(pl.lit("seller")),
        ).alias("route"),
        pl.when(affiliated & ~pl.col("is_sample"))
        .then(
            pl.coalesce(*rate_parts, pl.lit(dec_rate(settings.default_commission_rate), pl.Int64))
        )
        .otherwise(None)
        .alias("comm6"),
    )
    lines = lines.with_columns(group_total(pl.col("quantity"), "order_idx").alias("order_units"))
    return lines, orders, findings


# -- 2. estimates from the fee schedule ----------------------------------------------------


def estimate_accounts(
    lines: pl.DataFrame, inputs: LedgerInputs, settings: LedgerSettings
) -> tuple[pl.DataFrame, list[Finding]]:
    findings: list[Finding] = []
    s = settings
    lines = lines.sort("line_no")  # orders contiguous (line_no follows the order) below
    is_fbt = pl.col("fulfillment_type") == "FULFILLMENT_BY_TIKTOK"
    order_ship_income = pl.col("o_ship_fee") + pl.col("o_ship_pd")
    order_ship_original = pl.col("o_ship_fee") + pl.col("o_ship_sd") + pl.col("o_ship_pd")
    lines = allocate(lines, order_ship_income, pl.col("sales"), "order_idx", "shipping_income")
    lines = allocate(lines, order_ship_original, pl.col("sales"), "order_idx", "__label")
    lines = lines.with_columns(
        pl.when(is_fbt)
        .then(pl.lit(0, pl.Int64))
        .otherwise(-pl.col("__label"))
        .alias("shipping_cost")
    ).drop("__label")
    fixed = to_micro(s.payment_fee_fixed_usd)
    if fixed:
        lines = allocate(lines, pl.lit(fixed, pl.Int64), pl.col("sales"), "order_idx", "__fixed")
    else:
        lines = lines.with_columns(pl.lit(0, pl.Int64).alias("__fixed"))
    base = pl.col("sales") + (pl.col("shipping_income") if s.referral_fee_includes_shipping else 0)
    lines = lines.with_columns(
        (-fee_cents(base, dec_rate(s.referral_fee_rate))).alias("referral_fee"),
        (
            -fee_cents(
                pl.col("buyer_paid") + pl.col("shipping_income"), dec_rate(s.payment_fee_rate)
            )
            - pl.col("__fixed")
        ).alias("payment_fee"),
        pl.when(pl.col("comm6").is_not_null())
        .then(-fee_cents(pl.col("sales"), pl.col("comm6")))
        .otherwise(0)
        .alias("commission"),
    ).drop("__fixed")
    # FBT rate card by the unit's chargeable weight (greater of actual and dimensional)
    phys = inputs.skus.select(
        "sku_id",
        pl.max_horizontal(
            pl.col("weight_g") / LB_G,
            pl.col("length_cm")
            * pl.col("width_cm")
            * pl.col("height_cm")
            / IN3_CM3
            / float(s.fbt_dim_divisor),
        ).alias("__lb"),
    )
    lines = lines.join(phys, on="sku_id", how="left")
    single = pl.col("order_units") == 1
    singles: list[tuple[pl.Expr, pl.Expr]] = []
    multis: list[tuple[pl.Expr, pl.Expr]] = []
    for t in s.fbt_rate_card:
        cond = (
            pl.lit(True)
            if t.max_weight_lb is None
            else pl.col("__lb").fill_null(0) <= float(t.max_weight_lb)
        )
        singles.append((cond, pl.lit(to_micro(t.single_unit_usd), pl.Int64)))
        multis.append((cond, pl.lit(to_micro(t.multi_unit_usd), pl.Int64)))
    zero = pl.lit(0, pl.Int64)
    unit_fee = pl.when(single).then(case(singles, zero)).otherwise(case(multis, zero))
    loc = inputs.locations.select(
        pl.col("location_id").alias("warehouse_id"),
        micro(pl.col("outbound_cost_per_unit_usd")).alias("__out"),
    )
    lines = lines.join(loc, on="warehouse_id", how="left").with_columns(
        pl.when(is_fbt).then(-unit_fee * pl.col("quantity")).otherwise(0).alias("fbt_fee"),
        pl.when(~is_fbt & pl.col("__out").is_not_null())
        .then(-pl.col("__out") * pl.col("quantity"))
        .otherwise(0)
        .alias("pick_pack"),
    )
    no_weight = lines.filter(is_fbt & pl.col("__lb").is_null())["sku_id"].unique().sort().to_list()
    if no_weight:
        findings.append(
            finding(
                "LEDGER_WEIGHT_MISSING",
                "warn",
                "{n} SKU(s) shipped by FBT have no weight or dimensions; their FBT fee is estimated at the lightest tier: {skus}",
                fix="Set skus.weight_g (and length_cm, width_cm, height_cm).",
                source="skus",
                column="weight_g",
                value=no_weight,
                counts_value="n",
                n=len(no_weight),
                skus=sample(no_weight),
            )
        )
    return lines.drop("__lb", "__out"), findings


# -- 3. actuals: settlement lines and bills ------------------------------------------------


def settlement_details(
    lines: pl.DataFrame, orders: pl.DataFrame, inputs: LedgerInputs, fx: pl.DataFrame
) -> tuple[pl.DataFrame, pl.DataFrame, list[Finding]]:
    """(line details, shop-level overhead, findings) from ``settlement_lines``."""
    findings: list[Finding] = []
    st = inputs.settlement_lines
    if st.height == 0:
        return _empty(DETAIL_SCHEMA), _empty(OVERHEAD_SCHEMA), findings
    st = attach_fx(st.with_row_index("s_row"), "statement_date", "currency", fx, "fx8")
    bad = st.filter(pl.col("fx8").is_null())
    if bad.height:
        curs = sorted({str(c) for c in bad["currency"].to_list()})
        findings.append(
            finding(
                "LEDGER_FX_MISSING",
                "error",
                "{n} settlement line(s) are in currencies with no FX rate ({currencies}); they are left out",
                fix="Import fx_rates (date, currency, usd_per_unit) for {currencies}.",
                source="settlement_lines",
                column="currency",
                value=curs,
                n=bad.height,
                currencies=", ".join(curs),
            )
        )
        st = st.filter(pl.col("fx8").is_not_null())
    neg_pos = [(k, v) for k, v in SETTLEMENT_ACCOUNTS.items() if v is not None]
    amt = micro(pl.col("amount"))
    pairs: list[tuple[pl.Expr, pl.Expr]] = []
    for fee_type, accounts in neg_pos:
        assert accounts is not None
        if len(accounts) == 2:
            val = pl.when(amt > 0).then(pl.lit(accounts[1])).otherwise(pl.lit(accounts[0]))
        else:
            val = pl.lit(accounts[0])
        pairs.append((pl.col("fee_type") == fee_type, val))
    acc = case(pairs, pl.lit(None, pl.String))
    st = st.with_columns(
        acc.alias("account"),
        amt.alias("amount"),
        convert_fx(amt, pl.col("fx8")).alias("amount_usd"),
        pl.format("statement_id={};line_id={}", "statement_id", "line_id").alias("source_key"),
        pl.col("statement_date").alias("date"),
    ).filter(pl.col("account").is_not_null())

    all_orders = inputs.orders.select("order_id")
    unknown = st.filter(pl.col("order_id").is_not_null()).join(
        all_orders, on="order_id", how="anti"
    )
    if unknown.height:
        ids = unknown["order_id"].unique().sort().to_list()
        findings.append(
            finding(
                "LEDGER_SETTLEMENT_UNKNOWN_ORDER",
                "error",
                "{n} settlement line(s) refer to {k} order(s) that are not in the orders table: {ids}; they count in cash but not in any margin",
                fix="Import the missing orders (Seller Center order export) or check the statement's order ids.",
                source="settlement_lines",
                column="order_id",
                n=unknown.height,
                k=len(ids),
                ids=sample(ids),
                record={"order_ids": ids[:50]},
            )
        )
    shop_level = st.filter(pl.col("order_id").is_null())
    overhead = _overhead(
        shop_level.with_columns(
            pl.when(pl.col("account") == "settled_sales")
            .then(pl.lit("other_platform_fees"))
            .otherwise(pl.col("account"))
            .alias("account"),
            pl.lit("actual").alias("basis"),
            pl.lit(True).alias("settlement"),
            pl.lit("settlement_lines").alias("source_table"),
        )
    )
    keyed = st.filter(pl.col("order_id").is_not_null())
    line_keys = lines.select("order_id", "sku_id", "line_no", "order_idx", "sales").join(
        keyed.select("order_id").unique(), on="order_id", how="semi"
    )
    direct = keyed.filter(pl.col("sku_id").is_not_null()).join(
        line_keys.select("order_id", "sku_id", "line_no"), on=["order_id", "sku_id"], how="inner"
    )
    spread = keyed.join(direct.select("s_row"), on="s_row", how="anti").join(
        line_keys.select("order_id", "line_no", "sales"), on="order_id", how="inner"
    )
    spread = sort_pairs(spread, "s_row", "line_no")
    spread = allocate(spread, pl.col("amount_usd"), pl.col("sales"), "s_row", "amount_usd")
    spread = allocate(spread, pl.col("amount"), pl.col("sales"), "s_row", "amount")
    both = pl.concat(
        [direct.drop("sku_id"), spread.drop("sku_id", "sales")], how="diagonal_relaxed"
    )
    fam_map = {a: f for a, (_g, _s, f) in ACCOUNTS.items() if f is not None}
    fam_map["settled_sales"] = "sales"
    details = _detail(
        both.with_columns(
            pl.lit("actual").alias("basis"),
            pl.lit(True).alias("settlement"),
            pl.lit("settlement_lines").alias("source_table"),
            pl.col("account").replace_strict(fam_map, default=None).alias("family"),
        )
    )
    return details, overhead, findings


def bill_details(
    lines: pl.DataFrame, inputs: LedgerInputs, fx: pl.DataFrame
) -> tuple[pl.DataFrame, pl.DataFrame, list[Finding]]:
    findings: list[Finding] = []
    b = inputs.bills
    if b.height == 0:
        return _empty(DETAIL_SCHEMA), _empty(OVERHEAD_SCHEMA), findings
    b = attach_fx(b.with_row_index("b_row"), "bill_date", "currency", fx, "fx8")
    bad = b.filter(pl.col("fx8").is_null())
    if bad.height:
        curs = sorted({str(c) for c in bad["currency"].to_list()})
        findings.append(
            finding(
                "LEDGER_FX_MISSING",
                "error",
                "{n} bill line(s) are in currencies with no FX rate ({currencies}); they are left out",
                fix="Import fx_rates (date, currency, usd_per_unit) for {currencies}.",
                source="bills",
                column="currency",
                value=curs,
                n=bad.height,
                currencies=", ".join(curs),
            )
        )
        b = b.filter(pl.col("fx8").is_not_null())
    amt = -micro(pl.col("amount"))  # a bill is a cost
    b = b.with_columns(
        amt.alias("amount"),
        convert_fx(amt, pl.col("fx8")).alias("amount_usd"),
        pl.format("bill_id={};line_id={}", "bill_id", "line_id").alias("source_key"),
        pl.coalesce("period_end", "bill_date").alias("date"),
        pl.col("charge_type")
        .replace_strict(BILL_ORDER_ACCOUNTS, default="warehousing")
        .alias("account"),
    )
    line_keys = lines.select("order_id", "line_no", "quantity")
    with_line = (
        b.filter(pl.col("order_id").is_not_null())
        .join(line_keys, on="order_id", how="inner")
        .pipe(sort_pairs, "b_row", "line_no")
    )
    with_line = allocate(with_line, pl.col("amount_usd"), pl.col("quantity"), "b_row", "amount_usd")
    with_line = allocate(with_line, pl.col("amount"), pl.col("quantity"), "b_row", "amount")
    fam = {"pick_pack": "pick_pack", "fbt_fee": "fbt_fee", "shipping_cost": "shipping_cost"}
    details = _detail(
        with_line.with_columns(
            pl.lit("actual").alias("basis"),
            pl.lit(False).alias("settlement"),
            pl.lit("bills").alias("source_table"),
            pl.col("account").replace_strict(fam, default=None).alias("family"),
        )
    )
    rest = b.join(with_line.select("b_row").unique(), on="b_row", how="anti")
    unknown_orders = rest.filter(pl.col("order_id").is_not_null()).join(
        inputs.orders.select("order_id"), on="order_id", how="anti"
    )
    if unknown_orders.height:
        findings.append(
            finding(
                "LEDGER_BILL_UNKNOWN_ORDER",
                "warn",
                "{n} bill line(s) name orders that are not in the orders table; they are charged to their SKU or the shop: {ids}",
                fix="Import the missing orders or correct bills.order_id.",
                source="bills",
                column="order_id",
                n=unknown_orders.height,
                ids=sample(unknown_orders["order_id"].unique().sort().to_list()),
            )
        )
    overhead = _overhead(
        rest.with_columns(
            pl.lit("warehousing").alias("account"),
            pl.lit("actual").alias("basis"),
            pl.lit(False).alias("settlement"),
            pl.lit("bills").alias("source_table"),
        )
    )
    return details, overhead, findings


# -- 4. returns and costing ----------------------------------------------------------------


def prepare_returns(
    lines: pl.DataFrame,
    inputs: LedgerInputs,
    settings: LedgerSettings,
    fx: pl.DataFrame,
    tzs: list[str],
) -> tuple[pl.DataFrame, list[Finding]]:
    findings: list[Finding] = []
    r = inputs.returns.filter(
        pl.col("status").fill_null("completed").is_in(["approved", "completed"])
    )
    if r.height == 0:
        return r.with_columns(pl.lit(None, pl.Int64).alias("line_no")).head(0), findings
    keys = lines.select(
        "order_id",
        "sku_id",
        "line_no",
        "order_idx",
        pl.col("quantity").alias("line_qty"),
        "sales",
        "buyer_paid",
        "referral_fee",
        "commission",
        "fbt_fee",
        "pick_pack",
        "is_sample",
        "shipped_at",
        "created_at",
        "tz",
    )
    keys = keys.join(r.select("order_id").unique(), on="order_id", how="semi")
    r = r.join(keys, on=["order_id", "sku_id"], how="left")
    orphan = r.filter(pl.col("line_no").is_null()).join(
        inputs.orders.filter(~pl.col("status").is_in(EXCLUDED_STATUSES)).select("order_id"),
        on="order_id",
        how="semi",
    )
    orphan = pl.concat(
        [
            orphan,
            r.filter(pl.col("line_no").is_null()).join(
                inputs.orders.select("order_id"), on="order_id", how="anti"
            ),
        ]
    )
    if orphan.height:
        findings.append(
            finding(
                "LEDGER_RETURN_UNKNOWN_LINE",
                "warn",
                "{n} return(s) name an order and SKU that match no order line; they are left out: {ids}",
                fix="Check returns.order_id and returns.sku_id against the order lines.",
                source="returns",
                column="sku_id",
                n=orphan.height,
                ids=sample(orphan["return_id"].to_list()),
            )
        )
    r = r.filter(pl.col("line_no").is_not_null())
    r = r.with_columns(
        pl.max_horizontal(pl.coalesce("completed_at", "requested_at"), "created_at").alias(
            "ret_ts"
        ),
    ).with_columns(local_date("ret_ts", "tz", tzs).alias("ret_date"))
    r = attach_fx(r, "ret_date", "currency", fx, "fx8")
    bad = r.filter(pl.col("fx8").is_null())
    if bad.height:
        curs = sorted({str(c) for c in bad["currency"].to_list()})
        findings.append(
            finding(
                "LEDGER_FX_MISSING",
                "error",
                "{n} return(s) are in currencies with no FX rate ({currencies}); they are left out",
                fix="Import fx_rates (date, currency, usd_per_unit) for {currencies}.",
                source="returns",
                column="currency",
                n=bad.height,
                currencies=", ".join(curs),
            )
        )
        r = r.filter(pl.col("fx8").is_not_null())
    rtype = pl.col("return_type")
    disp = pl.col("disposition").fill_null("pending")
    eff = (
        pl.when((rtype == "refund_only") & disp.is_in(["pending", "not_returned"]))
        .then(pl.lit("not_returned"))
        .when((rtype == "replacement") & (disp == "pending"))
        .then(pl.lit("replacement"))
        .when(rtype == "cancellation_refund")
        .then(pl.when(pl.col("shipped_at").is_null()).then(pl.lit("resellable")).otherwise(disp))
        .otherwise(disp)
    )
    q = pl.min_horizontal(pl.col("quantity").cast(pl.Int64), pl.col("line_qty"))
    refund_given = micro(pl.col("refund_amount"))
    r = r.with_columns(
        q.alias("rq"),
        eff.alias("outcome"),
        pl.when(refund_given.is_not_null())
        .then(convert_fx(refund_given, pl.col("fx8")))
        .otherwise(div_half_up(pl.col("buyer_paid").cast(I128) * q, pl.col("line_qty")))
        .alias("refund_usd"),
        refund_given.is_null().alias("refund_estimated"),
        convert_fx(micro(pl.col("return_shipping_cost")).fill_null(0), pl.col("fx8")).alias(
            "ret_ship_usd"
        ),
        pl.format("return_id={}", "return_id").alias("source_key"),
    )
    share_num = pl.min_horizontal("refund_usd", "buyer_paid")
    # The buyer's refund includes the sales tax (collected and refunded by the platform, never
    # the seller's) and the platform-funded discount (the platform takes back only what it
    # paid): the seller bears the same share of its sales (gross − seller discount); a refund
    # above what the buyer paid for the line (e.g. shipping) is the seller's in full.
    seller_refund = (
        pl.when(pl.col("buyer_paid") > 0)
        .then(
            div_half_up(pl.col("sales").cast(I128) * share_num, pl.col("buyer_paid"))
            + (pl.col("refund_usd") - pl.col("buyer_paid")).clip(lower_bound=0)
        )
        .otherwise(pl.col("refund_usd"))
    )
    r = r.with_columns(
        seller_refund.alias("refund_seller"),
        pl.when(pl.col("refund_usd") != 0)
        .then(
            div_half_up(
                micro(pl.col("refund_amount")).fill_null(0).cast(I128) * seller_refund,
                pl.col("refund_usd"),
            )
        )
        .otherwise(0)
        .alias("refund_seller_cur"),
    )
    no_admin = pl.col("is_sample") | (
        (rtype == "cancellation_refund") & pl.col("shipped_at").is_null()
    )
    r = r.with_columns(
        proportional_cents(-pl.col("referral_fee"), share_num, pl.col("buyer_paid")).alias(
            "ref_refund"
        )
    ).with_columns(
        pl.when(no_admin)
        .then(0)
        .otherwise(
            -pl.min_horizontal(
                fee_cents(pl.col("ref_refund"), dec_rate(settings.refund_admin_fee_rate)),
                pl.lit(to_micro(settings.refund_admin_fee_cap_usd)),
            )
        )
        .alias("admin_fee"),
        proportional_cents(-pl.col("commission"), share_num, pl.col("buyer_paid")).alias(
            "clawback"
        ),
        pl.when(pl.col("outcome") == "resellable")
        .then(-pl.col("rq") * to_micro(settings.return_handling_per_unit_usd))
        .when(pl.col("outcome") == "unsellable")
        .then(-pl.col("rq") * to_micro(settings.disposal_per_unit_usd))
        .otherwise(0)
        .alias("handling"),
        # fulfilment of a replacement unit: the line's own fulfilment per unit
        pl.when(pl.col("outcome") == "replacement")
        .then(
            div_half_up(
                (pl.col("fbt_fee") + pl.col("pick_pack")).cast(I128) * pl.col("rq"),
                pl.col("line_qty"),
            )
        )
        .otherwise(0)
        .alias("repl_fulfil"),
    )
    return r, findings


def return_details(r: pl.DataFrame) -> pl.DataFrame:
    """Settlement-side and handling accounts of each return (costing comes later)."""
    if r.height == 0:
        return _empty(DETAIL_SCHEMA)
    common: list[str | pl.Expr] = [
        "line_no",
        pl.col("ret_date").alias("date"),
        pl.lit("returns").alias("source_table"),
        "source_key",
        "currency",
    ]
    est_refund = (
        pl.when(pl.col("refund_estimated")).then(pl.lit("estimated")).otherwise(pl.lit("actual"))
    )
    parts = [
        r.select(
            *common,
            pl.lit("refunds").alias("account"),
            (-pl.col("refund_seller")).alias("amount_usd"),
            (-pl.col("refund_seller_cur")).alias("amount"),
            est_refund.alias("basis"),
            pl.lit(True).alias("settlement"),
            pl.lit("refunds").alias("family"),
        ),
        r.select(
            *common,
            pl.lit("referral_fee_refund").alias("account"),
            pl.col("ref_refund").alias("amount_usd"),
            pl.lit("estimated").alias("basis"),
            pl.lit(True).alias("settlement"),
            pl.lit("referral_fee_refund").alias("family"),
        ),
        r.select(
            *common,
            pl.lit("refund_admin_fee").alias("account"),
            pl.col("admin_fee").alias("amount_usd"),
            pl.lit("estimated").alias("basis"),
            pl.lit(True).alias("settlement"),
            pl.lit("refund_admin_fee").alias("family"),
        ),
        r.select(
            *common,
            pl.lit("commission_clawback").alias("account"),
            pl.col("clawback").alias("amount_usd"),
            pl.lit("estimated").alias("basis"),
            pl.lit(True).alias("settlement"),
            pl.lit("commission_clawback").alias("family"),
        ),
        r.select(
            *common,
            pl.lit("return_shipping").alias("account"),
            (-pl.col("ret_ship_usd")).alias("amount_usd"),
            (-micro(pl.col("return_shipping_cost"))).alias("amount"),
            pl.lit("actual").alias("basis"),
            pl.lit(False).alias("settlement"),
        ),
        r.select(
            *common,
            pl.lit("return_handling").alias("account"),
            pl.col("handling").alias("amount_usd"),
            pl.lit("estimated").alias("basis"),
            pl.lit(False).alias("settlement"),
            pl.format("{} unit(s), {}", "rq", "outcome").alias("note"),
        ),
    ]
    out = pl.concat([_detail(p) for p in parts])
    return out.filter(pl.col("amount_usd") != 0)


def costing(
    lines: pl.DataFrame,
    r: pl.DataFrame,
    layers: pl.DataFrame,
    std: pl.DataFrame,
    settings: LedgerSettings,
    *,
    detail: bool,
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame, list[Finding]]:
    """Run the costing pass; return (line costs, return cost details, consumption, findings)."""
    # the FIFO pass is a Numba kernel: imported when a ledger is built, not when the journal
    # is only read (``quickturn ledger`` on an unchanged shop imports this module)
    from quickturn.core.ledger.costing import RECEIPT, RESTOCK, REVERSE, SALE, cost_events

    findings: list[Finding] = []
    recv = layers.filter(~pl.col("in_transit") & pl.col("received_on").is_not_null())
    has_returns = r.height > 0
    # SKU codes from a small dictionary (sorted), so the event sort works on integers
    names = [recv.select("sku_id"), std.select("sku_id")]
    if has_returns:
        names.append(r.select("sku_id"))
    codes = (
        pl.concat([*names, lines.select(pl.col("sku_id").cast(pl.String)).unique()])
        .unique()
        .sort("sku_id")
        .with_row_index("sku_code")
        .with_columns(pl.col("sku_code").cast(pl.Int32))
    )
    std_by_code = (
        codes.join(std.select("sku_id", "std_unit_usd"), on="sku_id", how="left")
        .sort("sku_code")["std_unit_usd"]
        .fill_null(-1)
        .to_numpy()
        .astype(np.int64)
    )
    n_lines = int(lines["line_no"].max()) + 1 if lines.height else 0  # type: ignore[arg-type]
    ev_layers = recv.join(codes, on="sku_id", how="left").select(
        "sku_code",
        pl.col("received_on").cast(pl.Datetime("us")).alias("ts"),
        pl.lit(RECEIPT, pl.Int8).alias("kind"),
        pl.col("quantity").cast(pl.Int64).alias("qty"),
        pl.col("landed_usd").fill_null(0).alias("cost"),
        pl.col("known"),
        pl.int_range(pl.len(), dtype=pl.Int64).alias("src"),  # layer index in recv
        pl.lit(-1, pl.Int64).alias("ref_line"),
        pl.lit(False).alias("is_return"),
    )
    ev_sales = lines.select(
        pl.col("sku_id").cast(pl.String), "created_at", "quantity", "line_no"
    ).join(codes, on="sku_id", how="left")
    ev_sales = ev_sales.select(
        "sku_code",
        pl.col("created_at").alias("ts"),
        pl.lit(SALE, pl.Int8).alias("kind"),
        pl.col("quantity").cast(pl.Int64).alias("qty"),
        pl.lit(0, pl.Int64).alias("cost"),
        pl.lit(True).alias("known"),
        pl.col("line_no").alias("src"),
        pl.lit(-1, pl.Int64).alias("ref_line"),
        pl.lit(False).alias("is_return"),
    )
    parts = [ev_layers, ev_sales]
    if has_returns:
        kind = (
            pl.when(pl.col("outcome") == "resellable")
            .then(pl.lit(RESTOCK, pl.Int8))
            .when(pl.col("outcome").is_in(["unsellable", "not_returned"]))
            .then(pl.lit(REVERSE, pl.Int8))
            .when(pl.col("outcome") == "replacement")
            .then(pl.lit(SALE, pl.Int8))
            .otherwise(None)
        )
        ev_ret = (
            r.select("sku_id", "ret_ts", "outcome", "rq", "line_no")
            .with_row_index("r_idx")
            .join(codes, on="sku_id", how="left")
            .select(
                "sku_code",
                pl.col("ret_ts").alias("ts"),
                kind.alias("kind"),
                pl.col("rq").cast(pl.Int64).alias("qty"),
                pl.lit(0, pl.Int64).alias("cost"),
                pl.lit(True).alias("known"),
                pl.col("r_idx").cast(pl.Int64).alias("src"),
                pl.when(pl.col("outcome") == "replacement")
                .then(pl.lit(-1, pl.Int64))
                .otherwise(pl.col("line_no"))
                .alias("ref_line"),
                pl.lit(True).alias("is_return"),
            )
            .filter(pl.col("kind").is_not_null())
        )
        parts.append(ev_ret)
    # events as NumPy columns; one int64 key per event — (SKU, second, kind) — and a stable
    # radix sort; events of one SKU in the same second and kind keep their order (layers,
    # then lines by line_no, then returns)
    cols = ("sku_code", "ts", "kind", "qty", "cost", "known", "src", "ref_line", "is_return")
    arr = {
        c: np.concatenate(
            [(p[c].dt.epoch("s").fill_null(0) if c == "ts" else p[c]).to_numpy() for p in parts]
        )
        for c in cols
    }
    del parts, ev_sales
    base = int(arr["ts"].min()) if arr["ts"].size else 0
    key = (
        arr["sku_code"].astype(np.int64) * (1 << 33) + np.clip(arr["ts"] - base, 0, (1 << 33) - 1)
    ) * 4 + arr["kind"].astype(np.int64)
    order = np.argsort(key, kind="stable")
    del key
    arr = {c: v[order] for c, v in arr.items()}
    del order
    sku_code = arr["sku_code"].astype(np.int64)
    kinds = arr["kind"]
    src = arr["src"]
    is_ret = arr["is_return"]
    pos = np.arange(kinds.size, dtype=np.int64)
    sale_line = (kinds == SALE) & ~is_ret
    line_pos = np.zeros(n_lines + 1, np.int64)  # last slot: sentinel for "no line"
    line_pos[src[sale_line]] = pos[sale_line]
    del pos
    ref_line = arr["ref_line"]
    ref = np.where(ref_line >= 0, line_pos[np.where(ref_line >= 0, ref_line, n_lines)], 0)
    del line_pos
    fallback = np.where(kinds == SALE, std_by_code[sku_code], -1)
    res = cost_events(
        sku_code,
        kinds,
        arr["qty"],
        arr["cost"],
        arr["known"],
        ref,
        fallback,
        method=settings.costing_method,
        record=detail,
    )
    del ref, arr
    if (res.remaining[kinds == RECEIPT] < -1).any():  # pragma: no cover - invariant
        raise AssertionError("costing left a negative layer")
    # -- per line: COGS, unknown units, standard-cost fallback ----------------------------
    line_src = src[sale_line]
    cogs_known = np.zeros(n_lines, np.int64)
    unk = np.zeros(n_lines, np.int64)
    cogs_std = np.zeros(n_lines, np.int64)
    cogs_known[line_src] = res.cost[sale_line]
    unk[line_src] = res.unknown[sale_line]
    cogs_std[line_src] = res.standard[sale_line]
    no_std = np.zeros(n_lines, bool)
    no_std[line_src] = fallback[sale_line] < 0
    lc = pl.DataFrame(
        {
            "line_no": np.arange(n_lines, dtype=np.int64),
            "cogs": -(cogs_known + cogs_std),
            "unk": unk,
            "cogs_std": cogs_std,
            "no_std": no_std,
        }
    )
    if lines.height != n_lines:  # sparse line numbers (a partition): keep the real ones
        lc = lc.join(lines.select("line_no"), on="line_no", how="semi")
    unknown_mask = (pl.col("unk") > 0) & pl.col("no_std")
    lc = lc.select(
        "line_no",
        "cogs",
        pl.when(unknown_mask)
        .then(pl.lit("unknown"))
        .when(pl.col("unk") > 0)
        .then(pl.lit("standard"))
        .otherwise(pl.lit(settings.costing_method))
        .alias("cost_basis"),
        pl.when(unknown_mask).then(pl.col("unk")).otherwise(0).alias("unknown_units"),
        pl.col("unk").alias("uncovered_units"),
        "cogs_std",
    )
    if (lc["uncovered_units"] > 0).any():
        basis = (
            lines.select("line_no", pl.col("sku_id").cast(pl.String))
            .join(
                lc.filter(pl.col("uncovered_units") > 0).select("line_no"), on="line_no", how="semi"
            )
            .join(std.select("sku_id", "std_basis"), on="sku_id", how="left")
        )
        lc = lc.join(
            basis.select("line_no", "std_basis"), on="line_no", how="left", maintain_order="left"
        )
    else:
        lc = lc.with_columns(pl.lit(None, pl.String).alias("std_basis"))
    out = pl.DataFrame(
        {
            "kind": kinds,
            "src": src,
            "is_return": is_ret,
            "std_part": res.standard,
            "c": res.cost,
            "unk": res.unknown,
        }
    )
    unknown_lines = lc.filter(pl.col("unknown_units") > 0)
    if unknown_lines.height:
        skus_u = (
            unknown_lines.join(lines.select("line_no", "sku_id"), on="line_no")["sku_id"]
            .unique()
            .sort()
            .to_list()
        )
        findings.append(
            finding(
                "LEDGER_COST_UNKNOWN",
                "error",
                "{n} unit(s) of {k} SKU(s) were sold with no known cost (no received layer, no unit cost): {skus}; their margin leaves out the cost of goods",
                fix="Set skus.unit_cost and cost_currency, or import the purchase orders and shipments that brought them in.",
                source="skus",
                column="unit_cost",
                value=None,
                expected="a unit cost or a received cost layer",
                n=int(unknown_lines["unknown_units"].sum()),
                k=len(skus_u),
                skus=sample(skus_u),
                record={"sku_ids": skus_u[:100]},
            )
        )
    std_lines = lc.filter((pl.col("uncovered_units") > 0) & (pl.col("unknown_units") == 0))
    if std_lines.height:
        skus_s = (
            std_lines.join(lines.select("line_no", "sku_id"), on="line_no")["sku_id"]
            .unique()
            .sort()
            .to_list()
        )
        findings.append(
            finding(
                "LEDGER_COST_STANDARD",
                "info",
                "{n} unit(s) of {k} SKU(s) were sold beyond the received cost layers and costed at a standard unit cost (estimated): {skus}",
                fix="Import the purchase orders and shipments (or opening stock) that supplied these units for exact landed cost.",
                source="shipments",
                n=int(std_lines["uncovered_units"].sum()),
                k=len(skus_s),
                skus=sample(skus_s),
            )
        )
    # -- returns: reversal, write-off, replacement ----------------------------------------
    ret_details = _empty(DETAIL_SCHEMA)
    if has_returns:
        rc = (
            out.filter(pl.col("is_return"))
            .select(pl.col("src").alias("r_idx"), "kind", pl.col("c"), pl.col("unk"), "std_part")
            .join(
                r.with_row_index("r_idx")
                .with_columns(pl.col("r_idx").cast(pl.Int64))
                .select(
                    "r_idx",
                    "line_no",
                    "sku_id",
                    "ret_date",
                    "source_key",
                    "currency",
                    "outcome",
                    "repl_fulfil",
                    "rq",
                ),
                on="r_idx",
            )
        )
        common: list[str | pl.Expr] = [
            "line_no",
            pl.col("ret_date").alias("date"),
            pl.lit("returns").alias("source_table"),
            "source_key",
            pl.lit(False).alias("settlement"),
        ]
        rev = rc.filter(pl.col("kind").is_in([RESTOCK, REVERSE]))
        repl = rc.filter(pl.col("kind") == SALE)
        parts2 = [
            rev.select(
                *common,
                pl.lit("cogs_reversal").alias("account"),
                pl.col("c").alias("amount_usd"),
                pl.lit("actual").alias("basis"),
                pl.format("{} unit(s) {}", "rq", "outcome").alias("note"),
            ),
            rev.filter(pl.col("kind") == REVERSE).select(
                *common,
                pl.lit("return_write_off").alias("account"),
                (-pl.col("c")).alias("amount_usd"),
                pl.lit("actual").alias("basis"),
                pl.format("{} unit(s) {}", "rq", "outcome").alias("note"),
            ),
            repl.select(
                *common,
                pl.lit("replacement").alias("account"),
                (-pl.col("c") - pl.col("std_part") + pl.col("repl_fulfil")).alias("amount_usd"),
                pl.when(pl.col("unk") > 0)
                .then(pl.lit("estimated"))
                .otherwise(pl.lit("actual"))
                .alias("basis"),
                pl.format("{} replacement unit(s)", "rq").alias("note"),
            ),
        ]
        ret_details = pl.concat([_detail(p) for p in parts2]).filter(pl.col("amount_usd") != 0)
    # -- consumption records (which layer each sale's units came from) --------------------
    consumption = pl.DataFrame(
        schema={"line_no": pl.Int64, "layer_id": pl.String, "units": pl.Int64, "cost_usd": pl.Int64}
    )
    if detail and res.cons_sale.size:
        sale_ok = (kinds[res.cons_sale] == SALE) & ~is_ret[res.cons_sale]
        cons = pl.DataFrame(
            {
                "line_no": src[res.cons_sale][sale_ok],
                "i": src[res.cons_layer][sale_ok],
                "rec": kinds[res.cons_layer][sale_ok] == RECEIPT,
                "units": res.cons_units[sale_ok],
                "cost_usd": res.cons_cost[sale_ok],
            }
        )
        rec_ids = recv.select(pl.int_range(pl.len(), dtype=pl.Int64).alias("i"), "layer_id")
        ret_ids = (
            r.select(
                pl.int_range(pl.len(), dtype=pl.Int64).alias("i"),
                pl.format("restock:{}", "source_key").alias("ret_layer"),
            )
            if has_returns
            else pl.DataFrame(schema={"i": pl.Int64, "ret_layer": pl.String})
        )
        consumption = (
            cons.join(rec_ids, on="i", how="left")
            .join(ret_ids, on="i", how="left")
            .select(
                "line_no",
                pl.when(pl.col("rec"))
                .then(pl.col("layer_id"))
                .otherwise(pl.col("ret_layer"))
                .alias("layer_id"),
                "units",
                "cost_usd",
            )
        )
    return lc, ret_details, consumption, findings


# -- 6. assemble ---------------------------------------------------------------------------


@dataclass
class LineStage:
    """Everything per order line except the cost of goods and ad spend (which need a view
    across all orders: the costing pass per SKU and the ad pools per period)."""

    lines: pl.DataFrame
    details: pl.DataFrame
    overhead: pl.DataFrame
    returns: pl.DataFrame
    basis_cols: list[str]
    findings: list[Finding]


def line_stage(inputs: LedgerInputs, s: LedgerSettings, fx: pl.DataFrame) -> LineStage:
    """Order lines with revenue, fees, commission, fulfilment, shipping and the settlement
    side of returns (estimates replaced by actual families), plus prepared returns."""
    findings: list[Finding] = []
    lines, orders, f = prepare_lines(inputs, s, fx)
    findings += f
    tzs = sorted(set(orders["tz"].to_list()) | {DEFAULT_TZ}) if orders.height else [DEFAULT_TZ]
    lines, f = estimate_accounts(lines, inputs, s)
    findings += f
    st_det, st_over, f = settlement_details(lines, orders, inputs, fx)
    findings += f
    bill_det, bill_over, f = bill_details(lines, inputs, fx)
    findings += f
    actual = pl.concat([st_det, bill_det])
    present = (
        actual.filter(pl.col("family").is_not_null())
        .join(lines.select("line_no", "order_idx"), on="line_no")
        .select("order_idx", "family")
        .unique()
    )

    # refunds give back a share of the referral fee and commission *as charged*: the
    # settled amount where the order has one, else the schedule's estimate
    charged = lines.select("line_no", "order_idx", "referral_fee", "commission")
    for acc in ("referral_fee", "commission"):
        got = actual.filter(pl.col("account") == acc)
        if got.height == 0:
            continue
        per_line = got.group_by("line_no").agg(pl.col("amount_usd").sum().alias("__act"))
        has = present.filter(pl.col("family") == acc).select(
            "order_idx", pl.lit(True).alias("__has")
        )
        charged = (
            charged.join(per_line, on="line_no", how="left")
            .join(has, on="order_idx", how="left")
            .with_columns(
                pl.when(pl.col("__has").fill_null(False))
                .then(pl.col("__act").fill_null(0))
                .otherwise(pl.col(acc))
                .alias(acc)
            )
            .drop("__act", "__has")
        )
    r, f = prepare_returns(
        lines.drop("referral_fee", "commission").join(
            charged.drop("order_idx"), on="line_no", how="left"
        ),
        inputs,
        s,
        fx,
        tzs,
    )
    findings += f
    ret_det = return_details(r)

    # estimates of a family that has actual amounts for the order are dropped
    basis_cols: list[str] = []
    fams = sorted(set(present["family"].to_list()))
    for fam in fams:
        orders_with = (
            present.filter(pl.col("family") == fam)
            .select("order_idx")
            .with_columns(pl.lit(True).alias(f"has_{fam}"))
        )
        lines = lines.join(orders_with, on="order_idx", how="left", maintain_order="left")
        basis_cols.append(f"has_{fam}")
    for acc in ESTIMATED_LINE_ACCOUNTS:
        fam_name = ACCOUNTS[acc][2]
        if fam_name in fams:
            lines = lines.with_columns(
                pl.when(pl.col(f"has_{fam_name}").fill_null(False))
                .then(0)
                .otherwise(pl.col(acc))
                .alias(acc)
            )
    if ret_det.height and fams:
        ret_det = ret_det.join(lines.select("line_no", "order_idx"), on="line_no").join(
            present.with_columns(pl.lit(True).alias("__drop")),
            on=["order_idx", "family"],
            how="left",
        )
        ret_det = ret_det.filter(pl.col("__drop").is_null()).drop("order_idx", "__drop")

    details = pl.concat([actual, ret_det])
    # sales family: revenue adjustment = settled sales − (gross − seller discount)
    sales_rows = details.filter(pl.col("account") == "settled_sales")
    details = details.filter(pl.col("account") != "settled_sales")
    lines = lines.with_columns(
        pl.col("gross").alias("gross_revenue"),
        (-pl.col("sdisc")).alias("seller_discount"),
    )
    if sales_rows.height:
        settled = sales_rows.group_by("line_no").agg(
            pl.col("amount_usd").sum().alias("__settled"),
            pl.col("date").max().alias("__sdate"),
        )
        adj = (
            lines.select("line_no", "order_id", "sku_id", "gross_revenue", "seller_discount")
            .join(settled, on="line_no", how="inner")
            .select(
                "line_no",
                pl.lit("revenue_adjustment").alias("account"),
                (pl.col("__settled") - pl.col("gross_revenue") - pl.col("seller_discount")).alias(
                    "amount_usd"
                ),
                pl.lit("actual").alias("basis"),
                pl.lit(True).alias("settlement"),
                pl.lit("settlement_lines").alias("source_table"),
                pl.format(
                    "order_id={};sku_id={};fee_type=revenue,platform_discount", "order_id", "sku_id"
                ).alias("source_key"),
                pl.col("__sdate").alias("date"),
                pl.lit("sales").alias("family"),
                pl.lit("settled sales − (gross − seller discount)").alias("note"),
            )
        )
        details = pl.concat([details, _detail(adj.filter(pl.col("amount_usd") != 0))])
    overhead = pl.concat([st_over, bill_over])
    return LineStage(lines, details, overhead, r, basis_cols, findings)


def add_details(
    lines: pl.DataFrame,
    details: pl.DataFrame,
    ad_alloc: pl.DataFrame | None = None,
    *,
    accounts: tuple[str, ...] = ACCOUNT_NAMES,
) -> pl.DataFrame:
    """Lines with each account column (default: all) = its own (estimated) value + the
    detail rows' sum."""
    sums = details.group_by("line_no", "account").agg(pl.col("amount_usd").sum())
    if ad_alloc is not None and ad_alloc.height:
        sums = pl.concat(
            [
                sums,
                ad_alloc.group_by("line_no")
                .agg(pl.col("amount_usd").sum())
                .select("line_no", pl.lit("ads").alias("account"), "amount_usd"),
            ]
        )
    n = lines.height
    ln = lines["line_no"]
    dense = n == 0 or (ln[0] == 0 and ln[-1] == n - 1 and bool((ln.diff().drop_nulls() == 1).all()))
    exprs = []
    if dense:
        # row i is line i: scatter each account's sums straight into a column
        by_acc = sums.partition_by("account", as_dict=True) if sums.height else {}
        for acc in accounts:
            base = pl.col(acc).fill_null(0) if acc in lines.columns else pl.lit(0, pl.Int64)
            part = by_acc.get((acc,))
            if part is not None:
                col = np.zeros(n, np.int64)
                col[part["line_no"].to_numpy()] = part["amount_usd"].to_numpy()
                exprs.append((base + pl.Series(col)).cast(pl.Int64).alias(acc))
            else:
                exprs.append(base.cast(pl.Int64).alias(acc))
        return lines.with_columns(exprs)
    wide = (
        sums.pivot(on="account", index="line_no", values="amount_usd", aggregate_function="sum")
        if sums.height
        else pl.DataFrame(schema={"line_no": pl.Int64})
    )
    wide = wide.rename({c: f"__d_{c}" for c in wide.columns if c != "line_no"})
    lines = lines.join(wide, on="line_no", how="left", maintain_order="left")
    for acc in accounts:
        base = pl.col(acc) if acc in lines.columns else pl.lit(0, pl.Int64)
        d = f"__d_{acc}"
        total = base.fill_null(0) + (pl.col(d).fill_null(0) if d in lines.columns else 0)
        exprs.append(total.cast(pl.Int64).alias(acc))
    lines = lines.with_columns(exprs)
    return lines.drop([c for c in lines.columns if c.startswith("__d_")])


def build_ledger(
    inputs: LedgerInputs,
    settings: LedgerSettings | None = None,
    *,
    as_of: date | None = None,
    detail: bool = True,
) -> LedgerResult:
    """Compute every order line's contribution margin with all components (pure)."""
    s = settings or LedgerSettings()
    fx = fx_table(inputs.fx_rates)
    return finish_ledger(line_stage(inputs, s, fx), inputs, s, fx, as_of=as_of, detail=detail)


def finish_ledger(
    stage: LineStage,
    inputs: LedgerInputs,
    s: LedgerSettings,
    fx: pl.DataFrame,
    *,
    as_of: date | None = None,
    detail: bool = True,
) -> LedgerResult:
    """The ledger from the line stage of every order: cost layers and the costing pass per SKU,
    ad spend per period, every account summed per line.  ``inputs``' order-scoped tables are
    not read (the stage has them), so they may be empty (a build by partitions of orders)."""
    cross = cross_order(stage.lines, stage.returns, inputs, s, fx, as_of=as_of, detail=detail)
    lines, details = assemble(
        stage.lines,
        stage.details,
        stage.basis_cols,
        cross.line_costs,
        cross.cost_details,
        cross.ad_allocations,
    )
    return LedgerResult(
        lines=lines,
        details=details,
        overhead=pl.concat([stage.overhead, cross.ad_overhead]),
        layers=cross.layers,
        ad_allocations=cross.ad_allocations,
        ad_pools=cross.ad_pools,
        consumption=cross.consumption,
        standard_costs=cross.standard_costs,
        settings=s,
        findings=[*stage.findings, *cross.findings],
        as_of=cross.as_of,
        by_layer=cross.consumption.height > 0,
    )


@dataclass
class CrossOrder:
    """What needs every order at once: cost layers, the costing pass per SKU (line costs,
    return cost details, consumption) and the ad pools per period."""

    as_of: date
    layers: pl.DataFrame
    standard_costs: pl.DataFrame
    line_costs: pl.DataFrame
    cost_details: pl.DataFrame
    consumption: pl.DataFrame
    ad_allocations: pl.DataFrame
    ad_pools: pl.DataFrame
    ad_overhead: pl.DataFrame
    findings: list[Finding]


def cross_order(
    lines: pl.DataFrame,
    returns: pl.DataFrame,
    inputs: LedgerInputs,
    s: LedgerSettings,
    fx: pl.DataFrame,
    *,
    as_of: date | None = None,
    detail: bool = True,
) -> CrossOrder:
    """The cross-order passes over every order line (``lines`` needs only the columns of
    :data:`CROSS_LINE_COLUMNS`) and the prepared returns."""
    if as_of is None:
        as_of = lines["order_date"].max() if lines.height else date(2000, 1, 1)  # type: ignore[assignment]
    assert isinstance(as_of, date)
    findings: list[Finding] = []
    layers, f = cost_layers(inputs, s, fx)
    findings += f
    std = standard_costs(inputs, s, fx, layers, as_of)
    lc, ret_cost_det, consumption, f = costing(lines, returns, layers, std, s, detail=detail)
    findings += f
    ad_alloc, ad_pools, ad_over, f = attribution.allocate_ads(lines, inputs, s, fx)
    findings += f
    return CrossOrder(
        as_of, layers, std, lc, ret_cost_det, consumption, ad_alloc, ad_pools, ad_over, findings
    )


#: the line columns the cross-order passes read
CROSS_LINE_COLUMNS = (
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


def assemble(
    lines: pl.DataFrame,
    details: pl.DataFrame,
    basis_cols: list[str],
    line_costs: pl.DataFrame,
    cost_details: pl.DataFrame,
    ad_alloc: pl.DataFrame,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(lines, details) of the ledger: the line stage's lines with their costs, every
    account summed per line (:func:`add_details`), the fees' basis and the margin.  Works on
    any set of whole orders (``line_costs``, ``cost_details`` and ``ad_alloc`` may hold other
    lines too: only ``lines``' are used)."""
    details = pl.concat([details, cost_details])
    lc = line_costs
    if lc.height == lines.height and lc["line_no"].equals(lines["line_no"]):
        lines = pl.concat([lines, lc.drop("line_no")], how="horizontal")
    else:
        lines = lines.join(lc, on="line_no", how="left", maintain_order="left")
    lines = add_details(lines, details, ad_alloc)
    lines = lines.with_columns(
        pl.when(
            pl.any_horizontal([pl.col(c).fill_null(False) for c in basis_cols])
            if basis_cols
            else pl.lit(False)
        )
        .then(pl.lit("actual"))
        .otherwise(pl.lit("estimated"))
        .alias("fees_basis"),
        (pl.col("unknown_units").fill_null(0) == 0).alias("cost_known"),
        pl.sum_horizontal([pl.col(a) for a in ACCOUNT_NAMES]).alias("margin"),
    )
    return lines, details


__all__ = [
    "DETAIL_SCHEMA",
    "DIMENSIONS",
    "MICRO",
    "OVERHEAD_SCHEMA",
    "Decimal",
    "LedgerResult",
    "build_ledger",
]
