"""Webhook notifications of TikTok Shop: parsing and what each type asks to re-fetch.

Data flow: raw POST body → :func:`parse_notification` → :class:`Notification` (no IO, no web
framework; the router lives in :mod:`quickturn.connectors.tiktok_api.webhooks`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

WEBHOOK_PATH = "/webhooks/tiktok"
#: notification type → (resource to re-fetch, keys of its id in ``data``)
NOTIFICATION_TYPES: dict[int, tuple[str, tuple[str, ...]]] = {
    1: ("order", ("order_id",)),
    11: (
        "order",
        ("order_id",),
    ),  # cancellation status change: re-fetch the order and its cancellations
    12: ("return", ("return_id", "order_id")),
}
#: the platform waits 3 s; leave a margin for the network
ANSWER_WITHIN_SECONDS = 2.5
#: largest push body read (a notification is a few hundred bytes); larger → 413 unread
MAX_BODY_BYTES = 1024 * 1024
#: a push whose ``timestamp`` is further than this from the server's clock is refused (401):
#: a captured, validly signed notification cannot be replayed later
TIMESTAMP_WINDOW_SECONDS = 300
#: Unix times after this (year 2286) are not seconds
_MAX_UNIX_SECONDS = 9_999_999_999


@dataclass(frozen=True)
class Notification:
    notification_id: str
    type: int
    shop_id: str
    timestamp: int
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def resource(self) -> str:
        return NOTIFICATION_TYPES.get(self.type, ("other", ()))[0]

    @property
    def order_id(self) -> str | None:
        v = self.data.get("order_id")
        return str(v) if v not in (None, "") else None

    @property
    def resource_id(self) -> str | None:
        keys = NOTIFICATION_TYPES.get(self.type, ("other", ("order_id",)))[1]
        for k in keys:
            v = self.data.get(k)
            if v not in (None, ""):
                return str(v)
        return None


def parse_notification(body: bytes) -> Notification:
    """Parse a push body; raises ``ValueError`` when it is not a notification."""
    try:
        doc = json.loads(body)
    except RecursionError:
        raise ValueError("body is not JSON: nested too deeply") from None
    except ValueError as exc:
        raise ValueError(f"body is not JSON: {exc}") from None
    if not isinstance(doc, dict):
        raise ValueError("body is not a JSON object")
    nid = doc.get("tts_notification_id")
    if not nid:
        raise ValueError("tts_notification_id is missing")
    try:
        ntype = int(doc.get("type"))  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        raise ValueError(f"type must be a number, got {str(doc.get('type'))[:40]!r}") from None
    data = doc.get("data") or {}
    if not isinstance(data, dict):
        raise ValueError("data must be an object")
    return Notification(
        notification_id=str(nid),
        type=ntype,
        shop_id=str(doc.get("shop_id") or ""),
        timestamp=parse_timestamp(doc.get("timestamp")),
        data=data,
    )


def parse_timestamp(value: Any) -> int:
    """A push's ``timestamp``: Unix seconds as a JSON integer or a string of digits.

    >>> parse_timestamp(1760000000), parse_timestamp("1760000000")
    (1760000000, 1760000000)
    >>> parse_timestamp("soon")
    Traceback (most recent call last):
    ValueError: timestamp must be a Unix time in seconds, got 'soon'
    """
    if isinstance(value, bool) or value is None or value == "":
        if value is None or value == "":
            raise ValueError("timestamp is missing")
        raise ValueError(f"timestamp must be a Unix time in seconds, got {value!r}")
    if isinstance(value, int):
        ts = value
    elif isinstance(value, str) and value.isascii() and value.strip().isdigit():
        ts = int(value.strip()) if len(value.strip()) <= 12 else -1
    else:
        raise ValueError(f"timestamp must be a Unix time in seconds, got {str(value)[:40]!r}")
    if not 0 < ts <= _MAX_UNIX_SECONDS:
        raise ValueError(f"timestamp must be a Unix time in seconds, got {str(value)[:40]!r}")
    return ts
