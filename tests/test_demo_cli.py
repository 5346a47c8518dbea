"""``quickturn demo`` end to end, the run_demo service, replacing databases safely."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from quickturn.cli.app import app
from quickturn.config import Settings
from quickturn.demo import TABLE_ORDER
from quickturn.errors import UsageError
from quickturn.services.demo import MARKER_KEY, MARKER_NAMESPACE, run_demo
from quickturn.store import open_store

runner = CliRunner()
SMALL = ["--skus", "20", "--days", "45", "--seed", "5", "--as-of", "2026-02-01"]


def test_demo_json_end_to_end(tmp_path: Path) -> None:
    db = tmp_path / "d.duckdb"
    res = runner.invoke(app, ["demo", "--json", "--db", str(db), *SMALL])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["ok"] is True
    assert out["config"] == {"n_skus": 20, "days": 45, "seed": 5, "as_of": "2026-02-01"}
    assert out["shop"]["skus"]["total"] == 20
    for key in ("generate", "write"):
        assert out["timings"][key] >= 0
    with open_store(db) as store:
        for name in TABLE_ORDER:
            assert store.count(name) == out["tables"][name] > 0, name
        assert store.get_state(MARKER_NAMESPACE, MARKER_KEY)["seed"] == 5


def test_demo_human_output_and_chinese(tmp_path: Path) -> None:
    db = tmp_path / "d.duckdb"
    res = runner.invoke(app, ["demo", "--db", str(db), *SMALL])
    assert res.exit_code == 0, res.output
    assert "quickturn demo shop" in res.output
    assert "quickturn db info" in res.output
    res = runner.invoke(app, ["demo", "--db", str(db), "--lang", "zh", *SMALL])
    assert res.exit_code == 0, res.output
    assert "演示店铺" in res.output
    assert "接下来" in res.output


def test_rerun_is_idempotent(tmp_path: Path) -> None:
    db = str(tmp_path / "d.duckdb")
    settings = Settings(db=db)
    a = run_demo(settings, n_skus=15, days=40, seed=2, today=date(2026, 2, 1))
    with open_store(db) as s:
        first = s.table("orders").sort("order_id")
    b = run_demo(settings, n_skus=15, days=40, seed=2, today=date(2026, 2, 1))
    assert a["tables"] == b["tables"]
    with open_store(db) as s:
        assert s.table("orders").sort("order_id").equals(first)
    assert not list(tmp_path.glob(".*building*"))


def test_refuses_to_replace_a_database_that_is_not_a_demo(tmp_path: Path) -> None:
    db = tmp_path / "real.duckdb"
    with open_store(db) as s:
        s.write("shops", pl.DataFrame({"shop_id": ["MY-SHOP"], "name": ["Mine"], "market": ["US"]}))
    res = runner.invoke(app, ["demo", "--db", str(db), *SMALL])
    assert res.exit_code == 2
    assert "not a quickturn demo" in res.output
    with open_store(db) as s:
        assert s.table("shops")["shop_id"].to_list() == ["MY-SHOP"]
    junk = tmp_path / "notes.txt"
    junk.write_text("my notes")
    res = runner.invoke(app, ["demo", "--db", str(junk), *SMALL])
    assert res.exit_code == 2
    assert junk.read_text() == "my notes"


def test_bad_as_of_is_a_usage_error(tmp_path: Path) -> None:
    res = runner.invoke(app, ["demo", "--db", str(tmp_path / "x.duckdb"), "--as-of", "31/02/2026"])
    assert res.exit_code == 2


def test_a_failing_module_is_recorded_and_the_demo_continues(tmp_path: Path) -> None:
    out = run_demo(
        Settings(db=str(tmp_path / "d.duckdb")),
        n_skus=12,
        days=35,
        seed=1,
        today=date(2026, 2, 1),
        steps=["no_such_module"],
    )
    assert out["ok"] is False
    assert "no_such_module" in out["errors"]
    assert "ModuleNotFoundError" in out["modules"]["no_such_module"]["error"]
    assert out["tables"]["orders"] > 0


def test_run_demo_on_each_backend(store_url: str) -> None:
    out = run_demo(Settings(db=store_url), n_skus=12, days=35, seed=1, today=date(2026, 2, 1))
    assert out["ok"]
    again = run_demo(Settings(db=store_url), n_skus=12, days=35, seed=1, today=date(2026, 2, 1))
    assert again["tables"] == out["tables"]
    with open_store(store_url) as s:
        assert s.count("order_lines") == out["tables"]["order_lines"]


def test_postgres_with_seller_data_is_refused(pg_url: str) -> None:
    with open_store(pg_url) as s:
        s.write("shops", pl.DataFrame({"shop_id": ["MY-SHOP"], "name": ["Mine"]}))
    with pytest.raises(UsageError, match="not a quickturn demo"):
        run_demo(Settings(db=pg_url), n_skus=12, days=35, seed=1, today=date(2026, 2, 1))


def test_demo_fixtures_on_both_backends(demo_store_any, demo_frames) -> None:  # type: ignore[no-untyped-def]
    for name in ("orders", "settlement_lines", "skus"):
        assert demo_store_any.count(name) == demo_frames[name].height
    skus = demo_store_any.table("skus").sort("sku_id")
    assert skus.equals(demo_frames["skus"].sort("sku_id"))


def test_demo_store_is_a_private_copy(demo_store, demo_frames) -> None:  # type: ignore[no-untyped-def]
    demo_store.delete("reviews")
    assert demo_store.count("reviews") == 0
    assert demo_frames["reviews"].height > 0


def _literal_messages(path: Path) -> set[str]:
    import ast

    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, (ast.Name, ast.Attribute))
            and (getattr(node.func, "id", None) == "_" or getattr(node.func, "attr", None) == "_")
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            out.add(node.args[0].value)
    return out


def test_every_demo_and_cli_message_has_a_chinese_translation() -> None:
    from quickturn.i18n import catalog

    src = Path(__file__).resolve().parents[1] / "src" / "quickturn"
    zh = catalog("zh")
    missing = []
    for rel in ("cli/demo.py", "services/demo.py", "cli/app.py", "cli/db.py", "cli/common.py"):
        missing += [f"{rel}: {m!r}" for m in _literal_messages(src / rel) if m not in zh]
    assert not missing, "\n".join(missing)


def test_python_api(tmp_path: Path) -> None:
    import quickturn as qt

    shop = qt.demo_api.generate(n_skus=12, days=35, seed=1, as_of=date(2026, 2, 1))
    assert shop.tables["skus"].height == 12
    out = qt.demo_api.run(
        str(tmp_path / "api.duckdb"), n_skus=12, days=35, seed=1, as_of=date(2026, 2, 1)
    )
    assert out["tables"]["orders"] == shop.tables["orders"].height
