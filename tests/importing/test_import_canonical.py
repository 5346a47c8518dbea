"""Canonical files (CSV, Parquet, XLSX) and every bad-input case, on DuckDB and PostgreSQL.

Each bad-input test asserts the finding (code, row, column, value seen, expected) and that
nothing was written — not even the valid rows of the same file, and rows already stored stay
as they were.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest

from quickturn.errors import UsageError
from quickturn.services.importing import ImportReport, import_file
from quickturn.store import Store

SKUS = """sku_id,title,unit_cost,cost_currency,list_price
MUG-1,Ceramic mug,1.20,CNY,12.50
TEE-1,Graphic tee,3.40,CNY,19.99
"""
ORDERS = """order_id,currency,status,created_at,shipped_at,order_amount
A-1,USD,COMPLETED,2024-03-01 10:00:00,2024-03-02 09:00:00,25.00
A-2,USD,DELIVERED,2024-03-03 11:30:00,,19.99
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def by_code(report: ImportReport, code: str) -> list:
    return [f for f in report.findings if f.code == code]


def assert_nothing_written(store: Store, *tables: str) -> None:
    for t in tables:
        assert store.count(t) == 0, f"{t} has rows although the import failed"


def test_canonical_csv_round_trip_and_idempotent(store: Store, tmp_path: Path) -> None:
    skus = write(tmp_path, "skus.csv", SKUS)
    r1 = import_file(store, "skus", skus)
    assert r1.ok and r1.written
    assert [(t.table, t.inserted, t.updated) for t in r1.tables] == [("skus", 2, 0)]
    df = store.table("skus", order_by=["sku_id"])
    assert df["unit_cost"].to_list() == [Decimal("1.2000"), Decimal("3.4000")]
    assert df["category"].to_list() == ["uncategorised", "uncategorised"]  # schema default
    r2 = import_file(store, "skus", skus)
    assert [(t.table, t.inserted, t.updated) for t in r2.tables] == [("skus", 0, 2)]
    assert store.count("skus") == 2
    orders = write(tmp_path, "orders.csv", ORDERS)
    r3 = import_file(store, "orders", orders)
    assert r3.ok, [f.format() for f in r3.findings]
    o = store.table("orders", order_by=["order_id"])
    assert o["created_at"].to_list()[0] == datetime(2024, 3, 1, 10, 0)
    assert o["shipped_at"].to_list()[1] is None
    assert o["order_amount"].to_list() == [Decimal("25.0000"), Decimal("19.9900")]


def test_headers_are_matched_loosely_and_extra_columns_reported(
    store: Store, tmp_path: Path
) -> None:
    p = write(
        tmp_path,
        "skus.csv",
        "SKU ID , Title,Unit Cost,Cost Currency,Colour\nMUG-1,Mug,1.2,CNY,white\n",
    )
    r = import_file(store, "skus", p)
    assert r.ok
    ignored = by_code(r, "I_IGNORED_COLUMNS")
    assert ignored and "Colour" in ignored[0].message
    assert store.table("skus")["title"].to_list() == ["Mug"]


def test_parquet_and_xlsx(store: Store, tmp_path: Path) -> None:
    frame = pl.DataFrame(
        {
            "sku_id": ["P-1", "P-2"],
            "title": ["Lamp", "Cable"],
            "unit_cost": [2.5, 0.75],
            "weight_g": [120.0, 30.0],
            "is_battery": [True, False],
        }
    )
    pq = tmp_path / "skus.parquet"
    frame.write_parquet(pq)
    assert import_file(store, "skus", pq).ok
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["order_id", "currency", "status", "created_at"])
    ws.append(["X-1", "USD", "COMPLETED", datetime(2024, 5, 1, 8, 30)])
    ws.append([1234567, "USD", "COMPLETED", "2024-05-02 09:00:00"])  # numeric id cell
    xlsx = tmp_path / "orders.xlsx"
    wb.save(xlsx)
    r = import_file(store, "orders", xlsx)
    assert r.ok, [f.format() for f in r.findings]
    o = store.table("orders", order_by=["order_id"])
    assert o["order_id"].to_list() == ["1234567", "X-1"]
    assert o["created_at"].to_list()[1] == datetime(2024, 5, 1, 8, 30)
    s = store.table("skus", order_by=["sku_id"])
    assert s["is_battery"].to_list() == [True, False]
    assert s["unit_cost"].to_list() == [Decimal("2.5000"), Decimal("0.7500")]


def test_wrong_types_are_all_reported_and_nothing_written(store: Store, tmp_path: Path) -> None:
    p = write(
        tmp_path,
        "orders.csv",
        "order_id,currency,status,created_at,order_amount,is_sample_order\n"
        "A-1,USD,COMPLETED,2024-03-01,12.50,no\n"
        "A-2,USD,COMPLETED,2024-03-01,twelve,no\n"
        "A-3,USD,COMPLETED,yesterday,3.00,maybe\n",
    )
    r = import_file(store, "orders", p)
    assert not r.ok and not r.written
    types = {(f.row, f.column): f for f in by_code(r, "E_TYPE")}
    assert set(types) == {(2, "order_amount"), (3, "created_at"), (3, "is_sample_order")}
    f = types[(2, "order_amount")]
    assert f.value == "twelve" and f.source == str(p)
    assert "'twelve' is not an amount such as 12.50" in f.message
    assert f.format().startswith(f"{p}:2: E_TYPE column 'order_amount'")
    assert "'yesterday' is not a date and time" in types[(3, "created_at")].message
    assert types[(3, "created_at")].message_zh  # Chinese message present
    assert_nothing_written(store, "orders")


def test_missing_required_columns(store: Store, tmp_path: Path) -> None:
    p = write(tmp_path, "orders.csv", "order_id,created_at\nA-1,2024-03-01\n")
    r = import_file(store, "orders", p)
    missing = {f.column: f for f in by_code(r, "E_MISSING_COLUMN")}
    assert set(missing) == {"currency", "status"}
    assert "the file has: order_id, created_at" in missing["currency"].message
    assert_nothing_written(store, "orders")


def test_empty_required_cells(store: Store, tmp_path: Path) -> None:
    p = write(
        tmp_path,
        "orders.csv",
        "order_id,currency,status,created_at\nA-1,USD,,2024-03-01\n,USD,COMPLETED,2024-03-01\n",
    )
    r = import_file(store, "orders", p)
    req = {(f.row, f.column) for f in by_code(r, "E_REQUIRED")}
    assert req == {(1, "status"), (2, "order_id")}
    assert_nothing_written(store, "orders")


def test_duplicate_keys(store: Store, tmp_path: Path) -> None:
    p = write(
        tmp_path,
        "orders.csv",
        "order_id,currency,status,created_at\n"
        "A-1,USD,COMPLETED,2024-03-01\nA-2,USD,COMPLETED,2024-03-01\nA-1,USD,CANCELLED,2024-03-02\n",
    )
    r = import_file(store, "orders", p)
    dups = by_code(r, "E_DUPLICATE_KEY")
    assert len(dups) == 1 and dups[0].row == 3
    assert "duplicate key order_id = 'A-1 (first seen on row 1)'" in dups[0].message
    assert_nothing_written(store, "orders")


def test_impossible_dates_and_date_order(store: Store, tmp_path: Path) -> None:
    p = write(
        tmp_path,
        "orders.csv",
        "order_id,currency,status,created_at,shipped_at,delivered_at\n"
        "A-1,USD,COMPLETED,2024-02-30 10:00:00,,\n"
        "A-2,USD,COMPLETED,2024-03-05 10:00:00,2024-03-04 09:00:00,2024-03-06 09:00:00\n"
        "A-3,USD,COMPLETED,2024-13-01,,\n",
    )
    r = import_file(store, "orders", p)
    types = {(f.row, f.column): f.value for f in by_code(r, "E_TYPE")}
    assert types == {(1, "created_at"): "2024-02-30 10:00:00", (3, "created_at"): "2024-13-01"}
    order = by_code(r, "E_DATE_ORDER")
    assert [(f.row, f.column) for f in order] == [(2, "shipped_at")]
    assert "2024-03-04 09:00:00 is before created_at 2024-03-05 10:00:00" in order[0].message
    assert "impossible" in order[0].message
    assert_nothing_written(store, "orders")


def test_negative_amounts_and_bad_choices(store: Store, tmp_path: Path) -> None:
    p = write(
        tmp_path,
        "skus.csv",
        "sku_id,title,unit_cost,list_price,cost_currency,duty_rate\n"
        "S-1,Mug,-1.20,12.50,CNY,0.05\n"
        "S-2,Tee,3.40,(4.00),RMB,15%\n"
        "S-3,Cap,3.40,4.00,USD,150%\n",
    )
    r = import_file(store, "skus", p)
    rng = {(f.row, f.column): f for f in by_code(r, "E_RANGE")}
    assert set(rng) == {(1, "unit_cost"), (2, "list_price"), (3, "duty_rate")}
    assert "column 'unit_cost': -1.2 is negative; expected ≥ 0" in rng[(1, "unit_cost")].message
    assert "is above 1" in rng[(3, "duty_rate")].message
    choice = by_code(r, "E_CHOICE")
    assert [(f.row, f.column, f.value) for f in choice] == [(2, "cost_currency", "RMB")]
    assert_nothing_written(store, "skus")


def test_unknown_references_store_and_same_import(store: Store, tmp_path: Path) -> None:
    # the store knows MUG-1 and order A-1; the file refers to them, to A-9 and NOPE
    import_file(store, "skus", write(tmp_path, "skus.csv", SKUS))
    import_file(store, "orders", write(tmp_path, "orders.csv", ORDERS))
    before = store.count("order_lines")
    p = write(
        tmp_path,
        "lines.csv",
        "order_id,sku_id,quantity,unit_price\nA-1,MUG-1,1,12.50\nA-9,MUG-1,1,12.50\nA-1,NOPE,2,3.00\n",
    )
    r = import_file(store, "order_lines", p)
    refs = {(f.row, f.column): f for f in by_code(r, "E_UNKNOWN_REFERENCE")}
    assert set(refs) == {(2, "order_id"), (3, "sku_id")}
    assert "'NOPE' is not a known skus.sku_id (import skus first" in refs[(3, "sku_id")].message
    assert store.count("order_lines") == before == 0
    # the same rows referring only to known keys import fine
    ok = write(tmp_path, "ok.csv", "order_id,sku_id,quantity,unit_price\nA-1,MUG-1,1,12.50\n")
    assert import_file(store, "order_lines", ok).ok
    assert store.count("order_lines") == 1


def test_every_problem_of_a_file_at_once_and_stored_rows_untouched(
    store: Store, tmp_path: Path
) -> None:
    import_file(store, "skus", write(tmp_path, "skus.csv", SKUS))
    before = store.table("skus", order_by=["sku_id"])
    p = write(
        tmp_path,
        "skus2.csv",
        "sku_id,title,unit_cost,launch_date,case_pack_qty\n"
        "MUG-1,Changed title,9.99,2024-01-01,12\n"  # valid (would update)
        "TEE-1,,abc,2024-02-31,0\n"  # 4 problems
        "MUG-1,Dup,1,2024-01-01,1\n",  # duplicate
    )
    r = import_file(store, "skus", p)
    codes = sorted((f.row, f.code, f.column) for f in r.errors)
    assert codes == [
        (2, "E_RANGE", "case_pack_qty"),
        (2, "E_REQUIRED", "title"),
        (2, "E_TYPE", "launch_date"),
        (2, "E_TYPE", "unit_cost"),
        (3, "E_DUPLICATE_KEY", "sku_id"),
    ]
    after = store.table("skus", order_by=["sku_id"])
    assert after.equals(before)


def test_dry_run_validates_only(store: Store, tmp_path: Path) -> None:
    import_file(store, "skus", write(tmp_path, "a.csv", "sku_id,title\nMUG-1,Mug\n"))
    p = write(tmp_path, "b.csv", "sku_id,title\nMUG-1,Mug 2\nTEE-1,Tee\n")
    r = import_file(store, "skus", p, dry_run=True)
    assert r.ok and not r.written and r.dry_run
    assert [(t.inserted, t.updated) for t in r.tables] == [(1, 1)]
    assert store.table("skus")["title"].to_list() == ["Mug"]


def test_usage_errors(store: Store, tmp_path: Path) -> None:
    p = write(tmp_path, "skus.csv", SKUS)
    with pytest.raises(UsageError, match="unknown table 'sku'"):
        import_file(store, "sku", p)
    with pytest.raises(UsageError, match="computed by quickturn"):
        import_file(store, "forecasts", p)
    with pytest.raises(UsageError, match="file not found"):
        import_file(store, "skus", tmp_path / "nope.csv")
    with pytest.raises(UsageError, match="unknown date format"):
        import_file(store, "skus", p, date_format="yyyy")
    ragged = write(tmp_path, "ragged.csv", "sku_id,title\nA,Mug\nB,Tee,extra\n")
    with pytest.raises(
        UsageError, match=r"ragged.csv:3: this line has 3 fields but the header has 2"
    ):
        import_file(store, "skus", ragged)
    with pytest.raises(UsageError, match="the file is empty"):
        import_file(store, "skus", write(tmp_path, "empty.csv", ""))
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"PK\x03\x04 not really a workbook")
    with pytest.raises(UsageError, match="cannot read the XLSX file"):
        import_file(store, "skus", bad)
    assert_nothing_written(store, "skus")


def test_csv_dialects(store: Store, tmp_path: Path) -> None:
    # semicolons, Windows-1252 text, quoted fields with commas
    text = 'sku_id;title;list_price\nS-1;"Caf\xe9 mug, large";"1,234.50"\n'
    p = tmp_path / "skus.csv"
    p.write_bytes(text.encode("cp1252"))
    with pytest.raises(UsageError, match="neither UTF-8 nor Chinese GB18030"):
        import_file(store, "skus", p)  # guessing Windows-1252 would store mojibake
    r = import_file(store, "skus", p, encoding="cp1252")
    assert r.ok and r.encoding == "cp1252"
    df = store.table("skus")
    assert df["title"].to_list() == ["Café mug, large"]
    assert df["list_price"].to_list() == [Decimal("1234.5000")]


def test_references_to_rows_of_the_same_import(store: Store, tmp_path: Path) -> None:
    """Lines may refer to orders created by the same file — but not to rows it filters out."""
    mapping = tmp_path / "m.yaml"
    mapping.write_text(
        """
targets:
  orders:
    where: {col: Status, ne: TEST}
    group_by: [order_id]
    columns:
      order_id: Order
      currency: {const: USD}
      status: {const: COMPLETED}
      created_at: When
  order_lines:
    columns:
      order_id: Order
      sku_id: Sku
      quantity: Qty
      unit_price: Price
""",
        encoding="utf-8",
    )
    import_file(store, "skus", write(tmp_path, "skus.csv", SKUS))
    data = write(
        tmp_path,
        "x.csv",
        "Order,Status,Sku,Qty,Price,When\n"
        "O-1,OK,MUG-1,1,12.5,2024-01-01\n"
        "O-2,TEST,MUG-1,1,12.5,2024-01-01\n"
        "O-3,OK,GHOST,1,1,2024-01-01\n",
    )
    r = import_file(store, "orders", data, mapping=str(mapping))
    refs = sorted((f.row, f.column, f.value) for f in by_code(r, "E_UNKNOWN_REFERENCE"))
    assert refs == [(2, "order_id", "O-2"), (3, "sku_id", "GHOST")]
    assert all(f.message.startswith("order_lines: ") for f in by_code(r, "E_UNKNOWN_REFERENCE"))
    assert_nothing_written(store, "orders", "order_lines")


def test_xlsx_sheet_choice(store: Store, tmp_path: Path) -> None:
    import openpyxl

    wb = openpyxl.Workbook()
    first = wb.active
    assert first is not None
    first.title = "Notes"
    first.append(["just notes"])
    data = wb.create_sheet("Products")
    data.append([None])  # an empty row above the header is skipped
    data.append(["sku_id", "title"])
    data.append(["S-1", "Mug"])
    path = tmp_path / "book.xlsx"
    wb.save(path)
    r = import_file(store, "skus", path, sheet="Products")
    assert r.ok and store.keys("skus.sku_id") == {"S-1"}
    with pytest.raises(UsageError, match="no sheet 'Nope'; sheets: Notes, Products"):
        import_file(store, "skus", path, sheet="Nope")
    r = import_file(store, "skus", path)  # first sheet: no sku_id column
    assert [f.code for f in r.errors] == ["E_MISSING_COLUMN", "E_MISSING_COLUMN"]
