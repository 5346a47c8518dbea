"""``quickturn plan …`` and ``quickturn channel`` end to end on a copy of the test demo."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from quickturn.cli.app import app

runner = CliRunner()


@pytest.fixture()
def db(shop_db_file: Path, tmp_path: Path, demo_today: date) -> list[str]:
    copy = shop_db_file
    cfg = tmp_path / "quickturn.yaml"
    cfg.write_text(yaml.safe_dump({"plan": {"search_scenarios": 30, "horizon_days": 60}}))
    return ["--db", str(copy), "--as-of", demo_today.isoformat(), "--config", str(cfg)]


def _json(args: list[str]) -> dict:
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


def test_plan_json_then_export(db: list[str], tmp_path: Path) -> None:
    out = _json(["plan", "--scenarios", "50", "--json", *db])
    assert out["run_id"].startswith("plan-")
    assert out["portfolio"]["skus"] > 0
    assert out["purchase_orders"] and all("reason" in a for a in out["purchase_orders"])
    for row in out["skus"]:
        assert 0 <= row["stockout_prob"] <= 1
    csv_path = tmp_path / "pos.csv"
    res = runner.invoke(app, ["plan", "export", "--out", str(csv_path), "--db", db[1], "--json"])
    assert res.exit_code == 0, res.output
    info = json.loads(res.stdout)
    assert info["run_id"] == out["run_id"] and csv_path.exists()


def test_plan_human_output_english_and_chinese(db: list[str]) -> None:
    res = runner.invoke(app, ["plan", "--scenarios", "40", *db])
    assert res.exit_code == 0, res.output
    assert "Portfolio risk" in res.output and "Today's purchase orders" in res.output
    res = runner.invoke(app, ["plan", "--scenarios", "40", "--lang", "zh", *db])
    assert res.exit_code == 0, res.output
    assert "组合风险" in res.output and "今日采购单" in res.output


def test_compare_explain_and_channel(db: list[str]) -> None:
    plan = _json(["plan", "--scenarios", "40", "--json", *db])
    sku = max(plan["skus"], key=lambda r: r["expected_sales_qty"])["sku_id"]
    cmp = _json(["plan", "compare", "--sku", sku, "--scenarios", "40", "--json", *db])
    assert cmp["sku_id"] == sku and cmp["families"]
    res = runner.invoke(app, ["plan", "explain", "--sku", sku, "--scenarios", "40", *db])
    assert res.exit_code == 0, res.output
    assert "Why" in res.output and "Inputs" in res.output
    ch = _json(["channel", "--sku", sku, "--scenarios", "40", "--json", *db])
    assert [m["model"] for m in ch["models"]] == ["self_operated", "semi_managed", "fully_managed"]
    res = runner.invoke(app, ["channel", "--sku", sku, "--scenarios", "40", "--lang", "zh", *db])
    assert res.exit_code == 0, res.output
    assert "全托管" in res.output


def test_usage_errors_exit_2(db: list[str], tmp_path: Path) -> None:
    res = runner.invoke(app, ["plan", "--policy", "yolo", *db])
    assert res.exit_code == 2
    res = runner.invoke(app, ["plan", "compare", "--sku", "NOPE", "--json", *db])
    assert res.exit_code == 2
    assert json.loads(res.stdout)["ok"] is False
    empty = tmp_path / "empty.duckdb"
    res = runner.invoke(
        app, ["plan", "export", "--out", str(tmp_path / "x.csv"), "--db", str(empty)]
    )
    assert res.exit_code == 2
    assert "no plan run yet" in res.output


def test_budget_flag_reports_held_back_skus(db: list[str]) -> None:
    out = _json(["plan", "--scenarios", "30", "--budget", "0", "--json", *db])
    assert out["budget_usd"] == 0
    assert out["held_back"]
    assert not [a for a in out["purchase_orders"] if a["kind"] == "purchase_order"]
