"""End to end through the CLI: connect, sync, webhooks status; the synced shop is complete
canonical data that the other modules (sense, comply; ledger and health when present) accept."""

from __future__ import annotations

import importlib
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fake_tiktok import FakeTikTok
from typer.testing import CliRunner

from quickturn.cli.app import app
from quickturn.schema import get_table
from quickturn.store import open_store
from quickturn.validate import check_references, coerce

runner = CliRunner()


@pytest.fixture()
def env(fake: FakeTikTok, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("QUICKTURN_TIKTOK_APP_KEY", fake.app_key)
    monkeypatch.setenv("QUICKTURN_TIKTOK_APP_SECRET", fake.app_secret)
    monkeypatch.setenv("QUICKTURN_TIKTOK_BASE_URL", fake.url)
    monkeypatch.setenv("QUICKTURN_TIKTOK_AUTH_URL", fake.url)
    monkeypatch.setenv("QUICKTURN_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("QUICKTURN_CONFIG", raising=False)
    monkeypatch.setenv("COLUMNS", "250")
    monkeypatch.chdir(tmp_path)
    return tmp_path / "shop.duckdb"


def test_connect_prints_url_and_asks_for_the_code(env: Path) -> None:
    res = runner.invoke(app, ["connect", "tiktok", "--db", str(env)], input="good-code\n")
    assert res.exit_code == 0, res.output
    assert "app_key=fakeappkey" in res.output
    assert "Quickturn Test Shop US" in res.output and "ROW_fakecipher0001" in res.output
    assert "good-code" not in res.output and "ACCESS-" not in res.output
    res = runner.invoke(app, ["connect", "tiktok", "--json", "--db", str(env)])
    assert res.exit_code == 0 and json.loads(res.stdout)["connected"] is False


def test_connect_sync_and_modules_end_to_end(env: Path, fake: FakeTikTok) -> None:
    res = runner.invoke(app, ["connect", "tiktok", "good-code", "--json", "--db", str(env)])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["connected"] and len(out["shops"]) == 2
    assert "access_token" not in res.stdout.replace("access_expires_at", "")

    res = runner.invoke(app, ["sync", "--json", "--db", str(env)])
    assert res.exit_code == 0, res.output
    report = json.loads(res.stdout)
    assert report["tables"]["orders"]["inserted"] == 170
    res = runner.invoke(
        app, ["sync", "--db", str(env), "--shop", "7495000000000000002", "--since", "2020-01-01"]
    )
    assert res.exit_code == 0, res.output
    assert "What changed" in res.output and "orders" in res.output

    res = runner.invoke(app, ["webhooks", "status", "--json", "--db", str(env)])
    assert res.exit_code == 0 and json.loads(res.stdout)["queue"] == {}

    with open_store(env) as store:
        # complete canonical data: every table validates and every reference resolves
        for name in (
            "shops",
            "skus",
            "orders",
            "order_lines",
            "returns",
            "settlement_lines",
            "locations",
            "inventory_snapshots",
        ):
            df = store.table(name)
            assert df.height > 0, name
            typed, findings = coerce(get_table(name), df)
            assert not [f for f in findings if f.is_error], (name, findings[:3])
            table = get_table(name)
            known = {c.references: store.keys(c.references) for c in table.columns if c.references}
            ref_findings = check_references(table, typed, known)
            assert not [f for f in ref_findings if f.is_error], (name, ref_findings[:3])
        today = (datetime.fromtimestamp(fake.end_time, UTC) + timedelta(days=1)).date()
        from quickturn.services.comply import blocked_skus
        from quickturn.services.sense import load_panel

        panel = load_panel(store, today=today, history_days=90).panel
        assert panel.n > 0
        assert isinstance(blocked_skus(store, today=today), dict)

    # ledger and health reports, when those modules are on main
    as_of = today.isoformat()
    for module in ("ledger", "health"):
        try:
            importlib.import_module(f"quickturn.cli.{module}")
        except ImportError:
            continue
        res = runner.invoke(app, [module, "--json", "--db", str(env), "--as-of", as_of])
        assert res.exit_code in (0, 1), (module, res.output)
        out = json.loads(res.stdout)
        if module == "health":
            metrics = {m["metric"]: m for m in out["metrics"]}
            # the synced orders feed the fulfilment metrics like an imported shop
            assert metrics, out
            counted = [m for m in metrics.values() if (m.get("denominator") or 0) > 0]
            assert counted, metrics
