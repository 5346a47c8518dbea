"""Web dashboard (FastAPI + Jinja2 + Plotly.js served locally): ``create_app(settings)``.

See :mod:`quickturn.web.app` for the data flow and docs/web.md for the pages, the security
model and the shareable report.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fastapi import FastAPI

    from quickturn.config import Settings


def create_app(settings: Settings, **kwargs: Any) -> FastAPI:
    """Build the dashboard app (see :func:`quickturn.web.app.create_app`)."""
    from quickturn.web.app import create_app as _create_app

    return _create_app(settings, **kwargs)


__all__ = ["create_app"]
