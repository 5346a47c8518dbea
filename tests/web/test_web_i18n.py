"""Every UI string has a Simplified Chinese translation; language negotiation; Babel formats."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from babel.messages.pofile import read_po
from web_catalog import web_messages

from quickturn.i18n import catalog
from quickturn.web import i18n, labels

WEB_PO = Path(__file__).resolve().parents[2] / "src/quickturn/locale/zh/LC_MESSAGES/web.po"
PLACEHOLDER = re.compile(r"\{(\w+)")


def _web_po() -> dict[str, str]:
    with WEB_PO.open("rb") as fh:
        return {m.id: m.string for m in read_po(fh, locale="zh") if m.id}


def test_every_template_and_web_string_has_a_translation() -> None:
    messages = web_messages()
    assert len(messages) > 200  # the extractor really sees the templates
    assert "Overview" in messages and "Units sold" in messages and "Heavy pre-stock" in messages
    own = _web_po()
    missing = {m: places[0] for m, places in messages.items() if not own.get(m)}
    assert not missing, "strings without a translation in web.po:\n" + "\n".join(
        f"{where}: {m!r}" for m, where in sorted(missing.items(), key=lambda kv: kv[1])
    )


def test_translations_keep_their_placeholders_and_do_not_fight_other_catalogs() -> None:
    own = _web_po()
    for msgid, text in own.items():
        assert set(PLACEHOLDER.findall(msgid)) == set(PLACEHOLDER.findall(text)), msgid
    merged = catalog("zh")
    for msgid, text in own.items():
        assert merged[msgid] == text, f"another catalog translates {msgid!r} differently"


def test_the_catalog_test_catches_a_missing_string(tmp_path: Path) -> None:
    from babel.messages.extract import extract

    page = tmp_path / "t.html"
    page.write_text('<p>{{ _("A string nobody translated") }}</p>', encoding="utf-8")
    with page.open("rb") as fh:
        found = [
            m for _l, m, _c, _x in extract("jinja2.ext:babel_extract", fh, keywords={"_": None})
        ]
    assert found == ["A string nobody translated"]
    assert "A string nobody translated" not in _web_po()


def test_every_label_table_is_translated() -> None:
    own = _web_po()
    for table in labels.ALL:
        for name in table.values():
            assert own.get(name), name


def test_language_negotiation() -> None:
    assert i18n.negotiate(None, None, "zh-CN,zh;q=0.9,en;q=0.8") == "zh"
    assert i18n.negotiate(None, None, "en-GB,en;q=0.9,zh;q=0.8") == "en"
    assert i18n.negotiate(None, None, "fr-FR,zh-TW;q=0.7,en;q=0.5") == "zh"
    assert i18n.negotiate(None, None, "de;q=1.0, en;q=0.1") == "en"
    assert i18n.negotiate(None, None, "en;q=0.5, zh-Hans;q=0.8") == "zh"
    assert i18n.negotiate(None, "zh", "en") == "zh"
    assert i18n.negotiate("en", "zh", "zh") == "en"
    assert i18n.negotiate("xx", None, None) == "en"
    assert i18n.negotiate(None, None, "") == "en"


def test_numbers_money_and_dates_per_locale() -> None:
    en, zh = i18n.Formatter("en"), i18n.Formatter("zh")
    assert en.money(1234567.891) == "$1,234,567.89"
    assert zh.money(1234567.891) == "US$1,234,567.89"
    assert en.money(-42.5, digits=0) == "-$42"
    assert en.money(98.1, "CNY") == "CN¥98.10" and zh.money(98.1, "CNY") == "¥98.10"
    assert en.money_compact(1_234_567) == "$1.2M"
    assert zh.money_compact(1_234_567) == "US$123.5万"
    assert en.percent(0.1234) == "12.3%" and zh.percent(0.05, 0) == "5%"
    assert en.number(1234.5, 1) == "1,234.5"
    assert en.date(date(2026, 3, 2)) == "Mar 2, 2026"
    assert zh.date(date(2026, 3, 2)) == "2026年3月2日"
    assert en.money(None) == en.percent(float("nan")) == en.date(None) == "—"
