"""Webhook receiver for TikTok Shop push notifications (FastAPI ``APIRouter``).

Data flow: ``POST /webhooks/tiktok`` with the raw JSON body
``{type, tts_notification_id, shop_id, timestamp, data}`` → signature check in constant time
(``Authorization`` = hex HMAC-SHA256(app_secret, app_key + body)) → :class:`Notification` →
``enqueue(notification)`` (supplied by the caller; the services layer persists it in the
store, de-duplicated by ``tts_notification_id``) → ``200`` within the platform's 3 seconds.
Hostile pushes are refused cheaply, in this order: a body over :data:`MAX_BODY_BYTES`
(``Content-Length`` or counted while streaming) → ``413`` without reading the rest; a bad
signature → ``401`` before anything is parsed; a body that is not a notification or a
missing/non-numeric ``timestamp`` → ``400``; a ``timestamp`` more than
:data:`TIMESTAMP_WINDOW_SECONDS` away from the server's clock (a replay) → ``401``.
The data in a notification is minimal on purpose: the queued work is a re-fetch of the order
or return by id, done later by ``quickturn sync`` or a background worker.

This module does no storage itself (connectors never touch the store); mount the router in
any FastAPI app: ``app.include_router(create_router(app_key, app_secret, enqueue))``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from fastapi import APIRouter, FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from quickturn.connectors.tiktok_api.notifications import (
    ANSWER_WITHIN_SECONDS,
    MAX_BODY_BYTES,
    TIMESTAMP_WINDOW_SECONDS,
    WEBHOOK_PATH,
    Notification,
    parse_notification,
)
from quickturn.connectors.tiktok_api.signing import verify_webhook

log = logging.getLogger("quickturn.tiktok.webhooks")

Enqueue = Callable[[Notification], bool]


class BodyTooLarge(Exception):
    pass


async def read_capped(request: Request, limit: int) -> bytes:
    """The request body, refused (:class:`BodyTooLarge`) as soon as it passes ``limit``."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.strip().isdigit() and int(declared) > limit:
        raise BodyTooLarge
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def _answer(code: int, message: str) -> JSONResponse:
    return JSONResponse({"code": code, "message": message}, status_code=code)


def create_router(
    app_key: str,
    app_secret: str,
    enqueue: Enqueue,
    *,
    path: str = WEBHOOK_PATH,
    answer_within: float = ANSWER_WITHIN_SECONDS,
    max_body: int = MAX_BODY_BYTES,
    window: float = TIMESTAMP_WINDOW_SECONDS,
    clock: Callable[[], float] = time.time,
) -> APIRouter:
    """A router with ``POST path``.  ``enqueue`` returns True for a new notification and
    False for a duplicate; it runs in a worker thread so a slow store cannot block the loop.
    ``max_body``, ``window`` and ``clock`` are the hostile-input limits (module docstring)."""
    router = APIRouter()

    @router.post(path)
    async def tiktok_webhook(request: Request) -> JSONResponse:
        try:
            body = await read_capped(request, max_body)
        except BodyTooLarge:
            log.warning("TikTok webhook over %d bytes refused unread", max_body)
            return _answer(413, f"body larger than {max_body} bytes")
        if not verify_webhook(app_key, app_secret, body, request.headers.get("authorization")):
            log.warning("TikTok webhook with a bad signature rejected")
            return _answer(401, "invalid signature")
        try:
            note = parse_notification(body)
        except ValueError as exc:
            return _answer(400, str(exc))
        skew = note.timestamp - clock()
        if abs(skew) > window:
            log.warning(
                "TikTok webhook %s %.0f s off the clock refused", note.notification_id, skew
            )
            return _answer(
                401,
                f"timestamp {note.timestamp} is {abs(skew):.0f} s from the server's clock "
                f"(allowed: {window:.0f} s); check the server's clock, or a replayed push",
            )
        try:
            new = await asyncio.wait_for(run_in_threadpool(enqueue, note), answer_within)
        except TimeoutError:
            # not acknowledged: the platform retries later (de-duplicated by notification id)
            log.error("TikTok webhook %s could not be queued in time", note.notification_id)
            return JSONResponse({"code": 503, "message": "busy, retry"}, status_code=503)
        except Exception:  # a queue failure must make the platform retry, not lose the event
            log.exception("TikTok webhook %s could not be queued", note.notification_id)
            return JSONResponse({"code": 500, "message": "not queued"}, status_code=500)
        return JSONResponse(
            {"code": 0, "message": "success", "data": {"duplicate": not new}}, status_code=200
        )

    return router


def create_app(
    app_key: str, app_secret: str, enqueue: Enqueue, *, path: str = WEBHOOK_PATH
) -> FastAPI:
    """A small standalone app serving only the webhook (until the web app mounts the router)."""
    app = FastAPI(title="quickturn TikTok Shop webhooks", docs_url=None, redoc_url=None)
    app.include_router(create_router(app_key, app_secret, enqueue, path=path))

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app
