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

import re
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from typing import Final

#: digits after the decimal point in stored amounts (DECIMAL(18,4))
STORE_SCALE: Final = 4
MICRO: Final = 10**STORE_SCALE

#: minor-unit digits per currency (ISO 4217); cents for most
MINOR_DIGITS: Final[dict[str, int]] = {"JPY": 0, "VND": 0, "IDR": 0}

ZERO: Final = Decimal(0)


#: number text ``to_decimal`` reads: a sign, ``$``/``US$`` (dollars only), digits with
#: commas only between thousands, a decimal point; or the same in accounting parentheses
_NUMBER = re.compile(
    r"^(?P<sign>[-+]?)(?:US\$|\$)?(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d*)?|\.\d+)$"
)


def to_decimal(value: object) -> Decimal:
    """Parse a number, a numeric string ("1,234.50", "$3.99", "(4.00)") or Decimal exactly.

    Floats are converted through their shortest repr so 0.1 becomes Decimal("0.1").
    Raises ``ValueError`` for text that is not such a number rather than guessing: a decimal
    comma (``12,50``, ``1.234,50``), letters (``abc12``, ``e5``), another currency's symbol
    (``¥12``) or an exponent (file imports parse money by locale and currency in
    :mod:`quickturn.validate`).

    >>> to_decimal("1,234.50"), to_decimal("$3.99"), to_decimal("(4.00)")
    (Decimal('1234.50'), Decimal('3.99'), Decimal('-4.00'))
    >>> to_decimal("12,50")
    Traceback (most recent call last):
    ...
    ValueError: not an amount: '12,50'
    """
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"not a finite amount: {value!r}")
        return value
    if isinstance(value, bool):
        raise ValueError(f"not an amount: {value!r}")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        d = Decimal(repr(value))
        if not d.is_finite():
            raise ValueError(f"not a finite amount: {value!r}")
        return d
    text = str(value).strip().replace(" ", "")
    negative = text.startswith("(") and text.endswith(")")
    if negative:
        text = text[1:-1]
    m = _NUMBER.match(text)
    if m is None or (negative and m["sign"]):
        raise ValueError(f"not an amount: {value!r}")
    d = Decimal(m["num"].replace(",", ""))
    return -d if negative or m["sign"] == "-" else d


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
