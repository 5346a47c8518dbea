"""The mapping engine: YAML vocabulary, inline maps, split into several tables, errors with
line numbers."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest

from quickturn.connectors.column_mapping import (
    apply_mapping,
    builtin_names,
    load_builtin,
    load_mapping,
    parse_inline,
    resolve_mapping,
)
from quickturn.errors import ConfigError
from quickturn.services.importing import import_file
from quickturn.store import Store


def frame(**cols: list) -> pl.DataFrame:
    return pl.DataFrame(cols)


def test_rename_constant_and_transforms() -> None:
    m = load_mapping(
        """
version: 1
name: shop_x
columns:
  order_id: {col: Order No, strip: true, prefix: "X-"}
  currency: {const: USD}
  status: {col: State, upper: true, map: {DONE: COMPLETED, CXL: CANCELLED}}
  created_at: {col: Date, date_format: "%d.%m.%Y %H:%M"}
  order_amount: {col: Cents, divide: 100}
  shipping_fee: {col: Ship, negate: true}
  tax: {col: Tax, multiply: 1.5, round: 2}
  carrier: {concat: [Carrier, Service], sep: " / "}
  tracking_id: {col: Tracking, split: "|", index: -1}
""",
        "shop_x.yaml",
    )
    raw = frame(
        **{
            "Order No": [" 17 ", "18"],
            "State": ["done", "cxl"],
            "Date": ["31.01.2024 09:30", "01.02.2024 18:00"],
            "Cents": ["1250", "999"],
            "Ship": ["-4.5", "-0"],
            "Tax": ["1.01", "2"],
            "Carrier": ["UPS", "USPS"],
            "Service": ["Ground", None],
            "Tracking": ["old|1Z999", "9400"],
        }
    )
    out = apply_mapping(m, raw, table="orders")
    assert not out.findings
    o = out.frames["orders"]
    assert o["order_id"].to_list() == ["X-17", "X-18"]
    assert o["currency"].to_list() == ["USD", "USD"]
    assert o["status"].to_list() == ["COMPLETED", "CANCELLED"]
    assert o["created_at"].to_list() == [datetime(2024, 1, 31, 9, 30), datetime(2024, 2, 1, 18)]
    assert o["order_amount"].to_list() == [12.5, 9.99]
    assert o["shipping_fee"].to_list() == [4.5, 0.0]
    assert o["tax"].to_list() == [1.52, 3.0]
    assert o["carrier"].to_list() == ["UPS / Ground", None]
    assert o["tracking_id"].to_list() == ["1Z999", "9400"]
    assert out.sources[("orders", "order_id")] == "Order No"


def test_split_one_file_into_tables_negative_quantity_means_return(
    store: Store, tmp_path: Path
) -> None:
    """A marketplace export with one row per line: negative quantities are returns."""
    mapping = tmp_path / "shop.yaml"
    mapping.write_text(
        """
version: 1
name: my_shop
derive:
  is_return: {col: Qty, lt: 0}
  amount: {mul: [Qty, Price]}
targets:
  skus:
    group_by: [sku_id]
    columns:
      sku_id: {col: Item, upper: true}
      title: {col: Item Name, agg: first}
  orders:
    where: {not: is_return}
    group_by: [order_id]
    columns:
      order_id: Order
      currency: {const: EUR}
      status: {const: COMPLETED}
      created_at: {col: When, agg: min}
      order_amount: {col: amount, agg: sum}
  order_lines:
    where: {not: is_return}
    group_by: [order_id, sku_id]
    columns:
      order_id: Order
      sku_id: {col: Item, upper: true}
      quantity: {col: Qty, agg: sum}
      unit_price: {col: Price, agg: max}
  returns:
    where: is_return
    columns:
      return_id: {concat: [Order, Item, {const: R}], sep: "-"}
      order_id: Order
      sku_id: {col: Item, upper: true}
      quantity: {col: Qty, abs: true}
      return_type: {const: return_refund}
      requested_at: When
      currency: {const: EUR}
      refund_amount: {col: amount, abs: true}
""",
        encoding="utf-8",
    )
    data = tmp_path / "export.csv"
    data.write_text(
        "Order,Item,Item Name,Qty,Price,When\n"
        "1001,mug,Mug,2,4.50,2024-03-01 10:00\n"
        "1001,tee,Tee,1,12.00,2024-03-01 10:00\n"
        "1001,mug,Mug,1,4.50,2024-03-01 10:00\n"  # same SKU again: merged
        "1002,tee,Tee,3,12.00,2024-03-02 11:00\n"
        "1002,tee,Tee,-1,12.00,2024-03-05 09:00\n",  # return
        encoding="utf-8",
    )
    r = import_file(store, "orders", data, mapping=str(mapping))
    assert r.ok, [f.format() for f in r.findings]
    got = {t.table: (t.rows, t.inserted, t.merged) for t in r.tables}
    assert got == {
        "skus": (2, 2, 3),
        "orders": (2, 2, 2),
        "order_lines": (3, 3, 1),
        "returns": (1, 1, 0),
    }
    lines = store.table("order_lines", order_by=["order_id", "sku_id"])
    assert lines["quantity"].to_list() == [3, 1, 3]
    ret = store.table("returns")
    assert ret["return_id"].to_list() == ["1002-tee-R"]
    assert ret["quantity"].to_list() == [1]
    assert ret["refund_amount"].to_list() == [Decimal("12.0000")]
    orders = store.table("orders", order_by=["order_id"])
    assert orders["order_amount"].to_list() == [Decimal("25.5000"), Decimal("36.0000")]
    # idempotent
    r2 = import_file(store, "orders", data, mapping=str(mapping))
    assert {t.table: (t.inserted, t.updated) for t in r2.tables} == {
        "skus": (0, 2),
        "orders": (0, 2),
        "order_lines": (0, 3),
        "returns": (0, 1),
    }


def test_inline_map_with_constant(store: Store, tmp_path: Path) -> None:
    data = tmp_path / "x.csv"
    data.write_text("Order No,Placed,Total\nA1,2024-01-02,3.50\n", encoding="utf-8")
    r = import_file(
        store,
        "orders",
        data,
        mapping="Order No=order_id, Placed=created_at, Total=order_amount, 'USD'=currency, \"COMPLETED\"=status",
    )
    assert r.ok, [f.format() for f in r.findings]
    o = store.table("orders")
    assert o["order_id"].to_list() == ["A1"] and o["currency"].to_list() == ["USD"]
    assert o["order_amount"].to_list() == [Decimal("3.5000")]


def test_conditions_windows_and_asof() -> None:
    m = load_mapping(
        """
derive:
  kind:
    when:
      - if: {col: Inv, starts_with: C}
        then: {const: credit}
      - if: {col: Price, agg: max, over: Inv, le: 0}
        then: {const: adjustment}
    else: {const: sale}
  sale: {col: kind, eq: sale}
  credit: {col: kind, eq: credit}
  sold_in:
    asof: {candidates: sale, rows: credit, by: [Cust, Sku], time: T, take: Inv}
count:
  sales: sale
  credits_linked: {all: [credit, {col: sold_in, not_null: true}]}
  big: {col: Qty, ge: 10}
  in_list: {col: Sku, in: [A, B]}
targets:
  returns:
    where: {all: [credit, {col: sold_in, not_null: true}]}
    columns:
      return_id: Inv
      order_id: sold_in
      sku_id: Sku
      quantity: {col: Qty, abs: true}
      return_type: {const: return_refund}
      requested_at: T
      currency: {const: GBP}
""",
        "m.yaml",
    )
    t = datetime
    raw = frame(
        Inv=["1", "2", "C3", "4", "C5", "C6"],
        Sku=["A", "A", "A", "B", "B", "A"],
        Cust=["x", "x", "x", "y", "y", "z"],
        Qty=[5, 10, -2, 1, -1, -1],
        Price=[1.0, 1.0, 1.0, 0.0, 1.0, 1.0],
        T=[
            t(2024, 1, 1),
            t(2024, 1, 5),
            t(2024, 1, 6),
            t(2024, 1, 2),
            t(2024, 1, 3),
            t(2024, 1, 9),
        ],
    )
    out = apply_mapping(m, raw)
    # C3 links to the latest earlier sale of customer x / SKU A (invoice 2); invoice 4 is a
    # zero-price adjustment so C5 has nothing to link to; C6's customer never bought A
    assert out.frames["returns"]["order_id"].to_list() == ["2"]
    assert out.counts == {"sales": 2, "credits_linked": 1, "big": 1, "in_list": 6}
    assert out.unused_rows == 5


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("columns:\n\torder_id: A\n", r"m\.yaml:2:1: not valid YAML"),
        ("colums:\n  order_id: A\n", r"m\.yaml:1: unknown key 'colums'"),
        (
            "targets:\n  orderz:\n    columns: {order_id: A}\n",
            r"m\.yaml:2: unknown table 'orderz'",
        ),
        (
            "targets:\n  skus:\n    columns:\n      sku_id: A\n      title: B\n      colour: C\n",
            r"m\.yaml:6: table 'skus' has no column 'colour'",
        ),
        (
            "targets:\n  skus:\n    columns:\n      sku_id: A\n",
            r"m\.yaml:2: target 'skus' does not fill its required column\(s\) title",
        ),
        (
            "columns:\n  order_id: {col: A, mulitply: 2}\n",
            r"m\.yaml:2: unknown key 'mulitply'",
        ),
        (
            "columns:\n  order_id:\n    col: A\n    agg: median\n",
            r"m\.yaml:4: agg: 'median' is not one of",
        ),
        ("columns:\n  order_id: {const: 1, col: A}\n", r"m\.yaml:2: several value heads"),
        (
            "columns:\n  order_id: {col: A, regex_replace: ['(', x]}\n",
            r"m\.yaml:2: not a valid regular expression",
        ),
        ("version: 2\ncolumns: {}\n", r"m\.yaml:1: unsupported version 2"),
        ("timezone: Mars/Olympus\ncolumns: {}\n", r"m\.yaml:1: unknown time zone"),
        ("- a\n- b\n", r"m\.yaml:1: a mapping file must be a YAML mapping"),
    ],
)
def test_bad_mapping_files_name_the_line(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_mapping(text, "m.yaml")


def test_yaml_booleans_do_not_eat_country_codes() -> None:
    m = load_mapping("columns:\n  market: {col: C, map: {Norway: NO, Yes: y}}\n", "m.yaml")
    out = apply_mapping(m, frame(C=["Norway", "Yes"]), table="orders")
    assert out.frames["orders"]["market"].to_list() == ["NO", "y"]


def test_missing_source_columns_are_findings() -> None:
    m = load_mapping(
        "columns:\n  order_id: Order\n  created_at: {col: Placed}\n  carrier: {col: Ship, optional: true}\n",
        "m.yaml",
    )
    out = apply_mapping(m, frame(Order=["1"]), table="orders", source="f.csv")
    missing = [(f.code, f.column) for f in out.findings]
    assert missing == [("E_MISSING_COLUMN", "Placed")]
    assert "line 3" in out.findings[0].message and "the file has: Order" in out.findings[0].message


def test_inline_and_resolution_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not 'Their column=our_column'"):
        parse_inline("A=order_id, B")
    with pytest.raises(ConfigError, match="mapped twice"):
        parse_inline("A=order_id,B=order_id")
    with pytest.raises(ConfigError, match="mapping file not found"):
        resolve_mapping(str(tmp_path / "nope.yaml"))
    with pytest.raises(ConfigError, match="not a mapping file, a built-in mapping"):
        resolve_mapping("nothing_here")
    assert {"online_retail", "seller_center"} <= set(builtin_names())
    assert resolve_mapping("online-retail").name == "online_retail"


def test_builtin_mappings_load() -> None:
    for name in builtin_names():
        m = load_builtin(name)
        assert m.targets and m.detect


def test_more_modifiers() -> None:
    m = load_mapping(
        r"""
columns:
  sku_id: {col: Code, regex_replace: ['\s+', '-'], upper: true, suffix: "-EU"}
  title: {coalesce: [Name, Code]}
  list_price: {col: Price, decimal_comma: true}
  moq_qty: {col: MOQ, extract: '(\d+)', cast: int, default: 1}
  category: {col: Cat, lower: true, map: {spielzeug: toys}, map_default: other}
  is_battery: {col: Batt, cast: bool}
  launch_date: {col: Launched, cast: date}
""",
        "m.yaml",
    )
    raw = frame(
        Code=["ab 12", "cd  3"],
        Name=[None, "Lamp"],
        Price=["1.234,50", "7,5"],
        MOQ=["min 500 pcs", None],
        Cat=["Spielzeug", "Haus"],
        Batt=["yes", "0"],
        Launched=["2024-05-01", "2023-01-31"],
    )
    out = apply_mapping(m, raw, table="skus").frames["skus"]
    assert out["sku_id"].to_list() == ["AB-12-EU", "CD-3-EU"]
    assert out["title"].to_list() == ["ab 12", "Lamp"]
    assert out["list_price"].to_list() == ["1234.50", "7.5"]
    assert out["moq_qty"].to_list() == [500, 1]
    assert out["category"].to_list() == ["toys", "other"]
    assert out["is_battery"].to_list() == [True, False]
    assert [d.isoformat() for d in out["launch_date"].to_list()] == ["2024-05-01", "2023-01-31"]


def test_timezone_converts_local_times_to_utc(store: Store, tmp_path: Path) -> None:
    data = tmp_path / "o.csv"
    data.write_text(
        "order_id,currency,status,created_at\n1,USD,COMPLETED,2024-07-01 17:00:00\n",
        encoding="utf-8",
    )
    r = import_file(store, "orders", data, timezone="America/Los_Angeles")
    assert r.ok
    assert store.table("orders")["created_at"].to_list() == [datetime(2024, 7, 2, 0, 0)]
