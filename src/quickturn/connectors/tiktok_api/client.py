"""HTTP client of the TikTok Shop Open API (Partner API v202309+), built on httpx.

Data flow: a method call (``search_orders(cipher, update_time_ge=…, page_token=…)``) →
rate limiter (token bucket per API and shop) → signed request (fresh ``timestamp`` and
``sign`` on every attempt, access token in ``x-tts-access-token``) → response envelope
``{code, message, request_id, data}`` → ``data`` (or a :class:`Page` of items with
``next_page_token``).  Failures are retried with exponential backoff and jitter on HTTP 429,
5xx, retryable platform codes and network errors (refused or dropped connections, truncated
bodies, timeouts); an expired access token is refreshed once and the call repeated; a clock
outside the platform's timestamp window is corrected from the server's ``Date`` header.
Everything else raises :class:`~quickturn.connectors.tiktok_api.errors.TikTokApiError` with
a message that says what to do.  No store access here: the services layer persists.
"""

from __future__ import annotations

import email.utils
import json
import logging
import random
import re
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import httpx

from quickturn.connectors.tiktok_api.errors import (
    CODES_BY_NAME,
    ERROR_CODES,
    NotConnectedError,
    TikTokApiError,
    TokenExpiredError,
    api_error,
)
from quickturn.connectors.tiktok_api.ratelimit import RateLimiter
from quickturn.connectors.tiktok_api.signing import sign
from quickturn.connectors.tiktok_api.tokens import REDACTED, Token, TokenStore

log = logging.getLogger("quickturn.tiktok")

DEFAULT_BASE_URL = "https://open-api.tiktokglobalshop.com"
DEFAULT_AUTH_BASE_URL = "https://auth.tiktok-shops.com"
DEFAULT_AUTHORIZE_URL = "https://services.us.tiktokshop.com/open/authorize"

_SENSITIVE = re.compile(
    r"((?:app_secret|access_token|refresh_token|auth_code|sign|x-tts-access-token)[=:]\s*)[^&\s\"',]+",
    re.IGNORECASE,
)


def scrub(text: str) -> str:
    """Replace the values of secret query parameters and headers in ``text``."""
    return _SENSITIVE.sub(lambda m: m.group(1) + REDACTED, text)


class _ScrubFilter(logging.Filter):
    """Keeps secrets in URLs out of httpx's own request log lines."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # pragma: no cover - malformed record
            return True
        cleaned = scrub(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        return True


_FILTER = _ScrubFilter()
for _name in ("httpx", "httpcore"):
    _logger = logging.getLogger(_name)
    if _FILTER not in _logger.filters:
        _logger.addFilter(_FILTER)


@dataclass(frozen=True)
class ClientConfig:
    """Connection settings.  Every threshold is configuration with the documented default."""

    app_key: str
    app_secret: str = field(repr=False)
    base_url: str = DEFAULT_BASE_URL
    auth_base_url: str = DEFAULT_AUTH_BASE_URL
    authorize_url: str = DEFAULT_AUTHORIZE_URL
    service_id: str = ""
    qps: float = 50.0
    qps_per_api: Mapping[str, float] = field(default_factory=dict)
    max_retries: int = 8
    backoff_base_seconds: float = 0.5
    backoff_max_seconds: float = 30.0
    timeout_seconds: float = 30.0
    refresh_margin_seconds: float = 3600.0
    page_size: int = 100

    def __repr__(self) -> str:
        return (
            f"ClientConfig(app_key={self.app_key!r}, app_secret={REDACTED}, "
            f"base_url={self.base_url!r}, auth_base_url={self.auth_base_url!r}, qps={self.qps})"
        )


@dataclass
class Page:
    """One page of a paginated list."""

    items: list[dict[str, Any]]
    next_page_token: str
    total: int | None = None
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class ClientStats:
    requests: int = 0
    retries: int = 0
    throttled: int = 0
    server_errors: int = 0
    network_errors: int = 0
    refreshes: int = 0
    waited_seconds: float = 0.0

    def as_dict(self) -> dict[str, float]:
        return dict(self.__dict__)


class _Retry(Exception):
    def __init__(self, reason: str, after: float | None = None) -> None:
        self.reason = reason
        self.after = after
        super().__init__(reason)


class TikTokClient:
    """A signed, rate-limited, retrying client for one app (and the seller it is authorised by)."""

    def __init__(
        self,
        config: ClientConfig,
        *,
        token_store: TokenStore | None = None,
        token: Token | None = None,
        http: httpx.Client | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
        limiter: RateLimiter | None = None,
    ) -> None:
        self.config = config
        self.token_store = token_store
        self._token = token
        self._own_http = http is None
        self.http = http or httpx.Client(timeout=config.timeout_seconds)
        self.clock = clock
        self.sleep = sleep
        self.rng = rng or random.Random()
        self.limiter = limiter or RateLimiter(
            config.qps, per_api=dict(config.qps_per_api), sleep=sleep
        )
        self.clock_offset = 0.0
        self.stats = ClientStats()

    def __repr__(self) -> str:
        return f"TikTokClient(app_key={self.config.app_key!r}, base_url={self.config.base_url!r})"

    def close(self) -> None:
        if self._own_http:
            self.http.close()

    def __enter__(self) -> TikTokClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- authorisation ---------------------------------------------------------------------
    def authorization_url(self, state: str = "") -> str:
        """Where the seller authorises the app; the redirect carries ``?code=…``."""
        cfg = self.config
        query: dict[str, str] = {}
        if cfg.service_id:
            query["service_id"] = cfg.service_id
        else:
            query["app_key"] = cfg.app_key
        if state:
            query["state"] = state
        sep = "&" if "?" in cfg.authorize_url else "?"
        return f"{cfg.authorize_url}{sep}{urlencode(query)}"

    def _now(self) -> int:
        return int(self.clock() + self.clock_offset)

    def _token_call(self, path: str, params: dict[str, str]) -> Token:
        url = self.config.auth_base_url.rstrip("/") + path
        last: Exception | None = None
        for attempt in range(self.config.max_retries + 1):
            try:
                resp = self.http.get(url, params=params)
            except httpx.TransportError as exc:
                last = exc
                self.stats.network_errors += 1
                self._backoff(attempt, None)
                continue
            if resp.status_code == 429 or resp.status_code >= 500:
                last = TikTokApiError(f"HTTP {resp.status_code}", http_status=resp.status_code)
                self._backoff(attempt, _retry_after(resp))
                continue
            envelope = _envelope(resp, path)
            code = int(envelope.get("code", -1))
            if code != 0:
                raise api_error(
                    code,
                    str(envelope.get("message", "")),
                    str(envelope.get("request_id", "")),
                    path=path,
                    http_status=resp.status_code,
                )
            data = envelope.get("data") or {}
            token = Token.from_api(data, self._now())
            self._token = token
            if self.token_store is not None:
                self.token_store.save(self.config.app_key, token)
            log.info("TikTok Shop token stored for seller %r", token.seller_name)
            return token
        raise TikTokApiError(
            f"TikTok Shop auth {path}: no answer after {self.config.max_retries + 1} attempts ({type(last).__name__})",
            path=path,
        )

    def exchange_code(self, code: str) -> Token:
        """Exchange an authorisation code for tokens (and store them)."""
        return self._token_call(
            "/api/v2/token/get",
            {
                "app_key": self.config.app_key,
                "app_secret": self.config.app_secret,
                "auth_code": code,
                "grant_type": "authorized_code",
            },
        )

    def refresh(self) -> Token:
        """Get a fresh access token with the refresh token (and store it)."""
        token = self.token
        if token.refresh_expired(self._now()):
            raise TokenExpiredError(
                "TikTok Shop authorisation has expired (refresh token no longer valid); "
                "run `quickturn connect tiktok` again to authorise quickturn",
                code=CODES_BY_NAME["refresh_token_expired"],
            )
        self.stats.refreshes += 1
        return self._token_call(
            "/api/v2/token/refresh",
            {
                "app_key": self.config.app_key,
                "app_secret": self.config.app_secret,
                "refresh_token": token.refresh_token,
                "grant_type": "refresh_token",
            },
        )

    @property
    def token(self) -> Token:
        if self._token is None and self.token_store is not None:
            self._token = self.token_store.load(self.config.app_key)
        if self._token is None:
            raise NotConnectedError(
                "TikTok Shop is not connected for this app yet; run `quickturn connect tiktok` first"
            )
        return self._token

    def ensure_token(self) -> Token:
        """The current token, refreshed first when it expires within the refresh margin."""
        token = self.token
        if token.needs_refresh(self._now(), self.config.refresh_margin_seconds):
            token = self.refresh()
        return token

    # -- signed requests -------------------------------------------------------------------
    def _backoff(self, attempt: int, retry_after: float | None) -> None:
        self.stats.retries += 1
        delay = min(self.config.backoff_max_seconds, self.config.backoff_base_seconds * 2**attempt)
        delay = self.rng.uniform(delay / 2, delay)  # "equal jitter"
        if retry_after is not None:
            delay = max(delay, min(retry_after, self.config.backoff_max_seconds))
        self.stats.waited_seconds += delay
        self.sleep(delay)

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, object] | None = None,
        body: Mapping[str, Any] | None = None,
        shop_cipher: str | None = None,
        api: str | None = None,
        authorised: bool = True,
    ) -> dict[str, Any]:
        """Send a signed request and return the envelope's ``data``.

        ``api`` names the rate-limit bucket (defaults to ``path``; pass the path template
        for paths with ids in them).
        """
        cfg = self.config
        payload = (
            json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
            if body is not None
            else None
        )
        refreshed = False
        last_reason = ""
        for attempt in range(cfg.max_retries + 1):
            token = self.ensure_token() if authorised else None
            self.stats.waited_seconds += self.limiter.acquire(api or path, shop_cipher or "")
            query: dict[str, str] = {
                k: str(v) for k, v in (params or {}).items() if v is not None and v != ""
            }
            query["app_key"] = cfg.app_key
            query["timestamp"] = str(self._now())
            if shop_cipher:
                query["shop_cipher"] = shop_cipher
            query["sign"] = sign(path, query, cfg.app_secret, payload)
            headers = {"content-type": "application/json"}
            if token is not None:
                headers["x-tts-access-token"] = token.access_token
            self.stats.requests += 1
            try:
                resp = self.http.request(
                    method,
                    cfg.base_url.rstrip("/") + path,
                    params=query,
                    content=payload,
                    headers=headers,
                )
                return self._handle(resp, path)
            except httpx.TransportError as exc:
                self.stats.network_errors += 1
                last_reason = f"network error ({type(exc).__name__})"
                log.debug("TikTok %s %s: %s, retrying", method, path, last_reason)
                self._backoff(attempt, None)
            except _Retry as r:
                last_reason = r.reason
                log.debug("TikTok %s %s: %s, retrying", method, path, r.reason)
                self._backoff(attempt, r.after)
            except TikTokApiError as exc:
                if exc.kind == "token_expired" and authorised and not refreshed:
                    refreshed = True
                    self.refresh()
                    continue
                if exc.kind == "token_expired":
                    raise TokenExpiredError(
                        f"{exc}; run `quickturn connect tiktok` again to authorise quickturn",
                        code=exc.code,
                        request_id=exc.request_id,
                        path=path,
                    ) from None
                raise
        raise TikTokApiError(
            f"TikTok Shop API {path}: gave up after {cfg.max_retries + 1} attempts "
            f"(last: {last_reason}); try again later",
            path=path,
        )

    def _handle(self, resp: httpx.Response, path: str) -> dict[str, Any]:
        if resp.status_code == 429:
            self.stats.throttled += 1
            raise _Retry("HTTP 429 (rate limited)", _retry_after(resp))
        if resp.status_code >= 500:
            self.stats.server_errors += 1
            raise _Retry(f"HTTP {resp.status_code}", _retry_after(resp))
        try:
            envelope = _envelope(resp, path)
        except TikTokApiError:
            if resp.status_code == 200:  # truncated or garbled body: a network problem
                self.stats.network_errors += 1
                raise _Retry("unreadable response body") from None
            raise
        code = int(envelope.get("code", -1))
        if code == 0:
            data = envelope.get("data")
            return data if isinstance(data, dict) else {}
        kind = ERROR_CODES.get(code)
        if kind is not None and kind.name == "invalid_timestamp":
            server = _server_time(resp)
            if server is not None:
                self.clock_offset = server - self.clock()
            raise _Retry("timestamp outside the window; clock corrected from the server")
        if kind is not None and kind.retryable:
            if kind.name == "rate_limited":
                self.stats.throttled += 1
            raise _Retry(f"platform code {code}", _retry_after(resp))
        raise api_error(
            code,
            str(envelope.get("message", "")),
            str(envelope.get("request_id", "")),
            path=path,
            http_status=resp.status_code,
        )

    # -- paginated helpers -----------------------------------------------------------------
    def _page(self, data: dict[str, Any], key: str) -> Page:
        items = data.get(key) or []
        total = data.get("total_count")
        return Page(
            list(items),
            str(data.get("next_page_token") or ""),
            int(total) if total is not None else None,
            data,
        )

    @staticmethod
    def iter_pages(fetch: Callable[[str], Page], page_token: str = "") -> Iterator[Page]:
        """Follow ``next_page_token`` until it is empty."""
        while True:
            page = fetch(page_token)
            yield page
            if not page.next_page_token:
                return
            page_token = page.next_page_token

    # -- endpoints -------------------------------------------------------------------------
    def get_shops(self) -> list[dict[str, Any]]:
        """Shops the seller authorised, each with ``id``, ``name``, ``region``,
        ``seller_type`` and ``cipher``."""
        data = self.request("GET", "/authorization/202309/shops")
        return list(data.get("shops") or [])

    def search_orders(
        self,
        shop_cipher: str,
        *,
        update_time_ge: int | None = None,
        update_time_lt: int | None = None,
        create_time_ge: int | None = None,
        create_time_lt: int | None = None,
        order_status: str | None = None,
        page_token: str = "",
        page_size: int | None = None,
    ) -> Page:
        """One page of orders (full order objects) filtered by update or create time."""
        body = _drop_none(
            {
                "update_time_ge": update_time_ge,
                "update_time_lt": update_time_lt,
                "create_time_ge": create_time_ge,
                "create_time_lt": create_time_lt,
                "order_status": order_status,
            }
        )
        data = self.request(
            "POST",
            "/order/202309/orders/search",
            params={
                "page_size": page_size or self.config.page_size,
                "page_token": page_token,
                "sort_field": "update_time",
                "sort_order": "ASC",
            },
            body=body,
            shop_cipher=shop_cipher,
        )
        return self._page(data, "orders")

    def get_orders(self, shop_cipher: str, ids: Sequence[str]) -> list[dict[str, Any]]:
        """Order details for up to 50 ids per call (more are split into several calls)."""
        out: list[dict[str, Any]] = []
        ids = list(ids)
        for i in range(0, len(ids), 50):
            data = self.request(
                "GET",
                "/order/202309/orders",
                params={"ids": ",".join(ids[i : i + 50])},
                shop_cipher=shop_cipher,
            )
            out.extend(data.get("orders") or [])
        return out

    def _search_after_sales(
        self,
        path: str,
        key: str,
        shop_cipher: str,
        *,
        update_time_ge: int | None,
        update_time_lt: int | None,
        order_ids: Sequence[str] | None,
        ids_field: str,
        ids: Sequence[str] | None,
        page_token: str,
        page_size: int | None,
    ) -> Page:
        body: dict[str, Any] = _drop_none(
            {"update_time_ge": update_time_ge, "update_time_lt": update_time_lt}
        )
        if order_ids:
            body["order_ids"] = list(order_ids)
        if ids:
            body[ids_field] = list(ids)
        data = self.request(
            "POST",
            path,
            params={
                "page_size": page_size or self.config.page_size,
                "page_token": page_token,
                "sort_field": "update_time",
                "sort_order": "ASC",
            },
            body=body,
            shop_cipher=shop_cipher,
        )
        return self._page(data, key)

    def search_returns(
        self,
        shop_cipher: str,
        *,
        update_time_ge: int | None = None,
        update_time_lt: int | None = None,
        order_ids: Sequence[str] | None = None,
        return_ids: Sequence[str] | None = None,
        page_token: str = "",
        page_size: int | None = None,
    ) -> Page:
        """One page of return / refund requests (``return_orders``)."""
        return self._search_after_sales(
            "/return_refund/202309/returns/search",
            "return_orders",
            shop_cipher,
            update_time_ge=update_time_ge,
            update_time_lt=update_time_lt,
            order_ids=order_ids,
            ids_field="return_ids",
            ids=return_ids,
            page_token=page_token,
            page_size=page_size,
        )

    def search_cancellations(
        self,
        shop_cipher: str,
        *,
        update_time_ge: int | None = None,
        update_time_lt: int | None = None,
        order_ids: Sequence[str] | None = None,
        cancel_ids: Sequence[str] | None = None,
        page_token: str = "",
        page_size: int | None = None,
    ) -> Page:
        """One page of cancellation requests (``cancellations``)."""
        return self._search_after_sales(
            "/return_refund/202309/cancellations/search",
            "cancellations",
            shop_cipher,
            update_time_ge=update_time_ge,
            update_time_lt=update_time_lt,
            order_ids=order_ids,
            ids_field="cancel_ids",
            ids=cancel_ids,
            page_token=page_token,
            page_size=page_size,
        )

    def get_statements(
        self,
        shop_cipher: str,
        *,
        statement_time_ge: int | None = None,
        statement_time_lt: int | None = None,
        page_token: str = "",
        page_size: int | None = None,
    ) -> Page:
        """One page of settlement statements (``statements``) by statement time."""
        data = self.request(
            "GET",
            "/finance/202309/statements",
            params={
                "statement_time_ge": statement_time_ge,
                "statement_time_lt": statement_time_lt,
                "page_size": page_size or self.config.page_size,
                "page_token": page_token,
                "sort_field": "statement_time",
                "sort_order": "ASC",
            },
            shop_cipher=shop_cipher,
        )
        return self._page(data, "statements")

    def get_statement_transactions(
        self,
        shop_cipher: str,
        statement_id: str,
        *,
        page_token: str = "",
        page_size: int | None = None,
    ) -> Page:
        """One page of a statement's transactions (``statement_transactions``)."""
        data = self.request(
            "GET",
            f"/finance/202309/statements/{statement_id}/statement_transactions",
            params={
                "page_size": page_size or self.config.page_size,
                "page_token": page_token,
                "sort_field": "order_create_time",
                "sort_order": "ASC",
            },
            shop_cipher=shop_cipher,
            api="/finance/202309/statements/{statement_id}/statement_transactions",
        )
        return self._page(data, "statement_transactions")

    def search_products(
        self,
        shop_cipher: str,
        *,
        update_time_ge: int | None = None,
        update_time_lt: int | None = None,
        page_token: str = "",
        page_size: int | None = None,
    ) -> Page:
        """One page of products with their SKUs (``products``)."""
        data = self.request(
            "POST",
            "/product/202309/products/search",
            params={"page_size": page_size or self.config.page_size, "page_token": page_token},
            body=_drop_none({"update_time_ge": update_time_ge, "update_time_lt": update_time_lt}),
            shop_cipher=shop_cipher,
        )
        return self._page(data, "products")

    def search_inventory(
        self,
        shop_cipher: str,
        *,
        sku_ids: Sequence[str] | None = None,
        product_ids: Sequence[str] | None = None,
    ) -> list[dict[str, Any]]:
        """Stock per SKU and warehouse (``inventory``), for up to 100 ids per call."""
        out: list[dict[str, Any]] = []
        field_name, ids = (
            ("sku_ids", list(sku_ids or []))
            if sku_ids
            else ("product_ids", list(product_ids or []))
        )
        for i in range(0, max(len(ids), 1), 100):
            chunk = ids[i : i + 100]
            if not chunk:
                break
            data = self.request(
                "POST",
                "/product/202309/inventory/search",
                body={field_name: chunk},
                shop_cipher=shop_cipher,
            )
            out.extend(data.get("inventory") or [])
        return out

    def get_warehouses(self, shop_cipher: str) -> list[dict[str, Any]]:
        """The shop's warehouses (``id``, ``name``, ``type``, ``sub_type``)."""
        data = self.request("GET", "/logistics/202309/warehouses", shop_cipher=shop_cipher)
        return list(data.get("warehouses") or [])


def _drop_none(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if v is not None}


def _envelope(resp: httpx.Response, path: str) -> dict[str, Any]:
    try:
        envelope = resp.json()
    except ValueError:
        raise TikTokApiError(
            f"TikTok Shop API {path}: response is not JSON (HTTP {resp.status_code})",
            http_status=resp.status_code,
            path=path,
        ) from None
    if not isinstance(envelope, dict):
        raise TikTokApiError(
            f"TikTok Shop API {path}: unexpected response shape (HTTP {resp.status_code})",
            http_status=resp.status_code,
            path=path,
        )
    return envelope


def _retry_after(resp: httpx.Response) -> float | None:
    value = resp.headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        when = email.utils.parsedate_to_datetime(value)
        return max(0.0, when.timestamp() - time.time()) if when else None


def _server_time(resp: httpx.Response) -> float | None:
    value = resp.headers.get("date")
    if not value:
        return None
    try:
        return email.utils.parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError):
        return None
