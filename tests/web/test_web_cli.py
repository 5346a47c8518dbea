"""``quickturn serve``, ``quickturn report`` and ``quickturn demo --serve``."""

from __future__ import annotations

import json
import re
import urllib.request
from pathlib import Path

import pytest
from typer.testing import CliRunner
from web_support import LiveServer

from quickturn.cli import web as web_cli
from quickturn.cli.app import app

runner = CliRunner()


def test_serve_prints_the_url_and_serves(live_server: LiveServer) -> None:
    with urllib.request.urlopen(live_server.url + "/healthz", timeout=30) as r:
        assert json.loads(r.read()) == {"status": "ok"}
    with urllib.request.urlopen(live_server.url + "/api/v1/meta", timeout=120) as r:
        assert json.loads(r.read())["as_of"] == "2026-03-02"
    assert f"http://127.0.0.1:{live_server.port}/" in live_server.first_line


def test_serve_refuses_a_network_bind_without_token(
    web_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("QUICKTURN_TOKEN", raising=False)
    r = runner.invoke(app, ["serve", "--db", str(web_db), "--host", "0.0.0.0", "--port", "1"])
    assert r.exit_code == 2
    assert "QUICKTURN_TOKEN" in r.output


def test_serve_says_when_the_port_is_taken(web_db: Path) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        r = runner.invoke(app, ["serve", "--db", str(web_db), "--port", str(port)])
    assert r.exit_code == 2 and str(port) in r.output


def test_report_is_one_offline_file(web_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    r = runner.invoke(
        app, ["report", "--db", str(web_db), "--out", str(out), "--lang", "zh", "--json"]
    )
    assert r.exit_code == 0, r.output
    info = json.loads(r.stdout)
    assert info["ok"] and info["lang"] == "zh" and info["bytes"] == out.stat().st_size
    assert {"waterfall", "cash", "comparison"} <= set(info["charts"])
    html = out.read_text(encoding="utf-8")
    assert '<html lang="zh-Hans">' in html and "经营报告" in html
    # nothing outside the file: no external scripts, styles, images or fonts
    assert not re.search(r"<(script|link|img|iframe)[^>]+(src|href)=", html)
    assert "@font-face" not in html and "@import" not in html
    assert html.count('type="application/json"') == len(info["charts"])
    assert "Plotly.newPlot" in html and len(html) > 4_000_000  # Plotly.js is inlined
    # Plotly.js verbatim from the installed package, and not one http(s) URL anywhere else
    # (the bundle's own strings are SVG namespaces and links of features the report never uses;
    # the browser test opens the file with the network blocked)
    import plotly

    bundle = (Path(plotly.__file__).parent / "package_data" / "plotly.min.js").read_text(
        encoding="utf-8"
    )
    assert html.count(bundle) == 1
    assert re.findall(r"(?i)(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}", html.replace(bundle, "")) == []


def test_demo_serve_serves_the_demo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from quickturn.services import demo as demo_svc

    calls: list[tuple[str, str, int]] = []

    def fake_run_server(cli: web_cli.Cli, host: str, port: int) -> None:
        calls.append((cli.settings.db, host, port))

    def fake_run_demo(settings: object, **kw: object) -> dict[str, object]:
        db = getattr(settings, "db")  # noqa: B009
        Path(db).write_bytes(b"")
        return {"ok": True, "db": db, "errors": {}}

    monkeypatch.setattr(web_cli, "run_server", fake_run_server)
    # the command imports the service when it runs (fast start): patch it there
    monkeypatch.setattr(demo_svc, "run_demo", fake_run_demo)
    db = tmp_path / "demo.duckdb"
    r = runner.invoke(
        app,
        [
            "demo",
            "--db",
            str(db),
            "--skus",
            "10",
            "--days",
            "30",
            "--as-of",
            "2026-03-02",
            "--serve",
            "--port",
            "8765",
            "--json",
        ],
    )
    assert calls == [(str(db), "127.0.0.1", 8765)], r.output
    assert db.exists()
