"""Exact money: Decimal amounts, currency quantisation, micro-units.

Ledger arithmetic never uses floats.  Amounts are ``decimal.Decimal`` in Python code and
DECIMAL(18,4) in the store; vectorised code may use integer *micro-units* (1e-4 of a
currency unit, the store's scale) which are exact and fast.

The one home of the scalar helpers (``MICRO``, ``to_micro``, ``from_micro``, ``quantize``);
:mod:`quickturn.core.ledger.amounts` holds the vectorised Polars expressions on micro-units
and imports its constants from here.  Daily FX rates are a frame
(:func:`quickturn.core.ledger.fx.fx_table`, latest rate on or before the day).
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Final

#: digits after the decimal point in stored amounts (DECIMAL(18,4))
STORE_SCALE: Final = 4
MICRO: Final = 10**STORE_SCALE

#: minor-unit digits per currency (ISO 4217); cents for most
MINOR_DIGITS: Final[dict[str, int]] = {"JPY": 0, "VND": 0, "IDR": 0}

ZERO: Final = Decimal(0)


def to_decimal(value: object) -> Decimal:
    """Parse a number, a numeric string ("1,234.50", "$3.99") or Decimal exactly.

    Floats are converted through their shortest repr so 0.1 becomes Decimal("0.1").
    Raises ``ValueError`` for text that is not a number.
    """
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool):
        raise ValueError(f"not an amount: {value!r}")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))
    text = str(value).strip().replace(",", "").replace("$", "").replace("¥", "").replace("US", "")
    if text.startswith("(") and text.endswith(")"):
        text = "-" + text[1:-1]
    try:
        d = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"not an amount: {value!r}") from None
    if not d.is_finite():
        raise ValueError(f"not a finite amount: {value!r}")
    return d


def quantize(amount: Decimal, currency: str = "USD", *, rounding: str = ROUND_HALF_UP) -> Decimal:
    """Round to the currency's minor unit (cents for USD/CNY)."""
    digits = MINOR_DIGITS.get(currency, 2)
    return amount.quantize(Decimal(1).scaleb(-digits), rounding=rounding)


def store_quantize(amount: Decimal) -> Decimal:
    """Round to the store's scale (4 decimals), banker's rounding to avoid drift."""
    return amount.quantize(Decimal(1).scaleb(-STORE_SCALE), rounding=ROUND_HALF_EVEN)


def to_micro(amount: Decimal | int | str) -> int:
    """Exact integer micro-units (1e-4) of an amount, half to even at the 4th decimal
    (the store's rounding); the ledger's vectorised code works in these units."""
    d = amount if isinstance(amount, Decimal) else Decimal(amount)
    return int(store_quantize(d) * MICRO)


def from_micro(units: int) -> Decimal:
    return Decimal(units).scaleb(-STORE_SCALE)
