"""The JSON API under ``/api/v1`` (described by ``/api/v1/openapi.json``)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from quickturn.services.plan import read as plan_read
from quickturn.web import projection as projection_view
from quickturn.web import schemas as s
from quickturn.web.deps import CsrfDep, ViewsDep, WebDep
from quickturn.web.views import SKU_SORTS, check_days

router = APIRouter(prefix="/api/v1", tags=["dashboard"])

DaysQ = Annotated[int, Query(ge=1, le=3650, description="Days of history (ending yesterday).")]
OptDaysQ = Annotated[
    int | None, Query(ge=1, le=3650, description="Days of history; empty: all of it.")
]


@router.get("/meta", response_model=s.MetaPublic, summary="Shops, as-of day and latest runs")
def meta(views: ViewsDep) -> s.MetaPublic:
    m = views.meta()
    m.stale = views.stale
    return m


@router.get("/overview", response_model=s.OverviewPublic, summary="The overview page's figures")
def overview(views: ViewsDep, days: DaysQ = 30) -> s.OverviewPublic:
    return views.overview(days)


@router.get("/skus", response_model=s.SkuListPublic, summary="SKU list (filter, sort, page)")
def skus(
    views: ViewsDep,
    q: Annotated[str, Query(max_length=200, description="Text in the SKU code or title.")] = "",
    phase: Annotated[str, Query(max_length=20)] = "",
    risk: Annotated[str, Query(pattern="^(|low|medium|high)$")] = "",
    category: Annotated[str, Query(max_length=60)] = "",
    sort: Annotated[str, Query(description="One of: " + ", ".join(SKU_SORTS))] = "margin_usd",
    order: Annotated[str, Query(pattern="^(asc|desc)$")] = "asc",
    page: Annotated[int, Query(ge=1)] = 1,
    per_page: Annotated[int, Query(ge=1, le=500)] = 50,
    days: DaysQ = 30,
) -> s.SkuListPublic:
    return views.sku_list(
        q=q,
        phase=phase,
        risk=risk,
        category=category,
        sort=sort,
        order=order,
        page=page,
        per_page=per_page,
        days=days,
    )


@router.get("/skus/{sku_id}", response_model=s.SkuDetailPublic, summary="One SKU")
def sku(views: ViewsDep, sku_id: str, days: DaysQ = 90) -> s.SkuDetailPublic:
    return views.sku_detail(sku_id, days)


@router.get(
    "/skus/{sku_id}/projection",
    response_model=s.ProjectionPublic,
    summary="Inventory projection bands of each policy family",
)
def sku_projection(views: ViewsDep, sku_id: str) -> s.ProjectionPublic:
    return projection_view.projection(views, sku_id)


@router.get("/backtest", response_model=s.BacktestPublic, summary="Latest saved backtest")
def backtest(views: ViewsDep) -> s.BacktestPublic:
    return views.backtest()


@router.get("/plan", response_model=s.PlanPublic, summary="Latest plan run")
def plan(views: ViewsDep) -> s.PlanPublic:
    return views.plan()


@router.get(
    "/plan/purchase-orders.csv",
    summary="Today's purchase orders as a supplier CSV",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}}},
)
def purchase_orders_csv(web: WebDep) -> Response:
    return purchase_orders_response(web)


def purchase_orders_response(web: WebDep) -> Response:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "purchase-orders.csv"
        info = web.db.read_call(lambda st: plan_read.export_purchase_orders_csv(st, out))
        body = out.read_bytes()
    name = f"purchase-orders-{info.get('run_id', 'plan')}.csv"
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/ledger", response_model=s.LedgerRollupPublic, summary="Margin by a dimension")
def ledger(
    views: ViewsDep,
    by: Annotated[
        str, Query(description="sku, content, creator, source, route, model, market or month")
    ] = "sku",
    days: OptDaysQ = None,
) -> s.LedgerRollupPublic:
    return views.ledger(by, check_days(days, None))


@router.get("/ledger/lines", response_model=s.LedgerLinesPublic, summary="Order lines of a row")
def ledger_lines(
    views: ViewsDep,
    by: str = "sku",
    key: Annotated[
        str | None, Query(description="The row's key (empty: the rows without one).")
    ] = None,
    days: OptDaysQ = None,
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> s.LedgerLinesPublic:
    return views.ledger_lines(by, key or None, check_days(days, None), offset, limit)


@router.get(
    "/ledger/sources", response_model=s.LineSourcesPublic, summary="Postings of an order line"
)
def ledger_sources(
    views: ViewsDep, order_id: str | None = None, sku_id: str | None = None
) -> s.LineSourcesPublic:
    return views.line_sources(order_id or None, sku_id or None)


@router.get("/content", response_model=s.ContentPagePublic, summary="Profit per video and creator")
def content(
    views: ViewsDep, days: OptDaysQ = None, limit: Annotated[int, Query(ge=1, le=1000)] = 50
) -> s.ContentPagePublic:
    return views.content(check_days(days, None), limit)


@router.get("/health", response_model=s.HealthPublic, summary="Shop health vs thresholds")
def health(views: ViewsDep) -> s.HealthPublic:
    return views.health()


@router.get(
    "/compliance/findings", response_model=s.ComplyListPublic, summary="Compliance findings"
)
def compliance_findings(
    views: ViewsDep,
    severity: Annotated[str, Query(pattern="^(|block|warn|info)$")] = "",
    q: Annotated[str, Query(max_length=200)] = "",
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=5000)] = 200,
) -> s.ComplyListPublic:
    return views.comply(severity=severity, q=q, offset=offset, limit=limit)


@router.post(
    "/compliance/check",
    response_model=s.ComplyCheckPublic,
    summary="Check a draft script, caption or listing text",
)
def compliance_check(
    views: ViewsDep, body: s.ComplyCheckRequest, _csrf: CsrfDep
) -> s.ComplyCheckPublic:
    return views.comply_check(body.text)


@router.post("/cache/refresh", summary="Forget cached figures (after a manual change)")
def refresh(web: WebDep, _csrf: CsrfDep) -> dict[str, object]:
    web.cache.clear()
    return {"ok": True}
