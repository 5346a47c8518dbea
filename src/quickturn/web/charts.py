"""Plotly figures (plain JSON dicts) for the pages and the report.

Data flow: the schemas of :mod:`quickturn.web.schemas` + a translator → ``{"data": [...],
"layout": {...}}`` → embedded in the page as ``<script type="application/json">`` and drawn by
``static/app.js`` with the Plotly.js bundled in the installed ``plotly`` package.  Figures are
built as dicts (not ``plotly.graph_objects``) because validation would cost more than the
whole page; the fonts are the system's (no web fonts are ever fetched).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, timedelta
from typing import Any

from quickturn.web import labels
from quickturn.web import schemas as s
from quickturn.web.i18n import Formatter

Tr = Callable[..., str]
Figure = dict[str, Any]

FONT = (
    'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, '
    '"Noto Sans CJK SC", "Noto Sans SC", "PingFang SC", "Microsoft YaHei", sans-serif'
)
INK = "#1f2937"
MUTED = "#6b7280"
GRID = "#e5e7eb"
BLUE = "#2563eb"
GREEN = "#059669"
RED = "#dc2626"
AMBER = "#d97706"
POLICY_COLORS = {
    "heavy": "#7c3aed",
    "qr": "#0891b2",
    "dual": "#ca8a04",
    "pod": "#db2777",
    "hybrid": "#65a30d",
    "chosen": "#111827",
}


def at(handle: str) -> str:
    """A creator handle with exactly one leading @."""
    return handle if handle.startswith("@") or handle == "—" else "@" + handle


def _rgba(hex_color: str, alpha: float) -> str:
    h = hex_color.lstrip("#")
    r, g, b = int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)
    return f"rgba({r},{g},{b},{alpha})"


def layout(
    title: str | None = None, *, lang: str = "en", height: int = 320, **extra: Any
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "height": height,
        "margin": {"l": 56, "r": 16, "t": 40 if title else 16, "b": 40},
        "font": {"family": FONT, "size": 12, "color": INK},
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "hovermode": "x unified",
        "legend": {"orientation": "h", "y": -0.18, "x": 0},
        "xaxis": {"gridcolor": GRID, "zeroline": False},
        "yaxis": {"gridcolor": GRID, "zerolinecolor": "#9ca3af"},
        "separators": ".,",
    }
    if title:
        out["title"] = {"text": title, "x": 0, "xanchor": "left", "font": {"size": 14}}
    if lang == "zh":
        out["xaxis"]["tickformat"] = "%m-%d"
    out.update(extra)
    return out


def _dates(values: Sequence[date]) -> list[str]:
    return [d.isoformat() for d in values]


def demand_fan(detail: s.SkuDetailPublic, _: Tr, lang: str) -> Figure:
    """Units sold per day, the forecast's mean and 50/80/95 % bands, and content posts."""
    hist = detail.history
    fc = detail.forecast
    data: list[dict[str, Any]] = [
        {
            "type": "bar",
            "name": _("Units sold"),
            "x": _dates([p.date for p in hist]),
            "y": [p.units for p in hist],
            "marker": {"color": _rgba(BLUE, 0.55)},
            "hovertemplate": "%{y:,.0f}<extra>" + _("Units sold") + "</extra>",
        }
    ]
    if fc:
        xs = _dates([p.ds for p in fc])
        for lo, hi, alpha, name in (
            ("lo_95", "hi_95", 0.12, _("95% interval")),
            ("lo_80", "hi_80", 0.2, _("80% interval")),
            ("lo_50", "hi_50", 0.3, _("50% interval")),
        ):
            lows = [getattr(p, lo) for p in fc]
            highs = [getattr(p, hi) for p in fc]
            if all(v is None for v in lows):
                continue
            data.append(
                {
                    "type": "scatter",
                    "x": xs,
                    "y": lows,
                    "mode": "lines",
                    "line": {"width": 0},
                    "showlegend": False,
                    "hoverinfo": "skip",
                }
            )
            data.append(
                {
                    "type": "scatter",
                    "x": xs,
                    "y": highs,
                    "mode": "lines",
                    "line": {"width": 0},
                    "fill": "tonexty",
                    "fillcolor": _rgba(AMBER, alpha),
                    "name": name,
                    "hoverinfo": "skip",
                }
            )
        data.append(
            {
                "type": "scatter",
                "x": xs,
                "y": [p.mean for p in fc],
                "mode": "lines",
                "line": {"color": AMBER, "width": 2},
                "name": _("Forecast (mean)"),
                "hovertemplate": "%{y:,.1f}<extra>" + _("Forecast (mean)") + "</extra>",
            }
        )
    top = max([p.units for p in hist] + [(p.hi_95 or p.mean or 0) for p in fc] + [1])
    first = hist[0].date if hist else detail.as_of
    events = [c for c in detail.content if c.posted_on is not None and c.posted_on >= first]
    if events:
        data.append(
            {
                "type": "scatter",
                "mode": "markers",
                "name": _("Content posted"),
                "x": _dates([c.posted_on for c in events if c.posted_on]),
                "y": [top * 1.08] * len(events),
                "marker": {"symbol": "triangle-down", "size": 11, "color": RED},
                "text": [
                    f"{labels.label(labels.CONTENT_KINDS, c.kind, _)} {c.content_id}"
                    + (f" {at(c.handle)}" if c.handle else "")
                    + (f" · {c.views:,} " + _("views") if c.views else "")
                    for c in events
                ],
                "hovertemplate": "%{text}<extra></extra>",
            }
        )
    lay = layout(lang=lang, height=340, barmode="overlay")
    lay["yaxis"]["title"] = {"text": _("Units per day")}
    lay["shapes"] = [
        {
            "type": "line",
            "x0": detail.as_of.isoformat(),
            "x1": detail.as_of.isoformat(),
            "y0": 0,
            "y1": 1,
            "yref": "paper",
            "line": {"color": MUTED, "dash": "dot", "width": 1},
        }
    ]
    lay["annotations"] = [
        {
            "x": detail.as_of.isoformat(),
            "y": 1,
            "yref": "paper",
            "text": _("today"),
            "showarrow": False,
            "xanchor": "left",
            "font": {"color": MUTED, "size": 11},
        }
    ]
    return {"data": data, "layout": lay}


def waterfall(
    steps: Sequence[s.WaterfallStepPublic], _: Tr, lang: str, *, title: str | None = None
) -> Figure:
    """Revenue down to the margin, one bar per component."""
    fmt = Formatter(lang)
    names = [labels.label(labels.COMPONENTS, st.component, _) for st in steps]
    measures = ["total" if st.component == "margin" else "relative" for st in steps]
    data = [
        {
            "type": "waterfall",
            "x": names,
            "y": [round(st.amount_usd, 2) for st in steps],
            "measure": measures,
            "connector": {"line": {"color": GRID}},
            "increasing": {"marker": {"color": GREEN}},
            "decreasing": {"marker": {"color": RED}},
            "totals": {"marker": {"color": BLUE}},
            "hovertemplate": "%{x}: $%{y:,.2f}<extra></extra>",
            "textposition": "outside",
            "text": [fmt.money(st.amount_usd, digits=0) for st in steps],
            "cliponaxis": False,
        }
    ]
    lay = layout(title, lang=lang, height=360, hovermode="closest", showlegend=False)
    lay["yaxis"]["tickprefix"] = "$"
    lay["xaxis"].pop("tickformat", None)
    lay["xaxis"].update(tickangle=-30, automargin=True)
    return {"data": data, "layout": lay}


def inventory_bands(proj: s.ProjectionPublic, _: Tr, lang: str) -> Figure:
    """Units on hand per day: median and 10–90 % band for each policy family."""
    xs = [(proj.start + timedelta(days=i)).isoformat() for i in range(proj.days)]
    data: list[dict[str, Any]] = []
    for b in proj.policies:
        color = POLICY_COLORS.get(b.policy, INK)
        name = labels.label(labels.POLICIES, b.policy, _)
        if b.chosen:
            name = name + " · " + _("recommended")
        data.append(
            {
                "type": "scatter",
                "x": xs,
                "y": b.p10,
                "mode": "lines",
                "line": {"width": 0, "color": color},
                "showlegend": False,
                "hoverinfo": "skip",
                "legendgroup": b.policy,
            }
        )
        data.append(
            {
                "type": "scatter",
                "x": xs,
                "y": b.p90,
                "mode": "lines",
                "line": {"width": 0, "color": color},
                "fill": "tonexty",
                "fillcolor": _rgba(color, 0.16 if b.chosen else 0.08),
                "showlegend": False,
                "hoverinfo": "skip",
                "legendgroup": b.policy,
            }
        )
        data.append(
            {
                "type": "scatter",
                "x": xs,
                "y": b.p50,
                "mode": "lines",
                "name": name,
                "legendgroup": b.policy,
                "line": {"color": color, "width": 3 if b.chosen else 1.5},
                "hovertemplate": "%{y:,.0f}<extra>" + name + "</extra>",
            }
        )
    lay = layout(lang=lang, height=340)
    lay["yaxis"]["title"] = {"text": _("Units on hand")}
    lay["yaxis"]["rangemode"] = "tozero"
    return {"data": data, "layout": lay}


def policy_comparison(rows: Sequence[s.PolicyComparisonPublic], _: Tr, lang: str) -> Figure:
    """Expected profit, bad-case profit, dead stock and peak cash of each policy family."""
    names = [labels.label(labels.POLICIES, r.policy, _) for r in rows]
    series = (
        ("expected_profit_usd", _("Expected profit"), BLUE),
        ("profit_p05_usd", _("Profit in a bad case (5th percentile)"), "#93c5fd"),
        ("dead_stock_value_usd", _("Dead stock value"), RED),
        ("peak_cash_usd", _("Peak cash tied up"), AMBER),
    )
    data = [
        {
            "type": "bar",
            "name": label,
            "x": names,
            "y": [round(getattr(r, attr) or 0.0, 2) for r in rows],
            "marker": {"color": color},
            "hovertemplate": "%{x}: $%{y:,.0f}<extra>" + label + "</extra>",
        }
        for attr, label, color in series
    ]
    lay = layout(lang=lang, height=360, barmode="group", hovermode="closest")
    lay["yaxis"]["tickprefix"] = "$"
    lay["xaxis"].pop("tickformat", None)
    return {"data": data, "layout": lay}


#: line colours of the backtest's policies (quickturn dark, the bound dashed)
BACKTEST_COLORS = {
    "quickturn": BLUE,
    "erp": RED,
    "heavy": POLICY_COLORS["heavy"],
    "qr": POLICY_COLORS["qr"],
    "oracle": MUTED,
}


def backtest_lines(model: s.BacktestPublic, field: str, _: Tr, lang: str) -> Figure:
    """One line per policy over the backtest window: ``cumulative_profit_usd`` or
    ``inventory_value_usd`` (stock on hand + in transit at cost)."""
    data = []
    for tr in model.daily:
        name = labels.label(labels.BACKTEST_POLICIES, tr.policy, _)
        data.append(
            {
                "type": "scatter",
                "mode": "lines",
                "name": name,
                "x": _dates(tr.ds),
                "y": getattr(tr, field),
                "line": {
                    "color": BACKTEST_COLORS.get(tr.policy, INK),
                    "width": 2.5 if tr.policy == "quickturn" else 1.5,
                    "dash": "dash" if tr.policy == "oracle" else "solid",
                },
                "hovertemplate": "$%{y:,.0f}<extra>" + name + "</extra>",
            }
        )
    lay = layout(lang=lang, height=320)
    lay["yaxis"]["tickprefix"] = "$"
    return {"data": data, "layout": lay}


def cash_chart(
    points: Sequence[s.CashPointPublic],
    _: Tr,
    lang: str,
    *,
    spend: Sequence[tuple[date, float]] = (),
    history_days: int = 0,
) -> Figure:
    """The projected cash balance of the next days (from the opening cash the ledger was
    given), its daily net flow, and today's purchase orders as bars; ``history_days`` adds
    the cumulative cash of the recent past."""
    hist = [p for p in points if p.kind == "history"][-history_days:] if history_days else []
    proj = [p for p in points if p.kind == "projection"]
    data: list[dict[str, Any]] = []
    if hist:
        data.append(
            {
                "type": "scatter",
                "mode": "lines",
                "name": _("Cumulative cash (history)"),
                "x": _dates([p.date for p in hist]),
                "y": [p.cumulative_usd for p in hist],
                "line": {"color": MUTED, "width": 1.5},
                "hovertemplate": "$%{y:,.0f}<extra>" + _("Cumulative cash (history)") + "</extra>",
            }
        )
    if proj:
        start = hist[-1].cumulative_usd if hist and hist[-1].cumulative_usd is not None else 0.0
        balance = [p.balance_usd if p.balance_usd is not None else None for p in proj]
        if all(b is None for b in balance):
            run = start
            balance = []
            for p in proj:
                run += p.net_usd or 0.0
                balance.append(run)
        data.append(
            {
                "type": "scatter",
                "mode": "lines",
                "name": _("Projected balance"),
                "x": _dates([p.date for p in proj]),
                "y": balance,
                "line": {"color": BLUE, "width": 2.5},
                "hovertemplate": "$%{y:,.0f}<extra>" + _("Projected balance") + "</extra>",
            }
        )
        data.append(
            {
                "type": "bar",
                "name": _("Projected net cash flow per day"),
                "x": _dates([p.date for p in proj]),
                "y": [p.net_usd for p in proj],
                "marker": {"color": [GREEN if (p.net_usd or 0) >= 0 else RED for p in proj]},
                "opacity": 0.45,
                "hovertemplate": "$%{y:,.0f}<extra>"
                + _("Projected net cash flow per day")
                + "</extra>",
            }
        )
    if spend:
        data.append(
            {
                "type": "bar",
                "name": _("Today's purchase orders"),
                "x": [d.isoformat() for d, _v in spend],
                "y": [-v for _d, v in spend],
                "marker": {"color": POLICY_COLORS["heavy"]},
                "hovertemplate": "$%{y:,.0f}<extra>" + _("Today's purchase orders") + "</extra>",
            }
        )
    lay = layout(lang=lang, height=320, barmode="relative")
    lay["yaxis"]["tickprefix"] = "$"
    return {"data": data, "layout": lay}


def health_trend(
    metric: str, weeks: Sequence[s.HealthWeekPublic], _: Tr, lang: str, *, higher_is_better: bool
) -> Figure:
    """Weekly value of one metric against its threshold."""
    pts = [w for w in weeks if w.metric == metric]
    xs = _dates([w.week_start for w in pts])
    color = [RED if w.status == "breach" else (AMBER if w.status == "near" else GREEN) for w in pts]
    data: list[dict[str, Any]] = [
        {
            "type": "scatter",
            "mode": "lines+markers",
            "name": labels.label(labels.METRICS, metric, _),
            "x": xs,
            "y": [w.value for w in pts],
            "line": {"color": BLUE, "width": 2},
            "marker": {"color": color, "size": 7},
            "hovertemplate": "%{y:.2%}<extra></extra>",
        }
    ]
    thr = [w.threshold for w in pts]
    if any(t is not None for t in thr):
        data.append(
            {
                "type": "scatter",
                "mode": "lines",
                "name": _("Threshold")
                + (" (" + _("minimum") + ")" if higher_is_better else " (" + _("maximum") + ")"),
                "x": xs,
                "y": thr,
                "line": {"color": RED, "dash": "dash", "width": 1.5},
                "hovertemplate": "%{y:.2%}<extra>" + _("Threshold") + "</extra>",
            }
        )
    lay = layout(labels.label(labels.METRICS, metric, _), lang=lang, height=240)
    lay["yaxis"]["tickformat"] = ".1%"
    lay["margin"]["b"] = 30
    lay["showlegend"] = False
    return {"data": data, "layout": lay}


def margin_bars(
    rows: Sequence[s.LedgerRowPublic], _: Tr, lang: str, *, names: Sequence[str], n: int = 12
) -> Figure:
    """Horizontal bars of the margin of the best and worst rows."""
    pairs = list(zip(names, rows, strict=True))
    pairs.sort(key=lambda p: p[1].margin)
    if len(pairs) > n:
        pairs = pairs[: n // 2] + pairs[-(n - n // 2) :]
    data = [
        {
            "type": "bar",
            "orientation": "h",
            "y": [p[0] for p in pairs],
            "x": [round(p[1].margin, 2) for p in pairs],
            "marker": {"color": [GREEN if p[1].margin >= 0 else RED for p in pairs]},
            "hovertemplate": "%{y}: $%{x:,.0f}<extra></extra>",
        }
    ]
    lay = layout(
        lang=lang, height=max(220, 26 * len(pairs) + 60), hovermode="closest", showlegend=False
    )
    lay["xaxis"] = {"gridcolor": GRID, "tickprefix": "$", "zerolinecolor": "#9ca3af"}
    lay["yaxis"] = {"automargin": True, "type": "category"}
    lay["margin"]["l"] = 10
    return {"data": data, "layout": lay}
