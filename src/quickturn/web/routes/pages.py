"""HTML pages.  Each page renders the same schema objects the JSON API returns."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from quickturn.services.ledger import read as ledger_read
from quickturn.services.plan import read as plan_read
from quickturn.web import charts, labels, projection
from quickturn.web import schemas as s
from quickturn.web.deps import CsrfDep, LangDep, TranslatorDep, ViewsDep, WebDep
from quickturn.web.render import render
from quickturn.web.routes.api import purchase_orders_response
from quickturn.web.views import DAY_CHOICES, check_days

router = APIRouter(include_in_schema=False)

DaysQ = Annotated[int, Query(ge=1, le=3650)]
OptDaysQ = Annotated[int | None, Query(ge=1, le=3650)]


@router.get("/", response_class=HTMLResponse)
def overview(
    request: Request, views: ViewsDep, lang: LangDep, _: TranslatorDep, days: DaysQ = 30
) -> HTMLResponse:
    model = views.overview(days)
    cash_summary, points = views.cash()
    plan = views.plan_data()
    spend: list[tuple[object, float]] = []
    if plan.get("run") is not None:
        spend = list(plan_read.purchase_order_spend(plan["actions"]).iter_rows())
    figs = {}
    if points:
        figs["cash"] = charts.cash_chart(points, _, lang, spend=spend)  # type: ignore[arg-type]
    if model.kpis.ledger:
        comps = views.components_by_sku(days)
        figs["waterfall"] = charts.waterfall(
            [s.WaterfallStepPublic(**r) for r in ledger_read.waterfall(comps)], _, lang
        )
    return render(
        request,
        lang,
        "overview.html",
        page="overview",
        model=model,
        figs=figs,
        days=days,
        day_choices=DAY_CHOICES,
        stale=views.stale,
        cash_summary=cash_summary,
    )


@router.get("/skus", response_class=HTMLResponse)
def skus(
    request: Request,
    views: ViewsDep,
    lang: LangDep,
    q: Annotated[str, Query(max_length=200)] = "",
    phase: Annotated[str, Query(max_length=20)] = "",
    risk: Annotated[str, Query(pattern="^(|low|medium|high)$")] = "",
    category: Annotated[str, Query(max_length=60)] = "",
    sort: str = "margin_usd",
    order: Annotated[str, Query(pattern="^(asc|desc)$")] = "asc",
    page: Annotated[int, Query(ge=1)] = 1,
    per_page: Annotated[int, Query(ge=1, le=500)] = 50,
    days: DaysQ = 30,
) -> HTMLResponse:
    model = views.sku_list(
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
    return render(
        request,
        lang,
        "skus.html",
        page="skus",
        model=model,
        day_choices=DAY_CHOICES,
        stale=views.stale,
        meta=views.meta(),
    )


@router.get("/skus/{sku_id}", response_class=HTMLResponse)
def sku(
    request: Request,
    sku_id: str,
    views: ViewsDep,
    lang: LangDep,
    _: TranslatorDep,
    days: DaysQ = 90,
) -> HTMLResponse:
    model = views.sku_detail(sku_id, days)
    figs = {
        "demand": charts.demand_fan(model, _, lang),
        "waterfall": charts.waterfall(model.waterfall, _, lang),
    }
    return render(
        request,
        lang,
        "sku.html",
        page="skus",
        model=model,
        figs=figs,
        projection_available=plan_read.plan_simulator_available(),
        days=days,
        day_choices=DAY_CHOICES,
        stale=views.stale,
    )


@router.get("/skus/{sku_id}/projection-figure")
def sku_projection_figure(
    sku_id: str, views: ViewsDep, lang: LangDep, _: TranslatorDep
) -> JSONResponse:
    """The inventory-bands figure of the SKU page (loaded by the page after it is shown)."""
    proj = projection.projection(views, sku_id)
    return JSONResponse(charts.inventory_bands(proj, _, lang))


@router.get("/plan", response_class=HTMLResponse)
def plan(request: Request, views: ViewsDep, lang: LangDep, _: TranslatorDep) -> HTMLResponse:
    model = views.plan()
    figs = {}
    if model.comparison:
        figs["comparison"] = charts.policy_comparison(model.comparison, _, lang)
    if model.cash:
        spend: dict[object, float] = {}
        for a in model.actions:
            if a.kind == "purchase_order" and a.order_date is not None:
                spend[a.order_date] = spend.get(a.order_date, 0.0) + (a.total_cost_usd or 0.0)
        figs["cash"] = charts.cash_chart(model.cash, _, lang, spend=sorted(spend.items()))  # type: ignore[arg-type]
    return render(
        request, lang, "plan.html", page="plan", model=model, figs=figs, stale=views.stale
    )


@router.get("/backtest", response_class=HTMLResponse)
def backtest(request: Request, views: ViewsDep, lang: LangDep, _: TranslatorDep) -> HTMLResponse:
    model = views.backtest()
    figs = {}
    if model.daily:
        figs["profit"] = charts.backtest_lines(model, "cumulative_profit_usd", _, lang)
        figs["inventory"] = charts.backtest_lines(model, "inventory_value_usd", _, lang)
    return render(
        request, lang, "backtest.html", page="backtest", model=model, figs=figs, stale=views.stale
    )


@router.get("/plan/purchase-orders.csv")
def plan_csv(web: WebDep) -> Response:
    return purchase_orders_response(web)


@router.get("/ledger", response_class=HTMLResponse)
def ledger(
    request: Request,
    views: ViewsDep,
    lang: LangDep,
    _: TranslatorDep,
    by: str = "sku",
    days: OptDaysQ = None,
) -> HTMLResponse:
    model = views.ledger(by, check_days(days, None))
    names = [row_label(by, r.key, _) for r in model.rows]
    figs = {}
    if model.rows:
        figs["bars"] = charts.margin_bars(model.rows, _, lang, names=names)
    return render(
        request,
        lang,
        "ledger.html",
        page="ledger",
        model=model,
        names=names,
        figs=figs,
        days=days,
        day_choices=DAY_CHOICES,
        dims=labels.DIMENSIONS,
        stale=views.stale,
    )


def row_label(by: str, key: str | None, _: TranslatorDep) -> str:
    if key is None:
        return _("(none)")
    names = {
        "source": labels.TRAFFIC_SOURCES,
        "model": labels.OPERATING_MODELS,
    }.get(by)
    return labels.label(names, key, _) if names else key


@router.get("/ledger/lines", response_class=HTMLResponse)
def ledger_lines(
    request: Request,
    views: ViewsDep,
    lang: LangDep,
    _: TranslatorDep,
    by: str = "sku",
    key: str | None = None,
    days: OptDaysQ = None,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> HTMLResponse:
    model = views.ledger_lines(by, key or None, check_days(days, None), offset, 100)
    return render(
        request,
        lang,
        "ledger_lines.html",
        page="ledger",
        model=model,
        key_label=row_label(by, key or None, _),
        days=days,
        dims=labels.DIMENSIONS,
        stale=views.stale,
    )


@router.get("/ledger/sources", response_class=HTMLResponse)
def ledger_sources(
    request: Request,
    views: ViewsDep,
    lang: LangDep,
    order_id: str | None = None,
    sku_id: str | None = None,
) -> HTMLResponse:
    model = views.line_sources(order_id or None, sku_id or None)
    return render(
        request, lang, "ledger_sources.html", page="ledger", model=model, stale=views.stale
    )


@router.get("/content", response_class=HTMLResponse)
def content(
    request: Request, views: ViewsDep, lang: LangDep, _: TranslatorDep, days: OptDaysQ = None
) -> HTMLResponse:
    model = views.content(check_days(days, None), 40)
    figs = {}
    if model.videos:
        figs["videos"] = charts.margin_bars(
            model.videos, _, lang, names=[v.key or "—" for v in model.videos], n=16
        )
    if model.creators:
        figs["creators"] = charts.margin_bars(
            model.creators,
            _,
            lang,
            names=[charts.at(c.handle or c.key or "—") for c in model.creators],
            n=16,
        )
    return render(
        request,
        lang,
        "content.html",
        page="content",
        model=model,
        figs=figs,
        days=days,
        day_choices=DAY_CHOICES,
        stale=views.stale,
    )


@router.get("/health", response_class=HTMLResponse)
def health(request: Request, views: ViewsDep, lang: LangDep, _: TranslatorDep) -> HTMLResponse:
    model = views.health()
    figs = {
        m.metric: charts.health_trend(
            m.metric, model.weekly, _, lang, higher_is_better=m.higher_is_better
        )
        for m in model.metrics
    }
    return render(
        request, lang, "health.html", page="health", model=model, figs=figs, stale=views.stale
    )


@router.get("/compliance", response_class=HTMLResponse)
def compliance(
    request: Request,
    views: ViewsDep,
    lang: LangDep,
    severity: Annotated[str, Query(pattern="^(|block|warn|info)$")] = "",
    q: Annotated[str, Query(max_length=200)] = "",
) -> HTMLResponse:
    model = views.comply(severity=severity, q=q, limit=300)
    return render(
        request,
        lang,
        "compliance.html",
        page="compliance",
        model=model,
        severity=severity,
        q=q,
        check=None,
        text="",
        stale=views.stale,
    )


@router.post("/compliance/check", response_class=HTMLResponse)
def compliance_check_form(
    request: Request,
    views: ViewsDep,
    lang: LangDep,
    _csrf: CsrfDep,
    text: Annotated[str, Form(max_length=20_000)] = "",
) -> HTMLResponse:
    """The live check: the page's script posts here and shows the fragment; without
    JavaScript the form posts here and gets the whole page."""
    check = views.comply_check(text)
    if request.headers.get("x-fragment"):
        return render(request, lang, "_check_result.html", page="compliance", check=check)
    model = views.comply(limit=300)
    return render(
        request,
        lang,
        "compliance.html",
        page="compliance",
        model=model,
        severity="",
        q="",
        check=check,
        text=text,
        stale=views.stale,
    )
