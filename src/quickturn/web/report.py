"""The shareable report: one self-contained, offline HTML file.

Data flow: settings → the same views the dashboard uses (read-only connection) → key tables
and Plotly figures → ``templates/report.html`` with the CSS, Plotly.js (from the installed
``plotly`` package) and a few lines of drawing code inlined → one file that opens in any
browser without a network (e.g. sent over WeChat or e-mail).  Nothing is fetched: no CDN, no
web fonts, no images outside the file.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from markupsafe import Markup

from quickturn import __version__
from quickturn.config import Settings
from quickturn.services.ledger import read as ledger_read
from quickturn.web import charts, i18n, labels
from quickturn.web import schemas as s
from quickturn.web.app import plotly_js
from quickturn.web.data import Cache, Database
from quickturn.web.render import environment
from quickturn.web.views import Views, WebContext

STATIC = Path(__file__).parent / "static"

#: the drawing code of the report (the dashboard's app.js without the interactive parts)
DRAW_JS = """
(function () {
  var nodes = document.querySelectorAll("[data-figure]");
  Array.prototype.forEach.call(nodes, function (el) {
    var src = document.getElementById(el.getAttribute("data-figure"));
    var fig = JSON.parse(src.textContent);
    Plotly.newPlot(el, fig.data, fig.layout, {displaylogo: false, responsive: true, staticPlot: false})
      .then(function () { el.setAttribute("data-rendered", "1"); });
  });
})();
"""


def report_context(views: Views, lang: str, days: int) -> dict[str, Any]:
    """Everything the report shows (the dashboard's figures, fewer rows)."""
    _ = i18n.translator(lang)
    overview = views.overview(days)
    cash_summary, points = views.cash()
    plan = views.plan()
    health = views.health()
    skus = views.sku_frame(days)
    figs: dict[str, Any] = {}
    if overview.kpis.ledger:
        comps = views.components_by_sku(days)
        figs["waterfall"] = charts.waterfall(
            [s.WaterfallStepPublic(**r) for r in ledger_read.waterfall(comps)], _, lang
        )
    if points:
        spend: dict[Any, float] = {}
        for a in plan.actions:
            if a.kind == "purchase_order" and a.order_date is not None:
                spend[a.order_date] = spend.get(a.order_date, 0.0) + (a.total_cost_usd or 0.0)
        figs["cash"] = charts.cash_chart(points, _, lang, spend=sorted(spend.items()))
    if plan.comparison:
        figs["comparison"] = charts.policy_comparison(plan.comparison, _, lang)
    backtest = views.backtest()
    if backtest.daily:
        figs["backtest_profit"] = charts.backtest_lines(backtest, "cumulative_profit_usd", _, lang)
        figs["backtest_inventory"] = charts.backtest_lines(backtest, "inventory_value_usd", _, lang)
    for m in health.metrics:
        if m.status in ("breach", "near"):
            figs[f"health-{m.metric}"] = charts.health_trend(
                m.metric, health.weekly, _, lang, higher_is_better=m.higher_is_better
            )
    content = views.content(None, 10)
    if content.creators:
        figs["creators"] = charts.margin_bars(
            content.creators,
            _,
            lang,
            names=[charts.at(c.handle or c.key or "—") for c in content.creators],
            n=10,
        )
    best = views.sku_list(sort="margin_usd", order="desc", per_page=10, days=days).items
    worst = views.sku_list(sort="margin_usd", order="asc", per_page=10, days=days).items
    risky = views.sku_list(sort="stockout_prob", order="desc", per_page=10, days=days).items
    comply = views.comply(limit=25)
    return {
        "overview": overview,
        "cash_summary": cash_summary,
        "plan": plan,
        "backtest": backtest,
        "health": health,
        "best": best,
        "worst": [r for r in worst if (r.margin_usd or 0) < 0],
        "risky": [r for r in risky if r.stockout_prob],
        "comply": comply,
        "content": content,
        "figs": figs,
        "days": days,
        "sku_count": skus.height,
    }


def build_report(
    settings: Settings, out: Path, *, lang: str = "en", days: int = 30
) -> dict[str, Any]:
    """Write the report to ``out``; return its path, size and the figures drawn."""
    db = Database(settings.db)
    web = WebContext(settings=settings, db=db, cache=Cache(db))
    views = Views(web, lang)
    ctx = report_context(views, lang, days)
    _ = i18n.translator(lang)
    plain, _packed, plotly_version = plotly_js()
    css = (STATIC / "app.css").read_text(encoding="utf-8")
    html = (
        environment()
        .get_template("report.html")
        .render(
            _=_,
            lang=lang,
            html_lang=i18n.HTML_LANG.get(lang, "en"),
            fmt=i18n.Formatter(lang),
            labels=labels,
            label=lambda names, code: labels.label(names, code, _),
            version=__version__,
            generated=datetime.now(UTC).replace(microsecond=0, tzinfo=None),
            css=Markup(css),
            plotly=Markup(plain.decode("utf-8").replace("</script", "<\\/script")),
            plotly_version=plotly_version,
            draw_js=Markup(DRAW_JS),
            db_url=db.display_url,
            **ctx,
        )
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(html, encoding="utf-8")
    return {
        "path": str(out),
        "bytes": out.stat().st_size,
        "lang": lang,
        "days": days,
        "charts": sorted(ctx["figs"]),
        "as_of": ctx["overview"].meta.as_of.isoformat(),
    }
