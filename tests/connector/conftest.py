"""Fixtures for the TikTok Shop connector tests: a running fake platform and a client for it."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import pytest
from fake_tiktok import FakeTikTok
from tt_helpers import settings_for

from quickturn.connectors.tiktok_api.client import TikTokClient
from quickturn.services.connect import TikTokSettings, make_client


@pytest.fixture()
def fake() -> Iterator[FakeTikTok]:
    with FakeTikTok(n_orders=150, n_orders_second_shop=20) as f:
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
