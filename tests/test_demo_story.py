"""The demo tells its story: every element of issue #2 item 5 is visible in the data."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import polars as pl
import pytest

from quickturn.demo import DemoShop
from quickturn.demo.calendar import pacific_offset_hours, us_federal_holidays
from quickturn.demo.orders import (
    OLIST_P_NEG_LATE,
    OLIST_P_NEG_ON_TIME,
    OLIST_STARS_LATE,
    OLIST_STARS_ON_TIME,
)

PACIFIC = ZoneInfo("America/Los_Angeles")


def _local_day(frame: pl.DataFrame, col: str) -> pl.Expr:
    return (
        pl.col(col)
        .dt.replace_time_zone("UTC")
        .dt.convert_time_zone("America/Los_Angeles")
        .dt.date()
    )


# --- compliance story -----------------------------------------------------------------------
def test_children_certificates_some_expired_some_missing(
    demo_shop: DemoShop, demo_today: date
) -> None:
    t = demo_shop.tables
    kids = t["skus"].filter(pl.col("is_children"))["sku_id"]
    assert kids.len() >= 3
    cpc = t["certificates"].filter(
        (pl.col("cert_type") == "CPC") & pl.col("sku_id").is_in(kids.implode())
    )
    expired = cpc.filter(pl.col("expires_on") < demo_today)
    assert expired.height >= 1
    # an expired CPC was issued more than a year ago (the platform wants ≤ 365 days)
    assert (expired["issued_on"] < demo_today - timedelta(days=365)).all()
    missing = kids.filter(~kids.is_in(cpc["sku_id"].implode()))
    assert missing.len() >= 1
    valid = cpc.filter((pl.col("expires_on") >= demo_today) & (pl.col("language") == "en"))
    assert valid.height >= 1


def test_battery_gadget_lacks_a_document(demo_shop: DemoShop) -> None:
    t = demo_shop.tables
    battery = t["skus"].filter(pl.col("is_battery"))["sku_id"].to_list()
    assert battery
    docs = t["certificates"].filter(pl.col("sku_id").is_in(battery))
    have = {(r["sku_id"], r["cert_type"]) for r in docs.iter_rows(named=True)}
    gaps = [s for s in battery if (s, "UN38_3") not in have or (s, "SDS") not in have]
    complete = [s for s in battery if (s, "UN38_3") in have and (s, "SDS") in have]
    assert gaps, "some lithium-battery SKU should miss its UN38.3 report or SDS"
    assert len(gaps) < len(battery) or not complete


def test_supplement_scripts_make_risky_claims_in_english_and_chinese(demo_shop: DemoShop) -> None:
    t = demo_shop.tables
    supp = t["skus"].filter(pl.col("is_supplement"))["sku_id"]
    cids = t["content_skus"].filter(pl.col("sku_id").is_in(supp.implode()))["content_id"]
    scripts = t["content"].filter(pl.col("content_id").is_in(cids.implode()))
    en = scripts.filter(
        pl.col("script").str.contains(r"(?i)\bcures?\b|lose \d+ lbs|fat burning|treats")
    )
    zh = scripts.filter(pl.col("language") == "zh")
    assert en.height >= 1
    assert zh.height >= 1
    assert zh["script"].str.contains("治疗|减肥").any()
    assert zh["script"].str.contains("抽奖|转盘").any()
    ok = scripts.filter(
        ~pl.col("script").str.contains(r"(?i)cure|lose \d+|治疗|减肥|miracle|No\. 1")
    )
    assert ok.height >= 1, "not every supplement script is risky"


def test_templated_cross_market_scripts(demo_shop: DemoShop) -> None:
    c = demo_shop.tables["content"].filter(pl.col("content_id").str.starts_with("TPL-"))
    assert set(c["market"]) >= {"US", "GB", "MY"}
    groups = (
        c.with_columns(g=pl.col("content_id").str.slice(0, 7))
        .group_by("g")
        .agg(pl.col("script"), pl.col("market"))
    )
    for row in groups.iter_rows(named=True):
        words = [set(s.lower().split()) for s in row["script"]]
        us = words[row["market"].index("US")]
        for w, m in zip(words, row["market"], strict=True):
            if m != "US":
                jaccard = len(us & w) / len(us | w)
                assert 0.6 <= jaccard < 1.0, (row["g"], m, jaccard)


# --- demand story -----------------------------------------------------------------------------
def _viral_posts(shop: DemoShop) -> pl.DataFrame:
    t = shop.tables
    truth = shop.truth.filter(pl.col("kernel") != "none").select("sku_id", "kernel")
    posts = (
        t["content"]
        .filter(pl.col("kind") == "creator_post")
        .join(t["content_skus"], on="content_id")
        .join(truth, on="sku_id")
    )
    totals = (
        t["content_metrics"]
        .group_by("content_id")
        .agg(pl.col("views").sum().alias("total"), pl.len().alias("n"))
    )
    posts = posts.join(totals, on="content_id")
    return posts.sort("total", descending=True).group_by("sku_id").first()


def test_bursts_decay_exponentially_or_with_a_power_law_tail(demo_shop: DemoShop) -> None:
    m = demo_shop.tables["content_metrics"]
    posts = _viral_posts(demo_shop).filter(pl.col("n") >= 20)
    assert set(posts["kernel"]) == {"exponential", "power_law"}
    right = 0
    for row in posts.iter_rows(named=True):
        v = (
            m.filter(pl.col("content_id") == row["content_id"])
            .sort("date")["views"]
            .to_numpy()
            .astype(float)
        )
        peak = int(np.argmax(v))
        y = np.log(v[peak : peak + 40])
        t = np.arange(y.size, dtype=float)
        sse = {}
        for name, x in (("exponential", t), ("power_law", np.log1p(t))):
            coef = np.polyfit(x, y, 1)
            sse[name] = float(((np.polyval(coef, x) - y) ** 2).sum())
        right += min(sse, key=lambda k: sse[k]) == row["kernel"]
    assert right / posts.height >= 0.8, (right, posts.height)


def test_power_law_bursts_have_longer_tails(demo_shop: DemoShop) -> None:
    posts = _viral_posts(demo_shop)
    tail = posts.group_by("kernel").agg(pl.col("n").median())
    d = dict(tail.iter_rows())
    assert d["power_law"] > d["exponential"] * 1.5


def test_creator_posts_drive_sales(demo_shop: DemoShop) -> None:
    t = demo_shop.tables
    posts = _viral_posts(demo_shop).filter(pl.col("total") >= 20_000)
    sales = (
        t["order_lines"]
        .join(
            t["orders"].filter(pl.col("market") == "US").select("order_id", "created_at"),
            on="order_id",
        )
        .group_by("sku_id", pl.col("created_at").dt.date().alias("day"))
        .agg(pl.col("quantity").sum())
    )
    lifted = 0
    for row in posts.iter_rows(named=True):
        day = row["posted_at"].date()
        s = sales.filter(pl.col("sku_id") == row["sku_id"])
        after = s.filter(pl.col("day").is_between(day, day + timedelta(days=6)))["quantity"].sum()
        before = s.filter(
            pl.col("day").is_between(day - timedelta(days=7), day - timedelta(days=1))
        )["quantity"].sum()
        lifted += after >= 2 * before + 5
    assert posts.height >= 3
    assert lifted / posts.height >= 0.7, (lifted, posts.height)


def test_steady_testing_dead_skus(demo_shop: DemoShop, demo_today: date) -> None:
    t = demo_shop.tables
    truth = demo_shop.truth
    assert set(truth["archetype"]) == {"steady", "burst", "slow", "testing", "dead"}
    recent = demo_today - timedelta(days=60)
    last60 = (
        t["order_lines"]
        .join(
            t["orders"].filter(pl.col("status") != "CANCELLED").select("order_id", "created_at"),
            on="order_id",
        )
        .filter(pl.col("created_at").dt.date() >= recent)
        .group_by("sku_id")
        .agg(pl.col("quantity").sum())
    )
    dead = (
        truth.filter(pl.col("archetype") == "dead")
        .join(last60, on="sku_id", how="left")
        .fill_null(0)
    )
    assert (dead["quantity"] <= 3).all(), "dead SKUs barely sell in the last 60 days"
    stock = t["inventory_snapshots"].filter(pl.col("date") == demo_today - timedelta(days=1))
    left = dead.join(stock, on="sku_id")
    assert left.height >= 1 and (left["on_hand_qty"] > 20).mean() >= 0.8, (
        "dead SKUs sit on leftover stock"
    )
    testing = truth.filter(pl.col("archetype") == "testing")
    launch = t["skus"].filter(pl.col("sku_id").is_in(testing["sku_id"].implode()))["launch_date"]
    assert (launch >= demo_today - timedelta(days=60)).all()


def test_stockouts_are_censored_days_without_sales(demo_shop: DemoShop) -> None:
    t = demo_shop.tables
    inv = (
        t["inventory_snapshots"]
        .sort("sku_id", "date")
        .with_columns(
            avail=pl.col("on_hand_qty") - pl.col("reserved_qty"),
        )
        .with_columns(prev_avail=pl.col("avail").shift(1).over("sku_id"))
    )
    # out of stock all day: nothing left at the previous close and nothing on hand at this close
    out = inv.filter((pl.col("prev_avail") == 0) & (pl.col("on_hand_qty") == 0))
    assert out.height >= 10
    assert out["sku_id"].n_unique() >= 2
    us = (
        t["orders"]
        .filter(pl.col("market") == "US")
        .with_columns(day=_local_day(t["orders"], "created_at"))
    )
    sold = (
        t["order_lines"]
        .join(us.select("order_id", "day"), on="order_id")
        .select("sku_id", pl.col("day").alias("date"))
        .unique()
    )
    clash = out.join(sold, on=["sku_id", "date"])
    assert clash.height == 0, clash.head()
    oos = t["orders"].filter(pl.col("cancel_reason") == "Out of stock")
    assert oos.height >= 1
    assert set(oos["cancel_initiator"]) == {"SELLER"} and set(oos["cancel_fault"]) == {"seller"}


# --- fulfilment, reviews, returns ----------------------------------------------------------
def test_us_federal_holidays_2025() -> None:
    assert us_federal_holidays(2025, 2025) == [
        date(2025, 1, 1), date(2025, 1, 20), date(2025, 2, 17), date(2025, 5, 26), date(2025, 6, 19),
        date(2025, 7, 4), date(2025, 9, 1), date(2025, 10, 13), date(2025, 11, 11), date(2025, 11, 27),
        date(2025, 12, 25),
    ]  # fmt: skip


def test_pacific_offset_matches_zoneinfo() -> None:
    days = np.arange(np.datetime64("2024-01-01"), np.datetime64("2027-01-01"))
    ours = pacific_offset_hours(days)
    for d, h in zip(days[::7].tolist(), ours[::7], strict=True):
        noon = __import__("datetime").datetime(d.year, d.month, d.day, 12, tzinfo=PACIFIC)
        assert -noon.utcoffset().total_seconds() / 3600 == h, d


def test_sla_deadlines_are_us_business_days(demo_shop: DemoShop) -> None:
    o = (
        demo_shop.tables["orders"]
        .filter((pl.col("market") == "US") & (pl.col("order_type") == "regular"))
        .head(3000)
    )
    local = o.select(
        _local_day(o, "created_at").alias("d"),
        pl.col("rts_sla_at")
        .dt.replace_time_zone("UTC")
        .dt.convert_time_zone("America/Los_Angeles")
        .alias("rts"),
        pl.col("delivery_sla_at")
        .dt.replace_time_zone("UTC")
        .dt.convert_time_zone("America/Los_Angeles")
        .alias("dlv"),
    )
    hol = np.array(us_federal_holidays(2024, 2027), dtype="datetime64[D]")
    d = local["d"].to_numpy().astype("datetime64[D]")
    want_rts = np.busday_offset(d, 2, roll="forward", holidays=hol)
    want_dlv = np.busday_offset(d, 6, roll="forward", holidays=hol)
    assert (local["rts"].dt.date().to_numpy().astype("datetime64[D]") == want_rts).all()
    assert (local["dlv"].dt.date().to_numpy().astype("datetime64[D]") == want_dlv).all()
    assert (local["rts"].dt.hour() == 23).all() and (local["rts"].dt.minute() == 59).all()


def test_some_dispatches_and_deliveries_are_late(demo_shop: DemoShop) -> None:
    o = demo_shop.tables["orders"].filter(
        pl.col("shipped_at").is_not_null() & ~pl.col("is_sample_order")
    )
    fbs = o.filter(pl.col("fulfillment_type") == "FULFILLMENT_BY_SELLER")
    ldr = (fbs["shipped_at"] > fbs["rts_sla_at"]).mean()
    assert 0.005 < ldr < 0.15
    d = o.filter(pl.col("delivered_at").is_not_null())
    late = (d["delivered_at"] > d["delivery_sla_at"]).mean()
    assert 0.003 < late < 0.15
    assert (o["shipped_at"] >= o["created_at"]).all()
    assert (d["delivered_at"] > d["shipped_at"]).all()


def test_late_deliveries_get_worse_reviews(demo_shop: DemoShop) -> None:
    t = demo_shop.tables
    r = t["reviews"].join(
        t["orders"].select(
            "order_id", (pl.col("delivered_at") > pl.col("delivery_sla_at")).alias("late")
        ),
        on="order_id",
    )
    p = dict(r.group_by("late").agg((pl.col("rating") <= 2).mean()).iter_rows())
    assert p[True] - p[False] >= 0.25
    assert (
        r.join(t["orders"].select("order_id", "delivered_at"), on="order_id")
        .select(pl.col("created_at") > pl.col("delivered_at"))
        .to_series()
    ).all()


def test_olist_constants_match_the_data(shared_data: Path) -> None:
    o = pl.read_parquet(shared_data / "olist" / "olist_orders_dataset.parquet")
    r = pl.read_parquet(shared_data / "olist" / "olist_order_reviews_dataset.parquet")
    d = o.filter(
        (pl.col("order_status") == "delivered")
        & pl.col("order_delivered_customer_date").is_not_null()
    ).select(
        "order_id",
        (
            pl.col("order_delivered_customer_date").str.to_datetime().dt.date()
            > pl.col("order_estimated_delivery_date").str.to_datetime().dt.date()
        ).alias("late"),
    )
    first = r.sort("review_creation_date").group_by("order_id").first()
    j = d.join(first, on="order_id")
    for late, stars, p_neg in (
        (False, OLIST_STARS_ON_TIME, OLIST_P_NEG_ON_TIME),
        (True, OLIST_STARS_LATE, OLIST_P_NEG_LATE),
    ):
        s = j.filter(pl.col("late") == late)["review_score"]
        dist = [float((s == k).mean()) for k in range(1, 6)]
        assert np.allclose(dist, stars, atol=0.005), (late, dist)
        assert abs(float((s <= 2).mean()) - p_neg) < 0.005


def test_demo_review_rates_follow_olist(demo_shop: DemoShop) -> None:
    t = demo_shop.tables
    good = demo_shop.truth.filter(~pl.col("quality_bad"))["sku_id"]
    r = (
        t["reviews"]
        .filter(pl.col("sku_id").is_in(good.implode()))
        .join(
            t["orders"].select(
                "order_id", (pl.col("delivered_at") > pl.col("delivery_sla_at")).alias("late")
            ),
            on="order_id",
        )
    )
    on_time = r.filter(~pl.col("late"))
    assert abs(float((on_time["rating"] <= 2).mean()) - OLIST_P_NEG_ON_TIME) < 0.04


def test_returns_have_reasons_faults_and_dispositions(
    demo_shop: DemoShop, demo_today: date
) -> None:
    t = demo_shop.tables
    r = t["returns"].join(t["orders"].select("order_id", "delivered_at"), on="order_id")
    assert set(r["fault"]) >= {"buyer", "seller", "logistics"}
    assert r["reason"].n_unique() >= 5
    assert set(r["disposition"]) >= {"resellable", "unsellable", "not_returned"}
    assert (r["requested_at"] > r["delivered_at"]).all()
    assert (r["requested_at"] <= r["delivered_at"] + timedelta(days=30)).all()
    open_ = r.filter(pl.col("completed_at").is_null())
    assert (open_["disposition"] == "pending").all()


def test_sample_orders_for_creators(demo_shop: DemoShop) -> None:
    t = demo_shop.tables
    s = t["orders"].filter(pl.col("is_sample_order"))
    assert s.height >= 1
    assert (s["order_amount"] == 0).all()
    lines = t["order_lines"].join(s.select("order_id"), on="order_id")
    assert (lines["traffic_source"] == "affiliate").all()
    assert lines["creator_id"].is_not_null().all()
    assert (lines["subtotal_after_discount"] == 0).all()


def test_fulfilment_paths(demo_shop: DemoShop) -> None:
    o = demo_shop.tables["orders"]
    assert set(o["fulfillment_type"]) == {"FULFILLMENT_BY_SELLER", "FULFILLMENT_BY_TIKTOK"}
    assert set(o.filter(pl.col("market") == "US")["warehouse_id"]) >= {
        "US-3PL-WEST",
        "US-3PL-EAST",
        "US-FBT-1",
    }
    gb = o.filter(pl.col("market") == "GB")
    assert (
        gb.height > 0
        and set(gb["warehouse_id"]) == {"CN-SZ-WH"}
        and set(gb["route_id"]) == {"R-CB-GB"}
    )
    assert set(gb["currency"]) == {"GBP"}
    pod = o.filter(pl.col("order_type") == "made_to_order")
    assert pod.height > 0 and set(pod["warehouse_id"]) == {"US-POD-1"}


# --- money ------------------------------------------------------------------------------------
def test_statements_follow_deliveries(demo_shop: DemoShop, demo_today: date) -> None:
    t = demo_shop.tables
    s = t["settlement_lines"]
    assert (s["statement_date"] < demo_today).all()
    rev = s.filter(pl.col("fee_type") == "revenue").join(
        t["orders"].select("order_id", "delivered_at"), on="order_id"
    )
    assert (rev["statement_date"] == rev["delivered_at"].dt.date() + timedelta(days=7)).all()
    refund = s.filter(pl.col("fee_type") == "refund").select(
        "order_id", pl.col("statement_date").alias("refund_date")
    )
    both = refund.join(rev.select("order_id", "statement_date"), on="order_id")
    assert both.height > 0 and (both["refund_date"] >= both["statement_date"]).all()
    # nothing is settled for orders delivered in the last week
    recent = t["orders"].filter(pl.col("delivered_at").dt.date() >= demo_today - timedelta(days=6))
    assert s.filter(pl.col("order_id").is_in(recent["order_id"].implode())).height == 0


def test_referral_fee_is_six_percent_of_the_reference_base(demo_shop: DemoShop) -> None:
    t = demo_shop.tables
    single = (
        t["order_lines"].group_by("order_id").len().filter(pl.col("len") == 1).select("order_id")
    )
    o = t["orders"].join(single, on="order_id").filter(pl.col("market") == "US")
    lines = t["order_lines"].join(o, on="order_id", suffix="_o")
    fee = (
        t["settlement_lines"]
        .filter(pl.col("fee_type") == "referral_fee")
        .filter(~pl.col("line_id").str.starts_with("RET-"))
    )
    j = lines.join(fee.select("order_id", "amount"), on="order_id")
    assert j.height > 100
    base = (
        pl.col("subtotal_after_discount")
        + pl.col("platform_discount")
        + pl.col("shipping_fee")
        + pl.col("shipping_fee_platform_discount")
    ).cast(pl.Float64)
    got = j.select((-pl.col("amount").cast(pl.Float64)).alias("fee"), (base * 0.06).alias("want"))
    assert ((got["fee"] - got["want"]).abs() <= 0.005 + 1e-9).all()


def test_refund_admin_fee_and_commission_clawback(demo_shop: DemoShop) -> None:
    s = demo_shop.tables["settlement_lines"].filter(pl.col("line_id").str.starts_with("RET-"))
    admin = s.filter(pl.col("fee_type") == "refund_administration_fee")["amount"].cast(pl.Float64)
    assert admin.len() > 0 and (admin < 0).all() and (admin >= -5).all()
    assert (s.filter(pl.col("fee_type") == "referral_fee")["amount"] > 0).all()


def test_reserve_is_held_and_released_for_the_new_uk_shop(demo_shop: DemoShop) -> None:
    s = demo_shop.tables["settlement_lines"]
    hold = s.filter(pl.col("fee_type") == "reserve_hold")
    rel = s.filter(pl.col("fee_type") == "reserve_release")
    assert hold.height > 0 and rel.height > 0
    assert set(hold["currency"]) == {"GBP"}
    assert rel["amount"].cast(pl.Float64).sum() <= -hold["amount"].cast(pl.Float64).sum()


def test_fx_rates_cover_every_cost_date_and_are_applied_to_duty(demo_shop: DemoShop) -> None:
    t = demo_shop.tables
    fx = (
        t["fx_rates"]
        .filter(pl.col("currency") == "CNY")
        .select("date", pl.col("usd_per_unit").cast(pl.Float64).alias("fx"))
    )
    assert fx["fx"].is_between(1 / 7.6, 1 / 6.8).all()
    po_dates = t["purchase_orders"].select(pl.col("ordered_on").alias("date")).unique()
    assert po_dates.join(fx, on="date", how="anti").height == 0
    sh = t["shipments"].filter(pl.col("arrived_on").is_not_null())
    lines = (
        t["shipment_lines"]
        .join(sh.select("shipment_id", "shipped_on", "duty_cost"), on="shipment_id")
        .join(t["purchase_orders"].select("po_id", "sku_id", "unit_cost"), on=["po_id", "sku_id"])
        .join(t["skus"].select("sku_id", "duty_rate"), on="sku_id")
        .join(fx.rename({"date": "shipped_on"}), on="shipped_on")
    )
    per = lines.group_by("shipment_id").agg(
        (
            pl.col("quantity")
            * pl.col("unit_cost").cast(pl.Float64)
            * pl.col("fx")
            * pl.col("duty_rate").cast(pl.Float64)
        )
        .sum()
        .alias("want"),
        pl.col("duty_cost").first().cast(pl.Float64).alias("got"),
    )
    assert per.height > 0
    assert ((per["want"] - per["got"]).abs() <= 0.011).all()
    # costs in CNY, sales in USD
    assert set(t["purchase_orders"]["currency"]) == {"CNY"}
    assert set(t["skus"]["cost_currency"]) == {"CNY"}
    assert set(t["orders"].filter(pl.col("market") == "US")["currency"]) == {"USD"}


def test_shipments_in_transit_and_open_purchase_orders(
    demo_shop: DemoShop, demo_today: date
) -> None:
    t = demo_shop.tables
    sh = t["shipments"]
    transit = sh.filter(pl.col("arrived_on").is_null())
    assert transit.height >= 1
    assert (transit["shipped_on"] < demo_today).all()
    assert set(sh["route_id"].str.slice(2, 3)) >= {"SEA", "AIR"}
    po = t["purchase_orders"]
    assert set(po["status"]) >= {"received", "shipped"}
    assert po.filter(pl.col("status").is_in(["open", "ready"])).height >= 1
    assert (po["deposit_rate"].cast(pl.Float64).is_between(0, 1)).all()
    assert (sh["freight_cost"] > 0).all()


def test_bills_from_3pl_fbt_and_pod(demo_shop: DemoShop) -> None:
    b = demo_shop.tables["bills"]
    assert set(b["charge_type"]) >= {"storage", "pick_pack", "inbound", "fbt_storage", "other"}
    assert (b["period_end"] < demo_shop.config.as_of).all()


def test_gmv_max_ads(demo_shop: DemoShop) -> None:
    t = demo_shop.tables
    ads = t["ad_spend"]
    assert ads.height > 0 and (ads["spend"] > 0).all()
    assert ads["campaign_id"].str.starts_with("GMVMAX-").all()
    ad_lines = t["order_lines"].filter(pl.col("traffic_source") == "ads")
    assert ad_lines.height > 0
    assert ad_lines["content_id"].str.starts_with("AD-").all()
    pay = t["settlement_lines"].filter(pl.col("fee_type") == "ads_payment")
    assert pay.height > 0 and (pay["amount"] < 0).all()


@pytest.mark.parametrize("col", ["subtotal_after_discount", "tax", "unit_price"])
def test_line_amounts_add_up(demo_shop: DemoShop, col: str) -> None:
    ln = demo_shop.tables["order_lines"]
    assert (
        ln["subtotal_before_discount"] == ln["quantity"].cast(pl.Decimal(18, 4)) * ln["unit_price"]
    ).all()
    assert (
        ln["subtotal_after_discount"]
        == ln["subtotal_before_discount"] - ln["seller_discount"] - ln["platform_discount"]
    ).all()
    o = demo_shop.tables["orders"].join(
        ln.group_by("order_id").agg(
            pl.col("subtotal_after_discount").sum().alias("a"), pl.col("tax").sum().alias("t")
        ),
        on="order_id",
    )
    assert (o["order_amount"] == o["a"] + o["t"] + o["shipping_fee"]).all()
    assert (o["tax"] == o["t"]).all()
    assert ln[col].is_not_null().all()
