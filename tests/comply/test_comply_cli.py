"""``quickturn comply``: output lines, exit codes, JSON, languages, files, rules, the database."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from comply_shop import KETTLE_US, TODAY, seed_shop
from typer.testing import CliRunner

from quickturn.cli.app import app
from quickturn.cli.common import make_cli
from quickturn.cli.comply import render_demo
from quickturn.store import open_store

runner = CliRunner()


def invoke(*args: str) -> tuple[int, str, str]:
    r = runner.invoke(app, ["comply", *args])
    return r.exit_code, r.stdout, r.stderr


def test_text_with_blocking_findings_exits_1() -> None:
    code, out, _err = invoke("--text", "This serum cures acne! DM me on WhatsApp", "--lang", "en")
    assert code == 1
    lines = out.splitlines()
    assert (
        lines[0]
        == 'text: CLAIM_MEDICAL Medical claim "cures acne" in the text: TikTok Shop US does not allow saying a product treats, cures or heals a disease or condition'
    )
    assert lines[1].strip().startswith("→ Remove the claim")
    assert any(line.startswith("text: OFFPLATFORM_MESSENGER") for line in lines)
    assert "2 findings: 2 blocking, 0 warnings, 0 info." in out


def test_clean_and_warning_only_texts_exit_0() -> None:
    code, out, _ = invoke("--text", "Soft cotton hoodie", "--lang", "en")
    assert code == 0 and "No findings" in out
    code, out, _ = invoke("--text", "A miracle cream", "--lang", "en")
    assert code == 0 and "text: CLAIM_ABSOLUTE" in out


def test_json_is_valid_and_has_the_records() -> None:
    code, out, _ = invoke("--text", "加微信领优惠券", "--text", "ok", "--json")
    assert code == 1
    payload = json.loads(out)
    assert payload["ok"] is False
    (f,) = payload["findings"]
    assert f["code"] == "OFFPLATFORM_MESSENGER" and f["severity"] == "block" and f["row"] == 1
    assert (
        f["record"]["start"] == 0 and f["record"]["end"] == 3 and f["record"]["match"] == "加微信"
    )
    assert f["message_zh"] and f["fix"] and f["fix_zh"]


def test_chinese_output() -> None:
    code, out, _ = invoke("--text", "直播间抽奖", "--lang", "zh")
    assert code == 1
    assert (
        out.splitlines()[0]
        == "text: PROMO_GAMBLING 文本中有博彩式促销“抽奖”：TikTok Shop 美国站禁止抽奖、转盘、彩票、刮刮乐、抓娃娃等玩法"
    )
    assert "共 1 条结果：1 条阻断" in out


def test_scope_option() -> None:
    assert invoke("--text", "BOGO today", "--scope", "listing")[0] == 0
    code, out, _ = invoke("--text", "BOGO today", "--scope", "live", "--lang", "en")
    assert code == 0 and "PROMO_INCENTIVE_DISCLOSURE" in out
    code, _out, err = invoke("--text", "x", "--scope", "radio")
    assert code == 2 and "unknown scope 'radio'" in err


def test_file(tmp_path: Path) -> None:
    p = tmp_path / "listings.csv"
    p.write_text(
        "id,title,description\nA,Hoodie,Soft\nB,Kettle,Visit kettles.shop now\n", encoding="utf-8"
    )
    code, out, _ = invoke("--file", str(p), "--lang", "en")
    assert code == 1
    assert "OFFPLATFORM_URL" in out and "kettles.shop" in out
    assert "2 texts: 1 blocked, 0 with warnings, 0 with notes, 1 clean." in out
    code, _out, err = invoke("--file", str(tmp_path / "nope.csv"))
    assert code == 2 and "file not found" in err


def test_file_bulk_json_lines(tmp_path: Path) -> None:
    p = tmp_path / "texts.jsonl"
    rows = [
        {"id": "t1", "text": "This serum c.u.r.e.s acne"},
        {"id": "t2", "text": "Soft cotton hoodie"},
        {"id": "t3", "text": "A miracle cream", "kind": "listing"},
        {"id": "t4", "text": "直播間抽獎", "lang": "zh"},
    ]
    p.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    code, out, _ = invoke("--file", str(p), "--json", "--lang", "en")
    assert code == 1
    lines = [json.loads(line) for line in out.splitlines()]
    assert [x["id"] for x in lines] == ["t1", "t2", "t3", "t4"]
    assert [x["verdict"] for x in lines] == ["block", "ok", "warn", "block"]
    (f,) = lines[0]["findings"]
    assert f["code"] == "CLAIM_MEDICAL" and f["severity"] == "block"
    assert rows[0]["text"][f["start"] : f["end"]] == f["match"] == "c.u.r.e.s acne"
    assert f["message"].startswith("Medical claim") and f["fix"]
    assert lines[3]["findings"][0]["match"] == "抽獎"  # what the seller wrote (traditional)
    code, out, _ = invoke("--file", str(p), "--json", "--lang", "zh")
    assert "医疗功效宣称" in json.loads(out.splitlines()[0])["findings"][0]["message"]


def test_file_from_stdin_and_exit_codes() -> None:
    r = runner.invoke(app, ["comply", "--file", "-", "--json"], input='{"text": "Soft tee"}\n')
    assert r.exit_code == 0 and json.loads(r.stdout)["verdict"] == "ok"
    r = runner.invoke(app, ["comply", "--file", "-", "--json"], input="text\nr@ffle tonight\n")
    assert r.exit_code == 1 and json.loads(r.stdout)["findings"][0]["code"] == "PROMO_GAMBLING"
    r = runner.invoke(app, ["comply", "--file", "-"], input="id,text\nA,A miracle cream\n")
    assert r.exit_code == 0 and "CLAIM_ABSOLUTE" in r.stdout and "1 with warnings" in r.stdout


def test_file_bad_records_are_named(tmp_path: Path) -> None:
    p = tmp_path / "bad.jsonl"
    p.write_text('{"text": "ok"}\n{"text": oops}\n', encoding="utf-8")
    code, _out, err = invoke("--file", str(p), "--json")
    assert code == 2
    code, out, _ = invoke("--file", str(p), "--json")
    assert "bad.jsonl:2: not valid JSON" in json.loads(out)["error"]
    code, _out, err = invoke("--file", str(p), "--text", "x")
    assert code == 2 and "not both" in err


def test_user_rules_applied_and_malformed_rules_rejected(tmp_path: Path) -> None:
    good = tmp_path / "mine.yaml"
    good.write_text(
        "rules:\n"
        "  - code: HOUSE_DROPSHIP\n"
        "    severity: block\n"
        "    scopes: [text]\n"
        "    title: {en: Dropship, zh: 代发}\n"
        "    match: {keywords: [dropship]}\n"
        '    message: {en: "no {match}", zh: "不要{match}"}\n'
        "    fix: {en: remove, zh: 删除}\n"
        "    source: house\n",
        encoding="utf-8",
    )
    code, out, _ = invoke("--text", "We dropship", "--rules", str(good), "--lang", "en")
    assert code == 1 and "text: HOUSE_DROPSHIP no dropship" in out
    bad = tmp_path / "bad.yaml"
    bad.write_text("rules:\n  - code: CLAIM_MEDICAL\n    severity: blocker\n", encoding="utf-8")
    code, out, err = invoke("--text", "x", "--rules", str(bad))
    assert code == 2
    assert (
        f"{bad}:3: rule 'CLAIM_MEDICAL': severity 'blocker' is not one of block, warn, info" in err
    )
    code, out, _ = invoke("--text", "x", "--rules", str(bad), "--json")
    assert code == 2 and "severity 'blocker'" in json.loads(out)["error"]


def test_list_rules() -> None:
    code, out, _ = invoke("--list-rules", "--json")
    assert code == 0
    rules = json.loads(out)["rules"]
    assert {r["code"] for r in rules} >= {"CLAIM_MEDICAL", "DOC_CHILDREN_CPC", "TEMPLATED_CONTENT"}
    code, out, _ = invoke("--list-rules", "--lang", "en")
    assert code == 0 and "CLAIM_MEDICAL" in out


def test_database_check_saves_a_run(tmp_path: Path) -> None:
    db = tmp_path / "shop.duckdb"
    with open_store(db) as store:
        seed_shop(store)
    code, out, _ = invoke("--db", str(db), "--today", TODAY.isoformat(), "--lang", "en")
    assert code == 1
    assert "sku:TEA: CLAIM_WEIGHT" in out and "sku:BLOCKS: DOC_CHILDREN_CPC" in out
    assert "3 SKUs lack required documents" in out and "Saved as run comply-2026-03-01-" in out
    code, out, _ = invoke("--db", str(db), "--today", TODAY.isoformat(), "--sku", "SPK", "--json")
    payload = json.loads(out)
    assert code == 1 and payload["run_id"] is None
    assert {f["code"] for f in payload["findings"]} == {"DOC_FCC", "DOC_EXPIRED"}
    # free text compared with the database's other-market scripts
    code, out, _ = invoke("--db", str(db), "--text", KETTLE_US, "--lang", "en")
    assert code == 0 and "TEMPLATED_CONTENT" in out and "V-GB (GB)" in out
    code, _out, err = invoke("--db", str(db), "--sku", "NOPE")
    assert code == 2 and "unknown SKU NOPE" in err
    code, _out, err = invoke("--db", str(db), "--today", "yesterday")
    assert code == 2 and "--today 'yesterday' is not a date" in err
    code, _out, err = invoke("--db", str(db), "--sku", "TEA", "--text", "x")
    assert code == 2


def test_render_demo(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    from quickturn.config import Settings
    from quickturn.services import comply as svc
    from quickturn.services.demo import DemoContext

    with open_store(tmp_path / "d.duckdb") as store:
        seed_shop(store)
        section = svc.demo_step(DemoContext(store=store, settings=Settings(), today=TODAY, seed=1))
    for lang in ("en", "zh"):
        cli = make_cli(str(tmp_path / "d.duckdb"), False, lang)
        render_demo(cli, section)
    out = capsys.readouterr().out
    assert "Compliance (comply)" in out and "合规检查" in out
    assert "3 SKUs are blocked" in out and "quickturn comply --sku" in out
