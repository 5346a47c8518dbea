"""Fixtures for the TikTok Shop connector tests: a running fake platform and a client for it."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import pytest
from fake_tiktok import FakeTikTok

from quickturn.config import Settings
from quickturn.connectors.tiktok_api.client import TikTokClient
from quickturn.services.connect import TikTokSettings, make_client, tiktok_settings


def settings_for(fake: FakeTikTok, home: Path, **kw: object) -> TikTokSettings:
    opts: dict[str, object] = {
        "app_key": fake.app_key,
        "app_secret": fake.app_secret,
        "base_url": fake.url,
        "auth_base_url": fake.url,
        "home": str(home),
        "backoff_base_seconds": 0.001,
        "backoff_max_seconds": 0.02,
        "page_size": 200,
    }
    opts.update(kw)
    return tiktok_settings(Settings(), env={}, **opts)


@pytest.fixture()
def fake() -> Iterator[FakeTikTok]:
    with FakeTikTok(n_orders=400, n_orders_second_shop=30) as f:
        yield f


@pytest.fixture()
def home(tmp_path: Path) -> Path:
    return tmp_path / "qt-home"


@pytest.fixture()
def tts(fake: FakeTikTok, home: Path) -> TikTokSettings:
    return settings_for(fake, home)


@pytest.fixture()
def client(tts: TikTokSettings) -> Iterator[TikTokClient]:
    with make_client(tts, rng=random.Random(0)) as c:
        yield c


@pytest.fixture()
def connected(client: TikTokClient) -> TikTokClient:
    client.exchange_code("good-code")
    return client
