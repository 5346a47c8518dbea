"""TikTok Shop Seller Center order exports (OrderSKUList), CSV and XLSX, US and non-US."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest
import sc_export as sc

from quickturn.services.importing import import_file
from quickturn.store import Store

TABLES = ("orders", "order_lines", "skus", "returns")


def export(tmp_path: Path, kind: str = "csv", name: str = "export", **kw: object) -> Path:
    lines = kw.pop("lines", None) or sc.us_orders()
    header, data = sc.rows(lines, **kw)  # type: ignore[arg-type]
    path = tmp_path / f"{name}.{kind}"
    return sc.write_csv(path, header, data) if kind == "csv" else sc.write_xlsx(path, header, data)


def snapshot(store: Store) -> dict[str, pl.DataFrame]:
    keys = {
        "orders": ["order_id"],
        "order_lines": ["order_id", "sku_id"],
        "skus": ["sku_id"],
        "returns": ["return_id"],
    }
    return {t: store.table(t, order_by=keys[t]) for t in TABLES}


def test_us_csv_export(store: Store, tmp_path: Path) -> None:
    path = export(tmp_path)
    r = import_file(store, "orders", path)
    assert r.ok, [f.format() for f in r.errors]
    assert r.format == "seller-center"
    assert [f.code for f in r.findings] == ["I_DESCRIPTION_ROW"]
    assert r.date_order == "mdy"
    assert {t.table: t.inserted for t in r.tables} == {
        "skus": 3,
        "orders": 5,
        "order_lines": 6,
        "returns": 1,
    }
    o = store.table("orders", order_by=["order_id"]).to_dicts()
    by_id = {row["order_id"]: row for row in o}
    first = by_id["576461413038785752"]  # tab after the id was stripped
    assert first["status"] == "COMPLETED"
    assert first["created_at"] == datetime(2024, 3, 14, 10, 15, 22)
    assert first["delivered_at"] == datetime(2024, 3, 19, 14, 30)
    assert first["currency"] == "USD" and first["market"] == "US"
    assert first["shipping_fee"] == Decimal("5.99") and first["tax"] == Decimal("3.64")
    assert first["order_amount"] == Decimal("59.61")
    assert first["fulfillment_type"] == "FULFILLMENT_BY_SELLER"
    cancelled = by_id["576461413038785753"]
    assert cancelled["status"] == "CANCELLED"
    assert cancelled["cancel_initiator"] == "BUYER"
    assert cancelled["cancel_reason"] == "No longer needed"
    assert cancelled["cancelled_at"] == datetime(2024, 3, 2, 9, 40)
    assert by_id["576461413038785754"]["fulfillment_type"] == "FULFILLMENT_BY_TIKTOK"
    assert by_id["576461413038785755"]["status"] == "AWAITING_SHIPMENT"
    assert by_id["576461413038785756"]["status"] == "AWAITING_COLLECTION"
    lines = store.table(
        "order_lines", where={"order_id": "576461413038785752"}, order_by=["sku_id"]
    )
    assert lines["sku_id"].to_list() == ["MUG-WHT", "TSHIRT-BLK-M"]
    assert lines["quantity"].to_list() == [1, 2]
    assert lines["seller_discount"].to_list() == [Decimal("0"), Decimal("2.00")]
    assert lines["subtotal_after_discount"].to_list() == [Decimal("12.50"), Decimal("37.98")]
    skus = store.table("skus", order_by=["sku_id"])
    assert skus["title"].to_list() == [
        "USB Night Lamp",
        "Ceramic Mug 11oz",
        "Graphic Tee — Black, M",
    ]
    assert skus["unit_cost"].null_count() == 3  # cost unknown: the ledger reports it
    ret = store.table("returns").to_dicts()
    assert len(ret) == 1
    assert ret[0]["order_id"] == "576461413038785754" and ret[0]["sku_id"] == "TSHIRT-BLK-M"
    assert ret[0]["quantity"] == 1 and ret[0]["refund_amount"] == Decimal("19.99")
    assert ret[0]["return_type"] == "return_refund" and ret[0]["status"] == "completed"
    assert ret[0]["requested_at"] == datetime(2024, 4, 3, 10, 0)


def test_xlsx_gives_the_same_tables_as_csv(store: Store, tmp_path: Path) -> None:
    assert import_file(store, "orders", export(tmp_path, "csv")).ok
    from_csv = snapshot(store)
    for t in ("returns", "order_lines", "orders", "skus"):
        store.delete(t)
    r = import_file(store, "orders", export(tmp_path, "xlsx"))
    assert r.ok and r.format == "seller-center"
    from_xlsx = snapshot(store)
    for t in TABLES:
        assert from_xlsx[t].equals(from_csv[t]), t


def test_uk_variant_with_other_address_columns_and_day_first_dates(
    store: Store, tmp_path: Path
) -> None:
    path = export(tmp_path, "xlsx", variant="uk", date_order="dmy")
    r = import_file(store, "orders", path)
    assert r.ok, [f.format() for f in r.errors]
    assert r.date_order == "dmy"
    o = store.table("orders", where={"order_id": "576461413038785754"}).to_dicts()[0]
    assert o["created_at"] == datetime(2024, 3, 25, 18, 45, 10)
    assert o["currency"] == "GBP" and o["market"] == "GB"


def test_date_order_flag_and_ambiguous_dates(store: Store, tmp_path: Path) -> None:
    # only days ≤ 12: nothing tells the order apart
    lines = [ln for ln in sc.us_orders() if ln.order_id.endswith(("52", "53"))]
    for ln in lines:
        ln.created = ln.created.replace(day=4)
        ln.paid = ln.paid and ln.paid.replace(day=4)
        ln.shipped = ln.shipped and ln.shipped.replace(day=5)
        ln.delivered = ln.delivered and ln.delivered.replace(day=9)
        ln.cancelled = ln.cancelled and ln.cancelled.replace(day=4)
    path = export(tmp_path, lines=lines, date_order="dmy")
    r = import_file(store, "orders", path, dry_run=True)
    assert r.ok and "I_DATE_ORDER_ASSUMED" in [f.code for f in r.findings]
    assert r.date_order == "mdy"
    r = import_file(store, "orders", path, date_format="dmy")
    assert r.ok and r.date_order == "dmy"
    o = store.table("orders", where={"order_id": "576461413038785752"}).to_dicts()[0]
    assert o["created_at"] == datetime(2024, 3, 4, 10, 15, 22)


def test_missing_optional_columns_are_tolerated(store: Store, tmp_path: Path) -> None:
    drop = (
        "Paid Time",
        "Sku Quantity of return",
        "Country",
        "Zipcode",
        "State",
        "City",
        "Taxes",
        "SKU ID",
    )
    path = export(tmp_path, drop=drop, description_row=False, tabs=False)
    r = import_file(store, "orders", path)
    assert r.ok, [f.format() for f in r.errors]
    assert "I_DESCRIPTION_ROW" not in [f.code for f in r.findings]
    assert store.count("returns") == 0
    assert store.table("orders")["currency"].unique().to_list() == ["USD"]
    assert store.table("orders")["paid_at"].null_count() == 5


def test_existing_skus_keep_their_cost_and_reimport_is_idempotent(
    store: Store, tmp_path: Path
) -> None:
    store.write(
        "skus",
        pl.DataFrame(
            {
                "sku_id": ["MUG-WHT"],
                "title": ["Mug (ours)"],
                "unit_cost": [Decimal("1.8")],
                "cost_currency": ["CNY"],
            }
        ),
    )
    path = export(tmp_path)
    r1 = import_file(store, "orders", path)
    skus = next(t for t in r1.tables if t.table == "skus")
    assert (skus.inserted, skus.kept_existing) == (2, 1)
    mug = store.table("skus", where={"sku_id": "MUG-WHT"}).to_dicts()[0]
    assert mug["title"] == "Mug (ours)" and mug["unit_cost"] == Decimal("1.8")
    before = snapshot(store)
    r2 = import_file(store, "orders", path)
    assert {t.table: (t.inserted, t.updated) for t in r2.tables} == {
        "skus": (0, 0),
        "orders": (0, 5),
        "order_lines": (0, 6),
        "returns": (0, 1),
    }
    after = snapshot(store)
    for t in TABLES:
        assert after[t].equals(before[t]), t


@pytest.mark.parametrize("target", ["seller-center", "order_lines"])
def test_explicit_format(store: Store, tmp_path: Path, target: str) -> None:
    path = export(tmp_path, name="whatever")
    r = import_file(store, target, path, fmt="seller-center")
    assert r.ok and r.format == "seller-center"
    assert store.count("order_lines") == 6


def test_bad_rows_in_an_export(store: Store, tmp_path: Path) -> None:
    lines = sc.us_orders()
    lines[2].status = "Lost in space"
    lines[4].qty = 0
    path = export(tmp_path, lines=lines)
    header, data = sc.rows(lines)
    qty = header.index("Quantity")
    data[2][qty] = "two"  # row 2 of the file (row 1 is the description)
    created = header.index("Created Time")
    data[6][created] = "02/30/2024 10:00:00"
    sc.write_csv(path, header, data)
    r = import_file(store, "orders", path)
    assert not r.ok
    got = sorted((f.row, f.code, f.column) for f in r.errors)
    assert got == [
        (3, "E_TYPE", "Quantity"),
        (4, "E_CHOICE", "status"),
        (6, "E_RANGE", "quantity"),
        (6, "E_RANGE", "subtotal_after_discount"),  # 0 × 8.00 − 1.50 platform discount
        (7, "E_TYPE", "created_at"),
    ]
    msgs = {(f.row, f.code): f.message for f in r.errors}
    assert msgs[(3, "E_TYPE")] == (
        "file column 'Quantity': 'two' is not a number "
        "(it has letters or symbols that are not a currency)"
    )
    assert msgs[(4, "E_CHOICE")].startswith(
        "orders: column 'status' (file column 'Order Status'): 'lost in space' is not one of"
    )
    assert "'02/30/2024 10:00:00' is not a date and time" in msgs[(7, "E_TYPE")]
    assert "(slash dates read as MM/DD/YYYY)" in msgs[(7, "E_TYPE")]
    for t in TABLES:
        assert store.count(t) == 0
