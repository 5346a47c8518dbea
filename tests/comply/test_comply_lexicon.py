"""Broadened lexicons: every new pattern catches its cases and leaves its hard negatives alone
(tests/comply/lexicon.yaml), and negated lists are recognised."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from quickturn.core.comply.ruleset import alternation, keyword_regex
from quickturn.core.comply.text import TextEngine, negated_en
from quickturn.services.comply import load_rules

HERE = Path(__file__).parent
CASES: list[dict[str, Any]] = yaml.safe_load((HERE / "lexicon.yaml").read_text(encoding="utf-8"))[
    "cases"
]
RULES = load_rules()
ENGINE = TextEngine(RULES)


@pytest.mark.parametrize("case", CASES, ids=[f"{i:03d}" for i in range(len(CASES))])
def test_lexicon_case(case: dict[str, Any]) -> None:
    got = ENGINE.codes_for(case["text"], case.get("scope", "text"))
    assert got == set(case["expect"]), case["text"]


def test_every_extended_rule_has_positives_and_hard_negatives() -> None:
    positives: Counter[str] = Counter()
    for c in CASES:
        positives.update(c["expect"])
    negatives = sum(1 for c in CASES if not c["expect"])
    known = set(RULES.codes())
    assert set(positives) <= known
    assert negatives >= len(CASES) // 3, "too few hard negatives"
    for code in ("CLAIM_MEDICAL", "CLAIM_WEIGHT", "CLAIM_WELLNESS", "CLAIM_ABSOLUTE"):
        assert positives[code] >= 5, code


def test_lexicon_is_not_the_blind_set() -> None:
    blind = yaml.safe_load((HERE / "blind.yaml").read_text(encoding="utf-8"))["texts"]
    seen = {t["text"].strip().lower() for t in blind}
    assert not [c["text"] for c in CASES if c["text"].strip().lower() in seen]


@pytest.mark.parametrize(
    ("text", "word", "negated"),
    [
        ("We don't run raffles or lucky draws here", "lucky", True),
        ("No spins, raffles or lotteries, just prices", "lotteries", True),
        ("No crazy weight-loss promises here", "weight", True),
        ("I had no energy and this cured my arthritis", "cured", False),
        ("Not only raffles or lucky draws", "lucky", False),
    ],
)
def test_negated_lists(text: str, word: str, negated: bool) -> None:
    assert negated_en(text, text.index(word), RULES.negation) is negated


_WORD = st.text(alphabet="ab -'", min_size=1, max_size=6).filter(lambda w: w.strip(" -"))


@given(st.lists(_WORD, min_size=1, max_size=8), st.text(alphabet="ab -'", max_size=8))
@settings(max_examples=200, deadline=None)
def test_trie_alternation_matches_like_the_plain_one(words: list[str], probe: str) -> None:
    plain = "(?:" + "|".join(keyword_regex(w) for w in sorted(words, key=len, reverse=True)) + ")"
    trie = alternation(words)
    assert bool(re.fullmatch(plain, probe, re.I)) == bool(re.fullmatch(trie, probe, re.I))
    for w in words:
        assert re.fullmatch(trie, w.strip(), re.I), w
