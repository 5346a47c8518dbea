"""The dashboard application: ``create_app(settings)``.

Data flow: ``Settings`` (database, token, options) → :class:`~quickturn.web.data.Database`
(short read-only connections) + :class:`~quickturn.web.data.Cache` (results per database
change, warmed by a background thread) → routes: HTML pages (``routes/pages.py``), the JSON
API under ``/api/v1`` (``routes/api.py``, OpenAPI at ``/api/v1/openapi.json``), the login
form, ``POST /webhooks/tiktok`` (the connector's router) and static files — Plotly.js comes
from the installed ``plotly`` package, so everything works offline.

Nothing happens at import time: the settings, the database and the cache are created by
:func:`create_app`, and the database is opened (and migrated) when the app starts.
"""

from __future__ import annotations

import gzip
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import HTTPException, RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles

from quickturn import __version__
from quickturn.config import Settings
from quickturn.errors import ConfigError, UsageError
from quickturn.services import readbase
from quickturn.web import i18n
from quickturn.web.data import Cache, Database, DatabaseBusy, Warmer
from quickturn.web.render import render
from quickturn.web.routes import api, auth, pages
from quickturn.web.security import (
    MIN_TOKEN_LENGTH,
    SecurityMiddleware,
    SecurityPolicy,
    is_loopback,
)
from quickturn.web.views import DEFAULT_DAYS, Views, WebContext

log = logging.getLogger("quickturn.web")
STATIC = Path(__file__).parent / "static"
DEFAULT_WEBHOOK_PATH = "/webhooks/tiktok"


@lru_cache(maxsize=1)
def plotly_js() -> tuple[bytes, bytes, str]:
    """Plotly.js from the installed ``plotly`` package: (plain, gzip, version)."""
    import plotly

    path = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    data = path.read_bytes()
    return data, gzip.compress(data, 6), str(plotly.__version__)


def warm(web: WebContext) -> None:
    """Compute what the first pages need (overview, SKU list, SKU details' shared frames)."""
    views = Views(web, "en")
    views.overview(DEFAULT_DAYS)
    views.components_by_sku(DEFAULT_DAYS)
    views.cash()
    views.sku_list(days=DEFAULT_DAYS)
    views.daily_units()
    views.components_by_sku(90)
    # last: the shop's demand scenarios behind the SKU pages' inventory bands (the slowest)
    from quickturn.web.projection import shop_scenarios

    shop_scenarios(views)


def _webhook_router(settings: Settings, db: Database) -> tuple[Any, str] | None:
    """The connector's TikTok webhook router (:func:`quickturn.services.webhooks.tiktok_router`)
    when the app key and secret are configured; each notification is written through
    ``db.open_for_write`` (the in-process write lock, see :mod:`quickturn.web.data`)."""
    try:
        from quickturn.services.connect import tiktok_settings
        from quickturn.services.webhooks import tiktok_router
    except ImportError:  # the connector is not installed in this build
        return None
    try:
        ts = tiktok_settings(settings)
        ts.require()
    except Exception as exc:  # not configured: the route answers 503 and says why
        log.info("TikTok webhooks not configured: %s", exc)
        return None
    path = str(ts.webhook_path or DEFAULT_WEBHOOK_PATH)
    return tiktok_router(settings, options=ts, opener=db.open_for_write), path


def create_app(
    settings: Settings,
    *,
    host: str = "127.0.0.1",
    warm_cache: bool = True,
    allowed_hosts: tuple[str, ...] = (),
) -> FastAPI:
    """Build the dashboard app over ``settings.db``.

    ``host`` is the interface the server will bind: anything but loopback requires
    ``settings.token`` (``QUICKTURN_TOKEN``); with a token set, every request needs it.
    ``allowed_hosts`` adds names the ``Host`` header may carry on a loopback bind.
    """
    loopback = is_loopback(host)
    if not loopback and not settings.token:
        raise ConfigError(
            f"serving on {host} exposes the dashboard to the network: set QUICKTURN_TOKEN to a "
            "long random secret first (or bind 127.0.0.1)"
        )
    if not loopback and settings.token and len(settings.token) < MIN_TOKEN_LENGTH:
        raise ConfigError(
            f"QUICKTURN_TOKEN is {len(settings.token)} characters long; serving on {host} needs "
            f"at least {MIN_TOKEN_LENGTH} (a long random secret, e.g. the output of "
            "`python -c 'import secrets; print(secrets.token_urlsafe(32))'`), or bind 127.0.0.1"
        )
    db = Database(settings.db)
    cache = Cache(db)
    hook = _webhook_router(settings, db)
    webhook_path = hook[1] if hook else DEFAULT_WEBHOOK_PATH
    web = WebContext(
        settings=settings,
        db=db,
        cache=cache,
        auth_required=settings.token is not None,
        bind_host=host,
        webhook_path=webhook_path,
    )
    warmer = Warmer(cache, lambda: warm(web)) if warm_cache else None

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        db.prepare()
        if warmer is not None:
            warmer.start()
        try:
            yield
        finally:
            if warmer is not None:
                warmer.stop()

    app = FastAPI(
        title="quickturn dashboard API",
        version=__version__,
        description="Read-only figures of the quickturn dashboard (ledger, sense, plan, health, "
        "comply) and the live compliance check.  Authenticate with `Authorization: Bearer "
        "<QUICKTURN_TOKEN>` when the server requires a token.",
        openapi_url="/api/v1/openapi.json",
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.web = web
    app.state.warmer = warmer

    # -- security ---------------------------------------------------------------------------
    policy = SecurityPolicy(
        token=settings.token,
        loopback=loopback,
        exempt_paths=frozenset({webhook_path}),
        allowed_hosts=frozenset({"localhost", "127.0.0.1", "::1", "[::1]", *allowed_hosts}),
    )
    app.state.login_throttle = policy.throttle

    async def unauthorized(request: Request) -> Response:
        wants_html = "text/html" in request.headers.get("accept", "") and not (
            request.url.path.startswith("/api/")
        )
        if wants_html and request.method == "GET":
            lang = _lang(request)
            nxt = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            resp: Response = render(
                request, lang, "login.html", status_code=401, page="login", next=nxt, error=None
            )
        else:
            resp = JSONResponse(
                {"detail": "authentication required: send Authorization: Bearer <token>"},
                status_code=401,
            )
        resp.headers["WWW-Authenticate"] = 'Bearer realm="quickturn"'
        return resp

    app.add_middleware(SecurityMiddleware, policy=policy, unauthorized=unauthorized)

    # added last, so it is the outermost layer: the choice is remembered even on a 401
    @app.middleware("http")
    async def language_cookie(request: Request, call_next: Any) -> Response:
        response: Response = await call_next(request)
        wanted = i18n.normalise(request.query_params.get("lang"))
        if wanted and request.cookies.get(i18n.COOKIE) != wanted:
            response.set_cookie(
                i18n.COOKIE, wanted, max_age=365 * 86400, samesite="lax", httponly=True, path="/"
            )
        return response

    # -- errors -----------------------------------------------------------------------------
    def _error(request: Request, status: int, message: str) -> Response:
        if request.url.path.startswith("/api/") or "text/html" not in request.headers.get(
            "accept", ""
        ):
            return JSONResponse({"detail": message}, status_code=status)
        return render(
            request,
            _lang(request),
            "error.html",
            status_code=status,
            page="error",
            status=status,
            message=message,
        )

    @app.exception_handler(readbase.NotFound)
    async def not_found(request: Request, exc: readbase.NotFound) -> Response:
        return _error(request, 404, str(exc))

    @app.exception_handler(UsageError)
    async def usage_error(request: Request, exc: UsageError) -> Response:
        return _error(request, 400, str(exc))

    @app.exception_handler(DatabaseBusy)
    async def busy(request: Request, exc: DatabaseBusy) -> Response:
        resp = _error(request, 503, str(exc))
        resp.headers["Retry-After"] = "5"
        return resp

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        return _error(request, exc.status_code, str(exc.detail))

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": exc.errors()}, status_code=422)
        parts = [
            f"{'.'.join(str(x) for x in e.get('loc', ()))}: {e.get('msg')}" for e in exc.errors()
        ]
        return _error(request, 422, "; ".join(parts))

    # -- routes -----------------------------------------------------------------------------
    @app.get("/static/plotly.min.js", include_in_schema=False)
    def plotly_static(request: Request) -> Response:
        plain, packed, version = plotly_js()
        etag = f'"plotly-{version}"'
        headers = {"Cache-Control": "public, max-age=604800, immutable", "ETag": etag}
        if request.headers.get("if-none-match") == etag:
            return Response(status_code=304, headers=headers)
        if "gzip" in request.headers.get("accept-encoding", ""):
            headers["Content-Encoding"] = "gzip"
            headers["Vary"] = "Accept-Encoding"
            return Response(packed, media_type="application/javascript", headers=headers)
        return Response(plain, media_type="application/javascript", headers=headers)

    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/api/v1/docs", include_in_schema=False, response_class=HTMLResponse)
    def api_docs(request: Request) -> HTMLResponse:
        return render(request, _lang(request), "api_docs.html", page="api", spec=app.openapi())

    app.include_router(auth.router)
    app.include_router(api.router)
    app.include_router(pages.router)
    if hook is not None:
        app.include_router(hook[0])
    else:

        @app.post(webhook_path, include_in_schema=False)
        def webhook_not_configured() -> JSONResponse:
            return JSONResponse(
                {
                    "code": 503,
                    "message": "TikTok webhooks are not configured on this server: "
                    "run `quickturn connect tiktok` (app key and secret) first",
                },
                status_code=503,
            )

    return app


def _lang(request: Request) -> str:
    lang = getattr(request.state, "lang", None)
    if lang:
        return str(lang)
    return i18n.negotiate(
        request.query_params.get("lang"),
        request.cookies.get(i18n.COOKIE),
        request.headers.get("accept-language"),
    )
