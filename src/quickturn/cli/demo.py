"""``quickturn demo``: generate the demo shop into a fresh database, run every module, and
tell the story (Rich) or print the summary as JSON (``--json``).

Data flow: flags → ``services.demo.run_demo`` (generate → write → module steps) → summary
dict → Rich rendering here, then each module's ``quickturn.cli.<module>.render_demo``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from typing import Annotated, Any

import typer

from quickturn.cli.common import (
    EXIT_FINDINGS,
    EXIT_USAGE,
    Cli,
    JsonOpt,
    LangOpt,
    handle_errors,
    make_cli,
)
from quickturn.config import DEFAULT_DEMO_DB

DemoDbOpt = Annotated[
    str | None,
    typer.Option(
        "--db",
        help="Database to (re)create: a DuckDB file path or a postgresql:// URL (default: ./quickturn-demo.duckdb). "
        "Only an earlier demo database or an empty one is replaced.",
        show_default=False,
    ),
]


def _parse_day(value: str | None, cli: Cli) -> date:
    if value is None:
        return date.today()
    try:
        return date.fromisoformat(value)
    except ValueError:
        cli.fail(
            cli._("--as-of {value!r} is not a date such as 2026-03-02", value=value), EXIT_USAGE
        )


@handle_errors
def demo(
    db: DemoDbOpt = None,
    skus: Annotated[int, typer.Option("--skus", help="Number of SKUs.", min=10, max=20_000)] = 300,
    days: Annotated[int, typer.Option("--days", help="Days of history.", min=30, max=3650)] = 365,
    seed: Annotated[int, typer.Option("--seed", help="Random seed (same seed, same shop).")] = 7,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            help="The demo's today (YYYY-MM-DD); history ends the day before. Default: today.",
            show_default=False,
        ),
    ] = None,
    json_: JsonOpt = False,
    lang: LangOpt = None,
    serve: Annotated[
        bool, typer.Option("--serve", help="Then serve the web dashboard over it (Ctrl+C stops).")
    ] = False,
    port: Annotated[
        int, typer.Option("--port", help="Port of the dashboard with --serve.", min=1, max=65535)
    ] = 8000,
) -> None:
    """Generate a realistic demo shop, run every module on it and show what they found."""
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from quickturn.services.demo import run_demo

    cli = make_cli(db or DEFAULT_DEMO_DB, json_, lang)
    today = _parse_day(as_of, cli)
    show = not json_ and cli.err.is_terminal
    with Progress(
        SpinnerColumn(),
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        TimeElapsedColumn(),
        console=cli.err,
        disable=not show,
        transient=True,
    ) as bar:
        task = bar.add_task(cli._("Starting…"), total=None)

        def progress(message: str, step: int, total: int) -> None:
            bar.update(task, description=message, completed=step - 1, total=total)

        summary = run_demo(
            cli.settings, n_skus=skus, days=days, seed=seed, today=today, progress=progress
        )
    if json_:
        cli.print_json(summary)
    else:
        render_summary(cli, summary)
    if serve:
        from quickturn.cli.web import run_server

        run_server(cli, "127.0.0.1", port)
    if summary["errors"]:
        raise typer.Exit(EXIT_FINDINGS)


def render_summary(cli: Cli, summary: dict[str, Any]) -> None:
    """The story of the demo shop, each module's section, and where to look next."""
    from rich.panel import Panel

    _ = cli._
    s = summary["shop"]
    c = cli.console
    shops = ", ".join(f"{x['name']} ({x['market']}, {x['currency']})" for x in s["shops"])
    c.print(
        Panel.fit(
            _(
                "A cross-border seller shipping from China to TikTok Shop US, with a young UK shop on the side.\n"
                "{shops}\n{n} SKUs, {days} days of history from {first} to the day before {as_of} (seed {seed}).",
                shops=shops,
                n=s["skus"]["total"],
                days=s["history"]["days"],
                first=s["history"]["first_day"],
                as_of=s["as_of"],
                seed=s["seed"],
            ),
            title=_("quickturn demo shop"),
            border_style="cyan",
        )
    )
    sk = s["skus"]
    c.print(
        _(
            "[bold]Catalog[/]: {cats}. Lifecycles: {life}. {pod} print-on-demand size variants, "
            "{fbt} SKUs stocked at Fulfilled by TikTok, {gb} also sold in the UK.",
            cats=_join(sk["by_category"], cli),
            life=_join(sk["by_lifecycle"], cli),
            pod=sk["pod_variants"],
            fbt=sk["fbt_stocked"],
            gb=sk["listed_in_gb"],
        )
    )
    sa, fu = s["sales"], s["fulfilment"]
    c.print(
        _(
            "[bold]Sales[/]: {us:,} US orders (GMV ${gmv:,.0f}), {gb:,} UK orders shipped direct from Shenzhen, "
            "{samples} free samples for creators; {cancelled:,} cancelled ({sfc} by the seller, mostly stock-outs).",
            us=sa["us_orders"],
            gmv=sa["us_gmv_usd"],
            gb=sa["gb_orders"],
            samples=sa["sample_orders"],
            cancelled=sa["cancelled"],
            sfc=sa["seller_fault_cancellations"],
        )
    )
    rv, rt = s["reviews"], s["returns"]
    c.print(
        _(
            "[bold]Fulfilment[/]: late dispatch {ldr:.1%} (a 3PL backlog), late delivery {lat:.1%} (a winter storm). "
            "Reviews: {neg_on:.0%} are 1–2★ when on time vs {neg_late:.0%} when late. Returns {ret:.1%} of delivered orders.",
            ldr=fu["late_dispatch_rate"],
            lat=fu["late_delivery_rate"],
            neg_on=rv["p_negative_on_time"],
            neg_late=rv["p_negative_late"],
            ret=rt["rate"],
        )
    )
    st, co = s["stock"], s["content"]
    c.print(
        _(
            "[bold]Demand[/]: {pl} SKUs with long power-law bursts and {ex} with exponential ones after creator posts; "
            "{so} SKUs ran out of stock ({lost:,} units of demand lost); {dead} dead SKUs sit on {dead_units:,} units.",
            pl=co["power_law_skus"],
            ex=co["exponential_skus"],
            so=st["skus_with_stockouts"],
            lost=st["lost_units"],
            dead=st["dead_skus"],
            dead_units=st["dead_stock_units"],
        )
    )
    cp = s["compliance"]
    c.print(
        _(
            "[bold]Content & compliance[/]: {kinds}; {risky} scripts make risky claims or run lucky-wheel promotions, "
            "{tpl} templated cross-market videos; {expired} expired certificates and {nocpc} children's SKUs without a valid CPC.",
            kinds=_join(co["by_kind"], cli),
            risky=co["risky_scripts"],
            tpl=co["templated_cross_market"],
            expired=cp["expired"],
            nocpc=cp["children_skus_without_valid_cpc"],
        )
    )
    su, mo = s["supply"], s["money"]
    c.print(
        _(
            "[bold]Supply & money[/]: {po} purchase orders ({open} not shipped yet), {sh} shipments ({transit} at sea or in the air today); "
            "{stm} settlement statements, ad spend ${ads:,.0f}, 3PL/FBT/POD bills ${bills:,.0f}, freight ${freight:,.0f}.",
            po=su["purchase_orders"],
            open=su["open_or_in_production"],
            sh=su["shipments"],
            transit=su["in_transit"],
            stm=mo["settlement_statements"],
            ads=mo["ad_spend_usd"],
            bills=mo["bills_usd"],
            freight=mo["freight_usd"],
        )
    )
    rows = sum(summary["tables"].values())
    t = summary["timings"]
    c.print(
        _(
            "Wrote {rows:,} rows to {db} ({backend}) — generated in {g:.1f} s, written in {w:.1f} s.",
            rows=rows,
            db=summary["db"],
            backend=summary["backend"],
            g=t.get("generate", 0.0),
            w=t.get("write", 0.0),
        )
    )
    for name, section in summary["modules"].items():
        c.rule(f"[bold]{name}[/]")
        if isinstance(section, dict) and "error" in section:
            c.print(
                _(
                    "[bold red]{module} failed[/]: {error} (the demo continued without it)",
                    module=name,
                    error=section["error"],
                ),
                soft_wrap=True,
            )
            continue
        renderer = demo_renderer(name)
        if renderer is None:
            c.print(json.dumps(section, ensure_ascii=False, indent=2, default=str)[:2000])
            continue
        try:
            renderer(cli, section)
        except Exception as exc:  # a broken renderer must not hide the rest
            c.print(
                _(
                    "[bold red]{module} failed[/]: {error} (the demo continued without it)",
                    module=name,
                    error=f"{type(exc).__name__}: {exc}",
                )
            )
        secs = t.get(name)
        if secs is not None:
            c.print(_("[dim]{module} took {s:.1f} s[/]", module=name, s=secs))
    c.rule()
    c.print(_("[bold]Where to look next[/]"))
    db = summary["db"]
    for cmd, what in (
        (f"quickturn db info --db {db}", _("tables and row counts")),
        (f"quickturn ledger --db {db}", _("true margin per order, SKU, video and creator")),
        (f"quickturn serve --db {db}", _("the web dashboard")),
        (f"quickturn demo --json --db {db}", _("this summary as JSON")),
    ):
        c.print(f"  [cyan]{cmd}[/]  — {what}", highlight=False)


def _join(counts: dict[str, int], cli: Cli) -> str:
    return ", ".join(f"{cli._(k)} {v:,}" for k, v in counts.items())


def demo_renderer(name: str) -> Callable[[Cli, dict[str, Any]], None] | None:
    """``quickturn.cli.<name>.render_demo`` for a demo step (plain imports inside the
    function, as every command imports what it renders when it renders it); None for a step
    without one (its section is printed as JSON)."""
    if name == "ledger":
        from quickturn.cli.ledger import render_demo as ledger_render

        return ledger_render
    if name == "sense":
        from quickturn.cli.sense import render_demo as sense_render

        return sense_render
    if name == "plan":
        from quickturn.cli.plan import render_demo as plan_render

        return plan_render
    if name == "health":
        from quickturn.cli.health import render_demo as health_render

        return health_render
    if name == "comply":
        from quickturn.cli.comply import render_demo as comply_render

        return comply_render
    if name == "backtest":
        from quickturn.cli.backtest import render_demo as backtest_render

        return backtest_render
    return None
