"""``quickturn backtest``: replay the shop's past under each replenishment policy.

Data flow: flags → :func:`quickturn.services.backtest.run` (store read once → frames →
pure walk-forward in ``core/backtest``) → a Rich table per policy (or ``--json``), a
progress bar over the decision dates on stderr.  The run's summary and daily traces are
saved as a ``runs`` row (module ``backtest``) for the dashboard's Backtest page and the
report (``--no-save`` skips it); nothing else in the store changes.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import typer

from quickturn.cli.common import (
    EXIT_USAGE,
    Cli,
    ClusterOpt,
    ConfigOpt,
    DbOpt,
    JsonOpt,
    LangOpt,
    handle_errors,
    make_cli,
)

#: totals columns shown in the table: (column, English header)
COLUMNS: tuple[tuple[str, str], ...] = (
    ("profit_usd", "Profit $"),
    ("revenue_usd", "Revenue $"),
    ("lost_sales_qty", "Lost units"),
    ("lost_margin_usd", "Lost margin $"),
    ("dead_stock_qty", "Dead units"),
    ("dead_stock_value_usd", "Dead stock $"),
    ("working_stock_value_usd", "Working stock $"),
    ("peak_cash_usd", "Peak cash $"),
    ("mean_cash_usd", "Mean cash $"),
    ("stockout_days", "Stock-out days"),
    ("oracle_share", "Share of oracle"),
)


def _day(cli: Cli, value: str | None, flag: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        cli.fail(cli._("{flag} {value!r} is not a date such as 2026-03-02", flag=flag, value=value))


def _fmt(col: str, v: Any) -> str:
    if v is None:
        return "—"
    if col == "oracle_share":
        return f"{v:.0%}"
    return f"{v:,.0f}"


def render(cli: Cli, summary: dict[str, Any]) -> None:
    from rich.table import Table

    _ = cli._
    t = Table(
        title=_(
            "Backtest {start} → {end}: {skus} SKUs, a decision every {every} days ({n} decisions)",
            start=summary["start"],
            end=summary["end"],
            skus=summary["skus"],
            every=summary["every"],
            n=summary["decisions"],
        ),
        header_style="bold",
    )
    t.add_column(_("Figure"))
    names = list(summary["policies"])
    for name in names:
        t.add_column(name, justify="right")
    for col, head in COLUMNS:
        t.add_row(_(head), *[_fmt(col, summary["policies"][n].get(col)) for n in names])
    cli.console.print(t)
    tg = summary.get("targets")
    if tg:
        cli.console.print(
            _(
                "quickturn vs the ERP rule: profit {diff} (×{p}), dead stock ×{d}; {o} of the oracle's profit.",
                diff=f"{tg['quickturn_minus_erp_profit_usd']:+,.0f} $",
                p="—"
                if tg["quickturn_profit_vs_erp"] is None
                else f"{tg['quickturn_profit_vs_erp']:.2f}",
                d="—"
                if tg["quickturn_dead_stock_value_vs_erp"] is None
                else f"{tg['quickturn_dead_stock_value_vs_erp']:.2f}",
                o="—"
                if tg["quickturn_oracle_share"] is None
                else f"{tg['quickturn_oracle_share']:.0%}",
            )
        )
    cli.console.print(
        _(
            "Dead stock = units at the end that the remaining-life demand will not absorb, at cost; "
            "working stock is not charged. See docs/backtest.md."
        ),
        style="dim",
    )


@handle_errors
def backtest(
    start: Annotated[
        str | None,
        typer.Option(
            "--start",
            help="First decision day (default: 26 weeks before --end).",
            show_default=False,
        ),
    ] = None,
    end: Annotated[
        str | None,
        typer.Option(
            "--end",
            help="Day after the last simulated day (default: the day after the newest order).",
            show_default=False,
        ),
    ] = None,
    every: Annotated[
        int, typer.Option("--every", help="Days between decisions.", min=1, max=91)
    ] = 7,
    policies: Annotated[
        str,
        typer.Option(
            "--policies",
            help="Comma-separated: quickturn, erp, heavy, qr, oracle (default all five); none = order nothing (the inherited-stock baseline).",
        ),
    ] = "quickturn,erp,heavy,qr,oracle",
    budget: Annotated[
        float | None,
        typer.Option(
            "--budget", help="Cash limit per decision (USD) for every policy.", show_default=False
        ),
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Random seed (lead times, sense paths).")] = 0,
    sku: Annotated[
        list[str] | None,
        typer.Option("--sku", help="Only these SKUs (repeatable).", show_default=False),
    ] = None,
    save: Annotated[
        bool,
        typer.Option("--save/--no-save", help="Keep the result for the dashboard and the report."),
    ] = True,
    cluster: ClusterOpt = None,
    db: DbOpt = None,
    config: ConfigOpt = None,
    json_: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """Replay the shop's past: what quickturn, the ERP rule, heavy pre-stock, quick response
    and a perfect-foresight oracle would have earned, side by side."""
    from quickturn.services import backtest as svc

    cli = make_cli(db, json_, lang, config)
    names = [p.strip() for p in policies.split(",") if p.strip()]
    s, e = _day(cli, start, "--start"), _day(cli, end, "--end")
    with cli.open_store() as store, cli.progress(cli._("Walking forward"), total=None) as advance:
        done = [0]

        def progress(k: int, n: int) -> None:
            advance(k - done[0])
            done[0] = k

        res = svc.run(
            store,
            start=s,
            end=e,
            every=every,
            policies=names,
            seed=seed,
            budget=budget,
            app_settings=cli.settings,
            sku_ids=sku or None,
            progress=progress,
            cluster=cluster,
        )
        run_id = None
        if save:
            params = {
                "start": res.start,
                "end": res.end,
                "every": every,
                "policies": names,
                "seed": seed,
                "budget": budget,
                "skus": sku or None,
            }
            run_id = svc.save(store, res, params=params)
    summary = res.summary()
    if json_:
        payload = {
            "ok": True,
            "run_id": run_id,
            **summary,
            "skus_by_policy": res.skus.to_dicts(),
        }
        cli.print_json(payload)
        return
    render(cli, summary)
    if run_id:
        cli.console.print(
            cli._(
                "Saved as run {run_id}: see the Backtest page of quickturn serve.", run_id=run_id
            ),
            style="dim",
        )


def render_demo(cli: Cli, section: dict[str, Any]) -> None:
    """The demo's backtest section: the same table as ``quickturn backtest``."""
    if "skipped" in section:
        cli.console.print(section["skipped"], style="dim")
        return
    render(cli, section)


__all__ = ["EXIT_USAGE", "backtest"]
