"""Map Open API payloads into the canonical tables (pure functions, no IO).

Data flow: lists of API objects (orders, return orders, cancellations, statement
transactions, products, inventory, warehouses) → :class:`Mapped` (one typed Polars frame per
canonical table, plus findings for records that cannot be mapped).

Choices (see ``docs/connector.md``):

* The API has one line item per unit: line items are counted per SKU into
  ``order_lines.quantity``; prices and discounts are summed exactly.
* ``sku_id`` is the seller SKU (``seller_sku``) when the seller set one, else the platform's
  SKU id, so that synced orders join the seller's own SKU master.
* Amount strings become exact ``Decimal`` (scale 4); Unix seconds become naive UTC.
* Cancellation fault: BUYER → buyer; SELLER → seller (unless the reason says the buyer asked);
  SYSTEM → seller for missed-SLA auto-cancels, buyer for unpaid orders, platform for risk
  control, else unknown.  Return fault comes from the return reason (keyword rules below,
  configurable).
* Statement transactions become one settlement line per non-zero amount field, plus an
  ``other`` line for any remainder, so the lines of a transaction always add up to its
  ``settlement_amount``.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl

from quickturn.errors import Finding
from quickturn.money import store_quantize
from quickturn.schema import ORDER_STATUSES, get_table
from quickturn.validate import polars_schema

ZERO = Decimal(0)
SOURCE = "tiktok_api"


@dataclass
class Mapped:
    """Canonical frames keyed by table name, and findings for what could not be mapped."""

    frames: dict[str, pl.DataFrame] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)

    def rows(self, table: str) -> int:
        f = self.frames.get(table)
        return 0 if f is None else f.height

    def extend(self, other: Mapped) -> None:
        for name, frame in other.frames.items():
            if name in self.frames:
                self.frames[name] = pl.concat([self.frames[name], frame], how="vertical")
            else:
                self.frames[name] = frame
        self.findings.extend(other.findings)


def frame(table: str, rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> pl.DataFrame:
    """A typed frame of ``columns`` of a canonical table built from row dicts."""
    schema = polars_schema(get_table(table))
    sub = {c: schema[c] for c in columns}
    data = {c: [r.get(c) for r in rows] for c in columns}
    return pl.DataFrame(data, schema=sub, strict=False)


# -- scalars ----------------------------------------------------------------------------------
def amount(value: Any) -> Decimal | None:
    """An API amount string ("12.34") as an exact Decimal at the store's scale; None if empty."""
    if value is None or value == "":
        return None
    if type(value) is str:
        return _parse_amount(value)
    if isinstance(value, Mapping):  # {"amount": "1.00", "currency": "USD"}
        return amount(value.get("amount"))
    try:
        d = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    if not d.is_finite():
        return None
    return store_quantize(d)


@lru_cache(maxsize=65536)
def _parse_amount(text: str) -> Decimal | None:
    try:
        d = Decimal(text.strip())
    except InvalidOperation:
        return None
    return store_quantize(d) if d.is_finite() else None


def amount0(value: Any) -> Decimal:
    a = amount(value)
    return ZERO if a is None else a


def ts(value: Any) -> datetime | None:
    """Unix seconds (int or numeric string, 0 = empty) → naive UTC datetime."""
    if value in (None, "", 0, "0"):
        return None
    try:
        n = int(value)
    except (TypeError, ValueError):
        return None
    if n <= 0:
        return None
    if n > 10_000_000_000:  # milliseconds
        n //= 1000
    return datetime.fromtimestamp(n, UTC).replace(tzinfo=None)


def local_date(value: Any, tz: str = "America/Los_Angeles") -> date | None:
    """Unix seconds → calendar date in the shop's time zone."""
    t = ts(value)
    if t is None:
        return None
    return t.replace(tzinfo=UTC).astimezone(ZoneInfo(tz)).date()


def sku_of(item: Mapping[str, Any]) -> str | None:
    """The canonical SKU code of a line item: seller SKU, else the platform SKU id."""
    for key in ("seller_sku", "sku_id", "id"):
        v = item.get(key)
        if v not in (None, ""):
            return str(v)
    return None


# -- fault rules ------------------------------------------------------------------------------
#: keyword → fault, checked in this order against the lower-cased reason code and text
RETURN_FAULT_RULES: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "buyer",
        (
            "no longer",
            "no_longer",
            "changed my mind",
            "change_of_mind",
            "changed_mind",
            "change of mind",
            "ordered by mistake",
            "mistake",
            "better price",
            "better_price",
            "unwanted",
            "not needed",
            "dont_want",
            "don't want",
            "wrong size ordered",
        ),
    ),
    (
        "logistics",
        (
            "lost",
            "not received",
            "not_received",
            "never arrived",
            "in transit",
            "transit",
            "late delivery",
            "late_delivery",
            "delivery_delay",
            "delayed",
            "undelivered",
            "package_damaged_in_transit",
            "logistic",
        ),
    ),
    (
        "seller",
        (
            "wrong",
            "damaged",
            "defect",
            "not as described",
            "not_as_described",
            "missing",
            "counterfeit",
            "fake",
            "quality",
            "broken",
            "expired",
            "incorrect",
            "not working",
            "doesn't work",
            "not_work",
            "different",
        ),
    ),
)

SYSTEM_CANCEL_RULES: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "seller",
        (
            "overdue",
            "sla",
            "late",
            "not shipped",
            "not_shipped",
            "failed to ship",
            "fail_to_ship",
            "out of stock",
            "out_of_stock",
            "time limit",
            "timeout_ship",
            "auto_cancel_ship",
        ),
    ),
    ("buyer", ("unpaid", "payment", "pay_timeout", "not paid")),
    ("platform", ("risk", "fraud", "violation", "policy")),
)


def fault_from_text(text: str, rules: Iterable[tuple[str, tuple[str, ...]]]) -> str | None:
    t = text.lower()
    for fault, words in rules:
        if any(w in t for w in words):
            return fault
    return None


def return_fault(reason: str, reason_text: str = "") -> str:
    return fault_from_text(f"{reason} {reason_text}", RETURN_FAULT_RULES) or "unknown"


def cancel_fault(initiator: str | None, reason: str = "") -> str | None:
    """Whose fault a cancellation is, from who cancelled and why."""
    if not initiator:
        return None
    who = initiator.upper()
    text = (reason or "").lower()
    if who == "BUYER":
        return "buyer"
    if who == "SELLER":
        if "buyer" in text and ("request" in text or "asked" in text):
            return "buyer"
        return "seller"
    if who in ("SYSTEM", "PLATFORM", "OPERATOR"):
        return fault_from_text(text, SYSTEM_CANCEL_RULES) or "unknown"
    return "unknown"


def cancel_initiator(value: Any) -> str | None:
    if not value:
        return None
    v = str(value).upper()
    if v in ("BUYER", "SELLER", "SYSTEM"):
        return v
    if v in ("PLATFORM", "OPERATOR"):
        return "SYSTEM"
    return None


ORDER_TYPES = {
    "PRE_ORDER": "pre_order",
    "MADE_TO_ORDER": "made_to_order",
    "BACK_ORDER": "back_order",
    "CUSTOM_HANDLING": "custom_handling",
}
FULFILLMENT = ("FULFILLMENT_BY_SELLER", "FULFILLMENT_BY_TIKTOK", "FULFILLMENT_BY_PLATFORM")

ORDER_COLUMNS = (
    "order_id",
    "shop_id",
    "market",
    "currency",
    "status",
    "order_type",
    "created_at",
    "paid_at",
    "rts_at",
    "shipped_at",
    "delivered_at",
    "cancelled_at",
    "rts_sla_at",
    "shipping_due_at",
    "delivery_sla_at",
    "fulfillment_type",
    "warehouse_id",
    "carrier",
    "tracking_id",
    "shipping_fee",
    "shipping_fee_seller_discount",
    "shipping_fee_platform_discount",
    "tax",
    "order_amount",
    "is_sample_order",
    "cancel_initiator",
    "cancel_reason",
    "cancel_fault",
)
LINE_COLUMNS = (
    "order_id",
    "sku_id",
    "quantity",
    "unit_price",
    "subtotal_before_discount",
    "seller_discount",
    "platform_discount",
    "subtotal_after_discount",
    "tax",
)
SKU_COLUMNS = ("sku_id", "shop_id", "title", "list_price", "price_currency", "status")


def _line_tax(item: Mapping[str, Any]) -> Decimal:
    taxes = item.get("item_tax")
    if isinstance(taxes, list):
        return sum((amount0(t.get("tax_amount")) for t in taxes if isinstance(t, Mapping)), ZERO)
    return amount0(item.get("tax"))


def map_orders(orders: Iterable[Mapping[str, Any]], shop_id: str, *, market: str = "US") -> Mapped:
    """Orders → ``orders``, ``order_lines`` (quantities counted per SKU) and ``skus`` seen."""
    out = Mapped()
    order_rows: list[dict[str, Any]] = []
    line_rows: list[dict[str, Any]] = []
    skus: dict[str, dict[str, Any]] = {}
    for o in orders:
        oid = str(o.get("id") or o.get("order_id") or "")
        if not oid:
            out.findings.append(
                Finding(
                    "W_TIKTOK_ORDER_NO_ID",
                    "warn",
                    "an order in the API response has no id; it was skipped",
                    source=SOURCE,
                )
            )
            continue
        pay = o.get("payment") or {}
        currency = str(pay.get("currency") or "USD")
        status = str(o.get("status") or o.get("order_status") or "")
        if status not in ORDER_STATUSES:
            out.findings.append(
                Finding(
                    "W_TIKTOK_ORDER_STATUS",
                    "warn",
                    f"order {oid} has an unknown status {status!r}; it was skipped",
                    source=SOURCE,
                    value=status,
                    expected=", ".join(ORDER_STATUSES),
                    record={"order_id": oid},
                )
            )
            continue
        initiator = cancel_initiator(o.get("cancellation_initiator"))
        reason = str(o.get("cancel_reason") or "") or None
        tax = amount(pay.get("tax"))
        if tax is None and (pay.get("product_tax") or pay.get("shipping_fee_tax")):
            tax = amount0(pay.get("product_tax")) + amount0(pay.get("shipping_fee_tax"))
        ftype = str(o.get("fulfillment_type") or "FULFILLMENT_BY_SELLER")
        addr = o.get("recipient_address") or {}
        order_rows.append(
            {
                "order_id": oid,
                "shop_id": shop_id,
                "market": str(addr.get("region_code") or market),
                "currency": currency,
                "status": status,
                "order_type": ORDER_TYPES.get(str(o.get("order_type") or "").upper(), "regular"),
                "created_at": ts(o.get("create_time")),
                "paid_at": ts(o.get("paid_time")),
                "rts_at": ts(o.get("rts_time")),
                "shipped_at": ts(o.get("collection_time") or o.get("shipping_time")),
                "delivered_at": ts(o.get("delivery_time")),
                "cancelled_at": ts(o.get("cancel_time")),
                "rts_sla_at": ts(o.get("rts_sla_time")),
                "shipping_due_at": ts(o.get("shipping_due_time")),
                "delivery_sla_at": ts(o.get("delivery_sla_time") or o.get("delivery_due_time")),
                "fulfillment_type": ftype if ftype in FULFILLMENT else "FULFILLMENT_BY_SELLER",
                "warehouse_id": str(o.get("warehouse_id") or "") or None,
                "carrier": str(o.get("shipping_provider") or "") or None,
                "tracking_id": str(o.get("tracking_number") or "") or None,
                "shipping_fee": amount(pay.get("shipping_fee")),
                "shipping_fee_seller_discount": amount(pay.get("shipping_fee_seller_discount")),
                "shipping_fee_platform_discount": amount(pay.get("shipping_fee_platform_discount")),
                "tax": tax,
                "order_amount": amount(pay.get("total_amount")),
                "is_sample_order": bool(o.get("is_sample_order") or False),
                "cancel_initiator": initiator,
                "cancel_reason": reason,
                "cancel_fault": cancel_fault(initiator, reason or "")
                if status == "CANCELLED" or initiator
                else None,
            }
        )
        per_sku: OrderedDict[str, dict[str, Any]] = OrderedDict()
        for item in o.get("line_items") or []:
            sku = sku_of(item)
            if sku is None:
                out.findings.append(
                    Finding(
                        "W_TIKTOK_LINE_NO_SKU",
                        "warn",
                        f"a line item of order {oid} has no SKU; it was skipped",
                        source=SOURCE,
                        record={"order_id": oid},
                    )
                )
                continue
            original = amount0(item.get("original_price"))
            sale = amount(item.get("sale_price"))
            acc = per_sku.get(sku)
            if acc is None:
                acc = per_sku[sku] = {
                    "order_id": oid,
                    "sku_id": sku,
                    "quantity": 0,
                    "unit_price": original,
                    "subtotal_before_discount": ZERO,
                    "seller_discount": ZERO,
                    "platform_discount": ZERO,
                    "subtotal_after_discount": ZERO,
                    "tax": ZERO,
                }
            seller_d = amount0(item.get("seller_discount"))
            platform_d = amount0(item.get("platform_discount"))
            acc["quantity"] += 1
            acc["subtotal_before_discount"] += original
            acc["seller_discount"] += seller_d
            acc["platform_discount"] += platform_d
            acc["subtotal_after_discount"] += (
                sale if sale is not None else original - seller_d - platform_d
            )
            acc["tax"] += _line_tax(item)
            if sku not in skus:
                title = str(item.get("product_name") or sku)
                variant = str(item.get("sku_name") or "")
                skus[sku] = {
                    "sku_id": sku,
                    "shop_id": shop_id,
                    "title": f"{title} — {variant}" if variant else title,
                    "list_price": original,
                    "price_currency": str(item.get("currency") or currency),
                    "status": "active",
                }
        line_rows.extend(per_sku.values())
    out.frames["orders"] = frame("orders", order_rows, ORDER_COLUMNS)
    out.frames["order_lines"] = frame("order_lines", line_rows, LINE_COLUMNS)
    out.frames["skus"] = frame("skus", list(skus.values()), SKU_COLUMNS)
    return out


# -- returns and cancellations ----------------------------------------------------------------
RETURN_TYPES = {
    "RETURN_AND_REFUND": "return_refund",
    "REFUND": "refund_only",
    "REFUND_ONLY": "refund_only",
    "REPLACEMENT": "replacement",
}
RETURN_STATUS = {
    "RETURN_OR_REFUND_REQUEST_PENDING": "requested",
    "AWAITING_BUYER_SHIP": "approved",
    "BUYER_SHIPPED_ITEM": "approved",
    "AWAITING_BUYER_RESPONSE": "requested",
    "RETURN_OR_REFUND_REQUEST_SUCCESS": "approved",
    "REPLACEMENT_REQUEST_SUCCESS": "approved",
    "RETURN_OR_REFUND_REQUEST_COMPLETE": "completed",
    "REPLACEMENT_REQUEST_COMPLETE": "completed",
    "REFUND_OR_RETURN_REQUEST_REJECT": "rejected",
    "REJECT_RECEIVE_PACKAGE": "rejected",
    "RETURN_OR_REFUND_REQUEST_CANCEL": "rejected",
    "REPLACEMENT_REQUEST_REJECT": "rejected",
    "REPLACEMENT_REQUEST_CANCEL": "rejected",
}
CANCEL_STATUS = {
    "CANCELLATION_REQUEST_PENDING": "requested",
    "CANCELLATION_REQUEST_SUCCESS": "approved",
    "CANCELLATION_REQUEST_COMPLETE": "completed",
    "CANCELLATION_REQUEST_REJECT": "rejected",
    "CANCELLATION_REQUEST_CANCEL": "rejected",
}
RETURN_COLUMNS = (
    "return_id",
    "order_id",
    "sku_id",
    "quantity",
    "return_type",
    "reason",
    "fault",
    "status",
    "requested_at",
    "completed_at",
    "currency",
    "refund_amount",
    "return_shipping_cost",
    "disposition",
)


def _refund_total(block: Any) -> Decimal:
    if not isinstance(block, Mapping):
        return amount0(block)
    for key in ("refund_total", "refund_amount", "amount"):
        if block.get(key) not in (None, ""):
            return amount0(block.get(key))
    return ZERO


def _after_sales_rows(
    record: Mapping[str, Any],
    *,
    rid: str,
    items_key: str,
    return_type: str,
    status: str,
    fault: str,
    reason: str | None,
    disposition: str,
    out: Mapped,
) -> list[dict[str, Any]]:
    oid = str(record.get("order_id") or "")
    refund_block = record.get("refund_amount") or {}
    currency = str((refund_block or {}).get("currency") or record.get("currency") or "USD")
    total = _refund_total(refund_block)
    if status == "rejected":
        total = ZERO  # nothing was refunded
    items = [i for i in record.get(items_key) or [] if isinstance(i, Mapping)]
    per_sku: OrderedDict[str, dict[str, Any]] = OrderedDict()
    for item in items:
        sku = sku_of(item)
        if sku is None:
            continue
        acc = per_sku.setdefault(sku, {"quantity": 0, "refund": ZERO})
        acc["quantity"] += 1
        acc["refund"] += _refund_total(item.get("refund_amount"))
    if not per_sku:
        sku = sku_of(record) if record.get("seller_sku") or record.get("sku_id") else None
        if sku is None:
            out.findings.append(
                Finding(
                    "W_TIKTOK_RETURN_NO_SKU",
                    "warn",
                    f"{items_key.split('_')[0]} {rid} of order {oid} lists no SKU; it was skipped",
                    source=SOURCE,
                    record={"return_id": rid, "order_id": oid},
                )
            )
            return []
        per_sku[sku] = {"quantity": 1, "refund": total}
    # split the record's refund over SKUs: line refunds when given, remainder on the first
    line_sum = sum((v["refund"] for v in per_sku.values()), ZERO)
    if status == "rejected":
        for v in per_sku.values():
            v["refund"] = ZERO
    elif line_sum != total:
        first = next(iter(per_sku.values()))
        first["refund"] += total - line_sum
    ship = amount(record.get("return_shipping_fee") or record.get("seller_return_shipping_fee"))
    requested = ts(record.get("create_time"))
    done = ts(record.get("update_time")) if status in ("completed", "rejected") else None
    rows = []
    multi = len(per_sku) > 1
    for i, (sku, v) in enumerate(per_sku.items()):
        rows.append(
            {
                "return_id": f"{rid}:{sku}" if multi else rid,
                "order_id": oid,
                "sku_id": sku,
                "quantity": v["quantity"],
                "return_type": return_type,
                "reason": reason,
                "fault": fault,
                "status": status,
                "requested_at": requested,
                "completed_at": done,
                "currency": currency,
                "refund_amount": v["refund"],
                "return_shipping_cost": ship if i == 0 else None,
                "disposition": disposition,
            }
        )
    return rows


def map_returns(records: Iterable[Mapping[str, Any]]) -> Mapped:
    """Return orders → ``returns`` (one row per SKU; ``return_id:sku`` when several SKUs)."""
    out = Mapped()
    rows: list[dict[str, Any]] = []
    for r in records:
        rid = str(r.get("return_id") or r.get("id") or "")
        if not rid:
            continue
        rtype = RETURN_TYPES.get(str(r.get("return_type") or "").upper(), "return_refund")
        status = RETURN_STATUS.get(str(r.get("return_status") or "").upper(), "requested")
        reason_code = str(r.get("return_reason") or "")
        reason_text = str(r.get("return_reason_text") or "")
        disposition = {"replacement": "replacement", "refund_only": "not_returned"}.get(
            rtype, "pending"
        )
        rows += _after_sales_rows(
            r,
            rid=rid,
            items_key="return_line_items",
            return_type=rtype,
            status=status,
            fault=return_fault(reason_code, reason_text),
            reason=reason_text or reason_code or None,
            disposition=disposition,
            out=out,
        )
    out.frames["returns"] = frame("returns", rows, RETURN_COLUMNS)
    return out


def map_cancellations(records: Iterable[Mapping[str, Any]]) -> Mapped:
    """Cancellations that refunded money → ``returns`` rows of type ``cancellation_refund``.

    Cancellations of unpaid orders (nothing refunded) produce no row; the order itself
    carries who cancelled and whose fault it was.
    """
    out = Mapped()
    rows: list[dict[str, Any]] = []
    for c in records:
        cid = str(c.get("cancel_id") or c.get("id") or "")
        if not cid:
            continue
        status = CANCEL_STATUS.get(str(c.get("cancel_status") or "").upper(), "requested")
        total = _refund_total(c.get("refund_amount") or {})
        if total <= 0 or status == "rejected":
            continue
        reason = str(c.get("cancel_reason_text") or c.get("cancel_reason") or "")
        initiator = cancel_initiator(c.get("role") or c.get("cancel_initiator"))
        rows += _after_sales_rows(
            c,
            rid=cid,
            items_key="cancel_line_items",
            return_type="cancellation_refund",
            status=status,
            fault=cancel_fault(initiator, reason) or "unknown",
            reason=reason or None,
            disposition="not_returned",
            out=out,
        )
    out.frames["returns"] = frame("returns", rows, RETURN_COLUMNS)
    return out


# -- finance ----------------------------------------------------------------------------------
#: statement-transaction amount field → settlement fee type (signed: + credits the seller)
TRANSACTION_FIELDS: tuple[tuple[str, str], ...] = (
    ("gross_sales_amount", "revenue"),
    ("seller_discount_amount", "revenue"),
    ("gross_sales_refund_amount", "refund"),
    ("seller_discount_refund_amount", "refund"),
    ("platform_discount_amount", "platform_discount"),
    ("platform_discount_refund_amount", "refund"),
    ("customer_paid_shipping_fee_amount", "shipping"),
    ("actual_shipping_fee_amount", "shipping"),
    ("platform_shipping_fee_discount_amount", "shipping"),
    ("return_shipping_fee_amount", "shipping"),
    ("shipping_label_fee_amount", "shipping_label"),
    ("referral_fee_amount", "referral_fee"),
    ("refund_administration_fee_amount", "refund_administration_fee"),
    ("transaction_fee_amount", "transaction_fee"),
    ("affiliate_commission_amount", "affiliate_commission"),
    ("affiliate_partner_commission_amount", "affiliate_commission"),
    ("affiliate_ads_commission_amount", "affiliate_ads_commission"),
    ("fbt_fulfillment_fee_amount", "fbt_fulfillment_fee"),
    ("reserve_amount", "reserve_hold"),
)
#: transaction ``type`` (adjustments) → fee type of its adjustment amount
ADJUSTMENT_TYPES: dict[str, str] = {
    "GMV_PAYMENT_FOR_ADS": "ads_payment",
    "PLATFORM_PENALTY": "penalty",
    "SAMPLE_SHIPPING_FEE": "sample_shipping_fee",
    "RESERVE_HOLD": "reserve_hold",
    "RESERVE_RELEASE": "reserve_release",
    "RESERVE": "reserve_hold",
    "SHIPPING_FEE_ADJUSTMENT": "shipping",
    "REFUND": "refund",
}
SETTLEMENT_COLUMNS = (
    "statement_id",
    "line_id",
    "statement_date",
    "order_id",
    "sku_id",
    "fee_type",
    "amount",
    "currency",
)


def map_statement_transactions(
    statement: Mapping[str, Any],
    transactions: Iterable[Mapping[str, Any]],
    *,
    tz: str = "America/Los_Angeles",
) -> Mapped:
    """Transactions of one statement → ``settlement_lines`` (``line_id = <txn id>:<field>``)."""
    out = Mapped()
    sid = str(statement.get("id") or statement.get("statement_id") or "")
    sdate = local_date(statement.get("statement_time"), tz)
    scur = str(statement.get("currency") or "USD")
    rows: list[dict[str, Any]] = []
    for t in transactions:
        tid = str(t.get("id") or "")
        if not tid:
            continue
        currency = str(t.get("currency") or scur)
        order_id = str(t.get("order_id") or t.get("adjustment_order_id") or "") or None
        ttype = str(t.get("type") or "ORDER").upper()
        total = amount0(t.get("settlement_amount"))
        mapped = ZERO

        lines: list[tuple[str, str, Decimal]] = []
        for field_name, fee_type in TRANSACTION_FIELDS:
            v = amount(t.get(field_name))
            if v:
                lines.append((field_name, fee_type, v))
                mapped += v
        if ttype != "ORDER":
            adj = amount(t.get("adjustment_amount"))
            if adj is None and mapped == ZERO:
                adj = total
            if adj:
                lines.append(("adjustment_amount", ADJUSTMENT_TYPES.get(ttype, "adjustment"), adj))
                mapped += adj
        rest = total - mapped
        if rest:
            lines.append(("other", "other", rest))
        rows.extend(
            {
                "statement_id": sid,
                "line_id": f"{tid}:{field_name}",
                "statement_date": sdate,
                "order_id": order_id,
                "sku_id": None,
                "fee_type": fee_type,
                "amount": value,
                "currency": currency,
            }
            for field_name, fee_type, value in lines
        )
    out.frames["settlement_lines"] = frame("settlement_lines", rows, SETTLEMENT_COLUMNS)
    return out


# -- products, inventory, warehouses -----------------------------------------------------------
PRODUCT_STATUS = {
    "ACTIVATE": "active",
    "ACTIVE": "active",
    "LIVE": "active",
    "SELLER_DEACTIVATED": "inactive",
    "PLATFORM_DEACTIVATED": "inactive",
    "FREEZE": "inactive",
    "DRAFT": "inactive",
    "PENDING": "inactive",
    "FAILED": "inactive",
    "DELETED": "discontinued",
}
PRODUCT_SKU_COLUMNS = (*SKU_COLUMNS, "launch_date")


def map_products(
    products: Iterable[Mapping[str, Any]], shop_id: str, *, tz: str = "America/Los_Angeles"
) -> tuple[Mapped, dict[str, str]]:
    """Products → ``skus`` rows; also returns platform SKU id → canonical sku_id."""
    out = Mapped()
    rows: dict[str, dict[str, Any]] = {}
    id_map: dict[str, str] = {}
    for p in products:
        title = str(p.get("title") or p.get("id") or "")
        status = PRODUCT_STATUS.get(str(p.get("status") or "").upper(), "inactive")
        launch = local_date(p.get("create_time"), tz)
        for s in p.get("skus") or []:
            sku = sku_of(s)
            if sku is None:
                continue
            if s.get("id"):
                id_map[str(s["id"])] = sku
            price = s.get("price") or {}
            attrs = [
                str(a.get("value_name"))
                for a in s.get("sales_attributes") or []
                if isinstance(a, Mapping) and a.get("value_name")
            ]
            rows[sku] = {
                "sku_id": sku,
                "shop_id": shop_id,
                "title": f"{title} — {', '.join(attrs)}" if attrs else title,
                "list_price": amount(
                    price.get("sale_price")
                    or price.get("tax_exclusive_price")
                    or price.get("amount")
                ),
                "price_currency": str(price.get("currency") or "USD"),
                "status": status,
                "launch_date": launch,
            }
    out.frames["skus"] = frame("skus", list(rows.values()), PRODUCT_SKU_COLUMNS)
    return out, id_map


def map_warehouses(warehouses: Iterable[Mapping[str, Any]]) -> Mapped:
    """Warehouses → ``locations`` (FBT ones as ``fbt``, seller ones as ``us_3pl``)."""
    out = Mapped()
    rows = []
    for w in warehouses:
        wid = str(w.get("id") or "")
        if not wid:
            continue
        sub = str(w.get("sub_type") or "").upper()
        name = str(w.get("name") or wid)
        kind = "fbt" if ("FBT" in sub or "TIKTOK" in sub or "FBT" in name.upper()) else "us_3pl"
        region = (w.get("address") or {}).get("region_code") or "US"
        rows.append({"location_id": wid, "name": name, "kind": kind, "country": str(region)})
    out.frames["locations"] = frame("locations", rows, ("location_id", "name", "kind", "country"))
    return out


def map_inventory(
    inventory: Iterable[Mapping[str, Any]], id_map: Mapping[str, str], on: date
) -> Mapped:
    """Inventory search results → ``inventory_snapshots`` for day ``on`` (per SKU × warehouse)."""
    out = Mapped()
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for product in inventory:
        for s in product.get("skus") or []:
            pid = str(s.get("id") or "")
            sku = str(s.get("seller_sku") or "") or id_map.get(pid) or pid
            if not sku:
                continue
            for w in s.get("warehouse_inventory") or []:
                wid = str(w.get("warehouse_id") or "")
                if not wid:
                    continue
                avail = int(w.get("available_quantity") or 0)
                committed = int(w.get("committed_quantity") or 0)
                rows[(sku, wid)] = {
                    "date": on,
                    "sku_id": sku,
                    "location_id": wid,
                    "on_hand_qty": max(avail + committed, 0),
                    "reserved_qty": max(committed, 0),
                }
    out.frames["inventory_snapshots"] = frame(
        "inventory_snapshots",
        list(rows.values()),
        ("date", "sku_id", "location_id", "on_hand_qty", "reserved_qty"),
    )
    return out


#: region code → currency of a shop in that market
REGION_CURRENCY: dict[str, str] = {
    "US": "USD",
    "GB": "GBP",
    "MX": "MXN",
    "SG": "SGD",
    "MY": "MYR",
    "TH": "THB",
    "VN": "VND",
    "PH": "PHP",
    "ID": "IDR",
    "BR": "BRL",
    "JP": "JPY",
    "ES": "EUR",
    "DE": "EUR",
    "FR": "EUR",
    "IT": "EUR",
    "IE": "EUR",
}


def shops_frame(shops: list[dict[str, Any]]) -> pl.DataFrame:
    """API shops → canonical ``shops`` rows (``shop_id`` is the platform's shop id)."""
    rows = []
    for s in shops:
        region = str(s.get("region") or "US").upper()
        seller_type = str(s.get("seller_type") or "").upper()
        rows.append(
            {
                "shop_id": str(s.get("id")),
                "name": str(s.get("name") or s.get("id")),
                "market": region,
                "seller_type": seller_type if seller_type in ("LOCAL", "CROSS_BORDER") else None,
                "currency": REGION_CURRENCY.get(region, "USD"),
                "cipher": str(s.get("cipher") or ""),
            }
        )
    return frame("shops", rows, ("shop_id", "name", "market", "seller_type", "currency", "cipher"))
