"""Platform errors of the TikTok Shop Open API, mapped to clear messages.

Data flow: a response envelope ``{code, message, request_id}`` with ``code != 0`` (or an HTTP
status without an envelope) → :class:`TikTokApiError` carrying a message that says what went
wrong and what to do.  The numeric codes follow what public SDKs and the Partner Center pages
show (⚠ TikTok renumbers them now and then); an unknown code keeps the platform's own message
and the request id so that TikTok support can trace it.
"""

from __future__ import annotations

from dataclasses import dataclass

from quickturn.errors import QuickturnError

RECONNECT_HINT = "run `quickturn connect tiktok` again to authorise quickturn"


@dataclass(frozen=True)
class ErrorKind:
    name: str
    message: str
    retryable: bool = False
    reconnect: bool = False
    refresh: bool = False


#: platform code → kind of error.  Retryable ones are retried with backoff by the client.
ERROR_CODES: dict[int, ErrorKind] = {
    105001: ErrorKind(
        "invalid_token",
        "the access token is not valid for this app or shop; " + RECONNECT_HINT,
        reconnect=True,
    ),
    105002: ErrorKind(
        "token_expired",
        "the access token has expired",
        refresh=True,
    ),
    105003: ErrorKind(
        "refresh_token_expired",
        "the authorisation has expired (refresh token no longer valid); " + RECONNECT_HINT,
        reconnect=True,
    ),
    105005: ErrorKind(
        "no_permission",
        "the app has no permission for this API or shop; check the app's scopes in Partner "
        "Center, then " + RECONNECT_HINT,
        reconnect=True,
    ),
    106001: ErrorKind(
        "invalid_app_key",
        "the app key is unknown; check QUICKTURN_TIKTOK_APP_KEY (or tiktok.app_key in the config)",
    ),
    106011: ErrorKind(
        "invalid_sign",
        "the request signature was rejected; check QUICKTURN_TIKTOK_APP_SECRET matches the app key",
    ),
    106014: ErrorKind(
        "invalid_timestamp",
        "the request timestamp is outside the allowed window (−5 min/+30 s); check the computer's clock",
        retryable=True,
    ),
    36004004: ErrorKind(
        "invalid_auth_code",
        "the authorisation code is invalid or already used (codes are single-use and expire "
        "after a few minutes); " + RECONNECT_HINT,
        reconnect=True,
    ),
    36009003: ErrorKind("internal_error", "TikTok reported an internal error", retryable=True),
    36009004: ErrorKind("invalid_parameter", "TikTok rejected a request parameter"),
    36009007: ErrorKind("rate_limited", "too many requests (rate limit)", retryable=True),
    36009010: ErrorKind(
        "invalid_page_token",
        "the page token is invalid or has expired; the sync restarts this window",
    ),
}

#: kinds by name (used by the fake server in tests and by the sync to branch on)
CODES_BY_NAME: dict[str, int] = {kind.name: code for code, kind in ERROR_CODES.items()}


class TikTokApiError(QuickturnError):
    """A call to the TikTok Shop API failed (after retries where retrying makes sense)."""

    def __init__(
        self,
        message: str,
        *,
        code: int | None = None,
        platform_message: str = "",
        request_id: str = "",
        http_status: int | None = None,
        path: str = "",
    ) -> None:
        self.code = code
        self.platform_message = platform_message
        self.request_id = request_id
        self.http_status = http_status
        self.path = path
        kind = ERROR_CODES.get(code) if code is not None else None
        self.kind = kind.name if kind else "unknown"
        super().__init__(message)

    @property
    def needs_reconnect(self) -> bool:
        kind = ERROR_CODES.get(self.code) if self.code is not None else None
        return bool(kind and kind.reconnect)


class TokenExpiredError(TikTokApiError):
    """The authorisation is no longer usable: the user must run ``quickturn connect tiktok``."""


class NotConnectedError(TikTokApiError):
    """No tokens are stored for this app yet."""


def describe(
    code: int | None, platform_message: str, request_id: str, path: str, http_status: int | None
) -> str:
    """A one-line message: what failed, why (in words), platform code and request id."""
    kind = ERROR_CODES.get(code) if code is not None else None
    what = kind.message if kind else (platform_message or "unexpected response")
    bits = [f"TikTok Shop API {path}: {what}"]
    detail = []
    if code is not None:
        detail.append(f"code {code}")
    if http_status is not None and http_status != 200:
        detail.append(f"HTTP {http_status}")
    if platform_message and kind:
        detail.append(f"platform says {platform_message!r}")
    if request_id:
        detail.append(f"request_id {request_id}")
    if detail:
        bits.append("(" + ", ".join(detail) + ")")
    return " ".join(bits)


def api_error(
    code: int | None,
    platform_message: str,
    request_id: str = "",
    *,
    path: str = "",
    http_status: int | None = None,
) -> TikTokApiError:
    """Build the right exception class for a platform error."""
    kind = ERROR_CODES.get(code) if code is not None else None
    cls = TokenExpiredError if kind and kind.reconnect else TikTokApiError
    return cls(
        describe(code, platform_message, request_id, path, http_status),
        code=code,
        platform_message=platform_message,
        request_id=request_id,
        http_status=http_status,
        path=path,
    )
