"""Text rules: every rule against the labelled corpus, plus the matcher's mechanics
(word boundaries, negation, exceptions, context, amounts, scopes, spans, pre-filter)."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from quickturn.core.comply.ruleset import NegationConfig
from quickturn.core.comply.text import (
    TextEngine,
    TextItem,
    condition_holds,
    literal_prefixes,
    negated_en,
    negated_zh,
    parse_amount,
)
from quickturn.services.comply import load_rules

CORPUS = yaml.safe_load((Path(__file__).parent / "corpus.yaml").read_text(encoding="utf-8"))
TEXTS: list[dict[str, Any]] = CORPUS["texts"]
RULES = load_rules()
ENGINE = TextEngine(RULES)
NEG = RULES.negation


def predict(entry: dict[str, Any]) -> set[str]:
    return ENGINE.codes_for(entry["text"], entry.get("scope", "text"))


def test_corpus_is_large_bilingual_and_covers_every_text_rule() -> None:
    assert len(TEXTS) >= 150
    assert len({t["id"] for t in TEXTS}) == len(TEXTS)
    chinese = [t for t in TEXTS if re.search(r"[\u4e00-\u9fff]", t["text"])]
    mixed = [t for t in chinese if re.search(r"[A-Za-z]{3,}", t["text"])]
    assert len(chinese) >= 50 and len(mixed) >= 5
    known = set(RULES.codes())
    positives: Counter[str] = Counter()
    for t in TEXTS:
        for code in t["expect"]:
            assert code in known, (t["id"], code)
            positives[code] += 1
    for rule in RULES.text_rules:
        if rule.when:  # needs item attributes (price), tested below
            continue
        assert positives[rule.code] >= 2, f"{rule.code}: fewer than 2 positive corpus texts"


@pytest.mark.parametrize("entry", TEXTS, ids=[t["id"] for t in TEXTS])
def test_corpus_entry(entry: dict[str, Any]) -> None:
    assert predict(entry) == set(entry["expect"]), entry["text"]


def test_blocking_rules_meet_the_targets_on_the_corpus() -> None:
    blocking = {r.code for r in RULES.text_rules if r.severity == "block"}
    tp = fp = fn = 0
    for t in TEXTS:
        got, exp = predict(t) & blocking, set(t["expect"]) & blocking
        tp += len(got & exp)
        fp += len(got - exp)
        fn += len(exp - got)
    assert tp / (tp + fp) >= 0.95
    assert tp / (tp + fn) >= 0.90


PREDICTED = {t["id"]: predict(t) for t in TEXTS}


def by_rule() -> dict[str, tuple[list[str], list[str]]]:
    """code → (texts where it must fire, texts where it must not)."""
    out: dict[str, tuple[list[str], list[str]]] = {r.code: ([], []) for r in RULES.text_rules}
    for t in TEXTS:
        for code, (pos, neg) in out.items():
            (pos if code in t["expect"] else neg).append(t["id"])
    return out


@pytest.mark.parametrize("code", [r.code for r in RULES.text_rules if not r.when])
def test_each_rule_fires_on_its_positives_and_nothing_else(code: str) -> None:
    pos, neg = by_rule()[code]
    missed = [i for i in pos if code not in PREDICTED[i]]
    wrong = [i for i in neg if code in PREDICTED[i]]
    assert not missed and not wrong, (missed, wrong)


# -- mechanics -------------------------------------------------------------------------------


def findings(text: str, scope: str = "text", **item: Any) -> list[Any]:
    return ENGINE.check_item(TextItem("t", (("text", scope, text),), **item))


def test_evidence_span_points_at_the_match() -> None:
    text = "Hello! This balm treats eczema. 加微信 abc"
    fs = {f.code: f for f in findings(text)}
    med = fs["CLAIM_MEDICAL"].record
    assert text[med["start"] : med["end"]] == med["match"] == "treats eczema"
    msg = fs["OFFPLATFORM_MESSENGER"].record
    assert text[msg["start"] : msg["end"]] == "加微信"
    assert fs["CLAIM_MEDICAL"].severity == "block"
    assert fs["CLAIM_MEDICAL"].message.startswith('Medical claim "treats eczema" in the text')
    assert fs["CLAIM_MEDICAL"].message_zh.startswith("文本中有医疗功效宣称“treats eczema”")


def test_word_boundaries_are_ascii_so_mixed_text_matches() -> None:
    assert "CLAIM_MEDICAL" in {f.code for f in findings("这个面霜cures acne超快")}
    assert "PROMO_GAMBLING" not in {f.code for f in findings("raffleraffle")}
    assert "PROMO_GAMBLING" in {f.code for f in findings("Raffle!")}


def test_case_insensitive() -> None:
    assert {f.code for f in findings("LUCKY DRAW TONIGHT")} == {"PROMO_GAMBLING"}
    assert {f.code for f in findings("Spin-To-Win")} == {"PROMO_GAMBLING"}


@pytest.mark.parametrize(
    ("text", "negated"),
    [
        ("This is not a cure", True),
        ("It does not treat", True),
        ("It doesn't cure", True),
        ("It doesn\u2019t cure", True),
        ("not intended to diagnose, treat, cure", True),
        ("Never a cure", True),
        ("Not only does it cure", False),
        ("Doctors can't believe it cures", False),
        ("It is not sticky. It cures", False),
        ("No more waiting, it cures", False),
    ],
)
def test_english_negation(text: str, negated: bool) -> None:
    start = text.rfind("cure") if "cure" in text else text.rfind("treat")
    assert negated_en(text, start, NEG) is negated


@pytest.mark.parametrize(
    ("text", "match", "negated"),
    [
        ("本品不能治疗疾病", "治疗", True),
        ("并非治疗用途", "治疗", True),
        ("无法治愈", "治愈", True),
        ("不仅能治疗痘痘", "治疗", False),
        ("不用吃药就能治愈", "治愈", False),
        ("非常适合治疗", "治疗", False),
        ("不要错过幸运抽奖", "抽奖", False),
        ("我们不搞抽奖", "抽奖", True),
        ("效果好，治疗痘痘", "治疗", False),
        ("不，它能治疗", "治疗", False),
    ],
)
def test_chinese_negation(text: str, match: str, negated: bool) -> None:
    assert negated_zh(text, text.index(match), NEG) is negated


def test_negation_is_off_without_cues() -> None:
    assert not negated_en("not a cure", 6, NegationConfig())
    assert not negated_zh("不能治疗", 2, NegationConfig())


def test_non_negatable_rules_ignore_negation() -> None:
    assert not RULES.rule("OFFPLATFORM_URL").negatable
    assert {f.code for f in findings("Do not visit www.cheap-deals.com")} == {"OFFPLATFORM_URL"}


def test_exceptions_cancel_only_matches_inside_them() -> None:
    assert {f.code for f in findings("The Lottery and Other Stories")} == set()
    assert {
        f.code for f in findings("The Lottery and Other Stories, plus a lottery in our LIVE")
    } == {"PROMO_GAMBLING"}
    assert {f.code for f in findings("World's best dad mug")} == set()
    assert {f.code for f in findings("World's best vacuum")} == {"CLAIM_ABSOLUTE"}


def test_context_terms_are_searched_in_the_whole_item() -> None:
    item = TextItem(
        "x",
        (
            ("title", "video_caption", "Giveaway Friday!"),
            ("script", "video_script", "a $50 gift card"),
        ),
    )
    got = {f.code: f for f in ENGINE.check_item(item)}
    assert got["PROMO_GIVEAWAY_CASH"].record["field"] == "script"
    assert {f.code for f in findings("a $50 gift card holder")} == set()


def test_unless_terms_silence_the_rule() -> None:
    assert {f.code for f in findings("Big giveaway tonight")} == {"PROMO_GIVEAWAY_TERMS"}
    assert {f.code for f in findings("Big giveaway tonight, official rules below")} == set()


@pytest.mark.parametrize(
    ("text", "fires"),
    [
        ("Giveaway: win a TV worth $500!", True),
        ("Giveaway: win a TV worth $499.99!", False),
        ("Giveaway: win a TV worth $1.2k", True),
        ("Giveaway: win a TV worth $1,250", True),
        ("A TV worth $900, on sale", False),  # no giveaway context
    ],
)
def test_prize_value_threshold(text: str, fires: bool) -> None:
    assert ("PROMO_GIVEAWAY_VALUE" in {f.code for f in findings(text)}) is fires


def test_amount_parsing() -> None:
    assert parse_amount("1,200") == 1200
    assert parse_amount("1.5k") == 1500
    assert parse_amount("2万") == 20000
    assert parse_amount("x") is None


def test_value_message_names_amount_and_threshold() -> None:
    f = next(
        x for x in findings("Win a $750 bike in our giveaway") if x.code == "PROMO_GIVEAWAY_VALUE"
    )
    assert "$750" in f.message and "$500" in f.message
    assert "750 美元" in f.message_zh


def test_mystery_box_price_from_text_and_from_the_listing_price() -> None:
    assert "MYSTERY_BOX_PRICE" in {f.code for f in findings("Mystery box only $120")}
    assert "MYSTERY_BOX_PRICE" not in {f.code for f in findings("Mystery box only $100")}
    listing = TextItem(
        "sku:M",
        (("title", "listing_title", "Beauty mystery box"),),
        sku_id="M",
        attrs={"price_usd": 129.0},
    )
    assert {f.code for f in ENGINE.check_item(listing)} == {
        "MYSTERY_BOX",
        "MYSTERY_BOX_LISTING_PRICE",
    }
    cheap = TextItem("sku:M", listing.texts, sku_id="M", attrs={"price_usd": 59.0})
    assert {f.code for f in ENGINE.check_item(cheap)} == {"MYSTERY_BOX"}
    unknown = TextItem("sku:M", listing.texts, sku_id="M")
    assert {f.code for f in ENGINE.check_item(unknown)} == {"MYSTERY_BOX"}


def test_conditions() -> None:
    from quickturn.core.comply.ruleset import Condition

    attrs = {"category": " Toys ", "price_usd": 12.5, "is_children": True, "nothing": None}
    assert condition_holds(Condition("category", "eq", "toys"), attrs)
    assert condition_holds(Condition("category", "in", ("toys", "games")), attrs)
    assert condition_holds(Condition("price_usd", "gt", 10), attrs)
    assert not condition_holds(Condition("price_usd", "le", 10), attrs)
    assert condition_holds(Condition("is_children", "eq", True), attrs)
    assert not condition_holds(Condition("missing", "eq", True), attrs)
    assert not condition_holds(Condition("nothing", "ne", 1), attrs)
    assert not condition_holds(Condition("category", "gt", 3), attrs)


def test_scopes_limit_rules() -> None:
    assert findings("BOGO today", "listing_description") == []
    assert [f.code for f in findings("BOGO today", "live_script")] == ["PROMO_INCENTIVE_DISCLOSURE"]
    item = TextItem("t", (("text", "live_script", "BOGO today, lucky draw"),))
    assert [f.code for f in ENGINE.check_item(item, scopes=["listing_title"])] == []


def test_overlapping_matches_of_one_rule_are_merged() -> None:
    fs = [f for f in findings("lucky draw lucky draw") if f.code == "PROMO_GAMBLING"]
    assert [(f.record["start"], f.record["end"]) for f in fs] == [(0, 10), (11, 21)]


def test_literal_prefixes() -> None:
    assert literal_prefixes("(?:cure[sd]?|heal)s?") == frozenset({"cure", "heal"})
    assert literal_prefixes(r"\d{3}-\d{4}") == frozenset({"-"})  # contained, not a prefix
    assert literal_prefixes(r"\d+") is None
    assert literal_prefixes(r"x\s+\s+y") == frozenset({"x y"})  # whitespace is folded
    assert literal_prefixes(r"lucky[\s\-]+draw") == frozenset({"lucky"})
    assert literal_prefixes("(?:a|b)?c") == frozenset({"c"})
    assert literal_prefixes("(?:a|b)c?") == frozenset({"a", "b"})


WORDS = sorted(
    {w for r in RULES.text_rules for w in (*r.match.keywords, *r.match.zh)}
    | {
        "not",
        "no",
        "不能",
        "cure",
        "$600",
        "giveaway",
        "www.x.com",
        "555-123-4567",
        "加微信",
        "治疗",
    }
)


PLAIN = TextEngine(RULES, prefilter=False)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.sampled_from(WORDS) | st.sampled_from([" ", ", ", "。", "a", "the"]), max_size=12)
)
def test_prefilter_never_changes_the_result(parts: list[str]) -> None:
    """The literal-prefix pre-filter only skips rules that cannot match."""
    text = " ".join(parts)
    plain = PLAIN
    item = TextItem("t", (("text", "text", text),))
    assert [f.to_dict() for f in ENGINE.check_item(item)] == [
        f.to_dict() for f in plain.check_item(item)
    ]
