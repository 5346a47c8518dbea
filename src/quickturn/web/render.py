"""Jinja2 templates: the environment and the context every page gets.

Every user-facing string in a template goes through ``_("…")`` (placeholders ``{name}`` as in
the CLI); numbers, money and dates through ``fmt`` (Babel).  Strings are extracted with
Babel's Jinja2 extractor by the catalog test.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import HTMLResponse

from quickturn import __version__
from quickturn.web import charts, i18n, labels
from quickturn.web.security import csrf_token_for

TEMPLATES = Path(__file__).parent / "templates"

NAV: tuple[tuple[str, str, str], ...] = (
    ("overview", "/", labels.N_("Overview")),
    ("skus", "/skus", labels.N_("SKUs")),
    ("plan", "/plan", labels.N_("Plan")),
    ("backtest", "/backtest", labels.N_("Backtest")),
    ("ledger", "/ledger", labels.N_("Ledger")),
    ("content", "/content", labels.N_("Content & creators")),
    ("health", "/health", labels.N_("Health")),
    ("compliance", "/compliance", labels.N_("Compliance")),
)


def _json_script(value: Any) -> Markup:
    """JSON safe inside ``<script type="application/json">`` (no ``</script>`` breakout)."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text)


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(["html", "xml"]),
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    env.filters["json_script"] = _json_script
    env.filters["at"] = lambda h: charts.at(str(h)) if h else h
    return env


def query_url(request: Request, **changes: Any) -> str:
    """The current URL with some query parameters changed (``None`` removes one)."""
    params = dict(request.query_params)
    for k, v in changes.items():
        if v is None or v == "":
            params.pop(k, None)
        else:
            params[k] = str(v)
    q = urlencode(params)
    return request.url.path + ("?" + q if q else "")


def page_context(request: Request, lang: str, **extra: Any) -> dict[str, Any]:
    _ = i18n.translator(lang)
    web = request.app.state.web
    ctx: dict[str, Any] = {
        "request": request,
        "_": _,
        "lang": lang,
        "html_lang": i18n.HTML_LANG.get(lang, "en"),
        "fmt": i18n.Formatter(lang),
        "labels": labels,
        "label": lambda names, code: labels.label(names, code, _),
        "nav": NAV,
        "version": __version__,
        "csrf_token": csrf_token_for(request),
        "auth_required": web.auth_required,
        "logged_in": getattr(request.state, "auth", None) in ("cookie", "bearer"),
        "query_url": lambda **kw: query_url(request, **kw),
        "lang_url": lambda code: query_url(request, lang=code),
        "db_url": web.db.display_url,
        "backend": web.db.backend,
    }
    ctx.update(extra)
    return ctx


def render(
    request: Request, lang: str, template: str, *, status_code: int = 200, **extra: Any
) -> HTMLResponse:
    ctx = page_context(request, lang, **extra)
    html = environment().get_template(template).render(ctx)
    return HTMLResponse(html, status_code=status_code)
