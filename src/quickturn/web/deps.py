"""FastAPI dependencies, as ``Annotated`` aliases used by every route."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request

from quickturn.i18n import Translator
from quickturn.web import i18n
from quickturn.web.security import CSRF_FIELD, CSRF_HEADER, csrf_ok
from quickturn.web.views import Views, WebContext


def get_web(request: Request) -> WebContext:
    web: WebContext = request.app.state.web
    return web


def get_lang(request: Request) -> str:
    lang = getattr(request.state, "lang", None)
    if lang is None:
        lang = i18n.negotiate(
            request.query_params.get("lang"),
            request.cookies.get(i18n.COOKIE),
            request.headers.get("accept-language"),
        )
        request.state.lang = lang
    return str(lang)


WebDep = Annotated[WebContext, Depends(get_web)]
LangDep = Annotated[str, Depends(get_lang)]


def get_views(web: WebDep, lang: LangDep) -> Views:
    return Views(web, lang)


def get_translator(lang: LangDep) -> Translator:
    return i18n.translator(lang)


ViewsDep = Annotated[Views, Depends(get_views)]
TranslatorDep = Annotated[Translator, Depends(get_translator)]


async def verify_csrf(request: Request) -> None:
    """Double-submit check for write actions (bearer-authenticated calls are exempt)."""
    if getattr(request.state, "auth", None) == "bearer":
        return
    submitted = request.headers.get(CSRF_HEADER)
    if not submitted:
        ctype = request.headers.get("content-type", "")
        if ctype.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()
            value = form.get(CSRF_FIELD)
            submitted = value if isinstance(value, str) else None
    if not csrf_ok(request, submitted):
        raise HTTPException(
            status_code=403,
            detail="missing or wrong CSRF token: reload the page and try again",
        )


CsrfDep = Annotated[None, Depends(verify_csrf)]
