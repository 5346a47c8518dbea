"""The normalisation pipeline (core/comply/normalize.py): each stage, what it must leave
alone, and the offset map back to the seller's original text."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quickturn.core.comply.normalize import Normalizer, fold_separators, words_of
from quickturn.core.comply.text import TextEngine, TextItem, ruleset_normalizer
from quickturn.services.comply import load_rules

RULES = load_rules()
NORM = ruleset_normalizer(RULES)
ENGINE = TextEngine(RULES)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ｃｕｒｅｓ ＡＣＮＥ", "cures acne"),  # NFKC full-width, case folding
        ("cu\u200bres ac\ufeffne", "cures acne"),  # zero-width space, BOM
        ("cu\u200c\u200dres\u2060", "cures"),  # zero-width (non-)joiner, word joiner
        ("cürés", "cures"),  # diacritics
        ("c\u0336u\u0336r\u0336e\u0336", "cure"),  # combining strokes ("zalgo")
        ("w\u0435chat", "wechat"),  # Cyrillic е
        ("cu😊res", "cures"),  # emoji inside a word
        ("c.u.r.e.s", "cures"),
        ("w h e e l", "wheel"),
        ("c-u-r-e", "cure"),
        ("c * u * r * e", "cure"),
        ("s p i n t h e w h e e l", "spin the wheel"),  # re-segmented into rule words
        ("imm un e", "immune"),  # a broken word joined
        ("cu.res", "cures"),
        ("an.ti-an.xi.e.ty", "anti anxiety"),
        ("cl1nically", "clinically"),  # 1 → i
        ("1ucky draw", "lucky draw"),  # 1 → l
        ("r@ffle", "raffle"),
        ("b0x", "box"),
        ("ca$h", "cash"),
        ("rev!ew", "review"),
        ("治 疗", "治疗"),
        ("治 疗 痘 痘", "治疗痘痘"),
        ("能治 疗湿疹", "能治疗湿疹"),  # 治疗 is a rule term
        ("抽😊奖", "抽奖"),
        ("治療", "治疗"),  # traditional → simplified
        ("減肥", "减肥"),
        ("Don’t", "don't"),
    ],
)
def test_stages(text: str, expected: str) -> None:
    assert NORM.normalize(text).text == expected


@pytest.mark.parametrize(
    "text",
    [
        "$5 off, 50% off, 3 pack",
        "a1c glp1 mp3 covid19 b12 4k",
        "b0x-12 replacement",  # a model number
        "call 4 1 5 5 5 5 0 1 9 2",  # spaced digits stay (the phone rule needs them)
        "www.best-deals.com",
        "john5@gmail.com",
        "t-shirt, spin-to-win, homemade-style",
        "本品无副作用 治愈率高",  # a clause break between two Chinese words
        "5★ review",
        "great!! wow! cures!",
    ],
)
def test_left_alone(text: str) -> None:
    assert NORM.normalize(text).text == text


def test_offsets_point_at_the_original() -> None:
    text = "Ｔｈｉｓ serum c.u.r.e.s a\u200bcne!"
    n = NORM.normalize(text)
    assert n.text == "this serum cures acne!"
    s = n.text.index("cures acne")
    assert n.source(s, s + len("cures acne")) == "c.u.r.e.s a\u200bcne"
    assert n.span(0, 4) == (0, 4)
    finding = ENGINE.check_item(TextItem("t", (("text", "text", text),)))[0]
    assert finding.code == "CLAIM_MEDICAL"
    assert text[finding.record["start"] : finding.record["end"]] == "c.u.r.e.s a\u200bcne"
    assert finding.record["match"] == "c.u.r.e.s a\u200bcne"


def test_plain_ascii_is_only_lower_cased() -> None:
    n = NORM.normalize("Soft Cotton Hoodie, 2 pack")
    assert n.text == "soft cotton hoodie, 2 pack" and n.offsets is None


def test_fold_separators() -> None:
    assert fold_separators("a - b\n\nc") == ("a b c", [0, 1, 4, 5, 7])
    assert fold_separators("a b") == ("a b", None)


def test_words_of_skips_regex_syntax() -> None:
    w = words_of([r"(?:cure[sd]?|heal(?:s|ing)?)\s+(?P<amount>\d+){@conditions}", "b1g1"])
    assert {"cure", "heal", "ing", "b1g1"} <= w
    assert "amount" not in w and "conditions" not in w


def test_swaps_need_a_rule_word() -> None:
    n = Normalizer(["raffle"])
    assert n.normalize("r@ffle").text == "raffle"
    assert n.normalize("w1n").text == "w1n"  # "win" is not one of its words


CHARS = st.sampled_from(
    [*"abcdeilnorstuw013457@$!|.-*_ ", "\u200b", "😊", "ｃ", "治", "療", " ", "é", "\u0336"]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(CHARS, max_size=40).map("".join))
def test_offset_map_is_monotone_and_in_range(text: str) -> None:
    n = NORM.normalize(text)
    offs = n.offsets if n.offsets is not None else list(range(len(n.text)))
    assert len(offs) == len(n.text)
    assert all(0 <= o < len(text) for o in offs)
    assert all(a <= b for a, b in itertools.pairwise(offs))
    for i in range(len(n.text)):
        s, e = n.span(i, i + 1)
        assert 0 <= s < e <= len(text)
