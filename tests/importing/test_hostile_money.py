"""Hostile money text: separators, currency symbols, letters, decimal commas (issue 17).

Every bad cell is reported with file, row, column, the value seen and what was expected, and
nothing is written.  The rules are documented in docs/importing.md ("Numbers and money").
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest
import sc_export as sc

from quickturn.services.importing import import_file
from quickturn.store import Store
from quickturn.validate import coerce


def write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_accepted_money_formats(store: Store, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "skus.csv",
        "sku_id,title,list_price,unit_cost,cost_currency\n"
        'A,a,"1,234.50",¥8.20,CNY\n'
        'B,b,"$1,234.50",CN¥ 3,CNY\n'
        "C,c,US$12,RMB 4.5,CNY\n"
        "D,d,12.50 USD,5元,CNY\n"
        "E,e,.99,1,CNY\n",
    )
    r = import_file(store, "skus", path)
    assert r.ok, [f.message for f in r.findings]
    df = store.table("skus").sort("sku_id")
    assert df["list_price"].to_list() == [
        Decimal("1234.5"),
        Decimal("1234.5"),
        Decimal("12"),
        Decimal("12.5"),
        Decimal("0.99"),
    ]
    assert df["unit_cost"].to_list() == [Decimal("8.2"), Decimal("3"), Decimal("4.5"), 5, 1]


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("12,50", "decimal comma"),
        ("1.234,50", "decimal comma"),
        ("abc12", "letters"),
        ("e5", "letters"),
        ("12abc", "letters"),
        ("1,23,4", "malformed"),
        ("1e5", "exponent"),
    ],
)
def test_misread_money_is_rejected(store: Store, tmp_path: Path, value: str, why: str) -> None:
    path = write(tmp_path, "skus.csv", f'sku_id,title,list_price\nA,a,9.99\nB,b,"{value}"\n')
    r = import_file(store, "skus", path)
    assert not r.ok and not r.written
    [f] = r.errors
    assert (f.code, f.source, f.row, f.column, f.value) == (
        "E_TYPE",
        str(path),
        2,
        "list_price",
        value,
    )
    assert why in f.message and repr(value) in f.message
    assert f.expected == "an amount such as 12.50"
    assert store.count("skus") == 0


def test_decimal_comma_option(store: Store, tmp_path: Path) -> None:
    path = write(tmp_path, "skus.csv", 'sku_id;title;list_price\nA;a;"12,50"\nB;b;1.234,50\n')
    r = import_file(store, "skus", path)
    assert not r.ok and [f.row for f in r.errors] == [1, 2]
    assert "--decimal-comma" in (r.errors[0].fix or "")
    r = import_file(store, "skus", path, decimal_comma=True)
    assert r.ok
    assert store.table("skus").sort("sku_id")["list_price"].to_list() == [
        Decimal("12.5"),
        Decimal("1234.5"),
    ]


def test_currency_symbol_contradicting_the_column(store: Store, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "skus.csv",
        "sku_id,title,list_price,price_currency,unit_cost,cost_currency\n"
        "A,a,¥12,,1,CNY\n"  # price_currency empty: the shop's USD
        "B,b,€3,USD,$2,CNY\n"
        "C,c,¥12,CNY,1,CNY\n",  # fine: the row says CNY
    )
    r = import_file(store, "skus", path)
    assert not r.written
    got = sorted((f.row, f.code, f.column, f.value) for f in r.errors)
    assert got == [
        (1, "E_CURRENCY", "list_price", "¥12"),
        (2, "E_CURRENCY", "list_price", "€3"),
        (2, "E_CURRENCY", "unit_cost", "$2"),
    ]
    assert "'¥12' is written in another currency than the column's 'USD'" in r.errors[0].message
    assert store.count("skus") == 0


def test_usd_column_rejects_yuan() -> None:
    from quickturn.schema import get_table

    t = get_table("routes")
    frame = pl.DataFrame({k: ["x"] for k in t.required} | {"fixed_cost_usd": ["¥12"]})
    _, findings = coerce(t, frame)
    assert [(f.code, f.column) for f in findings if f.code == "E_CURRENCY"] == [
        ("E_CURRENCY", "fixed_cost_usd")
    ]


def test_seller_center_money_cells(store: Store, tmp_path: Path) -> None:
    lines = sc.us_orders()
    header, data = sc.rows(lines)
    price = header.index("SKU Unit Original Price")
    data[1][price] = "12,50"
    data[2][price] = "¥12"
    data[3][price] = "abc12"
    path = sc.write_csv(tmp_path / "export.csv", header, data)
    r = import_file(store, "orders", path)
    assert not r.ok and not r.written
    got = {(f.row, f.code, f.value) for f in r.errors}
    assert got == {(2, "E_TYPE", "12,50"), (3, "E_CURRENCY", "¥12"), (4, "E_TYPE", "abc12")}
    assert all("file column 'SKU Unit Original Price'" in f.message for f in r.errors)
    assert store.count("orders") == 0 and store.count("order_lines") == 0


def test_big_integers_are_exact() -> None:
    from quickturn.schema import get_table

    t = get_table("skus")
    frame = pl.DataFrame(
        {"sku_id": ["A", "B"], "title": ["a", "b"], "moq_qty": ["9007199254740993", "1" + "0" * 20]}
    )
    typed, findings = coerce(t, frame)
    assert typed["moq_qty"][0] == 9007199254740993
    assert [(f.code, f.row, f.column) for f in findings] == [("E_TYPE", 2, "moq_qty")]


def test_inf_and_nan_are_not_numbers() -> None:
    from quickturn.schema import TABLES

    t, c = next(
        (t, c) for t in TABLES for c in t.columns if c.type == "float" and t.group == "input"
    )
    base = {k: ["x", "y", "z"] for k in t.key}
    typed, findings = coerce(
        t, pl.DataFrame({**base, c.name: ["inf", "nan", "1.5e3"]}), check_duplicates=False
    )
    bad = sorted((f.row, f.column) for f in findings if f.code == "E_TYPE")
    assert bad == [(1, c.name), (2, c.name)]
    assert typed[c.name][2] == 1500.0
    frame = pl.DataFrame({**base, c.name: [float("inf"), float("nan"), 1.0]})
    _, findings = coerce(t, frame, check_duplicates=False)
    assert sorted((f.row, f.code) for f in findings if f.column == c.name) == [
        (1, "E_TYPE"),
        (2, "E_TYPE"),
    ]
