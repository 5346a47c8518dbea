"""Who may use the dashboard, and protection of its write actions.

Model (docs/web.md, "Security"):

* The server binds ``127.0.0.1`` by default.  Bound to any other interface it refuses to
  start without a token (``QUICKTURN_TOKEN``); with a token set, every request needs it
  whatever the interface.
  The token must be at least :data:`MIN_TOKEN_LENGTH` characters on such a bind.
* The token is sent as ``Authorization: Bearer <token>`` (scripts, the API) or entered once
  in the login form, which sets an ``HttpOnly``, ``SameSite=Strict`` session cookie holding
  its issue time and an HMAC of the token and that time (the token itself is never stored in
  the browser nor rendered).  The cookie lasts :data:`SESSION_MAX_AGE` (``Max-Age``) and the
  server checks the issue time too, so a copied cookie stops working after 12 hours.
  Requests without it get ``401`` (the login form for pages, JSON for the API).
* Wrong tokens are throttled per client IP (:class:`LoginThrottle`): after
  :data:`LOGIN_MAX_FAILURES` failures (login form or bearer header) within
  :data:`LOGIN_WINDOW_SECONDS`, further attempts get ``429`` with ``Retry-After``.
* Write actions (``POST`` and friends) are protected against cross-site request forgery
  twice: the ``Origin`` (or ``Referer``) must be this server, and a double-submit token —
  the ``qt_csrf`` cookie echoed in the ``X-CSRF-Token`` header or a ``csrf_token`` form
  field — must match.  Requests authenticated by a bearer header are not forgeable by a
  browser and skip the double-submit check.
* On a loopback bind the ``Host`` header must name the loopback interface (DNS rebinding).
* ``/webhooks/tiktok`` is exempt from the token and the CSRF checks: it has its own HMAC
  signature check.  ``/static/*`` (the CSS, the JS and Plotly) and ``/healthz`` are public.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import math
import secrets
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp

SESSION_COOKIE = "qt_session"
CSRF_COOKIE = "qt_csrf"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1", "[::1]"})
#: shortest token accepted on a non-loopback bind
MIN_TOKEN_LENGTH = 16
#: lifetime of the login cookie (``Max-Age`` and the server-side check of its issue time)
SESSION_MAX_AGE = 12 * 3600
#: a cookie issued this far in the future (clock skew) is still accepted
SESSION_CLOCK_SKEW = 60
#: wrong tokens allowed per client IP within the window before ``429``
LOGIN_MAX_FAILURES = 5
LOGIN_WINDOW_SECONDS = 300.0
#: clients remembered by the throttle (the oldest are forgotten beyond this)
THROTTLE_CLIENTS = 10_000

#: Content-Security-Policy of every page: scripts and styles only from this server (Plotly
#: sets inline styles on its SVG, hence ``style-src 'unsafe-inline'``), no frames, no
#: connections elsewhere, nothing fetched from the internet.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'"
)


def is_loopback(host: str) -> bool:
    """``127.0.0.1``, ``::1``, ``localhost`` … (a name that is not an IP counts only when it
    is ``localhost``)."""
    h = host.strip().strip("[]")
    if h == "localhost":
        return True
    try:
        return ipaddress.ip_address(h).is_loopback
    except ValueError:
        return False


def host_name(host: str) -> str:
    """The name part of a ``Host`` header (``[::1]:8000`` → ``[::1]``)."""
    host = host.strip().lower()
    if host.startswith("["):
        end = host.find("]")
        return host[: end + 1] if end > 0 else host
    return host.split(":", 1)[0]


def session_value(token: str, issued: int | None = None) -> str:
    """What the session cookie holds: ``<issued>.<HMAC of the token and issued>`` (never the
    token); ``issued`` is a Unix time in seconds (default: now)."""
    at = int(time.time()) if issued is None else int(issued)
    mac = hmac.new(
        token.encode("utf-8"), f"quickturn-web-session-v2|{at}".encode(), hashlib.sha256
    ).hexdigest()
    return f"{at}.{mac}"


def session_ok(
    token: str, cookie: str, *, now: float | None = None, max_age: int = SESSION_MAX_AGE
) -> bool:
    """The cookie was issued by this server for this token less than ``max_age`` ago."""
    issued_text, dot, _mac = cookie.partition(".")
    if not dot or not issued_text.isascii() or not issued_text.isdigit() or len(issued_text) > 12:
        return False
    issued = int(issued_text)
    t = time.time() if now is None else now
    if issued > t + SESSION_CLOCK_SKEW or t - issued > max_age:
        return False
    return hmac.compare_digest(cookie.encode(), session_value(token, issued).encode())


def client_ip(request: Request) -> str:
    """The peer's address (behind a reverse proxy: the proxy's, see docs/web.md)."""
    return request.client.host if request.client else "unknown"


class LoginThrottle:
    """Failed token attempts per client: ``retry_after(ip)`` is the seconds to wait once
    ``max_failures`` failures fall within ``window`` seconds, else ``None``."""

    def __init__(
        self,
        max_failures: int = LOGIN_MAX_FAILURES,
        window: float = LOGIN_WINDOW_SECONDS,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_clients: int = THROTTLE_CLIENTS,
    ) -> None:
        self.max_failures = max_failures
        self.window = window
        self.clock = clock
        self.max_clients = max_clients
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def _recent(self, client: str, now: float) -> deque[float] | None:
        times = self._failures.get(client)
        if times is None:
            return None
        while times and now - times[0] >= self.window:
            times.popleft()
        if not times:
            del self._failures[client]
            return None
        return times

    def retry_after(self, client: str) -> int | None:
        with self._lock:
            now = self.clock()
            times = self._recent(client, now)
            if times is None or len(times) < self.max_failures:
                return None
            return max(1, math.ceil(times[-self.max_failures] + self.window - now))

    def failed(self, client: str) -> None:
        with self._lock:
            now = self.clock()
            times = self._recent(client, now)
            if times is None:
                times = self._failures[client] = deque(maxlen=self.max_failures)
            times.append(now)
            self._failures.move_to_end(client)
            while len(self._failures) > self.max_clients:
                self._failures.popitem(last=False)

    def succeeded(self, client: str) -> None:
        with self._lock:
            self._failures.pop(client, None)

    def reset(self) -> None:
        with self._lock:
            self._failures.clear()


def too_many_attempts(wait: int) -> JSONResponse:
    return JSONResponse(
        {"detail": f"too many wrong tokens from this address: try again in {wait} s"},
        status_code=429,
        headers={"Retry-After": str(wait)},
    )


def new_csrf_token() -> str:
    return secrets.token_urlsafe(32)


@dataclass(frozen=True)
class SecurityPolicy:
    token: str | None
    loopback: bool
    exempt_prefixes: tuple[str, ...] = ("/static/", "/healthz", "/login", "/favicon.ico")
    exempt_paths: frozenset[str] = field(default_factory=frozenset)
    allowed_hosts: frozenset[str] = LOOPBACK_NAMES
    throttle: LoginThrottle = field(default_factory=LoginThrottle)

    @property
    def auth_required(self) -> bool:
        return self.token is not None

    def exempt(self, path: str) -> bool:
        return path in self.exempt_paths or path.startswith(self.exempt_prefixes)

    def authenticate(self, request: Request) -> str | None:
        """``"bearer"``, ``"cookie"`` or ``"open"`` when allowed in; ``None`` otherwise."""
        if self.token is None:
            return "open"
        header = request.headers.get("authorization", "")
        if header[:7].lower() == "bearer ":
            given = header[7:].strip()
            if given and hmac.compare_digest(given.encode(), self.token.encode()):
                return "bearer"
            return None
        cookie = request.cookies.get(SESSION_COOKIE)
        if cookie and session_ok(self.token, cookie):
            return "cookie"
        return None


def same_origin(request: Request) -> bool:
    """The request's ``Origin`` (or ``Referer``) names this server, or neither is sent."""
    origin = request.headers.get("origin") or request.headers.get("referer")
    if not origin or origin == "null":
        return origin != "null"
    parts = urlsplit(origin)
    host = request.headers.get("host", "")
    return parts.netloc.lower() == host.lower()


def has_nul(request: Request) -> bool:
    """The decoded path or query string holds a NUL byte (``%00``)."""
    if "\x00" in request.url.path:
        return True
    query = request.scope.get("query_string", b"")
    return b"\x00" in query or b"%00" in query


def csrf_ok(request: Request, submitted: str | None) -> bool:
    cookie = request.cookies.get(CSRF_COOKIE)
    if not cookie or not submitted:
        return False
    return hmac.compare_digest(cookie.encode(), submitted.encode())


Unauthorized = Callable[[Request], Awaitable[Response]]


class SecurityMiddleware(BaseHTTPMiddleware):
    """Host check, token check, Origin check on writes, security headers, CSRF cookie."""

    def __init__(self, app: ASGIApp, *, policy: SecurityPolicy, unauthorized: Unauthorized) -> None:
        super().__init__(app)
        self.policy = policy
        self.unauthorized = unauthorized

    async def dispatch(
        self, request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        p = self.policy
        path = request.url.path
        if has_nul(request):
            # PostgreSQL text cannot hold NUL: refuse before any query (no 500, no SQL in logs)
            return JSONResponse(
                {"detail": "the path or query contains a NUL byte (%00); remove it"},
                status_code=400,
            )
        if p.loopback and host_name(request.headers.get("host") or "") not in p.allowed_hosts:
            return JSONResponse(
                {"detail": "unknown Host header; open the dashboard at http://127.0.0.1"},
                status_code=400,
            )
        webhook = path in p.exempt_paths
        header = request.headers.get("authorization", "")
        bearer = p.token is not None and header[:7].lower() == "bearer "
        if bearer and (wait := p.throttle.retry_after(client_ip(request))):
            return too_many_attempts(wait)
        via = p.authenticate(request)
        request.state.auth = via
        if bearer and via is None:
            p.throttle.failed(client_ip(request))
        if via is None and not p.exempt(path):
            return self._finish(request, await self.unauthorized(request), path)
        if (
            request.method in UNSAFE
            and not webhook
            and via != "bearer"
            and not same_origin(request)
        ):
            return JSONResponse(
                {"detail": "cross-site request refused (Origin does not match this server)"},
                status_code=403,
            )
        response = await call_next(request)
        if webhook:
            return response
        return self._finish(request, response, path)

    @staticmethod
    def _finish(request: Request, response: Response, path: str) -> Response:
        """Security headers, and the CSRF cookie when the browser has none yet."""
        h = response.headers
        h.setdefault("Content-Security-Policy", CSP)
        h.setdefault("X-Content-Type-Options", "nosniff")
        h.setdefault("X-Frame-Options", "DENY")
        h.setdefault("Referrer-Policy", "same-origin")
        if not path.startswith("/static/"):
            h.setdefault("Cache-Control", "no-store")
            if CSRF_COOKIE not in request.cookies:
                token = getattr(request.state, "csrf", None) or new_csrf_token()
                response.set_cookie(
                    CSRF_COOKIE,
                    token,
                    httponly=False,
                    samesite="strict",
                    secure=request.url.scheme == "https",
                    path="/",
                )
        return response


def csrf_token_for(request: Request) -> str:
    """The request's CSRF token (the cookie's, or a new one the response will set)."""
    token = request.cookies.get(CSRF_COOKIE) or getattr(request.state, "csrf", None)
    if not token:
        token = new_csrf_token()
        request.state.csrf = token
    return token
