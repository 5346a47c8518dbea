"""Incremental sync of TikTok Shop data into the canonical tables.

Data flow, per shop and resource (orders, cancellations, returns, statements, products)::

    state (high-water mark + checkpoint) → time windows [ge, lt) up to now
      → client page (next_page_token) → mapping → upsert_changed (only new or changed rows)
      → checkpoint {window, next page token} written in the same transaction as the rows
    window done → high-water mark = lt, checkpoint cleared

* **Idempotent**: rows are upserted by natural key and only written when they differ from
  what is stored, so a re-run inserts and updates nothing.
* **Resumable**: an interrupted sync restarts at the saved window and page token (rows
  and checkpoint commit together); a page token the platform no longer accepts restarts
  its window from the beginning (harmless, because writes are idempotent).
* **Incremental**: the next run starts at the high-water mark minus a small overlap
  (``overlap_seconds``) to catch late-indexed updates; ``--since`` forces an earlier start.
* Columns the API does not fill (a SKU's cost, weight, compliance flags; an order's route)
  are preserved from the stored row, so a sync never wipes what the seller imported.
* Webhook notifications queued in ``tiktok_webhook_events`` are processed first (re-fetch by
  id; see :mod:`quickturn.services.webhooks`).
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from typing import Any

import polars as pl

from quickturn.connectors.tiktok_api.client import Page, TikTokClient
from quickturn.connectors.tiktok_api.errors import TikTokApiError
from quickturn.connectors.tiktok_api.payloads import (
    Mapped,
    map_cancellations,
    map_inventory,
    map_orders,
    map_products,
    map_returns,
    map_statement_transactions,
    map_warehouses,
)
from quickturn.connectors.tiktok_api.settings import TikTokSettings
from quickturn.errors import UsageError
from quickturn.services.sync_writes import (
    ShopRef,
    SyncReport,
    UpsertResult,
    load_shops,
    save_shops,
    write_mapped,
)
from quickturn.store import Store

#: resources synced by time window, in order (orders first: returns refer to them)
WINDOWED = ("orders", "cancellations", "returns", "statements")
RESOURCES = (*WINDOWED, "products")
STATE_NAMESPACE = "sync:tiktok:{shop_id}"

#: progress callback: (resource, items just processed, new total estimate or None)
ProgressFn = Callable[[str, int, int | None], None]


def _noop(_resource: str, _n: int, _total: int | None) -> None:
    return None


# -- state ------------------------------------------------------------------------------------
def _ns(shop_id: str) -> str:
    return STATE_NAMESPACE.format(shop_id=shop_id)


def sync_state(store: Store, shop_id: str) -> dict[str, Any]:
    """High-water marks and checkpoints of a shop, per resource."""
    df = store.table("state", where={"namespace": _ns(shop_id)})
    return {
        k: json.loads(v) for k, v in zip(df["key"].to_list(), df["value"].to_list(), strict=True)
    }


def _ts(d: datetime | date) -> int:
    if isinstance(d, datetime):
        aware = d if d.tzinfo else d.replace(tzinfo=UTC)
        return int(aware.timestamp())
    return int(datetime(d.year, d.month, d.day, tzinfo=UTC).timestamp())


def _iso(t: int) -> str:
    return datetime.fromtimestamp(t, UTC).replace(tzinfo=None).isoformat()


# -- fetchers per resource --------------------------------------------------------------------
def _fetch(
    client: TikTokClient,
    resource: str,
    shop: ShopRef,
    ge: int,
    lt: int,
    token: str,
    size: int | None,
) -> Page:
    if resource == "orders":
        return client.search_orders(
            shop.cipher, update_time_ge=ge, update_time_lt=lt, page_token=token, page_size=size
        )
    if resource == "returns":
        return client.search_returns(
            shop.cipher, update_time_ge=ge, update_time_lt=lt, page_token=token, page_size=size
        )
    if resource == "cancellations":
        return client.search_cancellations(
            shop.cipher, update_time_ge=ge, update_time_lt=lt, page_token=token, page_size=size
        )
    if resource == "statements":
        return client.get_statements(
            shop.cipher,
            statement_time_ge=ge,
            statement_time_lt=lt,
            page_token=token,
            page_size=size,
        )
    raise UsageError(f"unknown resource {resource!r}")


def _map_page(client: TikTokClient, resource: str, shop: ShopRef, page: Page) -> Mapped:
    if resource == "orders":
        return map_orders(page.items, shop.shop_id, market=shop.market)
    if resource == "returns":
        return map_returns(page.items)
    if resource == "cancellations":
        return map_cancellations(page.items)
    if resource == "statements":
        mapped = Mapped()
        for st in page.items:
            sid = str(st.get("id") or "")
            txns: list[dict[str, Any]] = []
            for tpage in client.iter_pages(_statement_fetcher(client, shop.cipher, sid)):
                txns.extend(tpage.items)
            mapped.extend(map_statement_transactions(st, txns, tz=shop.timezone))
        return mapped
    raise UsageError(f"unknown resource {resource!r}")


def _statement_fetcher(client: TikTokClient, cipher: str, sid: str) -> Callable[[str], Page]:
    def fetch(token: str) -> Page:
        return client.get_statement_transactions(cipher, sid, page_token=token)

    return fetch


# -- the use case -----------------------------------------------------------------------------
def sync_tiktok(
    store: Store,
    client: TikTokClient,
    options: TikTokSettings,
    *,
    shop_id: str | None = None,
    since: datetime | date | None = None,
    resources: Sequence[str] = RESOURCES,
    now: float | None = None,
    progress: ProgressFn = _noop,
    page_size: int | None = None,
    refresh_shops: bool = True,
    process_webhooks: bool = True,
) -> SyncReport:
    """Bring the store up to date with the platform for one or all connected shops."""
    started = time.monotonic()
    unknown = [r for r in resources if r not in RESOURCES]
    if unknown:
        raise UsageError(f"unknown resources {unknown}; choose from {', '.join(RESOURCES)}")
    report = SyncReport(run_id=f"sync-{datetime.now(UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}")
    end = int(now if now is not None else client.clock())
    if refresh_shops:
        shops_api = client.get_shops()
        ins, upd = save_shops(store, shops_api)
        report.add(UpsertResult("shops", ins, upd, len(shops_api) - ins - upd))
    shops = load_shops(store, shop_id)
    if not shops:
        known = ", ".join(load_s.shop_id for load_s in load_shops(store)) or "none"
        raise UsageError(
            f"no connected shop {shop_id!r}; connected shops: {known} (run `quickturn connect tiktok`)"
            if shop_id
            else "no TikTok Shop connected yet: run `quickturn connect tiktok` first"
        )
    report.shops = [s.shop_id for s in shops]
    if process_webhooks:
        from quickturn.services.webhooks import process_queue

        report.webhooks_processed = process_queue(store, client, report=report, shop_id=shop_id)
    since_ts = _ts(since) if since is not None else None
    window = max(int(options.window_days * 86_400), 3600)

    plans: list[tuple[ShopRef, str, int, dict[str, Any] | None]] = []
    for shop in shops:
        state = sync_state(store, shop.shop_id)
        for resource in resources:
            if resource not in WINDOWED:
                continue
            st = state.get(resource) or {}
            hwm = st.get("hwm")
            checkpoint = st.get("checkpoint") if since_ts is None else None
            if since_ts is not None:
                start = since_ts
            elif checkpoint:
                start = int(checkpoint["ge"])
            elif hwm is not None:
                start = int(hwm) - options.overlap_seconds
            else:
                start = end - options.lookback_days * 86_400
            plans.append((shop, resource, start, checkpoint))
    # estimate the work for the progress bar: one tiny request per shop and resource
    for shop, resource, start, _cp in plans:
        try:
            total = _fetch(client, resource, shop, start, end, "", 1).total
        except TikTokApiError:
            total = None
        progress(resource, 0, total)

    for shop, resource, start, checkpoint in plans:
        ns = _ns(shop.shop_id)
        state_now = store.get_state(ns, resource) or {}
        hwm_old = state_now.get("hwm")
        if checkpoint:
            report.resumed.append(f"{shop.shop_id}:{resource}")
        ge = start
        while ge < end:
            lt = min(ge + window, end)
            token = ""
            if checkpoint and int(checkpoint["ge"]) == ge:
                lt = int(checkpoint["lt"])
                token = str(checkpoint.get("page_token") or "")
                checkpoint = None
            while True:
                try:
                    page = _fetch(client, resource, shop, ge, lt, token, page_size)
                except TikTokApiError as exc:
                    if exc.kind == "invalid_page_token" and token:
                        token = ""
                        continue
                    raise
                mapped = _map_page(client, resource, shop, page)
                with store.transaction():
                    write_mapped(store, mapped, report)
                    if page.next_page_token:
                        store.set_state(
                            ns,
                            resource,
                            {
                                "hwm": hwm_old,
                                "checkpoint": {
                                    "ge": ge,
                                    "lt": lt,
                                    "page_token": page.next_page_token,
                                },
                            },
                        )
                    else:
                        hwm_old = max(lt, int(hwm_old or 0))
                        store.set_state(ns, resource, {"hwm": hwm_old, "checkpoint": None})
                report.fetched_add(resource, len(page.items))
                progress(resource, len(page.items), None)
                if not page.next_page_token:
                    break
                token = page.next_page_token
            ge = lt
        report.windows[f"{shop.shop_id}:{resource}"] = {"from": _iso(start), "to": _iso(end)}

    if "products" in resources:
        for shop in shops:
            _sync_products(store, client, shop, report, end, progress)
    report.client = client.stats.as_dict()
    report.seconds = time.monotonic() - started
    _record_run(store, report, since, shop_id)
    return report


def _sync_products(
    store: Store,
    client: TikTokClient,
    shop: ShopRef,
    report: SyncReport,
    end: int,
    progress: ProgressFn,
) -> None:
    """Products → SKU master (API-owned columns only); warehouses → locations; stock today."""
    products: list[dict[str, Any]] = []
    for page in client.iter_pages(lambda tok: client.search_products(shop.cipher, page_token=tok)):
        products.extend(page.items)
    mapped, id_map = map_products(products, shop.shop_id, tz=shop.timezone)
    report.fetched_add("products", len(products))
    progress("products", len(products), None)
    warehouses = map_warehouses(client.get_warehouses(shop.cipher))
    mapped.extend(warehouses)
    if id_map:
        on = datetime.fromtimestamp(end, UTC).date()
        inventory = client.search_inventory(shop.cipher, sku_ids=list(id_map))
        mapped.extend(map_inventory(inventory, id_map, on))
    with store.transaction():
        write_mapped(store, mapped, report)
        store.set_state(_ns(shop.shop_id), "products", {"hwm": end, "checkpoint": None})


def _record_run(
    store: Store, report: SyncReport, since: datetime | date | None, shop_id: str | None
) -> None:
    now = datetime.now(UTC).replace(tzinfo=None)
    summary = {k: v for k, v in report.as_dict().items() if k not in ("findings", "run_id")}
    store.write(
        "runs",
        pl.DataFrame(
            {
                "run_id": [report.run_id],
                "module": ["sync"],
                "created_at": [now],
                "as_of": [now.date()],
                "params": [json.dumps({"since": str(since) if since else None, "shop": shop_id})],
                "summary": [json.dumps(summary, default=str)],
            }
        ),
    )
