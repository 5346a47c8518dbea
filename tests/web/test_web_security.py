"""Token, login cookie, CSRF, Host check, headers, busy database and read-only access."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from quickturn.config import Settings
from quickturn.errors import ConfigError
from quickturn.web import create_app
from quickturn.web.security import is_loopback, session_ok, session_value

BASE = "http://127.0.0.1"
TOKEN = "s3cret-token-for-tests-0123456789"


@pytest.fixture()
def db(web_db: Path) -> Path:
    return web_db


@pytest.fixture(scope="module")
def guarded(web_demo_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    db = tmp_path_factory.mktemp("guarded") / "demo.duckdb"
    shutil.copyfile(web_demo_file, db)
    app = create_app(Settings(db=str(db), token=TOKEN), warm_cache=False)
    with TestClient(app, base_url=BASE) as c:
        yield c


@pytest.fixture(autouse=True)
def _fresh_cookies(request: pytest.FixtureRequest) -> None:
    if "guarded" in request.fixturenames:
        client = request.getfixturevalue("guarded")
        client.cookies.clear()
        client.app.state.login_throttle.reset()  # wrong tokens of earlier tests


def test_loopback_detection() -> None:
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert is_loopback("127.0.0.2") and is_loopback("[::1]")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.10")
    assert not is_loopback("example.com")


def test_non_loopback_bind_needs_a_token(db: Path) -> None:
    with pytest.raises(ConfigError, match="QUICKTURN_TOKEN"):
        create_app(Settings(db=str(db)), host="0.0.0.0")
    app = create_app(Settings(db=str(db), token=TOKEN), host="0.0.0.0", warm_cache=False)
    with TestClient(app, base_url="http://192.168.1.10:8000") as c:
        assert c.get("/api/v1/meta").status_code == 401
        ok = c.get("/api/v1/meta", headers={"Authorization": f"Bearer {TOKEN}"})
        assert ok.status_code == 200


@pytest.mark.parametrize(
    "path", ["/", "/skus", "/plan", "/api/v1/overview", "/api/v1/openapi.json"]
)
def test_requests_without_the_token_get_401(guarded: TestClient, path: str) -> None:
    api = guarded.get(path)
    assert api.status_code == 401
    assert api.headers["www-authenticate"].startswith("Bearer")
    page = guarded.get(path, headers={"Accept": "text/html"})
    assert page.status_code == 401
    if not path.startswith("/api/"):
        assert 'name="token"' in page.text and TOKEN not in page.text
    wrong = guarded.get(path, headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    assert guarded.get(path, headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200


def test_login_form_sets_an_httponly_cookie(guarded: TestClient) -> None:
    form = guarded.get("/login", headers={"Accept": "text/html"})
    assert form.status_code == 200
    csrf = guarded.cookies.get("qt_csrf")
    bad = guarded.post(
        "/login",
        data={"token": "wrong", "next": "/skus", "csrf_token": csrf},
        follow_redirects=False,
    )
    assert bad.status_code == 401 and "qt_session" not in bad.cookies
    no_csrf = guarded.post("/login", data={"token": TOKEN}, follow_redirects=False)
    assert no_csrf.status_code == 403
    ok = guarded.post(
        "/login",
        data={"token": TOKEN, "next": "//evil.example/x", "csrf_token": csrf},
        follow_redirects=False,
    )
    assert ok.status_code == 303 and ok.headers["location"] == "/"  # no open redirect
    cookie = ok.headers["set-cookie"]
    assert "qt_session=" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert TOKEN not in cookie and "Max-Age=43200" in cookie
    value = guarded.cookies.get("qt_session")
    assert value is not None and session_ok(TOKEN, value)
    assert value == session_value(TOKEN, int(value.split(".")[0]))
    page = guarded.get("/skus", headers={"Accept": "text/html"})
    assert page.status_code == 200 and TOKEN not in page.text
    out = guarded.post("/logout", data={"csrf_token": csrf}, follow_redirects=False)
    assert out.status_code == 303
    guarded.cookies.delete("qt_session")
    assert guarded.get("/skus").status_code == 401


def test_webhook_path_is_exempt_from_token_and_csrf(guarded: TestClient) -> None:
    r = guarded.post("/webhooks/tiktok", content=b'{"type": 1}')
    assert r.status_code != 403
    assert r.json().get("code") in (401, 503)  # its own signature check or "not configured"
    assert "authentication required" not in r.text


def test_bearer_calls_skip_the_double_submit_check(guarded: TestClient) -> None:
    r = guarded.post(
        "/api/v1/compliance/check",
        json={"text": "cures acne"},
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    assert r.status_code == 200 and r.json()["ok"] is False


def test_host_header_and_security_headers(db: Path) -> None:
    app = create_app(Settings(db=str(db)), warm_cache=False)
    with TestClient(app, base_url=BASE) as c:
        r = c.get("/", headers={"Accept": "text/html"})
        assert r.status_code == 200
        csp = r.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert r.headers["x-frame-options"] == "DENY"
        assert r.headers["x-content-type-options"] == "nosniff"
        assert "qt_csrf=" in r.headers.get("set-cookie", "")
        rebound = c.get("/", headers={"Host": "attacker.example"})
        assert rebound.status_code == 400
        assert c.get("/", headers={"Host": "localhost:8000"}).status_code == 200
        js = c.get("/static/plotly.min.js", headers={"Accept-Encoding": "gzip"})
        assert js.status_code == 200 and js.headers["content-encoding"] == "gzip"
        assert len(js.content) > 1_000_000  # the real bundle, served locally
        assert "immutable" in js.headers["cache-control"]


def test_no_secrets_rendered(tmp_path: Path) -> None:
    url = "postgresql://qt:hunter2@db.internal:5432/shop"
    from quickturn.web.data import safe_url

    assert safe_url(url) == "postgresql://qt:***@db.internal:5432/shop"
    assert safe_url("postgresql://qt@db/shop") == "postgresql://qt@db/shop"
    assert safe_url(str(tmp_path / "x.duckdb")) == str(tmp_path / "x.duckdb")


HOLD = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1])
con.execute("SELECT 1")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
"""


def test_server_holds_no_lock_between_requests_and_survives_a_busy_file(db: Path) -> None:
    app = create_app(Settings(db=str(db)), warm_cache=False)
    with TestClient(app, base_url=BASE) as c:
        first = c.get("/api/v1/overview")
        assert first.status_code == 200
        # another process can open the file read-write between requests (quickturn plan …)
        done = subprocess.run(
            [
                sys.executable,
                "-c",
                "import duckdb,sys; duckdb.connect(sys.argv[1]).close()",
                str(db),
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        # while another process writes, cached figures are served (marked stale) and uncached
        # ones answer 503 with Retry-After instead of hanging
        holder = subprocess.Popen(
            [sys.executable, "-c", HOLD, str(db), "8"], stdout=subprocess.PIPE, text=True
        )
        try:
            assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
            time.sleep(0.2)
            app.state.web.cache.db.forget_fingerprint()
            stale = c.get("/api/v1/overview")
            assert stale.status_code == 200
            assert stale.json()["kpis"] == first.json()["kpis"]
            busy = c.get("/api/v1/ledger", params={"by": "market"})
            assert busy.status_code == 503 and busy.headers["retry-after"] == "5"
        finally:
            holder.kill()
            holder.wait(10)
        assert c.get("/api/v1/ledger", params={"by": "market"}).status_code == 200


def test_tiktok_webhook_router_is_mounted(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    from quickturn.connectors.tiktok_api.signing import webhook_signature
    from quickturn.store import open_store

    monkeypatch.setenv("QUICKTURN_TIKTOK_APP_KEY", "appkey123")
    monkeypatch.setenv("QUICKTURN_TIKTOK_APP_SECRET", "appsecret456")
    app = create_app(Settings(db=str(db), token=TOKEN), warm_cache=False)
    note = {
        "type": 1,
        "tts_notification_id": "WEB-N1",
        "shop_id": "7495000000000000001",
        "timestamp": int(time.time()),
        "data": {"order_id": "576", "order_status": "IN_TRANSIT"},
    }
    body = json.dumps(note).encode()
    sig = webhook_signature("appkey123", "appsecret456", body)
    with TestClient(app, base_url=BASE) as c:
        assert c.get("/api/v1/meta").status_code == 401  # the token still guards the rest
        ok = c.post(
            "/webhooks/tiktok",
            content=body,
            headers={"Authorization": sig, "Origin": "https://partner.tiktokshop.com"},
        )
        assert ok.status_code == 200 and ok.json()["data"]["duplicate"] is False
        again = c.post("/webhooks/tiktok", content=body, headers={"Authorization": sig})
        assert again.json()["data"]["duplicate"] is True
        unsigned = c.post("/webhooks/tiktok", content=body)
        assert unsigned.status_code == 401 and unsigned.json()["message"] == "invalid signature"
        # reads still work after the in-process write
        assert (
            c.get("/api/v1/meta", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
        )
    store = open_store(db, read_only=True)
    try:
        events = store.table("tiktok_webhook_events")
    finally:
        store.close()
    assert events["notification_id"].to_list() == ["WEB-N1"]


def test_refresh_button_forgets_cached_figures(db: Path) -> None:
    app = create_app(Settings(db=str(db)), warm_cache=False)
    with TestClient(app, base_url=BASE) as c:
        assert c.get("/", headers={"Accept": "text/html"}).status_code == 200
        cache = app.state.web.cache
        assert cache.stats()["entries"] > 0
        assert c.post("/refresh", data={"next": "/skus"}).status_code == 403  # no CSRF token
        r = c.post(
            "/refresh",
            data={"next": "/skus", "csrf_token": c.cookies.get("qt_csrf")},
            follow_redirects=False,
        )
        assert r.status_code == 303 and r.headers["location"] == "/skus"
        assert cache.stats()["entries"] == 0
