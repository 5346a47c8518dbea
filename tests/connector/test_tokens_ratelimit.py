"""Token storage (owner-only, never printed) and the token-bucket rate limiter."""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

import pytest

from quickturn.connectors.tiktok_api.ratelimit import RateLimiter, TokenBucket
from quickturn.connectors.tiktok_api.tokens import Token, TokenStore, quickturn_home


def _token(now: int = 1_700_000_000) -> Token:
    return Token.from_api(
        {
            "access_token": "ACCESS-SECRET-123",
            "access_token_expire_in": now + 7 * 86400,
            "refresh_token": "REFRESH-SECRET-456",
            "refresh_token_expire_in": now + 30 * 86400,
            "seller_name": "Shop",
            "granted_scopes": ["a"],
        },
        now,
    )


def test_token_repr_and_str_never_show_secrets() -> None:
    t = _token()
    for text in (repr(t), str(t), f"{t}", repr([t])):
        assert "ACCESS-SECRET-123" not in text
        assert "REFRESH-SECRET-456" not in text
        assert "<redacted>" in text


def test_expiry_is_absolute_or_relative() -> None:
    now = 1_700_000_000
    t = _token(now)
    assert t.access_token_expires_at == now + 7 * 86400
    rel = Token.from_api({"access_token": "a", "access_token_expire_in": 3600}, now)
    assert rel.access_token_expires_at == now + 3600


def test_refresh_is_due_within_the_margin() -> None:
    t = _token(1_700_000_000)
    exp = t.access_token_expires_at
    assert not t.needs_refresh(exp - 7200, margin_seconds=3600)
    assert t.needs_refresh(exp - 3600, margin_seconds=3600)
    assert t.needs_refresh(exp + 1, margin_seconds=0)


def test_token_file_is_owner_only(tmp_path: Path) -> None:
    home = tmp_path / "home"
    store = TokenStore(home)
    store.save("app", _token())
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(home.stat().st_mode) == 0o700
    loaded = store.load("app")
    assert loaded is not None and loaded.access_token == "ACCESS-SECRET-123"
    assert store.load("other-app") is None
    # a file made world-readable by hand is tightened when read
    os.chmod(store.path, 0o644)
    store.load("app")
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    assert "ACCESS" not in repr(store)
    assert store.delete("app") and store.load("app") is None


def test_quickturn_home_precedence(tmp_path: Path) -> None:
    assert quickturn_home({"QUICKTURN_HOME": str(tmp_path)}) == tmp_path
    assert quickturn_home({"XDG_CONFIG_HOME": str(tmp_path)}) == tmp_path / "quickturn"
    assert quickturn_home({}).name == "quickturn"


def test_token_exchange_is_never_logged(connected_logs: str) -> None:
    assert connected_logs  # httpx did log the requests …
    for secret in ("fakeappsecret", "good-code", "ACCESS-", "REFRESH-"):
        assert secret not in connected_logs  # … without secrets


@pytest.fixture()
def connected_logs(client, caplog: pytest.LogCaptureFixture) -> str:  # type: ignore[no-untyped-def]
    with caplog.at_level(logging.DEBUG):
        client.exchange_code("good-code")
        client.refresh()
        client.get_shops()
    return caplog.text


class FakeClock:
    def __init__(self) -> None:
        self.t = 0.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.t

    def sleep(self, s: float) -> None:
        self.slept.append(s)
        self.t += s


def test_token_bucket_allows_bursts_then_paces() -> None:
    clock = FakeClock()
    b = TokenBucket(50, clock=clock, sleep=clock.sleep)
    for _ in range(50):
        assert b.acquire() == 0.0
    assert clock.t == 0.0
    for _ in range(100):
        b.acquire()
    # 100 more tokens at 50/s take two seconds
    assert clock.t == pytest.approx(2.0, abs=1e-6)


def test_rate_limiter_keeps_one_bucket_per_api_and_shop() -> None:
    clock = FakeClock()
    lim = RateLimiter(2, per_api={"/slow": 1}, clock=clock, sleep=clock.sleep)
    lim.acquire("/a", "s1")
    lim.acquire("/a", "s1")
    lim.acquire("/a", "s2")  # another shop: its own bucket
    lim.acquire("/b", "s1")  # another API: its own bucket
    assert clock.t == 0.0
    lim.acquire("/a", "s1")
    assert clock.t == pytest.approx(0.5)
    assert lim.bucket("/slow").rate == 1
    with pytest.raises(ValueError):
        TokenBucket(0)
