"""Templated cross-market content: shingles, MinHash, LSH and the labelled script pairs."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from quickturn.core.comply.templated import (
    Script,
    find_templated,
    jaccard,
    minhash,
    shingle_hashes,
    tokenize,
)
from quickturn.services.comply import load_rules

CFG = load_rules().templated
CASES: list[dict[str, Any]] = yaml.safe_load(
    (Path(__file__).parent / "corpus.yaml").read_text(encoding="utf-8")
)["templated"]


def test_tokens_are_words_and_chinese_characters() -> None:
    assert tokenize("Don't MISS 这款水壶, 3 min!") == [
        "don't",
        "miss",
        "这",
        "款",
        "水",
        "壶",
        "0",
        "min",
    ]
    assert tokenize("$22.99") == tokenize("£18.99") == ["0", "0"]


def test_shingles() -> None:
    assert shingle_hashes(tokenize("a b c d"), 3).size == 2
    assert shingle_hashes(tokenize("a b"), 3).size == 1
    assert shingle_hashes([], 3).size == 0
    assert shingle_hashes(tokenize("a b c a b c"), 3).size == 3  # distinct shingles


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_labelled_pairs(case: dict[str, Any]) -> None:
    home = [Script(case["id"], "US", case["us"])]
    others = [Script(o["id"], o["market"], o["script"]) for o in case["others"]]
    got = find_templated(home, others, CFG)
    matched = [m["content_id"] for m in got[0].record["matches"]] if got else []
    assert sorted(matched) == sorted(case["expect"])
    if got:
        f = got[0]
        assert f.code == "TEMPLATED_CONTENT" and f.severity == "warn"
        assert f.source == f"content:{case['id']}"
        assert f.record["match"] in f.message and f.record["match"] in (f.message_zh or "")
        assert f.fix and f.fix_zh


def test_minhash_estimates_jaccard() -> None:
    rng = np.random.default_rng(1)
    base = rng.integers(0, 2**32, 400).astype(np.uint64)
    other = np.concatenate([base[:300], rng.integers(0, 2**32, 100).astype(np.uint64)])
    true = jaccard(np.unique(base), np.unique(other))
    sig = minhash([np.unique(base), np.unique(other)], 512, seed=3)
    estimate = float(np.mean(sig[0] == sig[1]))
    assert true == pytest.approx(0.6, abs=0.01)
    assert estimate == pytest.approx(true, abs=0.07)


def test_minhash_blocks_match_one_shot() -> None:
    rng = np.random.default_rng(2)
    docs = [np.unique(rng.integers(0, 2**32, n).astype(np.uint64)) for n in (5, 0, 20000, 7, 3)]
    sig = minhash(docs, 16, seed=5)
    for i, d in enumerate(docs):
        single = minhash([d], 16, seed=5)[0]
        assert np.array_equal(sig[i], single)
    assert np.all(sig[1] == np.iinfo(np.uint64).max)


def test_threshold_is_configurable_and_deterministic() -> None:
    case = CASES[0]
    home = [Script("us", "US", case["us"])]
    others = [Script(o["id"], o["market"], o["script"]) for o in case["others"]]
    assert find_templated(home, others, replace(CFG, threshold=0.9)) == []
    a = find_templated(home, others, replace(CFG, threshold=0.3))
    b = find_templated(home, others, replace(CFG, threshold=0.3))
    assert [f.to_dict() for f in a] == [f.to_dict() for f in b]
    assert a[0].record["similarity"] == pytest.approx(0.76, abs=0.01)


def test_same_market_and_disabled_are_skipped() -> None:
    text = CASES[0]["us"]
    assert find_templated([Script("a", "US", text)], [Script("b", "us", text)], CFG) == []
    assert (
        find_templated(
            [Script("a", "US", text)], [Script("b", "GB", text)], replace(CFG, enabled=False)
        )
        == []
    )
    assert len(find_templated([Script("a", "US", text)], [Script("b", "GB", text)], CFG)) == 1


def test_many_scripts_only_copies_are_flagged() -> None:
    rng = np.random.default_rng(7)
    vocab = [f"w{i}" for i in range(400)]

    def script() -> str:
        return " ".join(rng.choice(vocab, 40))

    others = [Script(f"GB-{i}", "GB", script()) for i in range(300)]
    home = [Script(f"US-{i}", "US", script()) for i in range(100)]
    # ten US scripts are copies of GB scripts with two words changed
    for k in range(10):
        words = others[k * 7].text.split()
        words[5], words[30] = "changed", "also"
        home[k] = Script(f"US-{k}", "US", " ".join(words))
    got = find_templated(home, others, CFG)
    assert sorted(f.record["content_id"] for f in got) == [f"US-{k}" for k in range(10)]
    assert {f.record["content_id"]: f.record["match"] for f in got}["US-3"] == "GB-21"
