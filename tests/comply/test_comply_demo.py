"""Comply on the shared test demo shop: the story's risky scripts, templated copies and
missing or expired certificates are found; the ordinary scripts are left alone."""

from __future__ import annotations

import json
import re
from datetime import date

import polars as pl
import pytest

from quickturn.config import Settings
from quickturn.demo.text import LIVE_PROMO_RISKY, SCRIPTS_OK, SCRIPTS_RISKY_EN, SCRIPTS_RISKY_ZH
from quickturn.services import comply as svc
from quickturn.services.demo import DemoContext
from quickturn.store import Store


def _template_regex(template: str) -> re.Pattern[str]:
    parts = re.split(r"\{(?:name|price)\}", template)
    return re.compile(".*".join(re.escape(p) for p in parts), re.S)


RISKY = [_template_regex(t) for t in (*SCRIPTS_RISKY_EN, *SCRIPTS_RISKY_ZH)]
OK = [_template_regex(t) for t in SCRIPTS_OK.values()]


@pytest.fixture()
def section(demo_store: Store, demo_today: date) -> dict:  # type: ignore[type-arg]
    ctx = DemoContext(store=demo_store, settings=Settings(), today=demo_today, seed=11)
    return svc.demo_step(ctx)


def test_demo_step_tells_the_story(section: dict, demo_store: Store) -> None:  # type: ignore[type-arg]
    json.dumps(section)
    assert section["by_severity"]["block"] > 0
    assert section["by_kind"].get("templated", 0) >= 1
    assert section["blocked_skus"], "the demo has children's products with missing certificates"
    assert section["examples"]
    saved = svc.latest_findings(demo_store)
    assert saved.height == section["total"]


def test_risky_scripts_are_caught_and_ordinary_ones_are_not(
    section: dict, demo_store: Store
) -> None:  # type: ignore[type-arg]
    saved = svc.latest_findings(demo_store)
    content = demo_store.table("content").filter(pl.col("market") == "US")
    blocking = set(
        saved.filter((pl.col("severity") == "block") & pl.col("content_id").is_not_null())[
            "content_id"
        ].to_list()
    )
    flagged = set(saved.filter(pl.col("content_id").is_not_null())["content_id"].to_list())
    risky = ok = 0
    for r in content.iter_rows(named=True):
        script = r["script"] or ""
        if any(rx.fullmatch(script) for rx in RISKY) or LIVE_PROMO_RISKY in script:
            risky += 1
            assert r["content_id"] in blocking, script
        elif any(rx.fullmatch(script) for rx in OK):
            ok += 1
            text_codes = saved.filter(
                (pl.col("content_id") == r["content_id"]) & (pl.col("kind") == "text")
            )["code"].to_list()
            assert text_codes == [], (script, text_codes)
    assert risky >= 3 and ok >= 20
    zh = saved.filter(pl.col("match_text").str.contains(r"[\u4e00-\u9fff]"))
    assert zh.height >= 1 and set(zh["code"].to_list()) & {
        "CLAIM_MEDICAL",
        "PROMO_GAMBLING",
        "CLAIM_WEIGHT",
    }
    assert flagged  # something was flagged


def test_templated_copies_name_the_other_market(section: dict, demo_store: Store) -> None:  # type: ignore[type-arg]
    saved = svc.latest_findings(demo_store).filter(pl.col("code") == "TEMPLATED_CONTENT")
    assert saved.height >= 1
    for r in saved.iter_rows(named=True):
        assert r["content_id"].startswith("TPL-") and r["content_id"].endswith("-US")
        assert r["match_text"].startswith("TPL-") and not r["match_text"].endswith("-US")
        assert r["match_text"] in r["message"]


def test_blocked_skus_are_the_ones_needing_documents(
    section: dict, demo_store: Store, demo_today: date
) -> None:  # type: ignore[type-arg]
    blocked = svc.blocked_skus(demo_store, today=demo_today)
    assert blocked == section["blocked_skus"]
    skus = demo_store.table("skus").filter(pl.col("sku_id").is_in(list(blocked)))
    flags = [
        "is_children",
        "has_small_parts",
        "is_supplement",
        "is_beauty_device",
        "is_pet_food",
        "has_radio",
        "is_battery",
        "is_flammable",
    ]
    for r in skus.iter_rows(named=True):
        assert any(r[f] for f in flags), r["sku_id"]
