"""A local fake TikTok Shop Open API server for tests and benchmarks.

Written from the documented contract (``shared/reference/tiktok-shop-us.md`` §5), not from the
client: a real HTTP/1.1 server on 127.0.0.1 (``ThreadingHTTPServer`` on a free port) that

* verifies request signatures (HTTP 401 with code 106011 on a wrong one), the ``app_key``,
  the timestamp window (−5 min/+30 s, code 106014, with a ``Date`` header) and the access
  token in ``x-tts-access-token`` (105001 unknown, 105002 expired);
* issues tokens from single-use authorisation codes and refreshes them
  (``/api/v2/token/get``, ``/api/v2/token/refresh`` on the same host);
* serves seeded, documented-shape shops, orders (one line item per unit, amounts as strings,
  SLA deadlines), returns, cancellations, statements with transactions, products, inventory
  and warehouses; paginates with ``next_page_token`` (a cursor on (update_time, id));
* throttles with HTTP 429 above ``server_qps`` per API and shop, and injects 429s, 500s,
  dropped connections (closed before answering) and truncated bodies at chosen rates.

Ground truth for reconciliation: :meth:`FakeTikTok.truth`.
"""

from __future__ import annotations

import base64
import bisect
import contextlib
import hashlib
import hmac
import json
import random
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

C = Decimal("0.01")
DAY = 86_400


def money(d: Decimal) -> str:
    return str(d.quantize(C, rounding=ROUND_HALF_UP))


def sign(path: str, params: dict[str, str], secret: str, body: bytes) -> str:
    """Reference implementation of §5, written independently of the client."""
    keys = sorted(k for k in params if k not in ("sign", "access_token"))
    base = path + "".join(k + params[k] for k in keys)
    msg = secret.encode() + base.encode() + (body or b"") + secret.encode()
    return hmac.new(secret.encode(), msg, hashlib.sha256).hexdigest()


@dataclass
class Faults:
    """Probabilities (0–1) of an injected fault on each API request, or exact counts first."""

    p429: float = 0.0
    p500: float = 0.0
    pdrop: float = 0.0
    ptruncate: float = 0.0
    force: list[str] = field(default_factory=list)  # e.g. ["429", "drop", "500"]: next requests


@dataclass
class Stats:
    requests: int = 0
    injected_429: int = 0
    injected_500: int = 0
    dropped: int = 0
    truncated: int = 0
    throttled: int = 0
    bad_sign: int = 0
    expired: int = 0


class _Bucket:
    def __init__(self, rate: float) -> None:
        self.rate = rate
        self.tokens = rate
        self.last = time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.rate, self.tokens + (now - self.last) * self.rate)
        self.last = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


SKU_ATTRS = ("Black", "White", "Red", "Blue", "Green", "Pink")
CARRIERS = ("USPS", "UPS", "FedEx")
RETURN_REASONS = (  # (reason code, text, expected fault)
    ("ecom_order_delivered_refund_and_return_reason_wrong_item", "Wrong item sent", "seller"),
    ("ecom_order_delivered_refund_and_return_reason_damaged", "Damaged product", "seller"),
    ("ecom_order_delivered_refund_reason_not_received", "Package not received", "logistics"),
    ("ecom_order_delivered_refund_and_return_reason_no_longer_needed", "No longer needed", "buyer"),
    ("ecom_order_delivered_refund_and_return_reason_changed_mind", "Changed my mind", "buyer"),
)
CANCEL_CASES = (  # (initiator, reason, expected fault)
    ("BUYER", "No longer needed", "buyer"),
    ("SELLER", "Out of stock", "seller"),
    ("SYSTEM", "Package not shipped within the SLA (overdue)", "seller"),
    ("SYSTEM", "Payment timeout: order unpaid", "buyer"),
)


class FakeTikTok:
    """The fake platform: data, auth, faults and the HTTP server."""

    def __init__(
        self,
        *,
        seed: int = 7,
        n_orders: int = 500,
        n_orders_second_shop: int = 0,
        days: int = 60,
        n_skus: int = 40,
        app_key: str = "fakeappkey",
        app_secret: str = "fakeappsecret",
        server_qps: float = 1_000_000.0,
        max_page_size: int = 5000,
        access_ttl: int = 7 * DAY,
        refresh_ttl: int = 30 * DAY,
        clock_offset: float = 0.0,
        end_time: int | None = None,
    ) -> None:
        self.seed = seed
        self.app_key = app_key
        self.app_secret = app_secret
        self.server_qps = server_qps
        self.max_page_size = max_page_size
        self.access_ttl = access_ttl
        self.refresh_ttl = refresh_ttl
        self.clock_offset = clock_offset
        self.faults = Faults()
        self.stats = Stats()
        self.lock = threading.RLock()
        self.rng = random.Random(seed)
        self.fault_rng = random.Random(seed + 1)
        self.end_time = int(end_time if end_time is not None else time.time()) - 60
        self.start_time = self.end_time - days * DAY
        self.auth_codes: set[str] = {"good-code"}
        self.access_tokens: dict[str, int] = {}  # token -> expires_at
        self.refresh_tokens: dict[str, int] = {}
        self._token_n = 0
        self._buckets: dict[tuple[str, str], _Bucket] = {}
        self.shops = [
            {
                "id": "7495000000000000001",
                "name": "Quickturn Test Shop US",
                "region": "US",
                "seller_type": "CROSS_BORDER",
                "cipher": "ROW_fakecipher0001",
                "code": "USQTTEST01",
            }
        ]
        if n_orders_second_shop:
            self.shops.append(
                {
                    "id": "7495000000000000002",
                    "name": "Quickturn Second Shop",
                    "region": "US",
                    "seller_type": "LOCAL",
                    "cipher": "ROW_fakecipher0002",
                    "code": "USQTTEST02",
                }
            )
        self.by_cipher = {s["cipher"]: s for s in self.shops}
        self.orders: dict[str, dict[str, dict[str, Any]]] = {s["cipher"]: {} for s in self.shops}
        self.returns: dict[str, dict[str, dict[str, Any]]] = {s["cipher"]: {} for s in self.shops}
        self.cancellations: dict[str, dict[str, dict[str, Any]]] = {
            s["cipher"]: {} for s in self.shops
        }
        self.statements: dict[str, dict[str, dict[str, Any]]] = {
            s["cipher"]: {} for s in self.shops
        }
        self.transactions: dict[str, dict[str, list[dict[str, Any]]]] = {
            s["cipher"]: {} for s in self.shops
        }
        self.products: dict[str, list[dict[str, Any]]] = {}
        self.warehouses = [
            {
                "id": "WH_SELLER_1",
                "name": "LA 3PL",
                "type": "SALES_WAREHOUSE",
                "sub_type": "DOMESTIC_WAREHOUSE",
                "address": {"region_code": "US"},
            },
            {
                "id": "WH_FBT_1",
                "name": "FBT Ontario",
                "type": "SALES_WAREHOUSE",
                "sub_type": "FBT_WAREHOUSE",
                "address": {"region_code": "US"},
            },
        ]
        self._order_seq = 0
        self._index: dict[str, tuple[list[tuple[int, str]], list[dict[str, Any]]]] = {}
        for shop, n in zip(self.shops, (n_orders, n_orders_second_shop), strict=False):
            self._make_catalogue(shop["cipher"], n_skus)
            for _ in range(n):
                self._add_order(shop["cipher"])
            self._make_statements(shop["cipher"])
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- data generation -------------------------------------------------------------------
    def _make_catalogue(self, cipher: str, n_skus: int) -> None:
        rng = self.rng
        products = []
        sku_n = 0
        tag = cipher[-4:]
        while sku_n < n_skus:
            pid = f"17{tag}{len(products):08d}"
            skus = []
            for _ in range(rng.randint(1, 4)):
                if sku_n >= n_skus:
                    break
                price = Decimal(rng.randint(599, 4999)) / 100
                attr = SKU_ATTRS[sku_n % len(SKU_ATTRS)]
                skus.append(
                    {
                        "id": f"29{tag}{sku_n:08d}",
                        # a few SKUs have no seller SKU: the platform id is used instead
                        "seller_sku": "" if sku_n % 13 == 12 else f"QT-{tag}-{sku_n:04d}",
                        "price": {"currency": "USD", "sale_price": money(price)},
                        "sales_attributes": [{"name": "Color", "value_name": attr}],
                        "inventory": [
                            {"warehouse_id": "WH_SELLER_1", "quantity": rng.randint(0, 500)},
                            {"warehouse_id": "WH_FBT_1", "quantity": rng.randint(0, 200)},
                        ],
                    }
                )
                sku_n += 1
            products.append(
                {
                    "id": pid,
                    "title": f"Test product {len(products)}",
                    "status": "ACTIVATE" if len(products) % 7 else "SELLER_DEACTIVATED",
                    "create_time": self.start_time - 30 * DAY,
                    "update_time": self.start_time,
                    "skus": skus,
                }
            )
        self.products[cipher] = products

    def all_skus(self, cipher: str) -> list[dict[str, Any]]:
        return [s | {"product": p} for p in self.products[cipher] for s in p["skus"]]

    def _add_order(self, cipher: str, create_time: int | None = None) -> dict[str, Any]:
        rng = self.rng
        self._order_seq += 1
        oid = f"57{cipher[-4:]}{self._order_seq:010d}"
        created = create_time or rng.randint(self.start_time, self.end_time - 3600)
        skus = self.all_skus(cipher)
        lines = []
        n_sku = 1 if rng.random() < 0.7 else rng.randint(2, 3)
        for s in rng.sample(skus, n_sku):
            qty = 1 if rng.random() < 0.75 else rng.randint(2, 4)
            original = Decimal(s["price"]["sale_price"])
            seller_d = (original * Decimal(rng.choice((0, 0, 5, 10))) / 100).quantize(C)
            platform_d = (original * Decimal(rng.choice((0, 0, 0, 8))) / 100).quantize(C)
            for _ in range(qty):
                lines.append(
                    {
                        "id": f"{oid}{len(lines):03d}",
                        "sku_id": s["id"],
                        "seller_sku": s["seller_sku"],
                        "product_id": s["product"]["id"],
                        "product_name": s["product"]["title"],
                        "sku_name": s["sales_attributes"][0]["value_name"],
                        "original_price": money(original),
                        "seller_discount": money(seller_d),
                        "platform_discount": money(platform_d),
                        "sale_price": money(original - seller_d - platform_d),
                        "currency": "USD",
                        "is_gift": False,
                        "item_tax": [
                            {
                                "tax_type": "SALES_TAX",
                                "tax_amount": money(
                                    (original - seller_d - platform_d) * Decimal("0.08")
                                ),
                            }
                        ],
                    }
                )
        orig_total = sum(Decimal(li["original_price"]) for li in lines)
        seller_total = sum(Decimal(li["seller_discount"]) for li in lines)
        platform_total = sum(Decimal(li["platform_discount"]) for li in lines)
        sub_total = orig_total - seller_total - platform_total
        tax = sum(Decimal(li["item_tax"][0]["tax_amount"]) for li in lines)
        ship_orig = Decimal("5.99") if sub_total < 30 else Decimal("0")
        ship_seller_d = Decimal("2.00") if ship_orig and rng.random() < 0.3 else Decimal("0")
        ship_fee = ship_orig - ship_seller_d
        fbt = rng.random() < 0.2
        sample = rng.random() < 0.02
        order: dict[str, Any] = {
            "id": oid,
            "status": "AWAITING_SHIPMENT",
            "create_time": created,
            "paid_time": created + rng.randint(10, 600),
            "rts_sla_time": created + 2 * DAY,
            "shipping_due_time": created + 3 * DAY,
            "delivery_sla_time": created + 6 * DAY,
            "fulfillment_type": "FULFILLMENT_BY_TIKTOK" if fbt else "FULFILLMENT_BY_SELLER",
            "is_sample_order": sample,
            "order_type": "PRE_ORDER" if rng.random() < 0.03 else "NORMAL",
            "warehouse_id": "WH_FBT_1" if fbt else "WH_SELLER_1",
            "recipient_address": {"region_code": "US"},
            "payment": {
                "currency": "USD",
                "original_total_product_price": money(orig_total),
                "seller_discount": money(seller_total),
                "platform_discount": money(platform_total),
                "sub_total": money(sub_total),
                "original_shipping_fee": money(ship_orig),
                "shipping_fee_seller_discount": money(ship_seller_d),
                "shipping_fee_platform_discount": "0.00",
                "shipping_fee": money(ship_fee),
                "tax": money(tax),
                "total_amount": money(sub_total + ship_fee + tax),
            },
            "line_items": lines,
        }
        age = self.end_time - created
        u = rng.random()
        if u < 0.06:  # cancelled
            init, reason, _fault = rng.choice(CANCEL_CASES)
            order["status"] = "CANCELLED"
            order["cancel_time"] = created + rng.randint(600, 2 * DAY)
            order["cancellation_initiator"] = init
            order["cancel_reason"] = reason
            if "unpaid" in reason:
                order.pop("paid_time")
                order["status"] = "CANCELLED"
            self._add_cancellation(cipher, order, init, reason)
        elif age > 8 * DAY or u < 0.5:
            order["rts_time"] = created + rng.randint(3600, 3 * DAY)
            order["collection_time"] = order["rts_time"] + rng.randint(600, DAY)
            order["tracking_number"] = f"9400{oid}"
            order["shipping_provider"] = rng.choice(CARRIERS)
            if age > 8 * DAY:
                order["delivery_time"] = order["collection_time"] + rng.randint(DAY, 7 * DAY)
                order["status"] = "COMPLETED" if age > 20 * DAY else "DELIVERED"
            else:
                order["status"] = "IN_TRANSIT"
        times = [
            v for k, v in order.items() if k.endswith("_time") and "sla" not in k and "due" not in k
        ]
        order["update_time"] = min(max(times), self.end_time)
        self.orders[cipher][oid] = order
        self._index.pop(cipher, None)
        if order.get("delivery_time") and rng.random() < 0.05:
            self._add_return(cipher, order)
        return order

    def _add_cancellation(self, cipher: str, order: dict[str, Any], init: str, reason: str) -> None:
        paid = "paid_time" in order
        cid = f"4{order['id']}"
        items = [
            {
                "cancel_line_item_id": f"C{li['id']}",
                "order_line_item_id": li["id"],
                "sku_id": li["sku_id"],
                "seller_sku": li["seller_sku"],
                "product_name": li["product_name"],
                "refund_amount": {
                    "currency": "USD",
                    "refund_total": money(Decimal(li["sale_price"])),
                },
            }
            for li in order["line_items"]
        ]
        total = Decimal(order["payment"]["total_amount"]) if paid else Decimal(0)
        self.cancellations[cipher][cid] = {
            "cancel_id": cid,
            "order_id": order["id"],
            "cancel_type": "CANCEL",
            "cancel_status": "CANCELLATION_REQUEST_COMPLETE",
            "cancel_reason_text": reason,
            "role": init,
            "create_time": order["cancel_time"] - 60,
            "update_time": order["cancel_time"],
            "refund_amount": {"currency": "USD", "refund_total": money(total)},
            "cancel_line_items": items if paid else [],
        }

    def _add_return(self, cipher: str, order: dict[str, Any]) -> None:
        rng = self.rng
        code, text, _fault = rng.choice(RETURN_REASONS)
        lines = order["line_items"]
        chosen = rng.sample(lines, rng.randint(1, len(lines)))
        rtype = rng.choice(("RETURN_AND_REFUND", "RETURN_AND_REFUND", "REFUND"))
        status = rng.choice(
            (
                "RETURN_OR_REFUND_REQUEST_COMPLETE",
                "RETURN_OR_REFUND_REQUEST_COMPLETE",
                "AWAITING_BUYER_SHIP",
                "REFUND_OR_RETURN_REQUEST_REJECT",
            )
        )
        created = order["delivery_time"] + rng.randint(DAY, 10 * DAY)
        rid = f"9{order['id']}"
        items = [
            {
                "return_line_item_id": f"R{li['id']}",
                "order_line_item_id": li["id"],
                "sku_id": li["sku_id"],
                "seller_sku": li["seller_sku"],
                "product_name": li["product_name"],
                "refund_amount": {
                    "currency": "USD",
                    "refund_total": money(Decimal(li["sale_price"])),
                },
            }
            for li in chosen
        ]
        total = sum(Decimal(li["sale_price"]) for li in chosen)
        self.returns[cipher][rid] = {
            "return_id": rid,
            "order_id": order["id"],
            "return_type": rtype,
            "return_status": status,
            "return_reason": code,
            "return_reason_text": text,
            "role": "BUYER",
            "create_time": min(created, self.end_time - 1),
            "update_time": min(created + DAY, self.end_time),
            "refund_amount": {"currency": "USD", "refund_total": money(total)},
            "return_line_items": items,
            "return_shipping_fee": "4.50" if rtype == "RETURN_AND_REFUND" else None,
        }

    def _make_statements(self, cipher: str) -> None:
        """One statement per day with a transaction per delivered order (settled 7 days after
        delivery) and a few adjustments; components always sum to settlement_amount."""
        rng = random.Random(self.seed + 99)
        by_day: dict[int, list[dict[str, Any]]] = {}
        for o in self.orders[cipher].values():
            dt = o.get("delivery_time")
            if not dt or o.get("is_sample_order"):
                continue
            settle = dt + 7 * DAY
            day = settle - settle % DAY + 8 * 3600  # 08:00 UTC
            if day >= self.end_time:
                continue
            gross = Decimal(o["payment"]["original_total_product_price"])
            seller_d = -Decimal(o["payment"]["seller_discount"])
            referral = -((gross + seller_d) * Decimal("0.06")).quantize(C, rounding=ROUND_HALF_UP)
            txn: dict[str, Any] = {
                "id": f"T{o['id']}",
                "type": "ORDER",
                "order_id": o["id"],
                "order_create_time": o["create_time"],
                "currency": "USD",
                "gross_sales_amount": money(gross),
                "seller_discount_amount": money(seller_d),
                "referral_fee_amount": money(referral),
            }
            parts = [gross, seller_d, referral]
            if o["fulfillment_type"] == "FULFILLMENT_BY_TIKTOK":
                fee = -Decimal("3.58")
                txn["fbt_fulfillment_fee_amount"] = money(fee)
                parts.append(fee)
            else:
                label = -Decimal("4.25")
                txn["actual_shipping_fee_amount"] = money(label)
                parts.append(label)
            if rng.random() < 0.3:
                comm = -((gross + seller_d) * Decimal("0.10")).quantize(C)
                txn["affiliate_commission_amount"] = money(comm)
                parts.append(comm)
            if rng.random() < 0.1:  # a field the client does not know: lands in "other"
                sfp = -Decimal("0.30")
                txn["sfp_service_fee_amount"] = money(sfp)
                parts.append(sfp)
            txn["settlement_amount"] = money(sum(parts, Decimal(0)))
            by_day.setdefault(day, []).append(txn)
        for i, day in enumerate(sorted(by_day)):
            txns = by_day[day]
            if i % 5 == 0:
                txns.append(
                    {
                        "id": f"ADS{day}",
                        "type": "GMV_PAYMENT_FOR_ADS",
                        "currency": "USD",
                        "adjustment_amount": "-25.00",
                        "settlement_amount": "-25.00",
                    }
                )
            if i % 17 == 3:
                txns.append(
                    {
                        "id": f"PEN{day}",
                        "type": "PLATFORM_PENALTY",
                        "currency": "USD",
                        "adjustment_amount": "-10.00",
                        "settlement_amount": "-10.00",
                    }
                )
            sid = f"S{cipher[-4:]}{day}"
            total = sum((Decimal(t["settlement_amount"]) for t in txns), Decimal(0))
            self.statements[cipher][sid] = {
                "id": sid,
                "statement_time": day,
                "settlement_amount": money(total),
                "currency": "USD",
                "payment_status": "PAID",
            }
            self.transactions[cipher][sid] = txns

    # -- mutations used by tests -----------------------------------------------------------
    def now(self) -> int:
        return int(time.time() + self.clock_offset)

    def add_orders(self, n: int, cipher: str | None = None) -> list[str]:
        """New orders created and updated 'now' (after the last sync)."""
        cipher = cipher or self.shops[0]["cipher"]
        with self.lock:
            out = []
            for _ in range(n):
                o = self._add_order(cipher, create_time=self.now() - 5)
                o["update_time"] = self.now() - 1
                self._index.pop(cipher, None)
                out.append(o["id"])
            return out

    def update_orders(
        self, ids: list[str], status: str = "DELIVERED", cipher: str | None = None
    ) -> None:
        cipher = cipher or self.shops[0]["cipher"]
        with self.lock:
            for oid in ids:
                o = self.orders[cipher][oid]
                o["status"] = status
                if status in ("DELIVERED", "COMPLETED"):
                    o.setdefault("rts_time", o["create_time"] + 3600)
                    o.setdefault("collection_time", o["rts_time"] + 600)
                    o["delivery_time"] = max(self.now() - 2, o["collection_time"] + 1)
                o["update_time"] = self.now() - 1
                self._index.pop(cipher, None)

    def expire_access_tokens(self) -> None:
        with self.lock:
            for t in self.access_tokens:
                self.access_tokens[t] = 0

    # -- ground truth ----------------------------------------------------------------------
    def truth(self, cipher: str | None = None) -> dict[str, Any]:
        """Counts and amounts the synced store must reproduce."""
        cipher = cipher or self.shops[0]["cipher"]
        orders = self.orders[cipher].values()
        units: dict[str, int] = {}
        for o in orders:
            for li in o["line_items"]:
                sku = li["seller_sku"] or li["sku_id"]
                units[sku] = units.get(sku, 0) + 1
        settle = sum(
            (Decimal(s["settlement_amount"]) for s in self.statements[cipher].values()), Decimal(0)
        )
        return {
            "orders": len(self.orders[cipher]),
            "order_amount": sum(
                (Decimal(o["payment"]["total_amount"]) for o in orders), Decimal(0)
            ),
            "units": units,
            "line_items": sum(units.values()),
            "returns": len(self.returns[cipher]),
            "cancellations": len(self.cancellations[cipher]),
            "statements": len(self.statements[cipher]),
            "transactions": sum(len(v) for v in self.transactions[cipher].values()),
            "settlement_amount": settle,
            "cancelled": sum(1 for o in orders if o["status"] == "CANCELLED"),
        }

    # -- HTTP ------------------------------------------------------------------------------
    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeTikTok:
        fake = self

        class Handler(_Handler):
            server_fake = fake

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeTikTok:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- request handling ------------------------------------------------------------------
    def _new_tokens(self) -> dict[str, Any]:
        self._token_n += 1
        access = (
            f"ACCESS-{self.seed}-{self._token_n}-{random.Random(self._token_n).getrandbits(64):x}"
        )
        refresh = (
            f"REFRESH-{self.seed}-{self._token_n}-{random.Random(-self._token_n).getrandbits(64):x}"
        )
        now = self.now()
        self.access_tokens[access] = now + self.access_ttl
        self.refresh_tokens[refresh] = now + self.refresh_ttl
        return {
            "access_token": access,
            "access_token_expire_in": now + self.access_ttl,
            "refresh_token": refresh,
            "refresh_token_expire_in": now + self.refresh_ttl,
            "open_id": "fake-open-id",
            "seller_name": "Quickturn Test Seller",
            "seller_base_region": "US",
            "user_type": 0,
            "granted_scopes": ["seller.order.info", "seller.finance.info", "seller.product.basic"],
        }

    def handle_auth(self, path: str, q: dict[str, str]) -> tuple[int, dict[str, Any]]:
        if q.get("app_key") != self.app_key or q.get("app_secret") != self.app_secret:
            return 200, _env(106001, "invalid app_key or app_secret")
        with self.lock:
            if path.endswith("/token/get"):
                code = q.get("auth_code", "")
                if code not in self.auth_codes:
                    return 200, _env(36004004, "auth code is invalid or expired")
                self.auth_codes.discard(code)
                return 200, _env(0, "success", self._new_tokens())
            rt = q.get("refresh_token", "")
            if self.refresh_tokens.get(rt, 0) <= self.now():
                return 200, _env(105003, "refresh token is invalid or expired")
            del self.refresh_tokens[rt]
            return 200, _env(0, "success", self._new_tokens())

    def check_request(
        self, method: str, path: str, q: dict[str, str], body: bytes, headers: Any
    ) -> tuple[int, dict[str, Any], dict[str, str]] | None:
        """Contract checks common to every API call; an error response or None."""
        if q.get("app_key") != self.app_key:
            return 401, _env(106001, "invalid app_key"), {}
        if "sign" not in q or not hmac.compare_digest(
            q["sign"], sign(path, q, self.app_secret, body)
        ):
            self.stats.bad_sign += 1
            return 401, _env(106011, "invalid sign"), {}
        try:
            ts = int(q.get("timestamp", ""))
        except ValueError:
            ts = 0
        now = self.now()
        if not (now - 300 <= ts <= now + 30):
            return (
                200,
                _env(106014, "timestamp is out of the valid window"),
                {"Date": formatdate(now, usegmt=True)},
            )
        token = headers.get("x-tts-access-token", "")
        exp = self.access_tokens.get(token)
        if exp is None:
            return 401, _env(105001, "invalid access token"), {}
        if exp <= now:
            self.stats.expired += 1
            return 401, _env(105002, "access token expired"), {}
        if path != "/authorization/202309/shops" and q.get("shop_cipher") not in self.by_cipher:
            return 200, _env(36009004, "invalid shop_cipher"), {}
        return None

    def throttle(self, path: str, cipher: str) -> bool:
        key = (path.split("/statements/")[0], cipher)
        with self.lock:
            b = self._buckets.get(key)
            if b is None:
                b = self._buckets[key] = _Bucket(self.server_qps)
            return not b.take()

    def route(self, method: str, path: str, q: dict[str, str], body: bytes) -> dict[str, Any]:
        doc = json.loads(body) if body else {}
        cipher = q.get("shop_cipher", "")
        size = min(int(q.get("page_size") or 20), self.max_page_size)
        token = q.get("page_token", "")
        with self.lock:
            if path == "/authorization/202309/shops":
                return _env(0, "success", {"shops": self.shops})
            if path == "/order/202309/orders/search" and not (
                doc.get("create_time_ge") or doc.get("create_time_lt")
            ):
                return self._orders_page(cipher, doc, size, token)
            if path == "/order/202309/orders/search":
                items = _window(self.orders[cipher].values(), doc, "update_time")
                return self._paged(items, size, token, "orders", "update_time")
            if path == "/order/202309/orders":
                ids = [i for i in q.get("ids", "").split(",") if i]
                if len(ids) > 50:
                    return _env(36009004, "at most 50 ids")
                found = [self.orders[cipher][i] for i in ids if i in self.orders[cipher]]
                return _env(0, "success", {"orders": json.loads(json.dumps(found))})
            if path == "/return_refund/202309/returns/search":
                items = _window(self.returns[cipher].values(), doc, "update_time")
                items = _filter_ids(items, doc, "order_ids", "order_id")
                items = _filter_ids(items, doc, "return_ids", "return_id")
                return self._paged(items, size, token, "return_orders", "update_time", "return_id")
            if path == "/return_refund/202309/cancellations/search":
                items = _window(self.cancellations[cipher].values(), doc, "update_time")
                items = _filter_ids(items, doc, "order_ids", "order_id")
                return self._paged(items, size, token, "cancellations", "update_time", "cancel_id")
            if path == "/finance/202309/statements":
                window = {
                    "update_time_ge": q.get("statement_time_ge"),
                    "update_time_lt": q.get("statement_time_lt"),
                }
                items = _window(self.statements[cipher].values(), window, "statement_time")
                return self._paged(items, size, token, "statements", "statement_time")
            if path.startswith("/finance/202309/statements/") and path.endswith(
                "/statement_transactions"
            ):
                sid = path.split("/")[4]
                txns = self.transactions[cipher].get(sid)
                if txns is None:
                    return _env(36009004, f"statement {sid} not found")
                start = int(token) if token else 0
                page = txns[start : start + size]
                nxt = str(start + size) if start + size < len(txns) else ""
                return _env(
                    0,
                    "success",
                    {
                        "statement_transactions": page,
                        "next_page_token": nxt,
                        "total_count": len(txns),
                        "statement_id": sid,
                    },
                )
            if path == "/product/202309/products/search":
                products = self.products[cipher]
                start = int(token) if token else 0
                nxt = str(start + size) if start + size < len(products) else ""
                return _env(
                    0,
                    "success",
                    {
                        "products": products[start : start + size],
                        "next_page_token": nxt,
                        "total_count": len(products),
                    },
                )
            if path == "/product/202309/inventory/search":
                want = set(doc.get("sku_ids") or [])
                out = []
                for p in self.products[cipher]:
                    skus = [
                        {
                            "id": s["id"],
                            "total_available_quantity": sum(i["quantity"] for i in s["inventory"]),
                            "warehouse_inventory": [
                                {
                                    "warehouse_id": i["warehouse_id"],
                                    "available_quantity": i["quantity"],
                                    "committed_quantity": 0,
                                }
                                for i in s["inventory"]
                            ],
                        }
                        for s in p["skus"]
                        if not want or s["id"] in want
                    ]
                    if skus:
                        out.append({"product_id": p["id"], "skus": skus})
                return _env(0, "success", {"inventory": out})
            if path == "/logistics/202309/warehouses":
                return _env(0, "success", {"warehouses": self.warehouses})
        return _env(36009004, f"unknown path {path}")

    def _orders_page(
        self, cipher: str, doc: dict[str, Any], size: int, token: str
    ) -> dict[str, Any]:
        """Order search on a sorted (update_time, id) index (rebuilt after mutations)."""
        index = self._index.get(cipher)
        if index is None:
            ordered = sorted(
                self.orders[cipher].values(), key=lambda o: (o["update_time"], o["id"])
            )
            index = self._index[cipher] = ([(o["update_time"], o["id"]) for o in ordered], ordered)
        keys, ordered = index
        ge, lt = doc.get("update_time_ge"), doc.get("update_time_lt")
        lo = bisect.bisect_left(keys, (int(ge), "")) if ge not in (None, "") else 0
        hi = bisect.bisect_left(keys, (int(lt), "")) if lt not in (None, "") else len(keys)
        start = lo
        if token:
            try:
                t, i = base64.urlsafe_b64decode(token.encode()).decode().split("|", 1)
            except Exception:
                return _env(36009010, "invalid page_token")
            start = max(lo, bisect.bisect_right(keys, (int(t), i), lo, hi))
        end = min(start + size, hi)
        page = ordered[start:end]
        nxt = ""
        if end < hi and page:
            nxt = base64.urlsafe_b64encode(
                f"{page[-1]['update_time']}|{page[-1]['id']}".encode()
            ).decode()
        return _env(0, "success", {"orders": page, "next_page_token": nxt, "total_count": hi - lo})

    def _paged(
        self,
        items: list[dict[str, Any]],
        size: int,
        token: str,
        key: str,
        time_key: str,
        id_key: str = "id",
    ) -> dict[str, Any]:
        items.sort(key=lambda o: (o[time_key], o[id_key]))
        start = 0
        if token:
            try:
                t, i = base64.urlsafe_b64decode(token.encode()).decode().split("|", 1)
            except Exception:
                return _env(36009010, "invalid page_token")
            cursor = (int(t), i)
            lo, hi = 0, len(items)
            while lo < hi:  # first item after the cursor
                mid = (lo + hi) // 2
                if (items[mid][time_key], items[mid][id_key]) <= cursor:
                    lo = mid + 1
                else:
                    hi = mid
            start = lo
        page = items[start : start + size]
        nxt = ""
        if start + size < len(items) and page:
            last = page[-1]
            nxt = base64.urlsafe_b64encode(f"{last[time_key]}|{last[id_key]}".encode()).decode()
        return _env(0, "success", {key: page, "next_page_token": nxt, "total_count": len(items)})

    def pick_fault(self) -> str | None:
        with self.lock:
            if self.faults.force:
                return self.faults.force.pop(0)
            r = self.fault_rng.random()
            f = self.faults
            for name, p in (
                ("429", f.p429),
                ("500", f.p500),
                ("drop", f.pdrop),
                ("truncate", f.ptruncate),
            ):
                if r < p:
                    return name
                r -= p
        return None


def _env(code: int, message: str, data: dict[str, Any] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"code": code, "message": message, "request_id": f"fake-{time.time_ns()}"}
    if data is not None:
        out["data"] = data
    return out


def _window(items: Any, doc: dict[str, Any], key: str) -> list[dict[str, Any]]:
    ge = doc.get("update_time_ge")
    lt = doc.get("update_time_lt")
    ge = int(ge) if ge not in (None, "") else None
    lt = int(lt) if lt not in (None, "") else None
    return [o for o in items if (ge is None or o[key] >= ge) and (lt is None or o[key] < lt)]


def _filter_ids(
    items: list[dict[str, Any]], doc: dict[str, Any], field: str, key: str
) -> list[dict[str, Any]]:
    ids = doc.get(field)
    if not ids:
        return items
    want = set(map(str, ids))
    return [o for o in items if str(o[key]) in want]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_fake: FakeTikTok

    def log_message(self, format: str, *args: Any) -> None:  # quiet (and no secrets in logs)
        return

    def setup(self) -> None:
        super().setup()
        # headers and body go out in separate writes: without this, Nagle + delayed ACK
        # add ~40 ms to every response
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def _send(
        self,
        status: int,
        payload: dict[str, Any],
        headers: dict[str, str] | None = None,
        truncate: bool = False,
    ) -> None:
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if truncate:
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self._drop()
            return
        self.wfile.write(body)

    def _drop(self) -> None:
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    def _serve(self, method: str) -> None:
        fake = self.server_fake
        parts = urlsplit(self.path)
        path = parts.path
        q = dict(parse_qsl(parts.query, keep_blank_values=True))
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if path.startswith("/api/v2/token/"):
            status, payload = fake.handle_auth(path, q)
            self._send(status, payload)
            return
        with fake.lock:
            fake.stats.requests += 1
        err = fake.check_request(method, path, q, body, self.headers)
        if err is not None:
            self._send(err[0], err[1], err[2])
            return
        fault = fake.pick_fault()
        if fault == "drop":
            fake.stats.dropped += 1
            self._drop()
            return
        if fault == "429" or fake.throttle(path, q.get("shop_cipher", "")):
            if fault == "429":
                fake.stats.injected_429 += 1
            else:
                fake.stats.throttled += 1
            self._send(429, _env(36009007, "too many requests"), {"Retry-After": "0"})
            return
        if fault == "500":
            fake.stats.injected_500 += 1
            self._send(500, _env(36009003, "internal error"))
            return
        payload = fake.route(method, path, q, body)
        if fault == "truncate":
            fake.stats.truncated += 1
            self._send(200, payload, truncate=True)
            return
        self._send(200, payload)


@contextlib.contextmanager
def running(**kwargs: Any) -> Iterator[FakeTikTok]:
    fake = FakeTikTok(**kwargs).start()
    try:
        yield fake
    finally:
        fake.stop()
