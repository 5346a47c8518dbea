"""Webhooks: signed, badly signed and duplicate notifications; queue persisted; re-fetch."""

from __future__ import annotations

import json
import time

from fake_tiktok import FakeTikTok
from fastapi import FastAPI
from fastapi.testclient import TestClient

from quickturn.config import Settings
from quickturn.connectors.tiktok_api.client import TikTokClient
from quickturn.connectors.tiktok_api.signing import webhook_signature
from quickturn.connectors.tiktok_api.webhooks import create_router
from quickturn.services.connect import TikTokSettings, save_shops
from quickturn.services.sync import sync_tiktok
from quickturn.services.webhooks import process_queue, queue_summary, tiktok_app
from quickturn.store import Store

SHOP = "7495000000000000001"


def _post(http: TestClient, tts: TikTokSettings, doc: dict, *, secret: str | None = None):  # type: ignore[no-untyped-def]
    """Sign and post ``doc``; a push without a ``timestamp`` gets the current time (pushes
    more than 5 minutes off the server's clock are refused)."""
    body = json.dumps({"timestamp": int(time.time()), **doc}).encode()
    sig = webhook_signature(tts.app_key, secret or tts.app_secret, body)
    return http.post("/webhooks/tiktok", content=body, headers={"Authorization": sig})


def test_signed_bad_and_duplicate_notifications(store: Store, tts: TikTokSettings) -> None:
    app, _inbox = tiktok_app(Settings(), store, options=tts)
    http = TestClient(app)
    note = {
        "type": 1,
        "tts_notification_id": "N1",
        "shop_id": SHOP,
        "data": {"order_id": "576", "order_status": "IN_TRANSIT"},
    }
    t = time.monotonic()
    r = _post(http, tts, note)
    assert time.monotonic() - t < 3.0
    assert r.status_code == 200 and r.json()["data"]["duplicate"] is False
    assert _post(http, tts, note).json()["data"]["duplicate"] is True  # same id again
    bad = _post(http, tts, note | {"tts_notification_id": "N2"}, secret="wrong")
    assert bad.status_code == 401
    unsigned = http.post("/webhooks/tiktok", content=json.dumps(note).encode())
    assert unsigned.status_code == 401
    garbage = b"not json"
    r = http.post(
        "/webhooks/tiktok",
        content=garbage,
        headers={"Authorization": webhook_signature(tts.app_key, tts.app_secret, garbage)},
    )
    assert r.status_code == 400
    events = store.table("tiktok_webhook_events")
    assert events["notification_id"].to_list() == ["N1"]  # once, and the bad ones not at all
    row = events.row(0, named=True)
    assert (row["resource"], row["resource_id"], row["status"]) == ("order", "576", "pending")
    assert queue_summary(store) == {"pending": 1}
    assert http.get("/healthz").json() == {"status": "ok"}


def test_router_mounts_in_any_app_and_failures_make_the_platform_retry(tts: TikTokSettings) -> None:
    def broken(_note):  # type: ignore[no-untyped-def]
        raise RuntimeError("disk full")

    app = FastAPI()
    app.include_router(create_router(tts.app_key, tts.app_secret, broken))
    http = TestClient(app)
    r = _post(http, tts, {"type": 1, "tts_notification_id": "X", "data": {"order_id": "1"}})
    assert r.status_code == 500


def test_queued_notifications_are_refetched(
    store: Store, connected: TikTokClient, tts: TikTokSettings, fake: FakeTikTok
) -> None:
    save_shops(store, connected.get_shops())
    app, _ = tiktok_app(Settings(), store, options=tts)
    http = TestClient(app)
    cipher = fake.shops[0]["cipher"]
    orders = list(fake.orders[cipher].values())
    target = next(o for o in orders if o["status"] == "AWAITING_SHIPMENT")
    fake.update_orders([target["id"]], "DELIVERED")
    ret = next(iter(fake.returns[cipher].values()))
    cancel = next(c for c in fake.cancellations[cipher].values() if c["cancel_line_items"])
    _post(
        http,
        tts,
        {
            "type": 1,
            "tts_notification_id": "A",
            "shop_id": SHOP,
            "data": {"order_id": target["id"]},
        },
    )
    _post(
        http,
        tts,
        {
            "type": 12,
            "tts_notification_id": "B",
            "shop_id": SHOP,
            "data": {"return_id": ret["return_id"], "order_id": ret["order_id"]},
        },
    )
    _post(
        http,
        tts,
        {
            "type": 11,
            "tts_notification_id": "C",
            "shop_id": SHOP,
            "data": {"order_id": cancel["order_id"], "cancel_id": cancel["cancel_id"]},
        },
    )
    _post(http, tts, {"type": 99, "tts_notification_id": "D", "shop_id": SHOP, "data": {}})
    assert process_queue(store, connected) == 3
    assert queue_summary(store) == {"done": 3, "ignored": 1}
    assert store.table("orders", where={"order_id": target["id"]})["status"][0] == "DELIVERED"
    assert store.table("orders", where={"order_id": cancel["order_id"]})["status"][0] == "CANCELLED"
    assert store.table("returns", where={"order_id": ret["order_id"]}).height >= 1
    assert (
        store.table("returns", where={"order_id": cancel["order_id"]})["return_type"][0]
        == "cancellation_refund"
    )
    assert process_queue(store, connected) == 0  # nothing left


def test_sync_processes_the_queue_first(
    store: Store, connected: TikTokClient, tts: TikTokSettings, fake: FakeTikTok
) -> None:
    save_shops(store, connected.get_shops())
    app, _ = tiktok_app(Settings(), store, options=tts)
    oid = next(iter(fake.orders[fake.shops[0]["cipher"]]))
    _post(
        TestClient(app),
        tts,
        {"type": 1, "tts_notification_id": "Q", "shop_id": SHOP, "data": {"order_id": oid}},
    )
    report = sync_tiktok(store, connected, tts, resources=("orders",))
    assert report.webhooks_processed == 1
    assert queue_summary(store) == {"done": 1}
