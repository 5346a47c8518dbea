"""Helpers shared by the connector tests (settings for the fake platform, reconciliation)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import polars as pl
from fake_tiktok import FakeTikTok

from quickturn.config import Settings
from quickturn.services.connect import TikTokSettings, tiktok_settings
from quickturn.store import Store

SHOP = "7495000000000000001"


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


def reconcile(
    store: Store, fake: FakeTikTok, shop_id: str = SHOP, *, settlements: bool = False
) -> None:
    """The store holds exactly the fake platform's data for the shop."""
    truth = fake.truth(fake.shops[[s["id"] for s in fake.shops].index(shop_id)]["cipher"])
    orders = store.table("orders", where={"shop_id": shop_id})
    assert orders.height == truth["orders"]
    assert orders["order_id"].n_unique() == orders.height
    assert sum(orders["order_amount"].to_list(), Decimal(0)) == truth["order_amount"]
    assert orders.filter(pl.col("status") == "CANCELLED").height == truth["cancelled"]
    lines = store.query(
        "SELECT l.sku_id, sum(l.quantity) AS q FROM order_lines l JOIN orders o ON o.order_id = l.order_id "
        "WHERE o.shop_id = ? GROUP BY l.sku_id",
        [shop_id],
    )
    assert dict(zip(lines["sku_id"].to_list(), lines["q"].to_list(), strict=True)) == truth["units"]
    settled = store.query(
        "SELECT sum(amount) AS s, count(DISTINCT statement_id) AS n FROM settlement_lines WHERE statement_id LIKE ?",
        [f"S{shop_id[-4:]}%"],
    )
    if settlements:
        assert Decimal(str(settled["s"][0])) == truth["settlement_amount"]
        assert settled["n"][0] == truth["statements"]
    # every order's SKUs exist in the SKU master (so ledger/health joins work)
    orphans = store.query(
        "SELECT count(*) AS n FROM order_lines l LEFT JOIN skus s ON s.sku_id = l.sku_id WHERE s.sku_id IS NULL"
    )
    assert orphans["n"][0] == 0
