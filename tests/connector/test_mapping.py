"""Mapping of documented API payloads into the canonical tables."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from quickturn.connectors.tiktok_api.payloads import (
    cancel_fault,
    map_cancellations,
    map_inventory,
    map_orders,
    map_products,
    map_returns,
    map_statement_transactions,
    map_warehouses,
    return_fault,
)
from quickturn.schema import get_table
from quickturn.validate import coerce

T0 = 1_760_000_000  # 2025-10-09 08:53:20 UTC


def _line(
    i: int, seller_sku: str, price: str, sd: str = "0.00", pd: str = "0.00", sale: str | None = None
) -> dict:
    return {
        "id": f"L{i}",
        "sku_id": f"PLAT-{seller_sku or i}",
        "seller_sku": seller_sku,
        "product_name": "Tee",
        "sku_name": "Black, M",
        "original_price": price,
        "seller_discount": sd,
        "platform_discount": pd,
        "sale_price": sale if sale is not None else str(Decimal(price) - Decimal(sd) - Decimal(pd)),
        "currency": "USD",
        "item_tax": [{"tax_type": "SALES_TAX", "tax_amount": "0.10"}],
    }


ORDER = {
    "id": "576000000000000001",
    "status": "DELIVERED",
    "create_time": T0,
    "update_time": T0 + 9 * 86400,
    "paid_time": T0 + 60,
    "rts_time": T0 + 3600,
    "collection_time": T0 + 7200,
    "delivery_time": T0 + 4 * 86400,
    "rts_sla_time": T0 + 2 * 86400,
    "shipping_due_time": T0 + 3 * 86400,
    "delivery_sla_time": T0 + 6 * 86400,
    "fulfillment_type": "FULFILLMENT_BY_TIKTOK",
    "is_sample_order": True,
    "order_type": "PRE_ORDER",
    "shipping_provider": "USPS",
    "tracking_number": "9400111",
    "payment": {
        "currency": "USD",
        "shipping_fee": "5.99",
        "shipping_fee_seller_discount": "1.00",
        "shipping_fee_platform_discount": "0.50",
        "tax": "0.30",
        "total_amount": "66.26",
    },
    "line_items": [
        _line(1, "TEE-BLK-M", "19.99", sd="1.00"),
        _line(2, "TEE-BLK-M", "19.99", sd="1.00", pd="0.33"),
        _line(3, "", "0.10"),  # no seller SKU: the platform id is used
    ],
}


def test_orders_count_line_items_per_sku_with_exact_amounts() -> None:
    m = map_orders([ORDER], "SHOP1")
    o = m.frames["orders"].row(0, named=True)
    assert o["order_id"] == "576000000000000001" and o["shop_id"] == "SHOP1"
    assert o["status"] == "DELIVERED"
    assert o["order_amount"] == Decimal("66.26")
    assert o["shipping_fee"] == Decimal("5.99")
    assert o["shipping_fee_seller_discount"] == Decimal("1.00")
    assert o["created_at"] == datetime(2025, 10, 9, 8, 53, 20)
    assert o["shipped_at"] == datetime(2025, 10, 9, 10, 53, 20)
    assert o["rts_sla_at"] == datetime(2025, 10, 11, 8, 53, 20)
    assert o["shipping_due_at"] == datetime(2025, 10, 12, 8, 53, 20)
    assert o["delivery_sla_at"] == datetime(2025, 10, 15, 8, 53, 20)
    assert o["fulfillment_type"] == "FULFILLMENT_BY_TIKTOK"
    assert o["is_sample_order"] is True and o["order_type"] == "pre_order"
    assert o["cancel_initiator"] is None and o["cancel_fault"] is None
    lines = {r["sku_id"]: r for r in m.frames["order_lines"].iter_rows(named=True)}
    assert set(lines) == {"TEE-BLK-M", "PLAT-3"}
    tee = lines["TEE-BLK-M"]
    assert tee["quantity"] == 2
    assert tee["unit_price"] == Decimal("19.99")
    assert tee["subtotal_before_discount"] == Decimal("39.98")
    assert tee["seller_discount"] == Decimal("2.00")
    assert tee["platform_discount"] == Decimal("0.33")
    assert tee["subtotal_after_discount"] == Decimal("37.65")
    assert tee["tax"] == Decimal("0.20")
    skus = m.frames["skus"]
    assert (
        skus.height == 2
        and skus.filter(skus["sku_id"] == "TEE-BLK-M")["title"][0] == "Tee — Black, M"
    )
    # the frames are valid canonical data
    for table in ("orders", "order_lines", "skus"):
        _, findings = coerce(get_table(table), m.frames[table])
        assert not [f for f in findings if f.is_error], (table, findings)


def test_cancellation_initiator_maps_to_fault() -> None:
    assert cancel_fault("BUYER", "Changed mind") == "buyer"
    assert cancel_fault("SELLER", "Out of stock") == "seller"
    assert cancel_fault("SELLER", "Buyer requested cancellation") == "buyer"
    assert cancel_fault("SYSTEM", "Package not shipped within the SLA (overdue)") == "seller"
    assert cancel_fault("SYSTEM", "Payment timeout: order unpaid") == "buyer"
    assert cancel_fault("SYSTEM", "Risk control") == "platform"
    assert cancel_fault("SYSTEM", "") == "unknown"
    assert cancel_fault(None) is None
    cancelled = ORDER | {
        "status": "CANCELLED",
        "cancel_time": T0 + 100,
        "cancellation_initiator": "SELLER",
        "cancel_reason": "Out of stock",
    }
    o = map_orders([cancelled], "S").frames["orders"].row(0, named=True)
    assert (o["cancel_initiator"], o["cancel_fault"], o["cancel_reason"]) == (
        "SELLER",
        "seller",
        "Out of stock",
    )


def test_unknown_status_and_missing_sku_become_findings() -> None:
    bad = ORDER | {"id": "X", "status": "TELEPORTED"}
    no_sku = ORDER | {"id": "Y", "line_items": [{"original_price": "1.00"}]}
    m = map_orders([bad, no_sku], "S")
    assert m.frames["orders"]["order_id"].to_list() == ["Y"]
    assert {f.code for f in m.findings} == {"W_TIKTOK_ORDER_STATUS", "W_TIKTOK_LINE_NO_SKU"}


def test_return_fault_from_reason() -> None:
    assert return_fault("ecom_order_delivered_refund_and_return_reason_wrong_item") == "seller"
    assert return_fault("", "Damaged product") == "seller"
    assert return_fault("refund_reason_not_received") == "logistics"
    assert return_fault("x_no_longer_needed") == "buyer"
    assert return_fault("mystery") == "unknown"


def test_returns_split_per_sku_with_amounts() -> None:
    ret = {
        "return_id": "R1",
        "order_id": "O1",
        "return_type": "RETURN_AND_REFUND",
        "return_status": "RETURN_OR_REFUND_REQUEST_COMPLETE",
        "return_reason": "ecom_order_delivered_refund_and_return_reason_damaged",
        "return_reason_text": "Damaged product",
        "create_time": T0,
        "update_time": T0 + 86400,
        "refund_amount": {"currency": "USD", "refund_total": "45.00"},
        "return_shipping_fee": "4.50",
        "return_line_items": [
            {"seller_sku": "A", "refund_amount": {"refund_total": "10.00"}},
            {"seller_sku": "A", "refund_amount": {"refund_total": "10.00"}},
            {"seller_sku": "B", "refund_amount": {"refund_total": "20.00"}},
        ],
    }
    rows = {r["sku_id"]: r for r in map_returns([ret]).frames["returns"].iter_rows(named=True)}
    assert rows["A"]["return_id"] == "R1:A" and rows["A"]["quantity"] == 2
    # 5.00 of refund not attributed to a line (e.g. shipping) goes on the first SKU
    assert rows["A"]["refund_amount"] == Decimal("25.00")
    assert rows["B"]["refund_amount"] == Decimal("20.00")
    assert sum(r["refund_amount"] for r in rows.values()) == Decimal("45.00")
    assert rows["A"]["fault"] == "seller" and rows["A"]["status"] == "completed"
    assert (
        rows["A"]["return_shipping_cost"] == Decimal("4.50")
        and rows["B"]["return_shipping_cost"] is None
    )
    assert rows["A"]["completed_at"] == datetime(2025, 10, 10, 8, 53, 20)
    rejected = ret | {
        "return_status": "REFUND_OR_RETURN_REQUEST_REJECT",
        "return_line_items": ret["return_line_items"][:1],
    }
    r = map_returns([rejected]).frames["returns"].row(0, named=True)
    assert r["return_id"] == "R1" and r["status"] == "rejected" and r["refund_amount"] == 0


def test_cancellations_with_refunds_become_cancellation_refunds() -> None:
    paid = {
        "cancel_id": "C1",
        "order_id": "O1",
        "cancel_status": "CANCELLATION_REQUEST_COMPLETE",
        "role": "SELLER",
        "cancel_reason_text": "Out of stock",
        "create_time": T0,
        "update_time": T0 + 60,
        "refund_amount": {"currency": "USD", "refund_total": "12.34"},
        "cancel_line_items": [{"seller_sku": "A", "refund_amount": {"refund_total": "12.34"}}],
    }
    unpaid = paid | {
        "cancel_id": "C2",
        "refund_amount": {"currency": "USD", "refund_total": "0.00"},
    }
    rows = map_cancellations([paid, unpaid]).frames["returns"]
    assert rows.height == 1
    r = rows.row(0, named=True)
    assert r["return_type"] == "cancellation_refund" and r["fault"] == "seller"
    assert r["refund_amount"] == Decimal("12.34") and r["disposition"] == "not_returned"


def test_statement_lines_add_up_to_the_settlement() -> None:
    statement = {"id": "S1", "statement_time": T0, "currency": "USD"}
    txns = [
        {
            "id": "T1",
            "type": "ORDER",
            "order_id": "O1",
            "gross_sales_amount": "39.98",
            "seller_discount_amount": "-2.00",
            "referral_fee_amount": "-2.28",
            "affiliate_commission_amount": "-3.80",
            "fbt_fulfillment_fee_amount": "-3.58",
            "sfp_service_fee_amount": "-0.30",  # not mapped: lands in "other"
            "settlement_amount": "28.02",
        },
        {
            "id": "A1",
            "type": "GMV_PAYMENT_FOR_ADS",
            "adjustment_amount": "-25.00",
            "settlement_amount": "-25.00",
        },
        {"id": "P1", "type": "PLATFORM_PENALTY", "settlement_amount": "-10.00"},
    ]
    df = map_statement_transactions(statement, txns).frames["settlement_lines"]
    by = {r["line_id"]: r for r in df.iter_rows(named=True)}
    assert by["T1:referral_fee_amount"]["fee_type"] == "referral_fee"
    assert by["T1:referral_fee_amount"]["amount"] == Decimal("-2.28")
    assert by["T1:fbt_fulfillment_fee_amount"]["fee_type"] == "fbt_fulfillment_fee"
    assert by["T1:other"]["amount"] == Decimal("-0.30")
    assert by["A1:adjustment_amount"]["fee_type"] == "ads_payment"
    assert by["P1:adjustment_amount"]["fee_type"] == "penalty"
    assert by["T1:gross_sales_amount"]["statement_date"] == date(2025, 10, 9)  # US Pacific
    assert sum(df["amount"].to_list()) == Decimal("28.02") - 35
    assert df.filter(df["statement_id"] == "S1").height == df.height


def test_products_inventory_warehouses() -> None:
    products = [
        {
            "id": "P1",
            "title": "Mug",
            "status": "ACTIVATE",
            "create_time": T0,
            "skus": [
                {
                    "id": "9001",
                    "seller_sku": "MUG-W",
                    "price": {"currency": "USD", "sale_price": "12.50"},
                    "sales_attributes": [{"value_name": "White"}],
                },
                {
                    "id": "9002",
                    "seller_sku": "",
                    "price": {"currency": "USD", "sale_price": "13.00"},
                },
            ],
        }
    ]
    m, ids = map_products(products, "S")
    assert ids == {"9001": "MUG-W", "9002": "9002"}
    skus = {r["sku_id"]: r for r in m.frames["skus"].iter_rows(named=True)}
    assert skus["MUG-W"]["title"] == "Mug — White" and skus["MUG-W"]["list_price"] == Decimal(
        "12.50"
    )
    assert skus["MUG-W"]["status"] == "active" and skus["MUG-W"]["launch_date"] == date(2025, 10, 9)
    inv = [
        {
            "skus": [
                {
                    "id": "9001",
                    "warehouse_inventory": [
                        {"warehouse_id": "W1", "available_quantity": 7, "committed_quantity": 2}
                    ],
                }
            ]
        }
    ]
    snap = (
        map_inventory(inv, ids, date(2026, 1, 1)).frames["inventory_snapshots"].row(0, named=True)
    )
    assert snap == {
        "date": date(2026, 1, 1),
        "sku_id": "MUG-W",
        "location_id": "W1",
        "on_hand_qty": 9,
        "reserved_qty": 2,
    }
    locs = map_warehouses(
        [
            {"id": "W1", "name": "FBT East", "sub_type": "FBT_WAREHOUSE"},
            {"id": "W2", "name": "LA", "sub_type": "DOMESTIC_WAREHOUSE"},
        ]
    ).frames["locations"]
    assert locs["kind"].to_list() == ["fbt", "us_3pl"]
