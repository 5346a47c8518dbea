"""TikTok Shop webhooks: a persistent, de-duplicated queue of re-fetches, and its worker.

Data flow::

    POST /webhooks/tiktok → connectors.tiktok_api.webhooks (signature, parse)
      → WebhookInbox.enqueue → table ``tiktok_webhook_events`` (key ``tts_notification_id``:
        a notification delivered twice is stored once) → 200
    quickturn sync / webhooks serve --worker → process_queue → re-fetch orders (and their
      cancellations) or returns by id → mapping → upsert → event marked ``done``

The web app mounts :func:`tiktok_router` (``app.include_router(tiktok_router(settings))``);
until it exists ``quickturn webhooks serve`` runs :func:`tiktok_app` standalone.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import polars as pl

from quickturn.config import Settings
from quickturn.connectors.tiktok_api.client import Page, TikTokClient
from quickturn.connectors.tiktok_api.errors import TikTokApiError
from quickturn.connectors.tiktok_api.notifications import Notification
from quickturn.connectors.tiktok_api.payloads import map_cancellations, map_orders, map_returns
from quickturn.connectors.tiktok_api.settings import TikTokSettings, tiktok_settings
from quickturn.services.sync_writes import SyncReport, load_shops, write_mapped
from quickturn.store import Store, open_store
from quickturn.store.queries import modules as module_queries

if TYPE_CHECKING:
    from fastapi import APIRouter, FastAPI

TABLE = "tiktok_webhook_events"


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class WebhookInbox:
    """Persists notifications in the store; thread-safe (one lock around the store)."""

    def __init__(
        self, store: Store | None = None, *, opener: Callable[[], Store] | None = None
    ) -> None:
        if store is None and opener is None:
            raise ValueError("give a store or an opener")
        self._store = store
        self._opener = opener
        self.lock = threading.Lock()

    def _with_store(self, fn: Callable[[Store], Any]) -> Any:
        with self.lock:
            if self._store is not None:
                return fn(self._store)
            assert self._opener is not None
            store = self._opener()
            try:
                return fn(store)
            finally:
                store.close()

    def enqueue(self, note: Notification) -> bool:
        """Store the notification; False when its id was already received."""

        def run(store: Store) -> bool:
            with store.transaction():
                seen = store.table(
                    TABLE,
                    columns=["notification_id"],
                    where={"notification_id": note.notification_id},
                )
                if seen.height:
                    return False
                store.write(TABLE, _event_frame(note), mode="append")
                return True

        return bool(self._with_store(run))

    def pending(self, limit: int | None = None) -> pl.DataFrame:
        result: pl.DataFrame = self._with_store(
            lambda s: s.table(
                TABLE, where={"status": "pending"}, order_by=["received_at"], limit=limit
            )
        )
        return result


def _event_frame(note: Notification) -> pl.DataFrame:
    event_time = (
        datetime.fromtimestamp(note.timestamp, UTC).replace(tzinfo=None) if note.timestamp else None
    )
    return pl.DataFrame(
        {
            "notification_id": [note.notification_id],
            "shop_id": [note.shop_id or None],
            "type": [note.type],
            "resource": [note.resource],
            "resource_id": [note.resource_id],
            "order_id": [note.order_id],
            "event_time": [event_time],
            "received_at": [_now()],
            "payload": [json.dumps(note.data, sort_keys=True)],
            "status": ["pending" if note.resource != "other" else "ignored"],
            "attempts": [0],
            "processed_at": [None],
            "error": [None],
        },
        schema_overrides={
            "processed_at": pl.Datetime("us"),
            "error": pl.String,
            "event_time": pl.Datetime("us"),
        },
    )


def process_queue(
    store: Store,
    client: TikTokClient,
    *,
    report: SyncReport | None = None,
    shop_id: str | None = None,
    limit: int = 10_000,
) -> int:
    """Re-fetch what pending notifications point at; return how many events were done."""
    rep = report or SyncReport(run_id="webhooks")
    events = store.table(TABLE, where={"status": "pending"}, order_by=["received_at"], limit=limit)
    if shop_id is not None:
        events = events.filter(pl.col("shop_id") == shop_id)
    if events.height == 0:
        return 0
    shops = {s.shop_id: s for s in load_shops(store)}
    done = 0
    for (sid,), group in events.group_by(["shop_id"], maintain_order=True):
        shop = (
            shops.get(str(sid))
            if sid is not None
            else (next(iter(shops.values())) if len(shops) == 1 else None)
        )
        ids = group["notification_id"].to_list()
        if shop is None:
            _mark(store, ids, "failed", f"shop {sid!r} is not connected")
            continue
        order_ids = sorted(
            {o for o in group.filter(pl.col("resource") == "order")["resource_id"].to_list() if o}
        )
        cancel_orders = sorted(
            {o for o in group.filter(pl.col("type") == 11)["order_id"].to_list() if o}
        )
        return_ids = sorted(
            {r for r in group.filter(pl.col("resource") == "return")["resource_id"].to_list() if r}
        )
        try:
            if order_ids:
                orders = client.get_orders(shop.cipher, order_ids)
                write_mapped(store, map_orders(orders, shop.shop_id, market=shop.market), rep)
                rep.fetched_add("orders", len(orders))
            if cancel_orders:
                for i in range(0, len(cancel_orders), 50):
                    for page in client.iter_pages(
                        _after_sales_fetcher(
                            client, "cancellations", shop.cipher, cancel_orders[i : i + 50]
                        )
                    ):
                        write_mapped(store, map_cancellations(page.items), rep)
                        rep.fetched_add("cancellations", len(page.items))
            if return_ids:
                for i in range(0, len(return_ids), 50):
                    for page in client.iter_pages(
                        _after_sales_fetcher(client, "returns", shop.cipher, return_ids[i : i + 50])
                    ):
                        write_mapped(store, map_returns(page.items), rep)
                        rep.fetched_add("returns", len(page.items))
        except TikTokApiError as exc:
            _mark(store, ids, "pending", str(exc), attempt=True)
            raise
        _mark(store, ids, "done")
        done += len(ids)
    return done


def _after_sales_fetcher(
    client: TikTokClient, kind: str, cipher: str, ids: list[str]
) -> Callable[[str], Page]:
    def fetch(token: str) -> Page:
        if kind == "cancellations":
            return client.search_cancellations(cipher, order_ids=ids, page_token=token)
        return client.search_returns(cipher, return_ids=ids, page_token=token)

    return fetch


def _mark(
    store: Store, ids: list[str], status: str, error: str | None = None, *, attempt: bool = False
) -> None:
    rows = store.table(TABLE, where={"notification_id": ids})
    if rows.height == 0:
        return
    rows = rows.with_columns(
        pl.lit(status).alias("status"),
        pl.lit(_now()).alias("processed_at") if status != "pending" else pl.col("processed_at"),
        pl.lit(error, dtype=pl.String).alias("error"),
        (pl.col("attempts") + (1 if attempt or status == "done" else 0)).alias("attempts"),
    )
    store.write(TABLE, rows)


def queue_summary(store: Store) -> dict[str, int]:
    return module_queries.status_counts(store, TABLE)


def _inbox_for(
    settings: Settings, store: Store | None, opener: Callable[[], Store] | None = None
) -> WebhookInbox:
    if store is not None:
        return WebhookInbox(store)
    return WebhookInbox(opener=opener or (lambda: open_store(settings.db)))


def tiktok_router(
    settings: Settings,
    store: Store | None = None,
    *,
    options: TikTokSettings | None = None,
    opener: Callable[[], Store] | None = None,
) -> APIRouter:
    """The ``POST /webhooks/tiktok`` router for the web app (``app.include_router(...)``).

    ``opener`` opens a store per notification (closed after it) — the web app passes one that
    also takes its in-process write lock, so the write never meets its read-only connections."""
    ts = options or tiktok_settings(settings)
    ts.require()
    from quickturn.connectors.tiktok_api.webhooks import create_router

    inbox = _inbox_for(settings, store, opener)
    return create_router(ts.app_key, ts.app_secret, inbox.enqueue, path=ts.webhook_path)


def tiktok_app(
    settings: Settings, store: Store | None = None, *, options: TikTokSettings | None = None
) -> tuple[FastAPI, WebhookInbox]:
    """A standalone app serving only the webhook (``quickturn webhooks serve``)."""
    ts = options or tiktok_settings(settings)
    ts.require()
    from quickturn.connectors.tiktok_api.webhooks import create_app

    inbox = _inbox_for(settings, store)
    return create_app(ts.app_key, ts.app_secret, inbox.enqueue, path=ts.webhook_path), inbox
