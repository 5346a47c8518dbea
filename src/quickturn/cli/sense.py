"""``quickturn sense``: lifecycle phases, forecasts and receding-traffic alerts; backtests.

Data flow: flags → ``services.sense.run`` (load → model → persist a run) → Rich tables or
JSON; ``quickturn sense backtest`` → ``services.sense.backtest`` → metrics per model and
phase.  ``render_demo`` prints the sense section of ``quickturn demo``.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Annotated, Any

import typer

from quickturn.cli.common import (
    EXIT_USAGE,
    Cli,
    ClusterOpt,
    DbOpt,
    JsonOpt,
    LangOpt,
    handle_errors,
    make_cli,
)

if TYPE_CHECKING:
    import polars as pl

    from quickturn.services import sense as svc

app = typer.Typer(
    help="Lifecycle phase and probabilistic demand per SKU (看清流量).",
    invoke_without_command=True,
    no_args_is_help=False,
)

AsOfOpt = Annotated[
    str | None,
    typer.Option(
        "--as-of",
        help="Today (YYYY-MM-DD); history ends the day before. Default: the day after the last order.",
        show_default=False,
    ),
]
SeedOpt = Annotated[int, typer.Option("--seed", help="Random seed of the sample paths.")]

PHASE_STYLE = {
    "testing": "cyan",
    "rising": "green",
    "peaking": "bold green",
    "steady": "white",
    "decaying": "yellow",
    "dead": "red",
}


def _today(cli: Cli, value: str | None, store: Any) -> date:
    from quickturn.services import sense as svc

    if value is None:
        return svc.default_today(store)
    try:
        return date.fromisoformat(value)
    except ValueError:
        cli.fail(
            cli._("--as-of {value!r} is not a date such as 2026-03-02", value=value), EXIT_USAGE
        )


def _phase_label(cli: Cli, phase: str) -> str:
    return f"[{PHASE_STYLE.get(phase, 'white')}]{cli._(phase)}[/]"


@app.callback(invoke_without_command=True)
@handle_errors
def sense(
    ctx: typer.Context,
    sku: Annotated[
        str | None, typer.Option("--sku", help="Show one SKU in detail.", show_default=False)
    ] = None,
    horizon: Annotated[
        int, typer.Option("--horizon", help="Days to forecast.", min=1, max=730)
    ] = 28,
    as_of: AsOfOpt = None,
    seed: SeedOpt = 0,
    limit: Annotated[int, typer.Option("--limit", help="Rows in the phase table.", min=1)] = 25,
    cluster: ClusterOpt = None,
    db: DbOpt = None,
    json_: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """Forecast every SKU, classify its lifecycle phase and flag receding traffic (saved as a run)."""
    from quickturn.services import sense as svc

    if ctx.invoked_subcommand is not None:
        return
    cli = make_cli(db, json_, lang)
    with cli.open_store() as store:
        today = _today(cli, as_of, store)
        ids = [sku] if sku else None
        if sku and not store.table("skus", where={"sku_id": sku}).height:
            cli.fail(cli._("unknown SKU {sku!r}; see `quickturn db info`", sku=sku), EXIT_USAGE)
        with cli.progress(cli._("Sensing demand…")) as _advance:
            res = svc.run(store, today=today, h=horizon, seed=seed, sku_ids=ids, cluster=cluster)
    if res.phases.height == 0:
        cli.fail(cli._("no SKUs in the database: import skus and orders first"), EXIT_USAGE)
    weekly = _weekly(res.forecasts)
    if json_:
        cli.print_json(
            {
                "ok": True,
                "run_id": res.run_id,
                "as_of": res.as_of,
                "horizon": horizon,
                "summary": res.summary,
                "phases": res.phases.drop("run_id"),
                "forecasts": res.forecasts.drop("run_id") if sku else weekly,
            }
        )
        return
    if sku:
        _render_sku(cli, res, weekly)
    else:
        _render_all(cli, res, weekly, limit)


def _weekly(fc: pl.DataFrame) -> pl.DataFrame:
    import polars as pl

    if fc.height == 0:
        return fc
    first = fc["ds"].min()
    return (
        fc.with_columns(((pl.col("ds") - pl.lit(first)).dt.total_days() // 7 + 1).alias("week"))
        .group_by("sku_id", "week")
        .agg(pl.col("mean").sum().alias("mean_units"), pl.col("hi_80").sum().alias("hi_80_sum"))
        .sort("sku_id", "week")
    )


def _render_all(cli: Cli, res: svc.SenseRun, weekly: pl.DataFrame, limit: int) -> None:
    import polars as pl

    from quickturn.core.sense.types import PHASES

    _ = cli._
    s = res.summary
    counts = ", ".join(f"{_phase_label(cli, p)} {s['by_phase'][p]}" for p in PHASES)
    cli.console.print(
        _(
            "[bold]sense[/] run {run} as of {day}: {n} SKUs — {counts}.",
            run=res.run_id,
            day=res.as_of,
            n=s["skus"],
            counts=counts,
        )
    )
    nxt = res.forecasts.group_by("sku_id").agg(
        pl.col("mean").sum().alias("next"), pl.col("hi_80").sum().alias("hi")
    )
    ph = res.phases.join(nxt, on="sku_id").sort(
        ["receding", "velocity_7d"], descending=[True, True]
    )
    rows = []
    for r in ph.head(limit).iter_rows(named=True):
        p = r[f"p_{r['phase']}"]
        rows.append(
            [
                r["sku_id"],
                f"{_phase_label(cli, r['phase'])} ({p:.0%})",
                r["velocity_7d"],
                r["next"],
                r["remaining_demand_mean"],
                (_("since {d}", d=r["receding_since"]) if r["receding"] else ""),
                cli._(r["kernel"] or "none"),
            ]
        )
    cli.table(
        _("Phases and the next {h} days (receding first, then by velocity)", h=res.h),
        [
            _("SKU"),
            _("phase"),
            _("units/day (7d)"),
            _("forecast {h}d", h=res.h),
            _("remaining (365d)"),
            _("traffic receding"),
            _("burst tail"),
        ],
        rows,
    )
    if ph.height > limit:
        cli.console.print(
            _("… {n} more SKUs (use --json for all, --sku for one).", n=ph.height - limit)
        )
    if s["receding"]:
        cli.console.print(
            _(
                "[yellow]{n} SKUs have receding traffic[/]: do not reorder them at their peak velocity.",
                n=s["receding"],
            )
        )
    if s.get("fallbacks"):
        cli.console.print(
            _(
                "{n} SKUs used the fallback forecast (their history could not be fitted).",
                n=s["fallbacks"],
            )
        )


def _render_sku(cli: Cli, res: svc.SenseRun, weekly: pl.DataFrame) -> None:
    from quickturn.core.sense.types import PHASES

    _ = cli._
    r = res.phases.row(0, named=True)
    probs = ", ".join(f"{cli._(p)} {r[f'p_{p}']:.0%}" for p in PHASES if r[f"p_{p}"] >= 0.005)
    cli.console.print(
        _(
            "[bold]{sku}[/]: {phase} ({probs}); {v:.2f} units/day over the last 7 days.",
            sku=r["sku_id"],
            phase=_phase_label(cli, r["phase"]),
            probs=probs,
            v=r["velocity_7d"],
        )
    )
    if r["receding"]:
        cli.console.print(_("[yellow]Traffic receding since {d}.[/]", d=r["receding_since"]))
    cli.console.print(
        _(
            "Remaining demand over the next 365 days: {m:,.0f} units (P10 {lo:,.0f} – P90 {hi:,.0f}); burst tail: {k}.",
            m=r["remaining_demand_mean"],
            lo=r["remaining_demand_p10"],
            hi=r["remaining_demand_p90"],
            k=cli._(r["kernel"] or "none"),
        )
    )
    rows = [
        [d["ds"], d["mean"], d["lo_80"], d["hi_80"], d["lo_95"], d["hi_95"]]
        for d in res.forecasts.iter_rows(named=True)
    ]
    cli.table(
        _("Daily forecast (units)"),
        [_("day"), _("mean"), _("lo 80%"), _("hi 80%"), _("lo 95%"), _("hi 95%")],
        rows,
    )


@app.command("backtest")
@handle_errors
def backtest_cmd(
    horizon: Annotated[
        int, typer.Option("--horizon", help="Days per window.", min=1, max=365)
    ] = 28,
    windows: Annotated[int, typer.Option("--windows", help="Rolling origins.", min=1, max=52)] = 4,
    as_of: AsOfOpt = None,
    seed: SeedOpt = 0,
    db: DbOpt = None,
    json_: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """Rolling-origin backtest of the lifecycle model against every baseline."""
    from quickturn.core.sense.types import PHASES
    from quickturn.services import sense as svc

    cli = make_cli(db, json_, lang)
    with cli.open_store() as store:
        today = _today(cli, as_of, store)
        with cli.progress(cli._("Backtesting…")) as _advance:
            res = svc.backtest(store, today=today, h=horizon, windows=windows, seed=seed)
    if json_:
        cli.print_json({"ok": True, **res.to_dict()})
        return
    _ = cli._
    rows = []
    for name, m in res.overall.items():
        rows.append(
            [
                name,
                m["spl"],
                m["mase"],
                m["wape"],
                m.get("coverage80"),
                m.get("coverage95"),
                m["bias"],
            ]
        )
    cli.table(
        _(
            "Backtest: {w} windows × {h} days (lower is better except coverage)",
            w=res.windows,
            h=res.h,
        ),
        [
            _("model"),
            _("scaled pinball"),
            "MASE",
            "WAPE",
            _("80% coverage"),
            _("95% coverage"),
            _("bias"),
        ],
        rows,
    )
    phase_rows = []
    for ph in (*PHASES, "all"):
        line: list[Any] = [cli._(ph)]
        for name in res.overall:
            v = res.by_phase.get(name, {}).get(ph)
            line.append(v["spl"] if v else None)
        if any(x is not None for x in line[1:]):
            phase_rows.append(line)
    cli.table(
        _("Scaled pinball loss by phase at the origin"), [_("phase"), *res.overall], phase_rows
    )


def render_demo(cli: Cli, section: dict[str, Any]) -> None:
    """The sense part of ``quickturn demo``: SKUs by phase and whose traffic is receding."""
    from quickturn.core.sense.types import PHASES

    _ = cli._
    c = cli.console
    if section.get("error"):
        c.print(f"[red]sense: {section['error']}[/]")
        return
    if not section.get("skus"):
        return
    counts = ", ".join(f"{_phase_label(cli, p)} {section['by_phase'].get(p, 0)}" for p in PHASES)
    c.print(
        _(
            "[bold]Sense[/]: {n} SKUs by lifecycle phase — {counts}. Burst tails fitted: {exp} exponential, {pow} power-law.",
            n=section["skus"],
            counts=counts,
            exp=section["kernels"].get("exponential", 0),
            pow=section["kernels"].get("power_law", 0),
        )
    )
    ex = section.get("examples", {})
    rows = []
    for p in ("rising", "peaking", "decaying", "dead"):
        for e in ex.get(p, [])[:2]:
            rows.append(
                [
                    e["sku_id"],
                    f"{_phase_label(cli, p)} ({e['p']:.0%})",
                    e["velocity_7d"],
                    e["next_28d"],
                ]
            )
    if rows:
        cli.table(
            _("Where each SKU is in its life"),
            [_("SKU"), _("phase"), _("units/day (7d)"), _("forecast 28d")],
            rows,
        )
    rec = section.get("receding_skus", [])
    if rec:
        rows = [
            [
                r["sku_id"],
                r["since"],
                _phase_label(cli, r["phase"]),
                r["velocity_7d"],
                r["next_28d"],
                cli._(r["kernel"] or "none"),
            ]
            for r in rec
        ]
        cli.table(
            _(
                "Traffic receding ({n} SKUs) — don't reorder at peak velocity",
                n=section.get("receding_total", len(rec)),
            ),
            [
                _("SKU"),
                _("since"),
                _("phase"),
                _("units/day (7d)"),
                _("forecast 28d"),
                _("burst tail"),
            ],
            rows,
        )
    c.print(
        _(
            "Next: [bold]quickturn sense --db {db}[/] for every SKU, [bold]--sku ID[/] for one, [bold]quickturn sense backtest[/] for accuracy.",
            db=section.get("db", "quickturn-demo.duckdb"),
        )
    )
