"""Inventory projection bands of one SKU (computed on demand, cached per SKU and change).

Data flow: :func:`quickturn.services.dashboard.inventory_projection` (the plan's simulator
replayed for this SKU) → quantiles per day → :class:`~quickturn.web.schemas.ProjectionPublic`
→ the SKU page's chart (``charts.inventory_bands``), fetched after the page has loaded so the
page itself stays fast.
"""

from __future__ import annotations

from typing import Any

from quickturn.services import dashboard
from quickturn.web import schemas as s
from quickturn.web.views import Views


def projection(views: Views, sku_id: str) -> s.ProjectionPublic:
    today = views.today()
    settings = views.web.settings
    data: dict[str, Any] = views.cached(
        ("projection", sku_id),
        lambda st: dashboard.inventory_projection(st, sku_id, today=today, settings=settings),
    )
    return s.ProjectionPublic(
        sku_id=sku_id,
        start=data["start"],
        days=data["days"],
        scenarios=data["scenarios"],
        measure="units on hand at the end of each day",
        policies=[s.BandPublic(**b) for b in data["policies"]],
        note=data.get("note"),
    )
