"""docs/comply.md and docs/zh/comply.md list every packaged rule with its source (generated)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from quickturn.core.comply.ruleset import rules_markdown
from quickturn.services.comply import load_rules

ROOT = Path(__file__).resolve().parents[2]
BLOCK = re.compile(r"<!-- rules:begin[^>]*-->\n(.*?)<!-- rules:end -->", re.S)


@pytest.mark.parametrize(("path", "lang"), [("docs/comply.md", "en"), ("docs/zh/comply.md", "zh")])
def test_rule_tables_are_current(path: str, lang: str) -> None:
    text = (ROOT / path).read_text(encoding="utf-8")
    m = BLOCK.search(text)
    assert m, f"{path}: no generated rules block"
    rules = load_rules()
    assert m.group(1) == rules_markdown(rules, lang), (
        f"{path} is stale: regenerate the block with quickturn.core.comply.ruleset.rules_markdown"
    )
    for code in [*rules.codes(), rules.templated.code]:
        assert f"`{code}`" in text
