"""``quickturn import``: output, JSON, exit codes (0 ok, 1 findings, 2 usage)."""

from __future__ import annotations

import json
from pathlib import Path

import sc_export as sc
from typer.testing import CliRunner

from quickturn.cli.app import app
from quickturn.store import open_store

runner = CliRunner()


def run(*args: str) -> tuple[int, str, str]:
    r = runner.invoke(app, list(args))
    return r.exit_code, r.stdout, r.stderr


def test_success_prints_a_table_per_target(store_url: str, tmp_path: Path) -> None:
    header, data = sc.rows(sc.us_orders())
    path = sc.write_xlsx(tmp_path / "export.xlsx", header, data)
    code, out, err = run("import", "orders", str(path), "--db", store_url, "--lang", "en")
    assert code == 0, out + err
    assert "seller-center" in out
    for table in ("orders", "order_lines", "skus", "returns"):
        assert table in out
    assert "inserted" in out and "updated" in out
    code, out, _ = run("import", "orders", str(path), "--db", store_url, "--json")
    payload = json.loads(out)
    assert payload["ok"] and payload["written"]
    assert {t["table"]: t["updated"] for t in payload["tables"]}["order_lines"] == 6


def test_findings_exit_1_and_file_row_code_lines(store_url: str, tmp_path: Path) -> None:
    p = tmp_path / "skus.csv"
    p.write_text("sku_id,title,unit_cost\nS-1,Mug,-2\nS-2,,1\n", encoding="utf-8")
    code, out, err = run("import", "skus", str(p), "--db", store_url)
    assert code == 1
    assert f"{p}:1: E_RANGE column 'unit_cost': -2 is negative; expected ≥ 0" in out
    assert f"{p}:2: E_REQUIRED column 'title' is empty" in out
    assert "nothing was written" in err
    code, out, _ = run("import", "skus", str(p), "--db", store_url, "--json")
    assert code == 1
    payload = json.loads(out)
    assert not payload["ok"] and payload["errors"] == 2
    assert {f["code"] for f in payload["findings"]} == {"E_RANGE", "E_REQUIRED"}
    with open_store(store_url) as s:
        assert s.count("skus") == 0


def test_chinese_messages(store_url: str, tmp_path: Path) -> None:
    p = tmp_path / "skus.csv"
    p.write_text("sku_id,title,unit_cost\nS-1,Mug,-2\n", encoding="utf-8")
    code, out, err = run("import", "skus", str(p), "--db", store_url, "--lang", "zh")
    assert code == 1
    assert "为负数" in out and "未写入任何数据" in err


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    db = str(tmp_path / "x.duckdb")
    p = tmp_path / "skus.csv"
    p.write_text("sku_id,title\nS-1,Mug\n", encoding="utf-8")
    code, _, err = run("import", "nope", str(p), "--db", db)
    assert code == 2 and "unknown table 'nope'" in err
    code, _, err = run("import", "skus", str(tmp_path / "missing.csv"), "--db", db)
    assert code == 2 and "file not found" in err
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "columns:\n  sku_id: A\n  title: {col: B, upper: yes please}\n", encoding="utf-8"
    )
    code, _, err = run("import", "skus", str(p), "--map", str(bad), "--db", db)
    assert code == 2 and f"{bad}:3: upper: expected true" in err
    code, out, _ = run("import", "skus", str(p), "--map", str(bad), "--db", db, "--json")
    assert code == 2 and "bad.yaml:3" in json.loads(out)["error"]
    code, _, err = run("import", "skus", str(p), "--date-format", "whenever", "--db", db)
    assert code == 2 and "unknown date format" in err
    code, _, err = run("import", "skus", str(p), "--format", "excel", "--db", db)
    assert code == 2 and "unknown --format" in err


def test_dry_run(tmp_path: Path) -> None:
    db = str(tmp_path / "x.duckdb")
    p = tmp_path / "skus.csv"
    p.write_text("sku_id,title\nS-1,Mug\n", encoding="utf-8")
    code, out, _ = run("import", "skus", str(p), "--db", db, "--dry-run")
    assert code == 0 and "dry run" in out and "would insert" in out
    with open_store(db) as s:
        assert s.count("skus") == 0
