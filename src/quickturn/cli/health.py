"""``quickturn health …``: shop metrics vs TikTok Shop thresholds, offending orders, projection.

Thin: parse → one call to :mod:`quickturn.services.health` → render (Rich or ``--json``).
Exit codes: ``quickturn health`` 1 when a metric breaches its threshold; ``project`` 2 when
there is no plan run yet.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from quickturn.cli.common import (
    EXIT_FINDINGS,
    EXIT_USAGE,
    Cli,
    ConfigOpt,
    DbOpt,
    JsonOpt,
    LangOpt,
    handle_errors,
    make_cli,
)
from quickturn.core.health.params import METRICS, SHORT

if TYPE_CHECKING:
    import polars as pl

app = typer.Typer(
    help="Shop health (平台考核): TikTok Shop metrics vs thresholds, and what a plan does to them.",
    invoke_without_command=True,
)

WeeksOpt = Annotated[int, typer.Option("--weeks", min=1, max=104, help="Weeks in the trend.")]
AsOfOpt = Annotated[
    str | None,
    typer.Option(
        "--as-of",
        help="Run as of this date (YYYY-MM-DD; windows end the day before). Default: today "
        "in US Pacific time, or the day after the newest order when that is over a week old.",
        show_default=False,
    ),
]
ShopOpt = Annotated[
    str | None,
    typer.Option(
        "--shop",
        help="One shop id (default: every shop of the configured markets, US).",
        show_default=False,
    ),
]
STATUS_STYLE = {"ok": "green", "near": "yellow", "breach": "bold red", "no_data": "dim"}


def _as_of(cli: Cli, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        cli.fail(cli._("--as-of must be a date YYYY-MM-DD, got {v!r}", v=value))


def _status(cli: Cli, status: str | None) -> str:
    _ = cli._
    label = {
        "ok": _("ok"),
        "near": _("near limit"),
        "breach": _("BREACH"),
        "no_data": _("no data"),
    }.get(status or "no_data", status or "")
    return f"[{STATUS_STYLE.get(status or 'no_data', '')}]{label}[/]"


def _metric(cli: Cli, metric: str) -> str:
    from quickturn.core.health.findings import NAMES

    return f"{cli._(NAMES[metric])} ({SHORT[metric]})"


def _limit(cli: Cli, row: dict[str, Any]) -> str:
    from quickturn.core.health.findings import pct

    op = "≤" if row["direction"] == "max" else "≥"
    return f"{op} {pct(row['threshold'])}"


def metrics_table(cli: Cli, rows: list[dict[str, Any]], title: str | None = None) -> None:
    from quickturn.core.health.findings import pct

    _ = cli._
    t = Table(title=title, header_style="bold")
    for col in (_("metric"), _("value"), _("limit"), _("status"), _("orders"), _("window")):
        t.add_column(col)
    for r in rows:
        window = f"{r['window_start']} … {r['window_end']}"
        t.add_row(
            _metric(cli, r["metric"]),
            pct(r["value"]),
            _limit(cli, r),
            _status(cli, r["status"]),
            f"{r['offending']:,} / {r['denominator']:,}",
            window,
        )
    cli.console.print(t)


def weekly_table(cli: Cli, rows: list[dict[str, Any]]) -> None:
    _ = cli._
    weeks = sorted({r["week_start"] for r in rows})
    t = Table(title=_("Weekly trend (weeks start Monday)"), header_style="bold")
    t.add_column(_("metric"))
    for w in weeks:
        label = w.strftime("%m-%d") if isinstance(w, date) else str(w)[5:]
        t.add_column(label, justify="right")
    by = {(r["metric"], r["week_start"]): r for r in rows}
    for m in METRICS:
        cells = []
        for w in weeks:
            r = by.get((m, w))
            if r is None or r["value"] is None:
                cells.append("[dim]—[/]")
            else:
                style = STATUS_STYLE.get(r["status"], "")
                mark = "*" if r["partial"] else ""
                cells.append(f"[{style}]{r['value'] * 100:.1f}{mark}[/]")
        t.add_row(SHORT[m], *cells)
    cli.console.print(t)
    cli.console.print(_("Values in %; * = week not over yet."), style="dim")


def _score_line(cli: Cli, score: dict[str, Any]) -> str:
    from quickturn.core.health.score import LABEL

    _ = cli._
    if score.get("score") is None:
        return _(
            "Shop Performance Score estimate: not available ({n} delivered orders in the "
            "window, {need} needed).",
            n=score.get("delivered_orders", 0),
            need=score.get("min_delivered_orders", 30),
        )
    return _(
        "Shop Performance Score estimate: {score} / 5 ({label}).",
        score=f"{score['score']:.2f}",
        label=_(LABEL),
    )


@app.callback()
@handle_errors
def health(
    ctx: typer.Context,
    weeks: WeeksOpt = 12,
    as_of: AsOfOpt = None,
    shop: ShopOpt = None,
    db: DbOpt = None,
    json_: JsonOpt = False,
    lang: LangOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Metrics vs thresholds over the platform's windows, weekly trend and the orders behind
    each breach. Exit 1 when a threshold is breached."""
    from quickturn.services import health as svc

    if ctx.invoked_subcommand is not None:
        return
    cli = make_cli(db, json_, lang, config)
    today = _as_of(cli, as_of)
    with cli.open_store() as store:
        hr = svc.run_health(store, today=today, weeks=weeks, settings=cli.settings, shop_id=shop)
    rep = hr.report
    if json_:
        cli.print_json(
            {
                "ok": not rep.breached,
                "run_id": hr.run_id,
                "today": rep.today,
                "metrics": rep.rolling,
                "weekly": rep.weekly,
                "score": asdict(rep.score),
                "counts": rep.counts,
                "findings": rep.findings,
            }
        )
    else:
        _ = cli._
        cli.console.print(
            _("Shop health as of {day} (windows end the day before)", day=rep.today.isoformat()),
            style="bold",
        )
        metrics_table(cli, rep.rolling.to_dicts())
        weekly_table(cli, rep.weekly.to_dicts())
        cli.console.print(_score_line(cli, asdict(rep.score)))
        if rep.findings:
            cli.console.print()
            cli.print_findings(rep.findings)
        cli.console.print(
            _(
                "Next: `quickturn health orders --metric <name>` lists the orders behind a "
                "metric; `quickturn health project --plan latest` shows what the plan does."
            ),
            style="dim",
        )
    if rep.breached:
        raise typer.Exit(EXIT_FINDINGS)


@app.command("orders")
@handle_errors
def orders_cmd(
    metric: Annotated[
        str | None,
        typer.Option("--metric", help="One metric (e.g. late_dispatch_rate); default: all."),
    ] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="Rows to show.")] = 50,
    as_of: AsOfOpt = None,
    shop: ShopOpt = None,
    db: DbOpt = None,
    json_: JsonOpt = False,
    lang: LangOpt = None,
    config: ConfigOpt = None,
) -> None:
    """The orders counting against each metric in its rolling window."""
    from quickturn.services import health as svc

    cli = make_cli(db, json_, lang, config)
    if metric is not None and metric not in METRICS:
        cli.fail(
            cli._("unknown metric {m!r}; expected one of: {all}", m=metric, all=", ".join(METRICS))
        )
    today = _as_of(cli, as_of)
    with cli.open_store(read_only=False) as store:
        bad = svc.offending_orders(store, metric, today=today, settings=cli.settings, shop_id=shop)
    if json_:
        cli.print_json({"ok": True, "orders": bad})
        return
    _ = cli._
    t = Table(header_style="bold")
    for col in (
        _("metric"),
        _("order"),
        _("day"),
        _("deadline (UTC)"),
        _("event (UTC)"),
        _("days late"),
        _("detail"),
    ):
        t.add_column(col)
    for r in bad.head(limit).to_dicts():
        t.add_row(
            SHORT[r["metric"]],
            r["order_id"],
            str(r["day"]),
            str(r["deadline_at"])[:16] if r["deadline_at"] else "—",
            str(r["event_at"])[:16] if r["event_at"] else "—",
            str(r["late_days"]) if r["late_days"] is not None else "—",
            r["detail"] or "",
        )
    cli.console.print(t)
    if bad.height > limit:
        cli.console.print(_("… {n} more (use --json for all)", n=bad.height - limit))


def _scenario(cli: Cli, sc: str) -> str:
    _ = cli._
    names = {"current": _("now"), "chosen": _("recommended plan"), "heavy": _("heavy pre-stock")}
    return names.get(sc, sc)


def _source(cli: Cli, source: str) -> str:
    _ = cli._
    names = {
        "history": _("the shop's history"),
        "default": _("default"),
        "rule": _("platform rule"),
        "orders": _("the orders' own deadlines"),
    }
    return names.get(source, source)


def projection_table(cli: Cli, rows: list[dict[str, Any]], scenarios: list[str]) -> None:
    from quickturn.core.health.findings import pct

    _ = cli._
    t = Table(title=_("Projected shop metrics"), header_style="bold")
    t.add_column(_("metric"))
    t.add_column(_("limit"))
    for sc in ("current", *scenarios):
        t.add_column(_scenario(cli, sc), justify="right")
    for r in rows:
        cells = []
        for sc in ("current", *scenarios):
            style = STATUS_STYLE.get(r[f"status_{sc}"] or "no_data", "")
            mark = "" if r["projected"] or sc == "current" else " ="
            cells.append(f"[{style}]{pct(r[sc])}[/]{mark}")
        t.add_row(_metric(cli, r["metric"]), _limit(cli, r), *cells)
    cli.console.print(t)
    cli.console.print(_("= carried from now (the plan does not change it)"), style="dim")


def sku_table(cli: Cli, per_sku: pl.DataFrame, top: int = 8) -> None:
    """The SKUs whose recommended policy delivers late most often (expected late units)."""
    import polars as pl

    from quickturn.core.health.findings import pct

    if per_sku.height == 0:
        return
    _ = cli._
    chosen = (
        per_sku.filter(pl.col("scenario") == "chosen")
        .with_columns(late_units=pl.col("expected_sales_qty") * (1.0 - pl.col("on_time_prob")))
        .filter(pl.col("late_units") > 0.5)
        .sort("late_units", descending=True)
        .head(top)
    )
    if chosen.height == 0:
        return
    t = Table(
        title=_("SKUs delivered late most often under the recommended plan"), header_style="bold"
    )
    for col in (
        _("SKU"),
        _("policy"),
        _("days to deliver"),
        _("on time"),
        _("late units"),
        _("1–2★ share"),
    ):
        t.add_column(col, justify="right" if col != _("SKU") else "left")
    for r in chosen.to_dicts():
        t.add_row(
            r["sku_id"],
            r["policy"],
            f"{r['fulfilment_days_mean']:.1f} ± {r['fulfilment_days_sd']:.1f}",
            pct(r["on_time_prob"]),
            f"{r['late_units']:,.0f}",
            pct(r["negative_share_of_reviews"]),
        )
    cli.console.print(t)


@app.command("project")
@handle_errors
def project_cmd(
    plan: Annotated[
        str, typer.Option("--plan", help="Plan run to project: latest or a run id.")
    ] = "latest",
    as_of: AsOfOpt = None,
    shop: ShopOpt = None,
    db: DbOpt = None,
    json_: JsonOpt = False,
    lang: LangOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Project the metrics under a plan run: the recommended policies vs heavy pre-stock."""
    from quickturn.core.health.findings import pct
    from quickturn.services import health as svc

    cli = make_cli(db, json_, lang, config)
    today = _as_of(cli, as_of)
    with cli.open_store() as store:
        try:
            pr = svc.project(store, plan, today=today, settings=cli.settings, shop_id=shop)
        except svc.NoPlanRunError:
            cli.fail(
                cli._(
                    "No plan run found for --plan {plan}: run `quickturn plan` first, then "
                    "`quickturn health project --plan latest`.",
                    plan=plan,
                ),
                EXIT_USAGE,
            )
    proj = pr.projection
    if json_:
        cli.print_json(
            {
                "ok": True,
                "run_id": pr.run_id,
                "plan_run_id": pr.plan_run_id,
                "today": pr.today,
                "metrics": proj.metrics,
                "scores": proj.scores,
                "assumptions": proj.assumptions,
                "notes": proj.notes,
                "per_sku": proj.per_sku,
            }
        )
        return
    _ = cli._
    cli.console.print(
        _("Plan {run} projected as of {day}", run=pr.plan_run_id, day=pr.today.isoformat()),
        style="bold",
    )
    projection_table(cli, proj.metrics.to_dicts(), list(proj.scenarios))
    for sc, s in proj.scores.items():
        if s["score"] is not None:
            cli.console.print(
                _(
                    "Score estimate ({scenario}): {score} / 5",
                    scenario=_scenario(cli, sc),
                    score=f"{s['score']:.2f}",
                )
            )
    sku_table(cli, proj.per_sku)
    a = proj.assumptions
    cli.console.print(
        _(
            "Assumptions: {oversell} of stock-out demand becomes cancelled orders; review rate "
            "{review} ({review_src}); deliver-by promise {promise} days on average ({promise_src}); "
            "1–2★ share {p_on} on time, rising towards {p_max} when late (Olist calibration).",
            oversell=pct(a["oversell_share"]),
            review=pct(a["review_rate"]),
            review_src=_source(cli, a["review_rate_source"]),
            promise=f"{a['promise_days_mean']:.1f}",
            promise_src=_source(cli, a["promise_source"]),
            p_on=pct(a["curve"]["p_on_time"]),
            p_max=pct(a["curve"]["p_max"]),
        ),
        style="dim",
    )
    for note in proj.notes:
        cli.console.print(note, style="dim")


@app.command("calibrate")
@handle_errors
def calibrate_cmd(
    olist: Annotated[
        Path, typer.Option("--olist", help="Folder with the Olist parquet files.")
    ] = Path("../shared/data/olist"),
    json_: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """Re-fit the lateness → 1–2★ response curve on the Olist sample and show the review gap."""
    from quickturn.core.health.findings import pct
    from quickturn.services import health as svc

    cli = make_cli(None, json_, lang)
    result = svc.calibrate_olist(olist)
    if json_:
        cli.print_json({"ok": True, **result})
        return
    _ = cli._
    c, g = result["curve"], result["gap"]
    cli.console.print(
        _(
            "{n} delivered and reviewed orders; {late} arrived after the promised date.",
            n=f"{result['orders']:,}",
            late=pct(g["late_share"]),
        )
    )
    t = Table(header_style="bold")
    for col in ("", _("on time"), _("late"), _("model on time"), _("model late")):
        t.add_column(col, justify="right")
    t.add_row(
        _("1–2★ share"),
        pct(g["negative_share_on_time"]),
        pct(g["negative_share_late"]),
        pct(g["model_negative_share_on_time"]),
        pct(g["model_negative_share_late"]),
    )
    t.add_row(
        _("mean stars"),
        f"{g['stars_on_time']:.2f}",
        f"{g['stars_late']:.2f}",
        f"{g['model_stars_on_time']:.2f}",
        f"{g['model_stars_late']:.2f}",
    )
    cli.console.print(t)
    cli.console.print(
        _(
            "Curve: P(1–2★ | d days late) = {p_on} + ({p_max} − {p_on})·(1 − exp(−d/{tau})).",
            p_on=f"{c['p_on_time']:.4f}",
            p_max=f"{c['p_max']:.4f}",
            tau=f"{c['tau_days']:.3f}",
        )
    )


def render_demo(cli: Cli, section: dict[str, Any]) -> None:
    """The health part of ``quickturn demo``: metrics vs limits, the worst recent weeks, the
    orders behind each breach, then what the recommended plan does vs heavy pre-stock."""
    from quickturn.core.health.findings import NAMES, pct

    _ = cli._
    rows = section.get("metrics", [])
    metrics_table(
        cli,
        rows,
        _("Shop metrics vs TikTok Shop limits, as of {day}", day=section.get("today", "")),
    )
    cli.console.print(_score_line(cli, section.get("score", {})))
    for w in section.get("worst_weeks", []):
        op = "≤" if w["metric"] not in ("valid_tracking_rate", "on_time_delivery_rate") else "≥"
        cli.console.print(
            _(
                "Worst week in the last {weeks} weeks: {name} {value} in the week of {week} "
                "(limit {op} {threshold}).",
                weeks=section.get("weeks", 12),
                name=_(NAMES[w["metric"]]),
                value=pct(w["value"]),
                week=w["week_start"],
                op=op,
                threshold=pct(w["threshold"]),
            ),
            highlight=False,
        )
    for f in section.get("findings", []):
        rec = f.get("record", {})
        if rec.get("status") != "breach":
            continue
        cli.console.print(
            _(
                "  • {name}: {n} orders count against it, e.g. {orders}",
                name=_(NAMES[rec["metric"]]),
                n=f"{rec.get('offending', 0):,}",
                orders=", ".join(rec.get("orders", [])[:3]),
            ),
            highlight=False,
            soft_wrap=True,
        )
    proj = section.get("projection")
    if proj is None:
        cli.console.print(
            _(
                "No plan run found for --plan {plan}: run `quickturn plan` first, then "
                "`quickturn health project --plan latest`.",
                plan="latest",
            ),
            style="dim",
        )
    else:
        prow = proj["metrics"]
        projection_table(cli, prow, ["chosen", "heavy"])
        by = {r["metric"]: r for r in prow}
        otd, sfc, nrr = (
            by["on_time_delivery_rate"],
            by["seller_fault_cancellation_rate"],
            by["negative_review_rate"],
        )
        cli.console.print(
            _(
                "With the recommended plan: on-time delivery {o1} (heavy pre-stock {o2}), "
                "seller-fault cancellations {c1} ({c2}), negative reviews {n1} ({n2}).",
                o1=pct(otd["chosen"]),
                o2=pct(otd["heavy"]),
                c1=pct(sfc["chosen"]),
                c2=pct(sfc["heavy"]),
                n1=pct(nrr["chosen"]),
                n2=pct(nrr["heavy"]),
            )
        )
    cli.console.print(
        _(
            "Look next: `quickturn health --weeks 12` for the weekly trend, "
            "`quickturn health orders --metric <name>` for the orders behind a metric, "
            "`quickturn health project --plan latest` for the projection."
        ),
        style="dim",
    )
