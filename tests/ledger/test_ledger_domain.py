"""Ledger tests that read like the domain: a small shop written in the test, the expected margin
worked out by hand in the comments (money in dollars, exact)."""

from __future__ import annotations

from decimal import Decimal as D

import polars as pl
import pytest
from ledger_snippets import inputs, line, usd

from quickturn.core.ledger.engine import build_ledger
from quickturn.core.ledger.postings import postings
from quickturn.core.ledger.reconcile import reconcile
from quickturn.core.ledger.reports import rollup
from quickturn.core.ledger.schedule import LedgerSettings
from quickturn.errors import ConfigError

LAMP_SHOP = """
fx_rates        date=2026-01-01 currency=CNY usd_per_unit=0.14
fx_rates        date=2026-02-01 currency=CNY usd_per_unit=0.15
locations       location_id=WH1 name=LA-3PL kind=us_3pl outbound_cost_per_unit_usd=1.50 inbound_cost_per_unit_usd=0.20
skus            sku_id=LAMP title=Lamp unit_cost=35.00 cost_currency=CNY weight_g=800 duty_rate=0.04 hs_code=9405.40
purchase_orders po_id=P1 sku_id=LAMP ordered_on=2026-01-05 quantity=50 unit_cost=35.00 currency=CNY
shipments       shipment_id=S1 route_id=SEA shipped_on=2026-01-20 arrived_on=2026-02-20 freight_cost=60 currency=USD destination_id=WH1
shipment_lines  shipment_id=S1 sku_id=LAMP po_id=P1 quantity=50
creators        creator_id=C9 handle=@lamps commission_rate=0.12
orders          order_id=O1 currency=USD status=DELIVERED created_at=2026-03-05T19:00 delivered_at=2026-03-09T19:00 warehouse_id=WH1 shipping_fee=5.99 shipping_fee_seller_discount=2.00 tax=2.40
order_lines     order_id=O1 sku_id=LAMP quantity=2 unit_price=30.00 seller_discount=6.00 platform_discount=3.00 tax=2.40 creator_id=C9 traffic_source=affiliate
"""


def test_self_fulfilled_order_with_creator_commission() -> None:
    """Landed cost (PO at the PO-date CNY rate) + every estimated fee, to the cent.

    layer: factory 50 × ¥35 × 0.14 = 245.00 (PO date rate, not the Feb rate 0.15);
    freight 60.00; duty 4% × 245 = 9.80; inbound 50 × 0.20 = 10.00 → 324.80 = 6.496/unit.
    O1: gross 60.00 − seller discount 6.00 = sales 54.00
        + buyer shipping 5.99 − label 7.99 (5.99 + 2.00 seller-funded shipping discount)
        − referral 6% × 54 = 3.24 − commission 12% × 54 = 6.48 − 3PL 2 × 1.50 = 3.00
        − COGS 2 × 6.496 = 12.992  →  margin 26.288
    """
    res = build_ledger(inputs(LAMP_SHOP))
    row = line(res, "O1", "LAMP")
    expect = {
        "gross_revenue": D("60"),
        "seller_discount": D("-6"),
        "shipping_income": D("5.99"),
        "shipping_cost": D("-7.99"),
        "referral_fee": D("-3.24"),
        "commission": D("-6.48"),
        "pick_pack": D("-3.00"),
        "cogs": D("-12.992"),
        "margin": D("26.288"),
    }
    assert {k: usd(row[k]) for k in expect} == expect
    assert row["cost_basis"] == "fifo" and row["cost_known"] is True
    assert row["fees_basis"] == "estimated"
    layer = res.layers.row(0, named=True)
    assert [
        usd(layer[c])
        for c in ("factory_usd", "freight_usd", "duty_usd", "inbound_usd", "landed_usd")
    ] == [
        D("245"),
        D("60"),
        D("9.8"),
        D("10"),
        D("324.8"),
    ]
    assert not [f for f in res.findings if f.is_error]


def test_settlement_lines_replace_estimates_and_reconcile() -> None:
    """The statement charged a 3.50 referral fee where the schedule says 3.24: the actual is
    used (margin 26.288 − 0.26 = 26.028), labelled actual, and a fee-mismatch finding is
    raised.  The reserve hold is cash only.  The order's settlement postings sum to the
    statement (51 + 3 + 5.99 − 7.99 − 3.50 − 6.48 = 42.02)."""
    shop = (
        LAMP_SHOP
        + """
settlement_lines statement_id=ST1 line_id=1 statement_date=2026-03-16 order_id=O1 fee_type=revenue amount=51.00 currency=USD
settlement_lines statement_id=ST1 line_id=2 statement_date=2026-03-16 order_id=O1 fee_type=platform_discount amount=3.00 currency=USD
settlement_lines statement_id=ST1 line_id=3 statement_date=2026-03-16 order_id=O1 fee_type=shipping amount=5.99 currency=USD
settlement_lines statement_id=ST1 line_id=4 statement_date=2026-03-16 order_id=O1 fee_type=shipping_label amount=-7.99 currency=USD
settlement_lines statement_id=ST1 line_id=5 statement_date=2026-03-16 order_id=O1 fee_type=referral_fee amount=-3.50 currency=USD
settlement_lines statement_id=ST1 line_id=6 statement_date=2026-03-16 order_id=O1 fee_type=affiliate_commission amount=-6.48 currency=USD
settlement_lines statement_id=ST1 line_id=7 statement_date=2026-03-16 order_id=O1 fee_type=reserve_hold amount=-5.00 currency=USD
"""
    )
    res = build_ledger(inputs(shop))
    row = line(res, "O1", "LAMP")
    assert usd(row["referral_fee"]) == D("-3.50")
    assert usd(row["margin"]) == D("26.028")
    assert row["fees_basis"] == "actual"
    p = postings(res)
    settled = p.filter(pl.col("settlement") & (pl.col("order_id") == "O1"))
    assert usd(settled["amount_usd"].sum()) == D("42.02")
    ref = p.filter(pl.col("account") == "referral_fee").row(0, named=True)
    assert (ref["basis"], ref["source_table"], ref["source_key"]) == (
        "actual",
        "settlement_lines",
        "statement_id=ST1;line_id=5",
    )
    codes = {f.code for f in reconcile(res)}
    assert "LEDGER_FEE_MISMATCH" in codes
    assert "LEDGER_SETTLEMENT_MISMATCH" not in codes  # 51 + 3 == 60 − 6


def test_settled_sales_differ_from_order_lines() -> None:
    """A statement paying 50.00 + 3.00 for items the order lines price at 54.00: the ledger
    posts a revenue adjustment of −1.00 from the settlement and reports it."""
    shop = (
        LAMP_SHOP
        + """
settlement_lines statement_id=ST1 line_id=1 statement_date=2026-03-16 order_id=O1 fee_type=revenue amount=50.00 currency=USD
settlement_lines statement_id=ST1 line_id=2 statement_date=2026-03-16 order_id=O1 fee_type=platform_discount amount=3.00 currency=USD
"""
    )
    res = build_ledger(inputs(shop))
    assert usd(line(res, "O1", "LAMP")["revenue_adjustment"]) == D("-1")
    assert usd(line(res, "O1", "LAMP")["margin"]) == D("25.288")
    f = [f for f in reconcile(res) if f.code == "LEDGER_SETTLEMENT_MISMATCH"]
    assert f and "-1.00" in f[0].message and f[0].message_zh


MUG_SHOP = """
skus     sku_id=MUG title=Mug unit_cost=2.00 cost_currency=USD weight_g=300 duty_rate=0
skus     sku_id=TV title=TV unit_cost=200.00 cost_currency=USD weight_g=9000 duty_rate=0
shipments shipment_id=S1 route_id=AIR shipped_on=2026-01-01 arrived_on=2026-01-10 freight_cost=0 currency=USD
shipment_lines shipment_id=S1 sku_id=MUG quantity=10
shipment_lines shipment_id=S1 sku_id=TV quantity=10
orders   order_id=O2 currency=USD status=DELIVERED created_at=2026-02-01T20:00 shipped_at=2026-02-02T20:00 fulfillment_type=FULFILLMENT_BY_TIKTOK
order_lines order_id=O2 sku_id=MUG quantity=1 unit_price=25.00 tax=2.00
orders   order_id=O3 currency=USD status=DELIVERED created_at=2026-02-01T21:00 shipped_at=2026-02-02T20:00 fulfillment_type=FULFILLMENT_BY_TIKTOK
order_lines order_id=O3 sku_id=TV quantity=10 unit_price=500.00
"""


def test_fbt_rate_card_single_and_multi_unit() -> None:
    """MUG 300 g ≈ 0.66 lb, a single-unit order: tier ≤ 1 lb single 4.18.
    TV 9 kg ≈ 19.8 lb, ten units: open tier multi 16.26 × 10 = 162.60."""
    res = build_ledger(inputs(MUG_SHOP))
    assert usd(line(res, "O2", "MUG")["fbt_fee"]) == D("-4.18")
    assert usd(line(res, "O3", "TV")["fbt_fee"]) == D("-162.60")


@pytest.mark.parametrize(
    ("disposition", "expected"),
    [
        # the buyer gets 27 back (25 + 2 tax); the platform refunds the tax it collected, so
        # the seller bears 25; referral 1.50 refunded, admin 20% = 0.30; cost 2.00 back
        # to stock, handling 1.00 → margin 25 − 1.50 − 4.18 − 2 − 25 + 1.50 − 0.30 + 2 − 1
        (
            "resellable",
            {
                "refunds": "-25",
                "referral_fee_refund": "1.5",
                "refund_admin_fee": "-0.3",
                "cogs": "-2",
                "cogs_reversal": "2",
                "return_write_off": "0",
                "return_handling": "-1",
                "margin": "-5.48",
            },
        ),
        # written off: the cost is reversed out of landed cost and shown under returns
        (
            "unsellable",
            {
                "refunds": "-25",
                "cogs": "-2",
                "cogs_reversal": "2",
                "return_write_off": "-2",
                "return_handling": "0",
                "margin": "-6.48",
            },
        ),
        # refund without return (item lost): the same economics as a write-off
        ("not_returned", {"refunds": "-25", "return_write_off": "-2", "margin": "-6.48"}),
    ],
)
def test_returns_by_outcome(disposition: str, expected: dict[str, str]) -> None:
    shop = MUG_SHOP + (
        "returns return_id=R2 order_id=O2 sku_id=MUG quantity=1 return_type=return_refund "
        f"requested_at=2026-02-10T00:00 currency=USD refund_amount=27.00 disposition={disposition}\n"
    )
    res = build_ledger(inputs(shop))
    row = line(res, "O2", "MUG")
    assert {k: usd(row[k]) for k in expected} == {k: D(v) for k, v in expected.items()}


def test_replacement_ships_another_unit() -> None:
    """A replacement: no refund, a second unit at its cost (2.00) + its FBT fee (4.18)."""
    shop = MUG_SHOP + (
        "returns return_id=R3 order_id=O2 sku_id=MUG quantity=1 return_type=replacement "
        "requested_at=2026-02-10T00:00 currency=USD refund_amount=0 disposition=replacement\n"
    )
    res = build_ledger(inputs(shop))
    row = line(res, "O2", "MUG")
    assert usd(row["replacement"]) == D("-6.18")
    assert usd(row["refunds"]) == 0
    assert usd(row["margin"]) == D("25") - D("1.5") - D("4.18") - D("2") - D("6.18")


def test_refund_admin_fee_capped_at_five_dollars_per_sku() -> None:
    """TV: referral 6% × 5,000 = 300; a full refund returns 300 of it; 20% would be 60 but
    the administration fee is capped at 5.00 for the SKU."""
    shop = MUG_SHOP + (
        "returns return_id=R4 order_id=O3 sku_id=TV quantity=10 return_type=return_refund "
        "requested_at=2026-02-10T00:00 currency=USD refund_amount=5000 disposition=resellable\n"
    )
    row = line(build_ledger(inputs(shop)), "O3", "TV")
    assert usd(row["referral_fee_refund"]) == D("300")
    assert usd(row["refund_admin_fee"]) == D("-5")


def test_order_level_tax_is_shared_over_the_lines_and_never_the_sellers() -> None:
    """A Seller Center export has the tax per order (3.00) and none per line: the mug (20.00)
    takes 1.00 of it and the kettle (40.00) 2.00.  The buyer's 21.00 refund for the mug holds
    its 1.00 tax, which the platform refunds: the seller bears 20.00 and gets the whole 1.20
    referral fee back (less the 0.24 admin fee)."""
    shop = MUG_SHOP + (
        "skus sku_id=KET title=Kettle unit_cost=5.00 cost_currency=USD weight_g=300\n"
        "orders order_id=O4 currency=USD status=DELIVERED created_at=2026-02-03T20:00 "
        "shipped_at=2026-02-04T20:00 fulfillment_type=FULFILLMENT_BY_TIKTOK tax=3.00\n"
        "order_lines order_id=O4 sku_id=MUG quantity=1 unit_price=20.00\n"
        "order_lines order_id=O4 sku_id=KET quantity=1 unit_price=40.00\n"
        "returns return_id=R6 order_id=O4 sku_id=MUG quantity=1 return_type=return_refund "
        "requested_at=2026-02-10T00:00 currency=USD refund_amount=21.00 disposition=resellable\n"
    )
    row = line(build_ledger(inputs(shop)), "O4", "MUG")
    assert usd(row["refunds"]) == D("-20")
    assert usd(row["referral_fee"]) == D("-1.2") and usd(row["referral_fee_refund"]) == D("1.2")
    assert usd(row["refund_admin_fee"]) == D("-0.24")


def test_commission_clawed_back_on_refund() -> None:
    """Half the units refunded: half the 12% commission (6.48 → 3.24) comes back.
    Refund 26.70 of 53.40 paid (incl. tax) is a half share; the seller bears half its sales
    (54.00 → 27.00): the platform takes back half its 3.00 discount and refunds the tax."""
    shop = LAMP_SHOP + (
        "returns return_id=R5 order_id=O1 sku_id=LAMP quantity=1 return_type=return_refund "
        "requested_at=2026-03-12T00:00 currency=USD refund_amount=26.70 disposition=resellable\n"
    )
    row = line(build_ledger(inputs(shop)), "O1", "LAMP")
    assert usd(row["commission_clawback"]) == D("3.24")
    assert usd(row["refunds"]) == D("-27")
    assert usd(row["referral_fee_refund"]) == D("1.62")
    assert usd(row["cogs_reversal"]) == D("6.496")


COSTING_SHOP = """
skus  sku_id=K title=Kettle unit_cost=5.00 cost_currency=USD
shipments shipment_id=S1 route_id=SEA shipped_on=2026-01-01 arrived_on=2026-02-01 freight_cost=0 currency=USD
shipments shipment_id=S2 route_id=SEA shipped_on=2026-02-01 arrived_on=2026-03-01 freight_cost=0 currency=USD
purchase_orders po_id=P1 sku_id=K ordered_on=2026-01-01 quantity=10 unit_cost=5.00 currency=USD
purchase_orders po_id=P2 sku_id=K ordered_on=2026-02-01 quantity=10 unit_cost=7.00 currency=USD
shipment_lines shipment_id=S1 sku_id=K po_id=P1 quantity=10
shipment_lines shipment_id=S2 sku_id=K po_id=P2 quantity=10
orders order_id=A currency=USD status=DELIVERED created_at=2026-02-10T20:00
orders order_id=B currency=USD status=DELIVERED created_at=2026-03-10T20:00
orders order_id=C currency=USD status=DELIVERED created_at=2026-03-20T20:00
order_lines order_id=A sku_id=K quantity=6 unit_price=20
order_lines order_id=B sku_id=K quantity=6 unit_price=20
order_lines order_id=C sku_id=K quantity=6 unit_price=20
"""


def test_fifo_default_costing() -> None:
    """Layers 10 @ 5.00 then 10 @ 7.00; sales of 6, 6, 6:
    A = 6 × 5 = 30; B = 4 × 5 + 2 × 7 = 34; C = 6 × 7 = 42."""
    res = build_ledger(inputs(COSTING_SHOP))
    assert [usd(line(res, o, "K")["cogs"]) for o in "ABC"] == [D(-30), D(-34), D(-42)]
    cons = res.consumption.sort("line_no", "layer_id")
    assert cons.select("units").to_series().to_list() == [6, 4, 2, 6]


def test_moving_average_costing() -> None:
    """A takes 6 of 10 @ 5 = 30; 4 left (20) + 10 @ 7 (70) = 14 units worth 90:
    B = 90 × 6/14 = 38.5714 (to the 1/10,000); C = 6 of the remaining 8 worth 51.4286 = 38.5714."""
    res = build_ledger(
        inputs(COSTING_SHOP), LedgerSettings.from_mapping({"costing_method": "moving_average"})
    )
    assert [usd(line(res, o, "K")["cogs"]) for o in "ABC"] == [D(-30), D("-38.5714"), D("-38.5714")]


def test_restocked_return_becomes_a_layer() -> None:
    """2 of A's units come back resellable on 5 March at A's cost (2 × 5 = 10).  FIFO then
    serves B from the Feb layer (4 @ 5) and S2 (2 @ 7) = 34, C from S2 = 42, and the
    restocked units remain; the cost reversed on the return is exactly 10."""
    shop = COSTING_SHOP + (
        "returns return_id=R1 order_id=A sku_id=K quantity=2 return_type=return_refund "
        "requested_at=2026-03-05T00:00 currency=USD refund_amount=40 disposition=resellable\n"
        "orders order_id=D currency=USD status=DELIVERED created_at=2026-03-25T20:00\n"
        "order_lines order_id=D sku_id=K quantity=4 unit_price=20\n"
    )
    res = build_ledger(inputs(shop))
    assert usd(line(res, "A", "K")["cogs_reversal"]) == D(10)
    # D: 2 left in S2 @ 7 + the 2 restocked @ 5 = 24
    assert usd(line(res, "D", "K")["cogs"]) == D(-24)
    assert res.consumption.filter(pl.col("layer_id").str.starts_with("restock:")).height == 1


FREIGHT_SHOP = """
skus  sku_id=A title=Toy car hs_code=9503.00.00 duty_rate=0 weight_g=100 length_cm=10 width_cm=10 height_cm=10
skus  sku_id=B title=Tee hs_code=6109.10 duty_rate=0.165 weight_g=300 length_cm=10 width_cm=10 height_cm=10
purchase_orders po_id=P1 sku_id=A ordered_on=2026-01-01 quantity=10 unit_cost=1.00 currency=USD
purchase_orders po_id=P1 sku_id=B ordered_on=2026-01-01 quantity=10 unit_cost=4.00 currency=USD
shipments shipment_id=S9 route_id=AIR shipped_on=2026-01-10 arrived_on=2026-01-20 freight_cost=100 currency=USD allocation={allocation}
shipment_lines shipment_id=S9 sku_id=A po_id=P1 quantity=10
shipment_lines shipment_id=S9 sku_id=B po_id=P1 quantity=10
"""


@pytest.mark.parametrize(
    ("allocation", "freight_a", "freight_b"),
    [
        ("weight", "25", "75"),  # 10 × 100 g vs 10 × 300 g
        ("volume", "50", "50"),  # equal boxes
        ("value", "20", "80"),  # $10 vs $40 of goods
    ],
)
def test_freight_allocation_and_extra_tariffs(
    allocation: str, freight_a: str, freight_b: str
) -> None:
    """Freight $100 split by the shipment's rule; duty = HTS rate + configured extra tariffs:
    A (HS 9503, 0%) + Section 301 25% on $10 = 2.50; B (16.5%) on $40 = 6.60."""
    settings = LedgerSettings.from_mapping(
        {"extra_tariffs": [{"name": "Section 301", "rate": 0.25, "hs_prefix": "9503"}]}
    )
    res = build_ledger(inputs(FREIGHT_SHOP.format(allocation=allocation)), settings)
    lay = {r["sku_id"]: r for r in res.layers.to_dicts()}
    assert usd(lay["A"]["freight_usd"]) == D(freight_a)
    assert usd(lay["B"]["freight_usd"]) == D(freight_b)
    assert usd(lay["A"]["duty_usd"]) == D("2.50")
    assert usd(lay["B"]["duty_usd"]) == D("6.60")
    assert usd(lay["A"]["freight_usd"] + lay["B"]["freight_usd"]) == D(100)


ADS_SHOP = """
skus  sku_id=X title=X unit_cost=1 cost_currency=USD
skus  sku_id=Y title=Y unit_cost=1 cost_currency=USD
orders order_id=L1 currency=USD status=DELIVERED created_at=2026-03-03T20:00
orders order_id=L2 currency=USD status=DELIVERED created_at=2026-03-04T20:00
orders order_id=L3 currency=USD status=DELIVERED created_at=2026-03-05T20:00
order_lines order_id=L1 sku_id=X quantity=1 unit_price=54 traffic_source=ads
order_lines order_id=L2 sku_id=X quantity=1 unit_price=25 traffic_source=ads
order_lines order_id=L3 sku_id=Y quantity=1 unit_price=100 traffic_source=video content_id=V1
content content_id=V1 kind=video posted_at=2026-03-01T00:00 market=US
ad_spend campaign_id=K1 date=2026-03-02 spend=10 currency=USD
ad_spend campaign_id=K1 date=2026-03-04 spend=5 currency=USD
ad_spend campaign_id=K2 date=2026-03-04 spend=8 currency=USD content_id=V1
ad_spend campaign_id=K3 date=2026-04-20 spend=3 currency=USD sku_id=Y
"""


def test_ads_allocated_by_share_of_attributed_gmv_in_the_week() -> None:
    """Shop-wide spend of the week (10 + 5) goes to the ads-attributed lines by sales:
    L1 = ⌊15 × 54/79⌋ = 10.2531, L2 = the rest 4.7469 (exact total); the video's 8.00 goes to
    its own sale L3; Y's April spend had no sale that week and stays unallocated."""
    res = build_ledger(inputs(ADS_SHOP))
    ads = {o: usd(line(res, o, s)["ads"]) for o, s in (("L1", "X"), ("L2", "X"), ("L3", "Y"))}
    assert ads == {"L1": D("-10.2531"), "L2": D("-4.7469"), "L3": D("-8")}
    assert usd(res.overhead.filter(pl.col("account") == "ads")["amount_usd"].sum()) == D(-3)
    assert "LEDGER_ADS_UNALLOCATED" in {f.code for f in res.findings}
    by_sku = rollup(res.lines, res.overhead, by="sku")
    y = by_sku.filter(pl.col("sku_id") == "Y").row(0, named=True)
    assert y["ads"] == D(-11)  # 8 allocated + 3 unallocated, both charged to Y


def test_samples_are_charged_to_the_creator() -> None:
    """A free sample to @lamps: cost 6.496 + label 6.00 + 3PL 1.50 = 13.996 under samples."""
    shop = LAMP_SHOP + (
        "orders order_id=S1 currency=USD status=DELIVERED created_at=2026-03-06T19:00 warehouse_id=WH1 "
        "shipping_fee=0 shipping_fee_seller_discount=6.00 is_sample_order=true\n"
        "order_lines order_id=S1 sku_id=LAMP quantity=1 unit_price=30.00 seller_discount=30.00 creator_id=C9\n"
    )
    res = build_ledger(inputs(shop))
    by = rollup(res.lines, res.overhead, by="creator")
    c9 = by.filter(pl.col("creator_id") == "C9").row(0, named=True)
    assert c9["samples"] == D("-13.996")
    assert c9["margin"] == D("26.288") - D("13.996")
    # the sample adds no revenue: 60 gross + 5.99 buyer shipping of O1 only
    assert c9["revenue"] == D("65.99") and c9["discounts"] == D("-6")
    assert c9["units"] == 2  # sample units are not counted as sold


def test_unknown_cost_is_a_finding_not_a_silent_zero() -> None:
    shop = """
skus  sku_id=GHOST title=No cost anywhere
skus  sku_id=STD title=Standard cost only unit_cost=10 cost_currency=USD duty_rate=0.10
orders order_id=G1 currency=USD status=DELIVERED created_at=2026-03-03T20:00
order_lines order_id=G1 sku_id=GHOST quantity=2 unit_price=20
order_lines order_id=G1 sku_id=STD quantity=1 unit_price=30
"""
    res = build_ledger(inputs(shop))
    ghost = line(res, "G1", "GHOST")
    assert ghost["cost_known"] is False and ghost["cost_basis"] == "unknown"
    std = line(res, "G1", "STD")
    assert std["cost_basis"] == "standard" and usd(std["cogs"]) == D(-11)  # 10 + 10% duty
    f = {x.code: x for x in res.findings}
    assert f["LEDGER_COST_UNKNOWN"].is_error and "GHOST" in f["LEDGER_COST_UNKNOWN"].message
    assert "2 unit(s)" in f["LEDGER_COST_UNKNOWN"].message
    assert f["LEDGER_COST_UNKNOWN"].message_zh and f["LEDGER_COST_UNKNOWN"].fix
    assert "LEDGER_COST_STANDARD" in f
    table = rollup(res.lines, res.overhead, by="sku")
    assert table.filter(pl.col("sku_id") == "GHOST")["lines_cost_unknown"][0] == 1


def test_bad_inputs_give_findings_not_crashes() -> None:
    """Unknown currency, a settlement line for an unknown order, a return of nothing."""
    shop = """
skus  sku_id=M title=M unit_cost=1 cost_currency=USD
orders order_id=GB1 currency=GBP status=DELIVERED created_at=2026-03-03T20:00
order_lines order_id=GB1 sku_id=M quantity=1 unit_price=20
orders order_id=US1 currency=USD status=DELIVERED created_at=2026-03-03T20:00
order_lines order_id=US1 sku_id=M quantity=1 unit_price=20
settlement_lines statement_id=ST line_id=1 statement_date=2026-03-20 order_id=NOPE fee_type=revenue amount=20 currency=USD
returns return_id=R9 order_id=US1 sku_id=OTHER quantity=1 return_type=refund_only requested_at=2026-03-05T00:00 currency=USD refund_amount=5
"""
    res = build_ledger(inputs(shop))
    codes = {f.code: f for f in res.findings}
    assert codes["LEDGER_FX_MISSING"].is_error and "GBP" in codes["LEDGER_FX_MISSING"].message
    assert "NOPE" in codes["LEDGER_SETTLEMENT_UNKNOWN_ORDER"].message
    assert "R9" in codes["LEDGER_RETURN_UNKNOWN_LINE"].message
    assert res.lines["order_id"].to_list() == ["US1"]


def test_cancelled_orders_are_not_sales() -> None:
    shop = """
skus  sku_id=M title=M unit_cost=1 cost_currency=USD
orders order_id=X1 currency=USD status=CANCELLED created_at=2026-03-03T20:00
order_lines order_id=X1 sku_id=M quantity=1 unit_price=20
"""
    res = build_ledger(inputs(shop))
    assert res.lines.height == 0 and not [f for f in res.findings if f.is_error]


def test_report_in_cny_uses_the_days_rate() -> None:
    """LAMP O1 margin 26.288 USD on 5 March at 0.15 USD/CNY = ¥175.2533."""
    res = build_ledger(inputs(LAMP_SHOP))
    from quickturn.core.ledger.fx import fx_table
    from quickturn.core.ledger.reports import cny_rates

    rates = cny_rates(fx_table(inputs(LAMP_SHOP).fx_rates))
    t = rollup(res.lines, res.overhead, by="sku", currency="CNY", cny_rates=rates)
    assert t["margin"][0] == D("175.2533")


def test_settings_override_documented_defaults() -> None:
    s = LedgerSettings.from_mapping({"referral_fee_rate": 0.08, "settlement_days": 14})
    assert s.referral_fee_rate == D("0.08") and s.settlement_days == 14
    assert s.refund_admin_fee_cap_usd == D(5)  # untouched default
    res = build_ledger(inputs(LAMP_SHOP), s)
    assert usd(line(res, "O1", "LAMP")["referral_fee"]) == D("-4.32")  # 8% × 54
    with pytest.raises(ConfigError, match="referral_fee_rat"):
        LedgerSettings.from_mapping({"referral_fee_rat": 0.08})
    with pytest.raises(ConfigError, match="fraction"):
        LedgerSettings.from_mapping({"referral_fee_rate": 6})
    with pytest.raises(ConfigError, match="costing_method"):
        LedgerSettings.from_mapping({"costing_method": "lifo"})


BROKEN_SHOP = """
skus  sku_id=CHEAP title=Sold below cost unit_cost=30 cost_currency=USD duty_rate=0 weight_g=200
skus  sku_id=LIGHT title=FBT item without a weight unit_cost=1 cost_currency=USD duty_rate=0
skus  sku_id=NODUTY title=No HTS rate weight_g=100
skus  sku_id=NOCOST title=Shipped without a PO or a cost weight_g=100 duty_rate=0
shipments shipment_id=S1 route_id=SEA shipped_on=2026-01-10 arrived_on=2026-02-10 currency=USD
shipment_lines shipment_id=S1 sku_id=NOCOST quantity=5
shipment_lines shipment_id=S2 sku_id=NOCOST quantity=5
purchase_orders po_id=P1 sku_id=NODUTY ordered_on=2026-01-01 quantity=5 unit_cost=2 currency=USD
shipments shipment_id=S3 route_id=SEA shipped_on=2026-01-10 arrived_on=2026-02-10 freight_cost=10 currency=USD
shipment_lines shipment_id=S3 sku_id=NODUTY po_id=P1 quantity=5
orders order_id=O1 currency=USD status=DELIVERED created_at=2026-03-03T20:00
order_lines order_id=O1 sku_id=CHEAP quantity=1 unit_price=20
orders order_id=O2 currency=USD status=DELIVERED created_at=2026-03-03T20:00 fulfillment_type=FULFILLMENT_BY_TIKTOK
order_lines order_id=O2 sku_id=LIGHT quantity=1 unit_price=20
order_lines order_id=GONE sku_id=CHEAP quantity=1 unit_price=20
bills bill_id=B1 line_id=1 bill_date=2026-03-31 charge_type=pick_pack order_id=LOST amount=1.50 currency=USD
"""


def test_bad_inputs_and_money_losers_are_named_in_findings() -> None:
    """CHEAP sells at 20 but costs 30: 20 − referral 1.20 − COGS 30 = −11.20, a money-loser.
    Every other row is wrong in one way, and each says so (and which row) instead of crashing."""
    res = build_ledger(inputs(BROKEN_SHOP))
    assert usd(line(res, "O1", "CHEAP")["margin"]) == D("-11.20")
    found = {f.code: f for f in res.findings + reconcile(res)}
    expect = {
        "LEDGER_NEGATIVE_MARGIN": "CHEAP (-11.20)",
        "LEDGER_LINE_UNKNOWN_ORDER": "GONE",
        "LEDGER_BILL_UNKNOWN_ORDER": "LOST",
        "LEDGER_WEIGHT_MISSING": "LIGHT",
        "LEDGER_SHIPMENT_UNKNOWN": "S2",
        "LEDGER_LAYER_COST_UNKNOWN": "NOCOST",
        "LEDGER_FREIGHT_UNKNOWN": "S1",
        "LEDGER_DUTY_RATE_MISSING": "NODUTY",
    }
    for code, named in expect.items():
        assert code in found, code
        f = found[code]
        assert named in f.message, (code, f.message)
        assert f.message_zh and f.fix and f.fix_zh, code
    assert found["LEDGER_NEGATIVE_MARGIN"].record == {"sku_ids": ["CHEAP"]}
    # the order line of an unknown order is not a sale; O1 and O2 are
    assert sorted(res.lines["order_id"].to_list()) == ["O1", "O2"]
