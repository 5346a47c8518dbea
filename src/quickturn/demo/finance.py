"""Money side of the demo shop: FX rates, settlement statements, GMV Max ad spend, stock
snapshots, purchase orders, shipments with freight bills and 3PL / FBT / POD bills.

Data flow: simulation (stock, PO events, sailings, ads) + order lines → canonical frames.
Settlement follows the reference fee schedule (``Story``): referral fee 6% of (customer
payment + platform discount − tax), creator commission on the line's price after seller
discount, FBT fee per unit, TikTok Shipping labels for seller-fulfilled parcels, refunds
with the refund administration fee (20% of the refunded referral fee, ≤ $5) and commission
claw-back, weekly GMV Max deductions and a rolling reserve for the new GB shop.  A statement
is paid ``settlement_days`` after delivery; statements dated on or after the as-of day have
not been paid yet and are left out.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import polars as pl

from quickturn.demo.catalog import (
    FBT,
    GB_SHOP,
    POD,
    STOCK_LOCATIONS,
    US_SHOP,
    Catalog,
)
from quickturn.demo.config import DemoConfig
from quickturn.demo.demand import Simulation
from quickturn.demo.orders import SALE, SAMPLE

F = npt.NDArray[np.float64]
I = npt.NDArray[np.int64]  # noqa: E741


def _money(cents: pl.Expr) -> pl.Expr:
    return cents.cast(pl.Int64).cast(pl.Decimal(18, 4)) / 100


def fx_rates(cfg: DemoConfig, first_day: int, rng: np.random.Generator) -> pl.DataFrame:
    """Daily USD value of CNY, GBP and MYR: a mean-reverting random walk around the story's
    levels, from ``first_day`` (index relative to the history start) to the as-of day."""
    st = cfg.story
    n = cfg.days - first_day + 1
    dates = np.datetime64(cfg.start, "D") + np.arange(first_day, cfg.days + 1)
    out = []
    for cur, per_usd, vol in (
        ("CNY", st.cny_per_usd, 0.0018),
        ("GBP", st.gbp_per_usd, 0.004),
        ("MYR", st.myr_per_usd, 0.003),
    ):
        shocks = rng.normal(0, vol, n)
        x = np.zeros(n)
        for k in range(1, n):  # AR(1) on the log deviation, per day (not per order)
            x[k] = 0.985 * x[k - 1] + shocks[k]
        usd_per_unit = np.round(np.exp(x) / per_usd, 8)
        out.append(pl.DataFrame({"date": dates, "currency": cur, "usd_per_unit": usd_per_unit}))
    return pl.concat(out).with_columns(pl.col("usd_per_unit").cast(pl.Decimal(18, 8)))


def ads_frames(cfg: DemoConfig, cat: Catalog, sim: Simulation) -> dict[str, pl.DataFrame]:
    start = cfg.start
    a = sim.ads
    sku_id = pl.Series(cat.sku_id)
    spend = a.with_columns(
        campaign_id=pl.lit("GMVMAX-") + sku_id.gather(a["sku"]),
        date=pl.lit(start) + pl.duration(days=pl.col("day")),
        shop_id=pl.lit(US_SHOP),
        sku_id=sku_id.gather(a["sku"]),
        content_id=pl.lit("AD-") + sku_id.gather(a["sku"]),
        currency=pl.lit("USD"),
    ).with_columns(pl.col("spend").round(2).cast(pl.Decimal(18, 4)))
    ad_spend = spend.select(
        "campaign_id",
        "date",
        "shop_id",
        "sku_id",
        "content_id",
        "spend",
        "currency",
        "impressions",
        "clicks",
    )
    first = spend.group_by("sku_id", maintain_order=True).agg(
        pl.col("date").min(), pl.col("sku").first()
    )
    titles = pl.Series(cat.frames["skus"]["title"])
    content = first.select(
        pl.lit("AD-") + pl.col("sku_id"),
        pl.lit(US_SHOP).alias("shop_id"),
        pl.lit("ad").alias("kind"),
        pl.lit(None, dtype=pl.String).alias("creator_id"),
        (pl.col("date").cast(pl.Datetime("us")) + pl.duration(hours=16)).alias("posted_at"),
        pl.lit("US").alias("market"),
        pl.lit("en").alias("language"),
        (pl.lit("GMV Max: ") + titles.gather(first["sku"])).alias("title"),
        pl.lit("Shop now #ad").alias("caption"),
        pl.lit(None, dtype=pl.String).alias("script"),
        pl.lit(None, dtype=pl.Float64).alias("commission_rate"),
    ).rename({"literal": "content_id"})
    metrics = spend.select(
        "content_id",
        "date",
        (pl.col("impressions") * 0.35).round().cast(pl.Int64).alias("views"),
        (pl.col("impressions") * 0.01).round().cast(pl.Int64).alias("likes"),
        pl.lit(0, dtype=pl.Int64).alias("shares"),
        pl.lit(0, dtype=pl.Int64).alias("comments"),
        "clicks",
    )
    links = first.select((pl.lit("AD-") + pl.col("sku_id")).alias("content_id"), "sku_id")
    return {
        "ad_spend": ad_spend,
        "content": content,
        "content_metrics": metrics,
        "content_skus": links,
    }


def inventory_snapshots(
    cfg: DemoConfig, cat: Catalog, sim: Simulation, lines: pl.DataFrame
) -> pl.DataFrame:
    """End-of-day stock per stocked SKU at its warehouse.  ``on_hand_qty`` counts units
    physically there (sold but not yet picked up by the carrier included); ``reserved_qty``
    those units.  Available stock = on hand − reserved; it is zero on stock-out days."""
    days = cfg.days
    d = np.arange(days)[None, :]
    rows = (cat.location[:, None] >= 0) & (d >= sim.stocked_from[:, None])
    si, di = np.nonzero(rows)
    # units ordered by the end of day d that the carrier collects later (or never: cancels
    # free them the day they are cancelled, approximated by "not shipped by then")
    pend = (
        lines.filter((pl.col("kind") == SALE) & (pl.col("shop") == 0) & (pl.col("loc") <= 2))
        .with_columns(
            ship_day=(
                (pl.col("shipped") - pl.col("cut")).dt.total_seconds() // 86400 + days
            ).fill_null(days + 10),
        )
        .filter(pl.col("ship_day") > pl.col("day"))
        .select("sku", "day", "ship_day", "qty", "cancelled")
    )
    reserved = np.zeros((cat.n, days + 1), dtype=np.int64)
    ps = pend.filter(~pl.col("cancelled"))
    sku = ps["sku"].to_numpy()
    d0 = ps["day"].to_numpy()
    d1 = np.minimum(ps["ship_day"].to_numpy(), days).astype(np.int64)
    np.add.at(reserved, (sku, d0), ps["qty"].to_numpy())
    np.add.at(reserved, (sku, d1), -ps["qty"].to_numpy())
    reserved = np.cumsum(reserved, axis=1)[:, :days]
    on_hand = sim.on_hand[si, di] + reserved[si, di]
    return pl.DataFrame(
        {
            "date": np.datetime64(cfg.start, "D") + di,
            "sku_id": pl.Series(cat.sku_id).gather(si),
            "location_id": pl.Series(list(STOCK_LOCATIONS)).gather(cat.location[si]),
            "on_hand_qty": on_hand,
            "reserved_qty": reserved[si, di],
        }
    )


def supply_frames(
    cfg: DemoConfig, cat: Catalog, sim: Simulation, fx: pl.DataFrame, rng: np.random.Generator
) -> dict[str, pl.DataFrame]:
    days = cfg.days
    start = np.datetime64(cfg.start, "D")
    po = sim.po
    sku = po["sku"].to_numpy()
    day = po["day"].to_numpy()
    sup = cat.frames["suppliers"]
    sup_ids = np.array([f"SUP-{s + 1:03d}" for s in cat.supplier_idx])
    dep_rate = dict(zip(sup["supplier_id"].to_list(), sup["deposit_rate"].to_list(), strict=True))
    ready = po["ready"].to_numpy()
    dep = po["dep"].to_numpy()
    arr = po["arr"].to_numpy()
    status = np.select(
        [arr < days, dep < days, ready < days], ["received", "shipped", "ready"], "open"
    )
    ordered = start + day
    po_id = pl.select(
        pl.lit("PO-")
        + pl.Series(ordered).dt.strftime("%Y%m%d")
        + pl.lit("-")
        + pl.Series(sup_ids[sku])
    ).to_series()
    unit_cost = np.round(cat.cost_cny[sku] * rng.uniform(0.97, 1.03, sku.size), 2)
    purchase_orders = pl.DataFrame(
        {
            "po_id": po_id,
            "sku_id": pl.Series(cat.sku_id).gather(sku),
            "supplier_id": sup_ids[sku],
            "ordered_on": ordered,
            "quantity": po["qty"].to_numpy(),
            "unit_cost": unit_cost,
            "currency": "CNY",
            "deposit_rate": [dep_rate[s] for s in sup_ids[sku]],
            "ready_on": start + ready,
            "destination_id": pl.Series(list(STOCK_LOCATIONS)).gather(cat.location[sku]),
            "status": status,
        }
    ).with_columns(
        pl.col("unit_cost").cast(pl.Decimal(18, 4)), pl.col("deposit_rate").cast(pl.Decimal(12, 6))
    )

    # shipments: one per sailing that carries at least one PO and has left before the as-of day
    routes = cat.frames["routes"]
    rid = np.array(sim.sailings.route_ids)[po["route"].to_numpy()]
    shipped = dep < days
    ev = pl.DataFrame(
        {
            "route_id": rid,
            "sailing": po["sailing"].to_numpy(),
            "dep": dep,
            "arr": arr,
            "sku": sku,
            "qty": po["qty"].to_numpy(),
            "po_id": po_id,
            "unit_cost": unit_cost,
            "kg": po["qty"].to_numpy() * cat.weight_g[sku] / 1000.0,
            "cbm": po["qty"].to_numpy() * cat.volume_cbm[sku],
            "duty_rate": cat.duty_rate[sku],
        }
    ).filter(pl.Series(shipped))
    ev = ev.with_columns(
        shipment_id=pl.lit("SH-")
        + pl.col("route_id").str.replace("R-", "")
        + pl.lit("-")
        + (pl.lit(cfg.start) + pl.duration(days=pl.col("dep"))).dt.strftime("%Y%m%d"),
        shipped_on=pl.lit(cfg.start) + pl.duration(days=pl.col("dep")),
    )
    fx_cny = fx.filter(pl.col("currency") == "CNY").select(
        pl.col("date").alias("shipped_on"), pl.col("usd_per_unit").cast(pl.Float64).alias("fx")
    )
    ev = ev.join(fx_cny, on="shipped_on", how="left", maintain_order="left").with_columns(
        pl.col("fx").fill_null(1 / cfg.story.cny_per_usd)
    )
    ship = ev.group_by("shipment_id", maintain_order=True).agg(
        pl.col("route_id").first(),
        pl.col("shipped_on").first(),
        pl.col("dep").first(),
        pl.col("arr").first(),
        pl.col("kg").sum(),
        pl.col("cbm").sum(),
        pl.col("qty").sum().alias("units"),
        (pl.col("qty") * pl.col("unit_cost").cast(pl.Float64) * pl.col("fx") * pl.col("duty_rate"))
        .sum()
        .alias("duty"),
    )
    ship = ship.join(routes, on="route_id", how="left", maintain_order="left")
    loc_tbl = cat.frames["locations"].select(
        pl.col("location_id").alias("destination_id"), "inbound_cost_per_unit_usd"
    )
    ship = ship.join(loc_tbl, on="destination_id", how="left", maintain_order="left")
    chargeable = pl.max_horizontal(
        pl.col("kg"), pl.col("cbm") * 1e6 / pl.col("volumetric_divisor").fill_null(1e12)
    )
    freight = pl.when(pl.col("mode") == "sea").then(
        pl.col("cbm") * pl.col("cost_per_cbm_usd").cast(pl.Float64)
    ).otherwise(chargeable * pl.col("cost_per_kg_usd").cast(pl.Float64)) + pl.col(
        "fixed_cost_usd"
    ).cast(pl.Float64)
    freight = pl.max_horizontal(freight, pl.col("min_charge_usd").cast(pl.Float64))
    arrived = pl.col("arr") < days
    shipments = ship.select(
        "shipment_id",
        "route_id",
        "origin_id",
        "destination_id",
        "shipped_on",
        (
            pl.col("shipped_on")
            + pl.duration(days=pl.col("lead_time_mean_days").round().cast(pl.Int64))
        ).alias("eta_on"),
        pl.when(arrived)
        .then(pl.lit(cfg.start) + pl.duration(days=pl.col("arr")))
        .alias("arrived_on"),
        freight.round(2).cast(pl.Decimal(18, 4)).alias("freight_cost"),
        pl.when(arrived).then(pl.col("duty").round(2)).cast(pl.Decimal(18, 4)).alias("duty_cost"),
        pl.when(arrived)
        .then((pl.col("units") * pl.col("inbound_cost_per_unit_usd").cast(pl.Float64)).round(2))
        .cast(pl.Decimal(18, 4))
        .alias("inbound_fee"),
        pl.lit("USD").alias("currency"),
        pl.when(pl.col("mode") == "sea")
        .then(pl.lit("volume"))
        .otherwise(pl.lit("weight"))
        .alias("allocation"),
    )
    shipment_lines = (
        ev.group_by("shipment_id", "sku", maintain_order=True)
        .agg(pl.col("po_id").first(), pl.col("qty").sum().alias("quantity"))
        .with_columns(sku_id=pl.lit(pl.Series(cat.sku_id)).gather(pl.col("sku")))
        .select("shipment_id", "sku_id", "po_id", "quantity")
    )
    return {
        "purchase_orders": purchase_orders,
        "shipments": shipments,
        "shipment_lines": shipment_lines,
    }


def bills(
    cfg: DemoConfig, cat: Catalog, sim: Simulation, lines: pl.DataFrame, fx: pl.DataFrame
) -> pl.DataFrame:
    """Monthly 3PL (storage, inbound, pick & pack), FBT storage and POD partner bills for
    complete months before the as-of day."""
    days = cfg.days
    locs = cat.frames["locations"]
    rate = {r["location_id"]: r for r in locs.iter_rows(named=True)}
    start = np.datetime64(cfg.start, "D")
    month = (start + np.arange(days)).astype("datetime64[M]")
    as_of_month = np.datetime64(cfg.as_of, "M")
    parts: list[pl.DataFrame] = []
    stocked = np.flatnonzero(cat.location >= 0)
    # storage: unit-days × m³ × rate, per SKU and month
    for k, loc in enumerate(STOCK_LOCATIONS):
        ids = stocked[cat.location[stocked] == k]
        if ids.size == 0:
            continue
        r = float(rate[loc]["storage_cost_per_cbm_day_usd"])
        cbm_days = sim.on_hand[ids] * cat.volume_cbm[ids, None] * r
        um, inv = np.unique(month, return_inverse=True)
        per_month = np.zeros((ids.size, um.size))
        np.add.at(per_month.T, inv, cbm_days.T)
        si, mi = np.nonzero(per_month >= 0.005)
        parts.append(
            pl.DataFrame(
                {
                    "vendor_id": loc,
                    "month": um[mi].astype("datetime64[D]"),
                    "charge_type": "fbt_storage" if loc == FBT else "storage",
                    "sku_id": pl.Series(cat.sku_id).gather(ids[si]),
                    "amount": np.round(per_month[si, mi], 2),
                }
            )
        )
    # pick & pack (3PL) and POD production + last mile, from shipped order lines
    ln = lines.filter(pl.col("shipped").is_not_null() & (pl.col("shop") == 0)).with_columns(
        month=pl.col("shipped").dt.truncate("1mo").dt.date(),
        sku_id=pl.col("sku_id"),
    )
    fx_cny = fx.filter(pl.col("currency") == "CNY")["usd_per_unit"].cast(pl.Float64).mean()
    pod_cost = cat.frames["skus"].select("sku_id", pl.col("pod_unit_cost").cast(pl.Float64))
    for k, loc in enumerate(STOCK_LOCATIONS[:2]):
        r = float(rate[loc]["outbound_cost_per_unit_usd"])
        pp = (
            ln.filter(pl.col("loc") == k)
            .group_by("month", "sku_id", maintain_order=True)
            .agg((pl.col("qty").sum() * r).round(2).alias("amount"))
        )
        parts.append(
            pp.with_columns(vendor_id=pl.lit(loc), charge_type=pl.lit("pick_pack")).select(
                "vendor_id", "month", "charge_type", "sku_id", "amount"
            )
        )
        inbound = _inbound(cfg, cat, sim, k, float(rate[loc]["inbound_cost_per_unit_usd"]))
        if inbound.height:
            parts.append(inbound)
    pod = ln.filter(pl.col("loc") == 3).join(
        pod_cost, on="sku_id", how="left", maintain_order="left"
    )
    prod = pod.group_by("month", "sku_id", maintain_order=True).agg(
        (pl.col("qty") * pl.col("pod_unit_cost") * fx_cny).sum().round(2).alias("amount")
    )
    parts.append(
        prod.with_columns(vendor_id=pl.lit(POD), charge_type=pl.lit("other")).select(
            "vendor_id", "month", "charge_type", "sku_id", "amount"
        )
    )
    lm = pod.group_by("month", "sku_id", maintain_order=True).agg(
        (pl.len() * cfg.story.pod_last_mile_usd).round(2).alias("amount")
    )
    parts.append(
        lm.with_columns(vendor_id=pl.lit(POD), charge_type=pl.lit("last_mile")).select(
            "vendor_id", "month", "charge_type", "sku_id", "amount"
        )
    )
    allb = pl.concat(
        [
            p.with_columns(pl.col("month").cast(pl.Date), pl.col("amount").cast(pl.Float64))
            for p in parts
        ]
    )
    allb = allb.filter(
        (pl.col("month") < pl.lit(as_of_month.astype("datetime64[D]").astype(object)))
        & (pl.col("amount") > 0)
    )
    allb = allb.with_columns(
        bill_id=pl.lit("BILL-")
        + pl.col("vendor_id")
        + pl.lit("-")
        + pl.col("month").dt.strftime("%Y%m"),
        line_id=pl.col("charge_type") + pl.lit("-") + pl.col("sku_id"),
        period_start=pl.col("month"),
        period_end=pl.col("month").dt.month_end(),
    ).with_columns(
        bill_date=pl.col("period_end") + pl.duration(days=3),
        due_date=pl.col("period_end") + pl.duration(days=18),
        order_id=pl.lit(None, dtype=pl.String),
        currency=pl.lit("USD"),
        amount=pl.col("amount").round(2).cast(pl.Decimal(18, 4)),
    )
    return allb.select(
        "bill_id",
        "line_id",
        "vendor_id",
        "bill_date",
        "due_date",
        "period_start",
        "period_end",
        "charge_type",
        "sku_id",
        "order_id",
        "amount",
        "currency",
    )


def _inbound(cfg: DemoConfig, cat: Catalog, sim: Simulation, k: int, rate: float) -> pl.DataFrame:
    po = sim.po.filter((pl.col("arr") < cfg.days) & (pl.col("arr") >= 0))
    loc = cat.location[po["sku"].to_numpy()] if po.height else np.zeros(0, dtype=np.int64)
    po = po.filter(pl.Series(loc == k))
    return (
        po.select(
            pl.lit(STOCK_LOCATIONS[k]).alias("vendor_id"),
            (pl.lit(cfg.start) + pl.duration(days=pl.col("arr"))).dt.truncate("1mo").alias("month"),
            pl.lit("inbound").alias("charge_type"),
            pl.lit(pl.Series(cat.sku_id)).gather(pl.col("sku")).alias("sku_id"),
            (pl.col("qty") * rate).alias("amount"),
        )
        .group_by("vendor_id", "month", "charge_type", "sku_id", maintain_order=True)
        .agg(pl.col("amount").sum().round(2))
    )


def settlement(
    cfg: DemoConfig,
    cat: Catalog,
    lines: pl.DataFrame,
    returns: pl.DataFrame,
    ad_spend: pl.DataFrame,
) -> pl.DataFrame:
    st = cfg.story
    as_of = cfg.as_of
    weight = pl.Series(cat.weight_g)
    dl = lines.filter(pl.col("delivered").is_not_null() & ~pl.col("cancelled")).with_columns(
        statement_date=(pl.col("delivered").dt.date() + pl.duration(days=st.settlement_days)),
        shop_id=pl.when(pl.col("shop") == 1).then(pl.lit(GB_SHOP)).otherwise(pl.lit(US_SHOP)),
        currency=pl.when(pl.col("shop") == 1).then(pl.lit("GBP")).otherwise(pl.lit("USD")),
        kg=pl.lit(weight).gather(pl.col("sku")) * pl.col("order_units") / 1000.0,
    )
    dl = dl.filter(pl.col("statement_date") < pl.lit(as_of))
    sale = dl.filter(pl.col("kind") != SAMPLE)
    base = pl.col("after_c") + pl.col("pd_c") + pl.col("ship_fee_c") + pl.col("ship_pd_c")
    referral = (base * st.referral_fee_rate).round()
    label = (
        (st.label_base_usd + st.label_per_kg_usd * pl.col("kg")).clip(upper_bound=st.label_cap_usd)
        * 100
    ).round()
    fbt_fee = (
        pl.when(pl.col("order_units") == 1)
        .then(st.fbt_fee_single_usd * 100)
        .otherwise(st.fbt_fee_multi_usd * 100 * pl.col("qty"))
        .round()
    )
    specs: list[tuple[str, pl.Expr, pl.Expr]] = [
        ("revenue", pl.col("after_c"), pl.lit(True)),
        ("platform_discount", pl.col("pd_c"), pl.col("pd_c") > 0),
        (
            "shipping",
            pl.col("ship_fee_c") + pl.col("ship_pd_c"),
            pl.col("ship_fee_c") + pl.col("ship_pd_c") > 0,
        ),
        ("referral_fee", -referral, referral > 0),
        (
            "affiliate_commission",
            -(pl.col("comm") * pl.col("after_c")).round(),
            pl.col("comm").is_not_null() & (pl.col("after_c") > 0),
        ),
        ("fbt_fulfillment_fee", -fbt_fee, pl.col("loc") == 2),
        (
            "shipping_label",
            -label,
            pl.col("first_line") & pl.col("loc").is_in([0, 1]) & (pl.col("shop") == 0),
        ),
    ]
    keep = ["statement_date", "shop_id", "currency", "order_id", "sku_id"]
    parts = [
        sale.filter(cond).select(
            *keep,
            pl.lit(name).alias("fee_type"),
            amt.cast(pl.Int64).alias("cents"),
            (pl.col("order_id") + "-" + pl.col("sku_id") + "-" + name).alias("line_id"),
        )
        for name, amt, cond in specs
    ]
    smp = dl.filter((pl.col("kind") == SAMPLE) & pl.col("first_line"))
    parts.append(
        smp.select(
            *keep,
            pl.lit("sample_shipping_fee").alias("fee_type"),
            (-label).cast(pl.Int64).alias("cents"),
            (pl.col("order_id") + "-" + pl.col("sku_id") + "-sample_shipping_fee").alias("line_id"),
        )
    )
    # refunds: in the first statement after the refund is completed (not before the order's own)
    r = returns.filter(pl.col("completed_at").is_not_null() & (pl.col("refund_amount") > 0)).join(
        dl.select(
            "order_id", "sku_id", "after_c", "pd_c", "comm", "statement_date", "shop_id", "currency"
        ),
        on=["order_id", "sku_id"],
        how="inner",
        maintain_order="left",
    )
    r = r.with_columns(
        statement_date=pl.max_horizontal(
            pl.col("statement_date"), pl.col("completed_at").dt.date() + pl.duration(days=1)
        )
    ).filter(pl.col("statement_date") < pl.lit(as_of))
    ref_referral = ((pl.col("after_c") + pl.col("pd_c")) * st.referral_fee_rate).round()
    admin = (
        (ref_referral * st.refund_admin_share)
        .round()
        .clip(upper_bound=st.refund_admin_cap_usd * 100)
    )
    rspecs: list[tuple[str, pl.Expr, pl.Expr]] = [
        ("refund", -pl.col("after_c"), pl.lit(True)),
        ("platform_discount", -pl.col("pd_c"), pl.col("pd_c") > 0),
        ("referral_fee", ref_referral, ref_referral > 0),
        ("refund_administration_fee", -admin, admin > 0),
        (
            "affiliate_commission",
            (pl.col("comm") * pl.col("after_c")).round(),
            pl.col("comm").is_not_null() & (pl.col("after_c") > 0),
        ),
    ]
    for name, amt, cond in rspecs:
        parts.append(
            r.filter(cond).select(
                *keep,
                pl.lit(name).alias("fee_type"),
                amt.cast(pl.Int64).alias("cents"),
                (pl.col("return_id") + "-" + name).alias("line_id"),
            )
        )
    # weekly GMV Max deduction (Monday statement, previous week's spend)
    if ad_spend.height:
        wk = (
            ad_spend.with_columns(week=pl.col("date").dt.truncate("1w"))
            .group_by("week", maintain_order=True)
            .agg(
                (pl.col("spend").cast(pl.Float64).sum() * 100)
                .round()
                .cast(pl.Int64)
                .alias("spend_c")
            )
        )
        wk = wk.with_columns(statement_date=pl.col("week") + pl.duration(days=7)).filter(
            pl.col("statement_date") < pl.lit(as_of)
        )
        parts.append(
            wk.select(
                "statement_date",
                pl.lit(US_SHOP).alias("shop_id"),
                pl.lit("USD").alias("currency"),
                pl.lit(None, dtype=pl.String).alias("order_id"),
                pl.lit(None, dtype=pl.String).alias("sku_id"),
                pl.lit("ads_payment").alias("fee_type"),
                (-pl.col("spend_c")).alias("cents"),
                (pl.lit("ADS-") + pl.col("week").dt.strftime("%Y%m%d")).alias("line_id"),
            )
        )
    allp = pl.concat(parts, how="vertical_relaxed")
    # GB reserve: 10% of each statement's net is held and released reserve_days later
    gb = (
        allp.filter(pl.col("shop_id") == GB_SHOP)
        .group_by("statement_date", maintain_order=True)
        .agg(pl.col("cents").sum())
    )
    hold = gb.filter(pl.col("cents") > 0).with_columns(
        hold=(pl.col("cents") * st.reserve_rate).round().cast(pl.Int64)
    )
    res = [
        hold.select(
            "statement_date",
            pl.lit(GB_SHOP).alias("shop_id"),
            pl.lit("GBP").alias("currency"),
            pl.lit(None, dtype=pl.String).alias("order_id"),
            pl.lit(None, dtype=pl.String).alias("sku_id"),
            pl.lit("reserve_hold").alias("fee_type"),
            (-pl.col("hold")).alias("cents"),
            (pl.lit("RESERVE-HOLD-") + pl.col("statement_date").dt.strftime("%Y%m%d")).alias(
                "line_id"
            ),
        ),
        hold.with_columns(release=pl.col("statement_date") + pl.duration(days=st.reserve_days))
        .filter(pl.col("release") < pl.lit(as_of))
        .select(
            pl.col("release").alias("statement_date"),
            pl.lit(GB_SHOP).alias("shop_id"),
            pl.lit("GBP").alias("currency"),
            pl.lit(None, dtype=pl.String).alias("order_id"),
            pl.lit(None, dtype=pl.String).alias("sku_id"),
            pl.lit("reserve_release").alias("fee_type"),
            pl.col("hold").alias("cents"),
            (pl.lit("RESERVE-RELEASE-") + pl.col("statement_date").dt.strftime("%Y%m%d")).alias(
                "line_id"
            ),
        ),
    ]
    allp = pl.concat([allp, *res], how="vertical_relaxed")
    return allp.select(
        (
            pl.lit("ST-")
            + pl.col("shop_id").str.slice(3, 2)
            + pl.lit("-")
            + pl.col("statement_date").dt.strftime("%Y%m%d")
        ).alias("statement_id"),
        "line_id",
        "statement_date",
        "order_id",
        "sku_id",
        "fee_type",
        _money(pl.col("cents")).alias("amount"),
        "currency",
    )


def first_po_day(sim: Simulation) -> int:
    return int(sim.po["day"].min()) if sim.po.height else 0
