"""CSV files other people open in a spreadsheet: formula injection neutralised, exact money.

A supplier opens the purchase-order CSV in Excel, LibreOffice or Google Sheets.  A text cell
that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read as a formula
there (``=cmd|' /C calc'!A0``, ``=HYPERLINK("http://evil", "click")``, ``@SUM(1+1)*cmd…``),
so a SKU title or supplier name typed by anyone could run code or leak data on the
supplier's machine.  Following the OWASP "CSV injection" rule, such text cells get a
leading single quote (``'=HYPERLINK(…)``): spreadsheets show the text as it is and evaluate
nothing.  Numbers stay numbers: ``int`` and ``Decimal`` values (a negative amount such as
``-12.50``) are written unchanged, and so is text that is a plain decimal number.

>>> safe_cell("=HYPERLINK(\\"http://x\\")")
'\\'=HYPERLINK("http://x")'
>>> safe_cell("@SUM(A1)"), safe_cell("-1+cmd"), safe_cell("\\tx")
("'@SUM(A1)", "'-1+cmd", "'\\tx")
>>> safe_cell(Decimal("-12.50")), safe_cell("-12.50"), safe_cell("Blue mug")
(Decimal('-12.50'), '-12.50', 'Blue mug')
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from decimal import Decimal
from typing import IO, Any

from quickturn.money import quantize, to_decimal

#: first characters that make a spreadsheet read a cell as a formula (OWASP)
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?\d+(\.\d+)?")


def safe_cell(value: Any) -> Any:
    """``value`` as a CSV cell no spreadsheet evaluates (see the module docstring)."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        if _PLAIN_NUMBER.fullmatch(value):
            return value
        return "'" + value
    return value


def safe_row(values: Iterable[Any]) -> list[Any]:
    return [safe_cell(v) for v in values]


class SafeWriter:
    """``csv.writer`` whose rows go through :func:`safe_cell`."""

    def __init__(self, fh: IO[str]) -> None:
        self._w = csv.writer(fh)

    def writerow(self, values: Iterable[Any]) -> None:
        self._w.writerow(safe_row(values))


def cents(value: Any, currency: str = "USD") -> Decimal:
    """An amount (float, text or Decimal; empty → 0) as an exact Decimal in the currency's
    minor unit (``0.1 + 0.2`` never shows as ``0.30000000000000004``)."""
    if value is None or value == "":
        return Decimal(0)
    return quantize(to_decimal(value), currency or "USD")
