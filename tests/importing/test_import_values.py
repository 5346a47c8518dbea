"""Reading values from text: dates, numbers, money, booleans (validate.coerce)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from quickturn.schema import get_table
from quickturn.validate import coerce, detect_date_order, parse_datetime

ORDERS = get_table("orders")


def ts(values: list[str], order: str = "mdy") -> list[datetime | None]:
    return parse_datetime(pl.Series("t", values), order).to_list()


def test_datetime_formats() -> None:
    assert ts(
        [
            "2024-03-14 10:15:22",
            "2024-03-14T10:15:22.250",
            "2024-03-14T10:15:22Z",
            "2024-03-14T12:15:22+02:00",
            "2024/03/14",
            "20240314",
            "03/14/2024 10:15:22 PM",
            "3/4/2024 9:05",
            "1710411322",
            "",
            "14/14/2024",
        ]
    ) == [
        datetime(2024, 3, 14, 10, 15, 22),
        datetime(2024, 3, 14, 10, 15, 22, 250000),
        datetime(2024, 3, 14, 10, 15, 22),
        datetime(2024, 3, 14, 10, 15, 22),
        datetime(2024, 3, 14),
        datetime(2024, 3, 14),
        datetime(2024, 3, 14, 22, 15, 22),
        datetime(2024, 3, 4, 9, 5),
        datetime(2024, 3, 14, 10, 15, 22),
        None,
        None,
    ]
    assert ts(["14/03/2024 10:15:22", "03/04/2024"], "dmy") == [
        datetime(2024, 3, 14, 10, 15, 22),
        datetime(2024, 4, 3),
    ]
    assert ts(["14.03.2024"], "%d.%m.%Y") == [datetime(2024, 3, 14)]


def test_date_order_detection() -> None:
    assert detect_date_order(pl.Series(["01/02/2024", "25/02/2024"])) == "dmy"
    assert detect_date_order(pl.Series(["01/02/2024", "02/25/2024"])) == "mdy"
    assert detect_date_order(pl.Series(["01/02/2024", "2024-05-01"])) == "mdy"


def test_numbers_money_rates_booleans() -> None:
    skus = get_table("skus")
    raw = pl.DataFrame(
        {
            "sku_id": ["1", "2", "3", "4"],
            "title": ["a", "b", "c", "d"],
            "list_price": ["$1,234.50", "USD 12", "(3.00)", " 7 "],
            "duty_rate": ["15%", "0.075", "1", ""],
            "moq_qty": ["500", "1,000", "12.0", "12.5"],
            "is_battery": ["yes", "N", "是", "x"],
            "launch_date": ["2024-03-14 08:00:00", "2024-03-15", None, "3/16/2024"],
        }
    )
    typed, findings = coerce(skus, raw)
    assert typed["list_price"].to_list() == [
        Decimal("1234.5"),
        Decimal("12"),
        Decimal("-3"),
        Decimal("7"),
    ]
    assert typed["duty_rate"].to_list() == [Decimal("0.15"), Decimal("0.075"), Decimal("1"), None]
    assert typed["moq_qty"].to_list() == [500, 1000, 12, None]
    assert typed["is_battery"].to_list() == [True, False, True, True]
    assert typed["launch_date"].to_list() == [
        date(2024, 3, 14),
        date(2024, 3, 15),
        None,
        date(2024, 3, 16),
    ]
    codes = sorted((f.row, f.code, f.column) for f in findings)
    assert codes == [(3, "E_RANGE", "list_price"), (4, "E_TYPE", "moq_qty")]


def test_float_ids_become_text_without_point_zero() -> None:
    raw = pl.DataFrame(
        {
            "order_id": [17850.0, 12.5, None],
            "currency": ["USD"] * 3,
            "status": ["COMPLETED"] * 3,
            "created_at": [datetime(2024, 1, 1)] * 3,
        }
    )
    typed, _ = coerce(ORDERS, raw)
    assert typed["order_id"].to_list() == ["17850", "12.5", None]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.decimals(
            min_value=Decimal("0"),
            max_value=Decimal("99999999999999"),
            places=4,
            allow_nan=False,
            allow_infinity=False,
        ),
        min_size=1,
        max_size=20,
    )
)
def test_money_text_is_read_exactly(amounts: list[Decimal]) -> None:
    """Any amount with at most 4 decimals written as text comes back as the same Decimal."""
    n = len(amounts)
    raw = pl.DataFrame(
        {
            "order_id": [str(i) for i in range(n)],
            "currency": ["USD"] * n,
            "status": ["COMPLETED"] * n,
            "created_at": ["2024-01-01"] * n,
            "order_amount": [format(a, "f") for a in amounts],
        }
    )
    typed, findings = coerce(ORDERS, raw)
    assert not findings
    assert typed["order_amount"].to_list() == amounts


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_every_bad_cell_is_reported_on_its_row(data: st.DataObject) -> None:
    n = data.draw(st.integers(min_value=1, max_value=40))
    bad_rows = data.draw(st.sets(st.integers(min_value=1, max_value=n)))
    amounts = ["oops" if i + 1 in bad_rows else "1.50" for i in range(n)]
    raw = pl.DataFrame(
        {
            "order_id": [f"o{i}" for i in range(n)],
            "currency": ["USD"] * n,
            "status": ["COMPLETED"] * n,
            "created_at": ["2024-01-01"] * n,
            "order_amount": amounts,
        }
    )
    _, findings = coerce(ORDERS, raw)
    assert {f.row for f in findings if f.code == "E_TYPE"} == bad_rows
