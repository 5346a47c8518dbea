"""money.to_decimal reads plain amounts exactly and rejects what it would have to guess."""

from __future__ import annotations

from decimal import Decimal

import pytest

from quickturn.money import from_micro, to_decimal, to_micro


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("12.50", "12.50"),
        ("1,234.50", "1234.50"),
        ("1,234,567", "1234567"),
        ("$3.99", "3.99"),
        ("US$3.99", "3.99"),
        ("-2.5", "-2.5"),
        ("(4.00)", "-4.00"),
        (" 7 ", "7"),
        (".5", "0.5"),
        (0.1, "0.1"),
        (3, "3"),
        (Decimal("2.25"), "2.25"),
    ],
)
def test_amounts_read_exactly(text: object, want: str) -> None:
    assert to_decimal(text) == Decimal(want)


@pytest.mark.parametrize(
    "text",
    [
        "12,50",
        "1.234,50",
        "abc12",
        "e5",
        "1e5",
        "¥12",
        "12 RMB",
        "1,23,4",
        "",
        "--1",
        "(-4)",
        "nan",
        "inf",
    ],
)
def test_guesses_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="amount"):
        to_decimal(text)


def test_non_finite_numbers_are_refused() -> None:
    for value in (float("inf"), float("nan"), Decimal("Infinity")):
        with pytest.raises(ValueError, match="finite"):
            to_decimal(value)


def test_micro_units_round_half_even_at_the_store_scale() -> None:
    assert to_micro(Decimal("1.00005")) == 10000
    assert to_micro(Decimal("1.00015")) == 10002
    assert to_micro("2.5") == 25000
    assert from_micro(12345) == Decimal("1.2345")
