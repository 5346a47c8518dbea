"""Translations: English source strings, Simplified Chinese from gettext catalogs.

Catalogs are ``locale/zh/LC_MESSAGES/<domain>.po`` inside the package, one domain per
module (``cli``, ``ledger``, ``web``, ...) so that modules do not edit each other's files.
They are read with Babel on first use (no compile step) and merged.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

LOCALE_DIR = Path(__file__).parent / "locale"


@lru_cache(maxsize=4)
def catalog(lang: str) -> dict[str, str]:
    """msgid → translation for ``lang`` (empty for English)."""
    if lang == "en":
        return {}
    from babel.messages.pofile import read_po

    merged: dict[str, str] = {}
    folder = LOCALE_DIR / lang / "LC_MESSAGES"
    for po in sorted(folder.glob("*.po")):
        with po.open("rb") as fh:
            cat = read_po(fh, locale=lang)
        for msg in cat:
            if msg.id and msg.string and isinstance(msg.id, str) and isinstance(msg.string, str):
                merged[msg.id] = msg.string
    return merged


def gettext(message: str, lang: str = "en", /, **kwargs: object) -> str:
    """Translate ``message`` into ``lang`` and fill ``{placeholders}`` from ``kwargs``."""
    text = catalog(lang).get(message, message) if lang != "en" else message
    return text.format(**kwargs) if kwargs else text


class Translator:
    """Bound translator: ``_ = Translator("zh"); _("Orders")``."""

    def __init__(self, lang: str) -> None:
        self.lang = lang

    def __call__(self, message: str, /, **kwargs: object) -> str:
        return gettext(message, self.lang, **kwargs)
