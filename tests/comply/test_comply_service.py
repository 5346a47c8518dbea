"""The comply service on a store (DuckDB and PostgreSQL), on files and on free texts."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from comply_shop import KETTLE_US, TODAY, seed_shop

from quickturn.config import Settings
from quickturn.connectors.comply_files import read_texts
from quickturn.errors import UsageError
from quickturn.services import comply as svc
from quickturn.services.demo import DemoContext
from quickturn.store import Store


def codes_by_source(findings: list) -> dict[str, set[str]]:  # type: ignore[type-arg]
    out: dict[str, set[str]] = {}
    for f in findings:
        out.setdefault(f.source, set()).add(f.code)
    return out


def test_check_store_finds_listing_content_document_and_templated_problems(store: Store) -> None:
    seed_shop(store)
    res = svc.check_store(store, today=TODAY)
    got = codes_by_source(res.findings)
    assert got["sku:TEA"] == {
        "CLAIM_WEIGHT",
        "PROHIBITED_SUPPLEMENT",
        "OFFPLATFORM_URL",
        "DOC_SUPPLEMENT_FACILITY",
    }
    assert got["sku:BLOCKS"] == {"DOC_CHILDREN_CPC"}  # CPC issued 455 days before TODAY
    # "5 random items": the contents are not disclosed
    assert got["sku:BOX"] == {"MYSTERY_BOX", "MYSTERY_BOX_LISTING_PRICE", "MYSTERY_BOX_UNDISCLOSED"}
    assert got["sku:SPK"] == {"DOC_FCC", "DOC_EXPIRED"}
    assert got["content:L-US"] == {"PROMO_GAMBLING", "OFFPLATFORM_MESSENGER"}
    assert got["content:V-US"] == {"TEMPLATED_CONTENT"}
    assert "sku:UKONLY" not in got  # a GB shop's listing is not checked against US rules
    assert "content:V-GB" not in got and "content:V-CN" not in got
    tpl = next(f for f in res.findings if f.code == "TEMPLATED_CONTENT")
    assert tpl.record["match"] == "V-GB" and tpl.record["sku_id"] == "TEA"
    live = next(
        f for f in res.findings if f.source == "content:L-US" and f.code == "PROMO_GAMBLING"
    )
    assert live.record["scope"] == "live_script" and live.record["sku_id"] == "BLOCKS"
    assert res.findings[0].severity == "block"  # blocking first
    assert res.blocking
    assert res.checked == {"listings": 4, "content": 2, "certificates": 6, "scripts_compared": 2}
    assert svc.blocked_skus(store, today=TODAY) == {
        "BLOCKS": ["DOC_CHILDREN_CPC"],
        "SPK": ["DOC_FCC"],
        "TEA": ["DOC_SUPPLEMENT_FACILITY"],
    }


def test_check_one_sku(store: Store) -> None:
    seed_shop(store)
    res = svc.check_store(store, today=TODAY, sku="BLOCKS")
    got = codes_by_source(res.findings)
    assert got == {
        "sku:BLOCKS": {"DOC_CHILDREN_CPC"},
        "content:L-US": {"PROMO_GAMBLING", "OFFPLATFORM_MESSENGER"},
    }
    with pytest.raises(UsageError, match="unknown SKU NOPE"):
        svc.check_store(store, today=TODAY, sku=["NOPE"])


def test_check_store_by_scope(store: Store) -> None:
    seed_shop(store)
    res = svc.check_store(store, today=TODAY, scopes=["live"])
    assert {f.code for f in res.findings} == {"PROMO_GAMBLING", "OFFPLATFORM_MESSENGER"}
    res = svc.check_store(store, today=TODAY, scopes=["documents"])
    assert {f.record["kind"] for f in res.findings} == {"documents"}


def test_run_persists_findings_and_a_run(store: Store) -> None:
    seed_shop(store)
    run_id, res = svc.run(store, today=TODAY)
    saved = svc.latest_findings(store)
    assert saved.height == len(res.findings)
    assert saved["run_id"].unique().to_list() == [run_id]
    assert saved["finding_id"].to_list() == list(range(1, saved.height + 1))
    url = saved.filter(pl.col("code") == "OFFPLATFORM_URL").row(0, named=True)
    assert url["match_text"] == "www.tea-deals.com" and url["field"] == "description"
    assert (url["span_start"], url["span_end"]) == (9, 26)
    assert url["sku_id"] == "TEA" and url["severity"] == "block" and url["message_zh"]
    doc = saved.filter(pl.col("code") == "DOC_EXPIRED").row(0, named=True)
    assert doc["as_of"] == TODAY and doc["match_text"] == "fcc"
    assert json.loads(doc["detail"])["reason"] == "expired"
    runs = store.table("runs", where={"run_id": run_id}).row(0, named=True)
    assert runs["module"] == "comply" and json.loads(runs["summary"])["blocked_skus"] == 3
    assert svc.latest_run(store) == run_id


def test_no_findings_still_makes_a_run(store: Store) -> None:
    run_id, res = svc.run(store, today=TODAY)
    assert res.findings == [] and svc.latest_findings(store).height == 0
    assert svc.latest_run(store) == run_id


def test_texts_are_compared_with_the_stores_other_markets(store: Store) -> None:
    seed_shop(store)
    res = svc.check_texts([KETTLE_US, "Cures acne fast"], store=store)
    got = {(f.row, f.code) for f in res.findings}
    assert got == {(1, "TEMPLATED_CONTENT"), (2, "CLAIM_MEDICAL")}
    assert all(f.source == "text" for f in res.findings)
    assert svc.check_texts([KETTLE_US]).findings == []


def test_check_file_csv_and_json(tmp_path: Path) -> None:
    csv = tmp_path / "listings.csv"
    csv.write_text(
        "id,title,description,price\n"
        "A1,Soft hoodie,Cotton blend,25\n"
        "A2,Mystery box,Five items,$150\n"
        'A3,Serum,"Cures acne, email me: me@x.com",12\n',
        encoding="utf-8",
    )
    res = svc.check_file(csv)
    got = sorted((f.row, f.code) for f in res.findings)
    assert got == [
        (2, "MYSTERY_BOX"),
        (2, "MYSTERY_BOX_LISTING_PRICE"),
        (3, "CLAIM_MEDICAL"),
        (3, "OFFPLATFORM_EMAIL"),
    ]
    med = next(f for f in res.findings if f.code == "CLAIM_MEDICAL")
    assert med.format().startswith("listings.csv:3: CLAIM_MEDICAL")
    assert med.record["sku_id"] == "A3" and med.record["scope"] == "listing_description"
    js = tmp_path / "scripts.json"
    js.write_text(
        json.dumps(
            {
                "items": [
                    {"content_id": "V1", "kind": "live", "script": "Spin the wheel now!"},
                    {"scope": "promotion", "text": "BOGO this weekend"},
                    "plain text with lucky draw",
                ]
            }
        ),
        encoding="utf-8",
    )
    res = svc.check_file(js)
    got = sorted((f.row, f.code, f.record["scope"]) for f in res.findings)
    assert got == [
        (1, "PROMO_GAMBLING", "live_script"),
        (2, "PROMO_INCENTIVE_DISCLOSURE", "promotion"),
        (3, "PROMO_GAMBLING", "text"),
    ]
    assert next(f for f in res.findings if f.row == 1).record["content_id"] == "V1"


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("a.json", "[{", "a.json:1: not valid JSON"),
        ("a.json", '{"x": 1}', "expected a list of objects"),
        ("a.csv", "", "empty file"),
        ("a.csv", "sku,price\nA,1\n", "no text to check"),
        ("a.csv", "title,scope\nX,radio\n", "unknown scope 'radio'"),
        ("a.csv", "title,price\nX,cheap\n", "price 'cheap' is not a number"),
        ("a.xlsx", "x", "unsupported file type .xlsx"),
        ("a.jsonl", '{"text": "ok"}\n{bad\n', "a.jsonl:2: not valid JSON"),
    ],
)
def test_unreadable_files_are_usage_errors(
    tmp_path: Path, name: str, content: str, message: str
) -> None:
    p = tmp_path / name
    p.write_text(content, encoding="utf-8")
    with pytest.raises(UsageError) as exc:
        read_texts(p)
    assert message in str(exc.value)
    with pytest.raises(UsageError, match="file not found"):
        read_texts(tmp_path / "missing.csv")


def test_demo_step_section(store: Store) -> None:
    seed_shop(store)
    ctx = DemoContext(store=store, settings=Settings(), today=TODAY, seed=1)
    section = svc.demo_step(ctx)
    json.dumps(section)  # JSON-able
    assert section["by_severity"]["block"] >= 8
    assert set(section["blocked_skus"]) == {"BLOCKS", "SPK", "TEA"}
    assert section["examples"] and section["examples"][0]["severity"] == "block"
    assert len({e["code"] for e in section["examples"]}) == len(section["examples"])
    assert section["by_kind"]["templated"] == 1
    assert svc.latest_run(store) == section["run_id"]
