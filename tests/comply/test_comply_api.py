"""``qt.comply``: the same records as ``quickturn comply --json``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from comply_shop import TODAY, seed_shop
from typer.testing import CliRunner

import quickturn as qt
from quickturn.cli.app import app
from quickturn.errors import Finding, UsageError
from quickturn.store import open_store


def test_check_text_returns_findings_like_the_cli() -> None:
    texts = ["Lose 10 lbs fast! DM me on WhatsApp", "本品不能治疗任何疾病"]
    found = qt.comply.check(texts)
    assert all(isinstance(f, Finding) for f in found)
    assert {(f.row, f.code) for f in found} == {(1, "CLAIM_WEIGHT"), (1, "OFFPLATFORM_MESSENGER")}
    out = CliRunner().invoke(app, ["comply", "--text", texts[0], "--text", texts[1], "--json"])
    assert out.exit_code == 1
    assert json.loads(out.stdout)["findings"] == [f.to_dict() for f in found]
    assert (
        qt.comply.check("Lucky draw tonight", scope="listing")[0].record["scope"] == "listing_title"
    )


def test_check_database_file_and_rules(tmp_path: Path) -> None:
    db = tmp_path / "shop.duckdb"
    with open_store(db) as store:
        seed_shop(store)
    one = qt.comply.check(db=str(db), sku="SPK", today=TODAY)
    assert {f.code for f in one} == {"DOC_FCC", "DOC_EXPIRED"}
    assert qt.comply.blocked_skus(str(db), today=TODAY)["SPK"] == ["DOC_FCC"]
    with open_store(db) as store:
        assert len(qt.comply.check(db=store, today=TODAY)) >= 10
    csv = tmp_path / "l.csv"
    csv.write_text("title\nRaffle tickets with every order\n", encoding="utf-8")
    assert [f.code for f in qt.comply.check(file=csv)] == ["PROMO_GAMBLING"]
    rules = tmp_path / "r.yaml"
    rules.write_text("rules:\n  - code: PROMO_GAMBLING\n    enabled: false\n", encoding="utf-8")
    assert qt.comply.check(file=csv, rules=[rules]) == []
    assert qt.comply.check(file=csv, rules=qt.comply.load_rules(rules)) == []
    frame = qt.comply.findings_frame(one)
    assert frame.height == 2 and "span_start" in frame.columns
    assert any(r["code"] == "CLAIM_MEDICAL" for r in qt.comply.rules())
    with pytest.raises(UsageError, match="nothing to check"):
        qt.comply.check()
