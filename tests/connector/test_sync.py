"""Incremental sync against the fake platform: complete, idempotent, incremental, resumable."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import polars as pl
import pytest
from fake_tiktok import FakeTikTok
from tt_helpers import reconcile

from quickturn.connectors.tiktok_api.client import TikTokClient
from quickturn.services.connect import TikTokSettings, connect
from quickturn.services.sync import sync_state, sync_tiktok
from quickturn.store import Store

SHOP = "7495000000000000001"


def test_first_sync_is_complete_and_rerun_changes_nothing(
    store: Store, connected: TikTokClient, tts: TikTokSettings, fake: FakeTikTok
) -> None:
    report = sync_tiktok(store, connected, tts)
    assert set(report.shops) == {SHOP, "7495000000000000002"}
    reconcile(store, fake, settlements=True)
    reconcile(store, fake, "7495000000000000002")
    assert report.tables["orders"]["inserted"] == 170
    assert store.count("shops") == 2
    assert store.table("shops", where={"shop_id": SHOP})["cipher"][0] == "ROW_fakecipher0001"
    assert store.count("returns") > 0 and store.count("inventory_snapshots") > 0
    state = sync_state(store, SHOP)
    assert set(state) == {"orders", "cancellations", "returns", "statements", "products"}
    assert all(v["checkpoint"] is None for v in state.values())
    counts = {
        t: store.count(t) for t in ("orders", "order_lines", "returns", "settlement_lines", "skus")
    }
    again = sync_tiktok(store, connected, tts)
    assert {t: store.count(t) for t in counts} == counts
    for table, c in again.tables.items():
        assert c["inserted"] == 0 and c["updated"] == 0, (table, c)
    runs = store.table("runs", where={"module": "sync"})
    assert runs.height == 2


def test_incremental_sync_picks_up_new_and_changed_orders(
    store: Store, connected: TikTokClient, tts: TikTokSettings, fake: FakeTikTok
) -> None:
    sync_tiktok(store, connected, tts, resources=("orders",))
    cipher = fake.shops[0]["cipher"]
    awaiting = [
        o["id"] for o in fake.orders[cipher].values() if o["status"] == "AWAITING_SHIPMENT"
    ][:5]
    fake.update_orders(awaiting, "DELIVERED")
    new_ids = fake.add_orders(7)
    report = sync_tiktok(store, connected, tts, resources=("orders",))
    assert report.tables["orders"]["inserted"] == 7
    assert report.tables["orders"]["updated"] == 5
    # only the recent window was fetched, not the whole history
    assert report.fetched["orders"] < 60
    got = store.table("orders", where={"order_id": awaiting})
    assert set(got["status"].to_list()) == {"DELIVERED"}
    assert store.table("orders", where={"order_id": new_ids}).height == 7
    reconcile(store, fake)


def test_sync_preserves_what_the_seller_imported(
    store: Store, connected: TikTokClient, tts: TikTokSettings, fake: FakeTikTok
) -> None:
    sync_tiktok(store, connected, tts, resources=("orders",))
    sku = store.table("skus", limit=1)["sku_id"][0]
    row = store.table("skus", where={"sku_id": sku}).with_columns(
        pl.lit(Decimal("3.2500")).cast(pl.Decimal(18, 4)).alias("unit_cost"),
        pl.lit("CNY").alias("cost_currency"),
        pl.lit(True).alias("is_children"),
    )
    store.write("skus", row)
    sync_tiktok(store, connected, tts)  # products update title/price/status only
    after = store.table("skus", where={"sku_id": sku}).row(0, named=True)
    assert after["unit_cost"] == Decimal("3.25") and after["cost_currency"] == "CNY"
    assert after["is_children"] is True
    assert after["list_price"] is not None


def test_since_and_shop_filters(
    store: Store, connected: TikTokClient, tts: TikTokSettings, fake: FakeTikTok
) -> None:
    from datetime import UTC, datetime

    since = datetime.fromtimestamp(fake.end_time - 5 * 86400, UTC).replace(tzinfo=None)
    report = sync_tiktok(store, connected, tts, shop_id=SHOP, since=since, resources=("orders",))
    assert report.shops == [SHOP]
    orders = store.table("orders")
    assert set(orders["shop_id"].to_list()) == {SHOP}
    assert 0 < orders.height < 150
    from quickturn.errors import UsageError

    with pytest.raises(UsageError, match="connected shops"):
        sync_tiktok(store, connected, tts, shop_id="nope")


class Interrupt(Exception):
    pass


def test_interrupted_sync_resumes_from_the_checkpoint(
    store: Store, connected: TikTokClient, tts: TikTokSettings, fake: FakeTikTok
) -> None:
    pages = {"n": 0}

    def crash_after_three_pages(resource: str, n: int, total: Any) -> None:
        if n:
            pages["n"] += 1
            if pages["n"] == 3:
                raise Interrupt

    opts = TikTokSettings(**{**tts.__dict__, "window_days": 90.0})
    with pytest.raises(Interrupt):
        sync_tiktok(
            store,
            connected,
            opts,
            resources=("orders",),
            page_size=20,
            progress=crash_after_three_pages,
        )
    cp = sync_state(store, SHOP)["orders"]["checkpoint"]
    assert cp is not None and cp["page_token"]
    partial = store.count("orders")
    assert partial == 60  # three committed pages, nothing half-written
    report = sync_tiktok(store, connected, opts, resources=("orders",), page_size=20)
    assert f"{SHOP}:orders" in report.resumed
    assert report.fetched["orders"] < 170  # did not start over
    reconcile(store, fake)
    assert sync_state(store, SHOP)["orders"]["checkpoint"] is None


def test_connect_writes_shops_and_tokens(store: Store, client: TikTokClient, home) -> None:  # type: ignore[no-untyped-def]
    result = connect(store, client, "good-code")
    assert {s["shop_id"] for s in result.shops} == {SHOP, "7495000000000000002"}
    shops = store.table("shops").sort("shop_id")
    assert shops["cipher"].to_list() == ["ROW_fakecipher0001", "ROW_fakecipher0002"]
    assert shops["seller_type"].to_list() == ["CROSS_BORDER", "LOCAL"]
    assert shops["currency"].to_list() == ["USD", "USD"]
    assert (home / "tiktok_tokens.json").exists()
    # tokens are not in the database
    for table in ("state", "runs", "shops"):
        for row in store.table(table).iter_rows():
            assert not any("ACCESS-" in str(v) for v in row)
