"""Login form (token → HttpOnly session cookie) and logout."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from quickturn.web import i18n
from quickturn.web.deps import CsrfDep, LangDep, WebDep
from quickturn.web.render import render
from quickturn.web.security import (
    SESSION_COOKIE,
    SESSION_MAX_AGE,
    LoginThrottle,
    client_ip,
    session_value,
)

router = APIRouter(include_in_schema=False)


def safe_next(value: str | None) -> str:
    """Only local paths (no ``//host`` or ``scheme:``): no open redirect."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    return value


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, lang: LangDep, next: str = "/") -> HTMLResponse:
    return render(request, lang, "login.html", page="login", next=safe_next(next), error=None)


@router.post("/login", response_model=None)
def login(
    request: Request,
    web: WebDep,
    lang: LangDep,
    _csrf: CsrfDep,
    token: Annotated[str, Form(max_length=1000)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    expected = web.settings.token
    if expected is None:
        return RedirectResponse(safe_next(next), status_code=303)
    throttle: LoginThrottle = request.app.state.login_throttle
    client = client_ip(request)
    _ = i18n.translator(lang)
    wait = throttle.retry_after(client)
    if wait:
        resp = render(
            request,
            lang,
            "login.html",
            status_code=429,
            page="login",
            next=safe_next(next),
            error=_("Too many wrong tokens: try again in {seconds} s.", seconds=wait),
        )
        resp.headers["Retry-After"] = str(wait)
        return resp
    if not token or not hmac.compare_digest(token.encode(), expected.encode()):
        throttle.failed(client)
        return render(
            request,
            lang,
            "login.html",
            status_code=401,
            page="login",
            next=safe_next(next),
            error=_("That token is not right."),
        )
    throttle.succeeded(client)
    resp = RedirectResponse(safe_next(next), status_code=303)
    resp.set_cookie(
        SESSION_COOKIE,
        session_value(expected),
        max_age=SESSION_MAX_AGE,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )
    return resp


@router.post("/refresh")
def refresh(
    web: WebDep, _csrf: CsrfDep, next: Annotated[str, Form(max_length=2000)] = "/"
) -> Response:
    """Forget the cached figures and go back to the page (after an import, say)."""
    web.cache.clear()
    return RedirectResponse(safe_next(next), status_code=303)


@router.post("/logout")
def logout(_csrf: CsrfDep) -> Response:
    resp = RedirectResponse("/login", status_code=303)
    resp.delete_cookie(SESSION_COOKIE, path="/")
    return resp
