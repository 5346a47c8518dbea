"""Inventory projection bands of one SKU (computed on demand, cached per SKU and change).

Data flow: :func:`quickturn.services.plan.read.inventory_projection` (the plan's simulator
replayed for this SKU, on its row of the shop's demand scenarios computed once per database
change by :func:`shop_scenarios`) → quantiles per day → :class:`~quickturn.web.schemas.ProjectionPublic`
→ the SKU page's chart (``charts.inventory_bands``), fetched after the page has loaded so the
page itself stays fast.
"""

from __future__ import annotations

from typing import Any

from quickturn.core.sense.types import SamplePaths
from quickturn.services.plan import read as plan_read
from quickturn.web import schemas as s
from quickturn.web.views import Views


def shop_scenarios(views: Views) -> SamplePaths | None:
    """The whole shop's demand scenarios, once per database change (sense learns from every
    SKU, so one SKU's paths cost as much as all of them); warmed in the background."""
    today = views.today()
    settings = views.web.settings
    return views.cached(
        ("projection_scenarios",),
        lambda st: plan_read.projection_scenarios(st, today=today, settings=settings),
    )


def projection(views: Views, sku_id: str) -> s.ProjectionPublic:
    today = views.today()
    settings = views.web.settings
    paths = shop_scenarios(views)
    data: dict[str, Any] = views.cached(
        ("projection", sku_id),
        lambda st: plan_read.inventory_projection(
            st, sku_id, today=today, settings=settings, paths=paths
        ),
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
