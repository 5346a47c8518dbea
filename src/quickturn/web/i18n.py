"""Language of a request and locale-aware formatting of numbers, money and dates.

Data flow: ``?lang=`` query parameter (remembered in the ``qt_lang`` cookie) → the cookie →
the browser's ``Accept-Language`` header → English.  The chosen language gives a
:class:`~quickturn.i18n.Translator` (strings from the gettext catalogs, this module's are in
``locale/zh/LC_MESSAGES/web.po``) and a :class:`Formatter` (Babel's CLDR number, currency and
date formats for ``en_US`` or ``zh_Hans_CN``).
"""

from __future__ import annotations

import math
from datetime import date, datetime
from typing import Any

from babel.dates import format_date, format_datetime
from babel.numbers import (
    format_compact_currency,
    format_compact_decimal,
    format_currency,
    format_decimal,
    format_percent,
)

from quickturn.i18n import Translator

SUPPORTED = ("en", "zh")
COOKIE = "qt_lang"
BABEL_LOCALES = {"en": "en_US", "zh": "zh_Hans_CN"}
#: what the ``<html lang>`` attribute says
HTML_LANG = {"en": "en", "zh": "zh-Hans"}


def normalise(value: str | None) -> str | None:
    """``"zh-CN"`` → ``"zh"``, ``"en_GB"`` → ``"en"``; ``None`` for anything else."""
    if not value:
        return None
    v = value.strip().lower().replace("_", "-")
    if v.startswith("zh"):
        return "zh"
    if v.startswith("en"):
        return "en"
    return None


def parse_accept_language(header: str | None) -> list[tuple[str, float]]:
    """``Accept-Language`` → ``[(tag, q)]`` sorted by preference (RFC 9110 §12.5.4)."""
    out: list[tuple[str, float, int]] = []
    for i, part in enumerate((header or "").split(",")):
        bits = part.strip().split(";")
        tag = bits[0].strip()
        if not tag:
            continue
        q = 1.0
        for b in bits[1:]:
            b = b.strip()
            if b.startswith("q="):
                try:
                    q = float(b[2:])
                except ValueError:
                    q = 0.0
        if q > 0:
            out.append((tag, q, i))
    out.sort(key=lambda t: (-t[1], t[2]))
    return [(t, q) for t, q, _ in out]


def negotiate(query: str | None, cookie: str | None, accept_language: str | None) -> str:
    """The language of a request: query parameter, then cookie, then Accept-Language, then en."""
    for candidate in (query, cookie):
        lang = normalise(candidate)
        if lang:
            return lang
    for tag, _q in parse_accept_language(accept_language):
        lang = normalise(tag)
        if lang:
            return lang
    return "en"


class Formatter:
    """Numbers, money, percentages and dates in the request's locale (Babel / CLDR)."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self.locale = BABEL_LOCALES.get(lang, "en_US")

    @staticmethod
    def _ok(v: Any) -> bool:
        if v is None:
            return False
        try:
            return not math.isnan(float(v))
        except (TypeError, ValueError):
            return False

    def money(self, v: Any, currency: str = "USD", *, digits: int = 2) -> str:
        if not self._ok(v):
            return "—"
        fmt = "¤#,##0" + ("." + "0" * digits if digits else "")
        return format_currency(
            float(v), currency, format=fmt, locale=self.locale, currency_digits=False
        )

    def money_compact(self, v: Any, currency: str = "USD") -> str:
        """Short money for tiles: $1.2M / US$123.5万 (exact below 10,000)."""
        if not self._ok(v):
            return "—"
        x = float(v)
        if abs(x) < 10_000:
            return self.money(x, currency, digits=0)
        return format_compact_currency(x, currency, locale=self.locale, fraction_digits=1)

    def number(self, v: Any, digits: int = 0) -> str:
        if not self._ok(v):
            return "—"
        fmt = "#,##0" + ("." + "0" * digits if digits else "")
        return format_decimal(float(v), format=fmt, locale=self.locale)

    def compact(self, v: Any) -> str:
        if not self._ok(v):
            return "—"
        return format_compact_decimal(float(v), locale=self.locale, fraction_digits=1)

    def percent(self, v: Any, digits: int = 1) -> str:
        if not self._ok(v):
            return "—"
        fmt = "#,##0" + ("." + "0" * digits if digits else "") + "%"
        return format_percent(float(v), format=fmt, locale=self.locale)

    def date(self, v: Any, fmt: str = "medium") -> str:
        if v is None or v == "":
            return "—"
        if isinstance(v, str):
            try:
                v = date.fromisoformat(v[:10])
            except ValueError:
                return str(v)
        if isinstance(v, datetime):
            return format_datetime(v, "medium", locale=self.locale)
        if isinstance(v, date):
            return format_date(v, fmt, locale=self.locale)
        return str(v)

    def datetime(self, v: Any) -> str:
        if not isinstance(v, datetime):
            return self.date(v)
        return format_datetime(v, "short", locale=self.locale)


def translator(lang: str) -> Translator:
    return Translator(lang if lang in SUPPORTED else "en")
