"""The client against the fake platform: auth, errors, retries, pagination, rate limits."""

from __future__ import annotations

import random

import pytest
from fake_tiktok import FakeTikTok
from tt_helpers import settings_for

from quickturn.connectors.tiktok_api.client import TikTokClient
from quickturn.connectors.tiktok_api.errors import (
    NotConnectedError,
    TikTokApiError,
    TokenExpiredError,
)
from quickturn.services.connect import make_client


def test_not_connected_tells_the_user_what_to_run(client: TikTokClient) -> None:
    with pytest.raises(NotConnectedError, match="quickturn connect tiktok"):
        client.get_shops()


def test_exchange_code_then_list_shops_with_ciphers(client: TikTokClient, fake: FakeTikTok) -> None:
    token = client.exchange_code("good-code")
    assert token.seller_name == "Quickturn Test Seller"
    shops = client.get_shops()
    assert [s["cipher"] for s in shops] == ["ROW_fakecipher0001", "ROW_fakecipher0002"]
    assert client.token_store is not None and client.token_store.load(fake.app_key) == token
    # codes are single use
    with pytest.raises(TokenExpiredError, match="quickturn connect tiktok"):
        client.exchange_code("good-code")


def test_wrong_secret_is_rejected_with_the_documented_code(fake: FakeTikTok, home) -> None:  # type: ignore[no-untyped-def]
    good = make_client(settings_for(fake, home))
    good.exchange_code("good-code")
    bad = make_client(settings_for(fake, home, app_secret="not-the-secret"))
    with pytest.raises(TikTokApiError) as exc:
        bad.get_shops()
    assert exc.value.code == 106011
    assert "QUICKTURN_TIKTOK_APP_SECRET" in str(exc.value)
    assert fake.stats.bad_sign == 1
    assert "not-the-secret" not in str(exc.value)


def test_expired_access_token_is_refreshed_and_the_call_repeated(
    connected: TikTokClient, fake: FakeTikTok
) -> None:
    old = connected.token.access_token
    fake.expire_access_tokens()
    assert len(connected.get_shops()) == 2
    assert connected.token.access_token != old
    assert connected.stats.refreshes == 1
    assert fake.stats.expired == 1


def test_token_is_refreshed_before_expiry(connected: TikTokClient) -> None:
    exp = connected.token.access_token_expires_at
    old = connected.token.access_token
    connected.clock = lambda: exp - 60.0  # within the one-hour margin
    connected.get_shops()
    assert connected.token.access_token != old
    assert connected.stats.refreshes == 1


def test_expired_authorisation_tells_the_user_to_reconnect(
    connected: TikTokClient, fake: FakeTikTok
) -> None:
    fake.refresh_tokens.clear()
    fake.expire_access_tokens()
    with pytest.raises(TokenExpiredError, match="run `quickturn connect tiktok` again"):
        connected.get_shops()


@pytest.mark.parametrize("fault", ["429", "500", "drop", "truncate"])
def test_transient_faults_are_retried(
    connected: TikTokClient, fake: FakeTikTok, fault: str
) -> None:
    fake.faults.force = [fault, fault, fault]
    assert len(connected.get_shops()) == 2
    assert connected.stats.retries == 3
    counter = {
        "429": "injected_429",
        "500": "injected_500",
        "drop": "dropped",
        "truncate": "truncated",
    }
    assert getattr(fake.stats, counter[fault]) == 3


def test_gives_up_after_max_retries_with_a_clear_message(fake: FakeTikTok, home) -> None:  # type: ignore[no-untyped-def]
    c = make_client(settings_for(fake, home, max_retries=2))
    c.exchange_code("good-code")
    fake.faults.force = ["500"] * 5
    with pytest.raises(TikTokApiError, match="gave up after 3 attempts"):
        c.get_shops()


def test_backoff_is_exponential_with_jitter(fake: FakeTikTok, home) -> None:  # type: ignore[no-untyped-def]
    slept: list[float] = []
    c = make_client(
        settings_for(fake, home, backoff_base_seconds=1.0, backoff_max_seconds=100.0),
        sleep=slept.append,
        rng=random.Random(1),
    )
    c.exchange_code("good-code")
    fake.faults.force = ["500", "500", "500", "500"]
    c.get_shops()
    assert len(slept) == 4
    for attempt, s in enumerate(slept):
        assert 2**attempt / 2 <= s <= 2**attempt  # equal jitter in [d/2, d]
    assert len(set(slept)) == 4


def test_server_throttling_429_under_load_is_absorbed(fake: FakeTikTok, home) -> None:  # type: ignore[no-untyped-def]
    fake.server_qps = 5
    c = make_client(settings_for(fake, home, qps=1000, max_retries=50))
    c.exchange_code("good-code")
    for _ in range(9):
        c.get_shops()
    assert fake.stats.throttled > 0
    assert c.stats.throttled == fake.stats.throttled


def test_client_rate_limit_keeps_under_the_server_limit(fake: FakeTikTok, home) -> None:  # type: ignore[no-untyped-def]
    fake.server_qps = 20
    c = make_client(settings_for(fake, home, qps=10))
    c.exchange_code("good-code")
    for _ in range(25):
        c.get_shops()
    assert fake.stats.throttled == 0
    assert c.limiter.waited > 0.5  # 25 calls at 10/s with a burst of 10


def test_clock_skew_is_corrected_from_the_server_date(fake: FakeTikTok, home) -> None:  # type: ignore[no-untyped-def]
    c = make_client(settings_for(fake, home))
    c.exchange_code("good-code")
    real = c.clock
    c.clock = lambda: real() - 3600  # our clock is an hour late
    assert len(c.get_shops()) == 2
    assert c.clock_offset == pytest.approx(3600, abs=5)


def test_order_search_paginates_with_next_page_token(
    connected: TikTokClient, fake: FakeTikTok
) -> None:
    cipher = fake.shops[0]["cipher"]
    seen: list[str] = []
    pages = 0
    for page in connected.iter_pages(
        lambda tok: connected.search_orders(cipher, update_time_ge=0, page_token=tok, page_size=37)
    ):
        pages += 1
        seen += [o["id"] for o in page.items]
        assert page.total == 150
    assert pages == 5
    assert sorted(seen) == sorted(fake.orders[cipher])
    detail = connected.get_orders(cipher, seen[:60])
    assert [o["id"] for o in detail] == seen[:60]


def test_update_time_window_filters(connected: TikTokClient, fake: FakeTikTok) -> None:
    cipher = fake.shops[0]["cipher"]
    mid = (fake.start_time + fake.end_time) // 2
    a = connected.search_orders(cipher, update_time_lt=mid, page_size=5000).items
    b = connected.search_orders(cipher, update_time_ge=mid, page_size=5000).items
    assert len(a) + len(b) == 150
    assert all(o["update_time"] < mid for o in a) and all(o["update_time"] >= mid for o in b)


def test_other_endpoints_return_documented_shapes(
    connected: TikTokClient, fake: FakeTikTok
) -> None:
    cipher = fake.shops[0]["cipher"]
    st = connected.get_statements(cipher, page_size=5)
    assert st.items and {"id", "statement_time", "settlement_amount"} <= set(st.items[0])
    # the fake's statements depend on the wall clock: page through the one with most
    # transactions (every shop has days with more than two), so a next page exists
    busiest = max(fake.transactions[cipher], key=lambda sid: len(fake.transactions[cipher][sid]))
    assert len(fake.transactions[cipher][busiest]) > 2
    tx = connected.get_statement_transactions(cipher, busiest, page_size=2)
    assert tx.items and tx.next_page_token
    assert connected.search_returns(cipher, page_size=5).items
    assert connected.search_cancellations(cipher, page_size=5).items
    products = connected.search_products(cipher, page_size=3)
    assert products.items[0]["skus"]
    inv = connected.search_inventory(cipher, sku_ids=[products.items[0]["skus"][0]["id"]])
    assert inv[0]["skus"][0]["warehouse_inventory"]
    assert {w["id"] for w in connected.get_warehouses(cipher)} == {"WH_SELLER_1", "WH_FBT_1"}
    with pytest.raises(TikTokApiError, match="code 36009004"):
        connected.search_orders("ROW_unknown")
