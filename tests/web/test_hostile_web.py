"""Network-bind hardening (issue 17, item 5.3): token length, login throttling, session
expiry, and the webhook's body cap, signature-first order and timestamp window."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from quickturn.config import Settings
from quickturn.connectors.tiktok_api.notifications import Notification
from quickturn.connectors.tiktok_api.signing import webhook_signature
from quickturn.connectors.tiktok_api.webhooks import create_router
from quickturn.core.ledger.accounts import GROUPS
from quickturn.errors import ConfigError
from quickturn.web import create_app
from quickturn.web.security import SESSION_MAX_AGE, LoginThrottle, session_value

BASE = "http://127.0.0.1"
TOKEN = "s3cret-token-for-tests-0123456789"
KEY, SECRET = "appkey123", "appsecret456"


@pytest.fixture()
def guarded(web_db: Path) -> Iterator[TestClient]:
    app = create_app(Settings(db=str(web_db), token=TOKEN), warm_cache=False)
    with TestClient(app, base_url=BASE) as c:
        yield c


def test_short_token_refused_on_a_network_bind(web_db: Path) -> None:
    with pytest.raises(ConfigError, match=r"15 characters.*at least 16"):
        create_app(Settings(db=str(web_db), token="x" * 15), host="0.0.0.0", warm_cache=False)
    create_app(Settings(db=str(web_db), token="x" * 16), host="0.0.0.0", warm_cache=False)
    # on loopback a short token is the user's own business
    create_app(Settings(db=str(web_db), token="short"), warm_cache=False)


def _login(c: TestClient, token: str) -> object:
    csrf = c.cookies.get("qt_csrf")
    return c.post("/login", data={"token": token, "csrf_token": csrf}, follow_redirects=False)


def test_login_form_throttled_after_five_failures(guarded: TestClient) -> None:
    guarded.get("/login")  # the CSRF cookie
    for _ in range(5):
        r = _login(guarded, "wrong")
        assert r.status_code == 401  # type: ignore[attr-defined]
    blocked = _login(guarded, "wrong")
    assert blocked.status_code == 429  # type: ignore[attr-defined]
    wait = int(blocked.headers["retry-after"])  # type: ignore[attr-defined]
    assert 1 <= wait <= 300
    assert "try again in" in blocked.text  # type: ignore[attr-defined]
    # even the right token waits: no brute force by interleaving
    assert _login(guarded, TOKEN).status_code == 429  # type: ignore[attr-defined]
    # bearer attempts from the same address are refused too
    r = guarded.get("/api/v1/meta", headers={"Authorization": f"Bearer {TOKEN}"})
    assert r.status_code == 429 and r.headers["retry-after"]


def test_bearer_guessing_is_throttled(guarded: TestClient) -> None:
    for _ in range(5):
        assert guarded.get("/api/v1/meta", headers={"Authorization": "Bearer x"}).status_code == 401
    r = guarded.get("/api/v1/meta", headers={"Authorization": "Bearer x"})
    assert r.status_code == 429 and int(r.headers["retry-after"]) > 0
    assert "too many wrong tokens" in r.json()["detail"]


def test_throttle_window_and_success_reset() -> None:
    now = [1000.0]
    t = LoginThrottle(5, 300, clock=lambda: now[0])
    for _ in range(4):
        t.failed("1.2.3.4")
    assert t.retry_after("1.2.3.4") is None
    t.failed("1.2.3.4")
    assert t.retry_after("1.2.3.4") == 300
    assert t.retry_after("5.6.7.8") is None  # per client
    now[0] += 299.5
    assert t.retry_after("1.2.3.4") == 1
    now[0] += 1
    assert t.retry_after("1.2.3.4") is None  # the failures have aged out
    t.failed("1.2.3.4")
    t.succeeded("1.2.3.4")
    assert t.retry_after("1.2.3.4") is None
    small = LoginThrottle(1, 300, clock=lambda: now[0], max_clients=3)
    for i in range(10):
        small.failed(f"10.0.0.{i}")
    assert small.retry_after("10.0.0.0") is None and small.retry_after("10.0.0.9") == 300


def test_session_cookie_expires(guarded: TestClient) -> None:
    guarded.get("/login")
    ok = _login(guarded, TOKEN)
    assert "Max-Age=43200" in ok.headers["set-cookie"]  # type: ignore[attr-defined]
    assert guarded.get("/api/v1/meta").status_code == 200
    now = int(time.time())
    for issued, status in [
        (now - SESSION_MAX_AGE - 5, 401),  # older than 12 h: the server refuses it
        (now - SESSION_MAX_AGE + 60, 200),
        (now + 3600, 401),  # issued in the future
    ]:
        guarded.cookies.set("qt_session", session_value(TOKEN, issued))
        assert guarded.get("/api/v1/meta").status_code == status, issued
    # an old cookie with a fresh time pasted in: the HMAC no longer matches
    old = session_value(TOKEN, now - SESSION_MAX_AGE - 5)
    guarded.cookies.set("qt_session", f"{now}.{old.split('.')[1]}")
    assert guarded.get("/api/v1/meta").status_code == 401
    for junk in ["", "abc", "1.2.3", "-5.x", "9" * 40 + ".x"]:
        guarded.cookies.set("qt_session", junk)
        assert guarded.get("/api/v1/meta").status_code == 401, junk


# -- webhooks ---------------------------------------------------------------------------------


@pytest.fixture()
def hook() -> tuple[TestClient, list[Notification]]:
    got: list[Notification] = []

    def enqueue(note: Notification) -> bool:
        got.append(note)
        return True

    app = FastAPI()
    app.include_router(create_router(KEY, SECRET, enqueue))
    return TestClient(app), got


def _signed(http: TestClient, body: bytes) -> object:
    sig = webhook_signature(KEY, SECRET, body)
    return http.post("/webhooks/tiktok", content=body, headers={"Authorization": sig})


def _note(**kw: object) -> bytes:
    doc = {"type": 1, "tts_notification_id": "N1", "shop_id": "1", "data": {"order_id": "5"}}
    doc["timestamp"] = int(time.time())
    doc.update(kw)
    return json.dumps(doc).encode()


def test_webhook_accepts_a_fresh_signed_push(hook: tuple[TestClient, list[Notification]]) -> None:
    http, got = hook
    assert _signed(http, _note()).status_code == 200  # type: ignore[attr-defined]
    assert _signed(http, _note(timestamp=str(int(time.time())))).status_code == 200  # type: ignore[attr-defined]
    assert len(got) == 2


def test_webhook_body_is_capped_before_reading(hook: tuple[TestClient, list[Notification]]) -> None:
    http, got = hook
    big = _note(data={"order_id": "5", "pad": "x" * (1024 * 1024)})
    r = _signed(http, big)
    assert r.status_code == 413  # type: ignore[attr-defined]
    # chunked (no Content-Length): counted while streaming
    sent = [0]

    def chunks() -> Iterator[bytes]:
        for _ in range(64):
            sent[0] += 1
            yield b"x" * 65536

    r2 = http.post("/webhooks/tiktok", content=chunks(), headers={"Authorization": "00"})
    assert r2.status_code == 413
    assert not got


def test_webhook_signature_is_checked_before_parsing(
    hook: tuple[TestClient, list[Notification]],
) -> None:
    http, got = hook
    for body in [b"not json", b"[" * 100_000, _note(timestamp="soon")]:
        r = http.post("/webhooks/tiktok", content=body, headers={"Authorization": "bad"})
        assert r.status_code == 401 and r.json()["message"] == "invalid signature"
    assert not got


@pytest.mark.parametrize(
    "timestamp",
    ["soon", [1], {"t": 1}, True, -5, 0, 1.5, "1e9", "12345678901234567890", None],
)
def test_webhook_bad_timestamp_is_400(
    hook: tuple[TestClient, list[Notification]], timestamp: object
) -> None:
    http, got = hook
    r = _signed(http, _note(timestamp=timestamp))
    assert r.status_code == 400, r.text  # type: ignore[attr-defined]
    assert "timestamp" in r.json()["message"]  # type: ignore[attr-defined]
    assert not got


def test_webhook_overflowing_numbers_are_400(hook: tuple[TestClient, list[Notification]]) -> None:
    http, got = hook
    body = _note().replace(b'"type": 1', b'"type": 1e400')
    assert _signed(http, body).status_code == 400  # type: ignore[attr-defined]
    body = _note().replace(str(int(time.time())).encode(), b"1e400")
    assert _signed(http, body).status_code == 400  # type: ignore[attr-defined]
    deep = b'{"type": 1, "tts_notification_id": "N", "data": ' + b"[" * 100_000 + b"}"
    assert _signed(http, deep).status_code == 400  # type: ignore[attr-defined]
    assert not got


@pytest.mark.parametrize("offset", [-301, 301, -86400 * 365])
def test_webhook_timestamp_window(hook: tuple[TestClient, list[Notification]], offset: int) -> None:
    http, got = hook
    r = _signed(http, _note(timestamp=int(time.time()) + offset))
    assert r.status_code == 401  # type: ignore[attr-defined]
    assert "server's clock" in r.json()["message"]  # type: ignore[attr-defined]
    assert not got


def test_web_app_webhook_is_hardened(web_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QUICKTURN_TIKTOK_APP_KEY", KEY)
    monkeypatch.setenv("QUICKTURN_TIKTOK_APP_SECRET", SECRET)
    app = create_app(Settings(db=str(web_db), token=TOKEN), warm_cache=False)
    with TestClient(app, base_url=BASE) as c:
        assert _signed(c, _note(timestamp=1760000000)).status_code == 401  # type: ignore[attr-defined]
        assert _signed(c, _note(timestamp="x")).status_code == 400  # type: ignore[attr-defined]
        assert _signed(c, b"x" * (1024 * 1024 + 1)).status_code == 413  # type: ignore[attr-defined]
        assert _signed(c, _note()).status_code == 200  # type: ignore[attr-defined]


# -- money in the JSON API ----------------------------------------------------------------------

#: the ledger's exact amounts (rows, lines, postings): the store's 4 decimals
EXACT_KEYS = {*GROUPS, "margin", "amount"}
UNIT_KEYS = {"unit_cost", "list_price"}


def _decimals(v: float) -> int:
    text = repr(v)
    assert "e" not in text, text
    return len(text.split(".")[1]) if "." in text else 0


def _money_values(
    doc: object, key: str = "", ledger: bool = False
) -> Iterator[tuple[str, float, int]]:
    """(key, value, decimals allowed) of every money figure; on the ledger's answers its
    postings' ``amount_usd`` and a line's ``margin_usd`` are exact (4 decimals) too."""
    if isinstance(doc, dict):
        for k, v in doc.items():
            yield from _money_values(v, k, ledger)
    elif isinstance(doc, list):
        for v in doc:
            yield from _money_values(v, key, ledger)
    elif isinstance(doc, float):
        if key in UNIT_KEYS or key in EXACT_KEYS:
            yield key, doc, 4
        elif key.endswith("_usd"):
            yield key, doc, 4 if ledger and key in ("amount_usd", "margin_usd") else 2


def test_api_money_is_rounded_to_cents(web_db: Path) -> None:
    app = create_app(Settings(db=str(web_db)), warm_cache=False)
    with TestClient(app, base_url=BASE) as c:
        sku = c.get("/api/v1/skus").json()["items"][0]["sku_id"]
        line = c.get("/api/v1/ledger/lines", params={"by": "sku", "key": sku}).json()["lines"][0]
        paths: list[tuple[str, dict[str, object]]] = [
            ("/api/v1/overview", {"days": 30}),
            ("/api/v1/skus", {"per_page": 500}),
            (f"/api/v1/skus/{sku}", {}),
            ("/api/v1/plan", {}),
            ("/api/v1/ledger", {"by": "sku"}),
            ("/api/v1/ledger", {"by": "month"}),
            ("/api/v1/ledger/lines", {"by": "sku", "key": sku}),
            ("/api/v1/ledger/sources", {"order_id": line["order_id"], "sku_id": sku}),
            ("/api/v1/content", {"limit": 1000}),
            ("/api/v1/backtest", {}),
        ]
        seen = 0
        for path, params in paths:
            r = c.get(path, params=params)  # type: ignore[arg-type]
            assert r.status_code == 200, (path, r.text)
            for key, value, digits in _money_values(r.json(), ledger=path.startswith("/api/v1/l")):
                seen += 1
                assert _decimals(value) <= digits, (path, key, value)
        assert seen > 1000


# -- NUL bytes in the URL -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/skus/%00",
        "/skus/%00",
        "/api/v1/skus/a%00b/projection",
        "/api/v1/ledger/lines?by=sku&key=%00",
        "/api/v1/ledger/sources?order_id=x%00y",
        "/api/v1/skus?q=%00",
        "/api/v1/compliance/findings?q=%00",
    ],
)
def test_nul_in_path_or_query_is_400_without_sql_in_logs(
    web_url: str, path: str, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app(Settings(db=web_url), warm_cache=False)
    with (
        caplog.at_level("DEBUG"),
        TestClient(app, base_url=BASE, raise_server_exceptions=False) as c,
    ):
        r = c.get(path)
    assert r.status_code == 400, r.text
    assert "NUL byte" in r.json()["detail"]
    logged = " ".join(r.getMessage() for r in caplog.records if r.name.startswith("quickturn"))
    assert "SELECT " not in logged.upper() and not any(r.exc_info for r in caplog.records)
