"""``quickturn ledger …`` and ``quickturn cash``: true margins, explain, cash projection.

Thin: parse flags → call :mod:`quickturn.services.ledger` → render (Rich, JSON or CSV).
"""

from __future__ import annotations

import sys
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any

import typer

from quickturn.cli.common import (
    EXIT_FINDINGS,
    Cli,
    ConfigOpt,
    DbOpt,
    JsonOpt,
    LangOpt,
    handle_errors,
    make_cli,
)
from quickturn.errors import UsageError, has_errors

if TYPE_CHECKING:
    import polars as pl

app = typer.Typer(
    help="True profit per order line, SKU, video, creator, route and period; every figure traceable.",
    invoke_without_command=True,
    no_args_is_help=False,
)

ByOpt = Annotated[
    str,
    typer.Option(
        "--by",
        help="Roll up by: sku, content, creator, route, model, market, source, day, week, month, order, line (comma-separate for two).",
    ),
]
FromOpt = Annotated[
    str | None, typer.Option("--from", help="First order date (YYYY-MM-DD).", show_default=False)
]
ToOpt = Annotated[
    str | None, typer.Option("--to", help="Last order date (YYYY-MM-DD).", show_default=False)
]
CurrencyOpt = Annotated[str, typer.Option("--currency", help="Report currency: USD or CNY.")]
CsvOpt = Annotated[bool, typer.Option("--csv", help="Print CSV instead of a table.")]

SHORT = {
    "revenue": "revenue",
    "discounts": "discounts",
    "platform_fees": "platform fees",
    "commission": "commission",
    "ads": "ads",
    "fulfilment": "fulfilment",
    "shipping": "shipping",
    "returns": "returns",
    "landed_cost": "landed cost",
    "samples": "samples",
    "margin": "margin",
}


def _date(value: str | None, flag: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise UsageError(f"{flag} must be a date like 2026-10-01, got {value!r}") from None


def money(v: Any) -> str:
    if v is None:
        return "—"
    d = Decimal(str(v))
    return f"{d:,.2f}"


def pct(v: Any) -> str:
    return "—" if v is None else f"{float(v) * 100:.1f}%"


def _csv(df: pl.DataFrame) -> None:
    sys.stdout.write(df.write_csv())


def _key_cols(df: pl.DataFrame) -> list[str]:
    from quickturn.services import ledger as svc

    return [
        c
        for c in df.columns
        if c
        not in (
            "orders",
            "units",
            *svc.AMOUNT_COLUMNS,
            "margin_rate",
            "lines_cost_unknown",
            "lines_estimated",
        )
    ]


#: compact table columns: (header, groups summed)
COMPACT: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("revenue", ("revenue",)),
    ("discounts", ("discounts",)),
    ("fees+commission", ("platform_fees", "commission")),
    ("ads", ("ads",)),
    ("fulfil+ship", ("fulfilment", "shipping")),
    ("returns", ("returns",)),
    ("landed cost", ("landed_cost",)),
    ("samples", ("samples",)),
    ("margin", ("margin",)),
)


def print_rollup(cli: Cli, df: pl.DataFrame, title: str, limit: int | None = None) -> None:
    """A compact Rich table of a roll-up (all components are in --csv / --json)."""
    _ = cli._
    keys = _key_cols(df)
    show = df.head(limit) if limit else df
    cols = [*keys, _("units"), *[_(h) for h, _g in COMPACT], _("margin %")]
    rows = []
    for r in show.to_dicts():
        rows.append(
            [
                *[r[k] if r[k] is not None else _("(none)") for k in keys],
                r["units"],
                *[money(sum((r[g] or 0 for g in groups), Decimal(0))) for _h, groups in COMPACT],
                pct(r["margin_rate"]),
            ]
        )
    cli.table(title, cols, rows)
    if limit and df.height > limit:
        cli.console.print(_("… {n} more rows (use --csv or --json for all)", n=df.height - limit))


@app.callback(invoke_without_command=True)
@handle_errors
def report(
    ctx: typer.Context,
    by: ByOpt = "sku",
    date_from: FromOpt = None,
    date_to: ToOpt = None,
    currency: CurrencyOpt = "USD",
    csv: CsvOpt = False,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            help="Business date of the books (YYYY-MM-DD): orders up to that day; default: the last order day.",
            show_default=False,
        ),
    ] = None,
    limit: Annotated[int, typer.Option("--limit", help="Rows to show in the table.")] = 30,
    save: Annotated[
        bool, typer.Option("--save/--no-save", help="Append the postings to the journal.")
    ] = True,
    full: Annotated[
        bool,
        typer.Option(
            "--full",
            help="Rebuild the whole ledger and diff every line against the journal (default: incremental — an unchanged shop is read from the journal, only changed orders are posted again).",
        ),
    ] = False,
    db: DbOpt = None,
    json_: JsonOpt = False,
    lang: LangOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Contribution margin after every cost, rolled up by a dimension (default: SKU)."""
    from quickturn.services import ledger as svc

    if ctx.invoked_subcommand is not None:
        return
    cli = make_cli(db, json_ or csv, lang, config)
    _ = cli._
    dims = [d.strip() for d in by.split(",") if d.strip()]
    f, t = _date(date_from, "--from"), _date(date_to, "--to")
    day = _date(as_of, "--as-of")
    if day is not None:
        t = day if t is None else min(t, day)
    with cli.open_store() as store, cli.progress(_("Building the ledger")) as _advance:
        r = svc.run(store, settings=cli.settings, persist=save, as_of=day, full=full)
        table = svc.margins(
            store,
            by=dims,
            date_from=f,
            date_to=t,
            currency=currency,
            run=r,
        )
    errors = has_errors(r.findings)
    if csv:
        _csv(table)
    elif json_:
        cli.print_json(
            {
                "ok": not errors,
                "run_id": r.run_id if save else None,
                "by": dims,
                "currency": currency.upper(),
                "from": f,
                "to": t,
                "as_of": r.as_of,
                "rows": table,
                "posted": r.posted,
                "reversed": r.reversed,
                "mode": r.mode,
                "orders_reposted": r.orders_reposted,
                "findings": r.findings,
            }
        )
    else:
        total = {
            a: sum((x or 0 for x in table[a].to_list()), Decimal(0)) for a in ("revenue", "margin")
        }
        cli.console.print(
            _(
                "Ledger: {lines} order lines, revenue {cur} {rev}, contribution margin {cur} {margin}.",
                lines=r.order_lines,
                cur=currency.upper(),
                rev=money(total["revenue"]),
                margin=money(total["margin"]),
            )
        )
        if r.mode == "unchanged":
            cli.console.print(
                _(
                    "Journal: nothing changed since run {run}; read from the journal (`--full` rebuilds).",
                    run=r.run_id,
                )
            )
        elif save:
            cli.console.print(
                _(
                    "Journal: {posted} new posting(s), {reversed} reversal(s) (run {run}).",
                    posted=r.posted,
                    reversed=r.reversed,
                    run=r.run_id,
                )
            )
        print_rollup(
            cli,
            table,
            _("Contribution margin by {by} ({cur})", by=", ".join(dims), cur=currency.upper()),
            limit,
        )
        if r.findings:
            cli.print_findings(r.findings)
        cli.console.print(
            _(
                "Next: `quickturn ledger explain --order ID` or `--sku SKU --month YYYY-MM` shows where a figure comes from; `quickturn cash` projects cash."
            )
        )
    if errors:
        raise typer.Exit(EXIT_FINDINGS)


@app.command("losers")
@handle_errors
def losers_cmd(
    top: Annotated[int, typer.Option("--top", help="Rows per list (worst first).")] = 10,
    db: DbOpt = None,
    json_: JsonOpt = False,
    lang: LangOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Who loses money: SKUs, videos (content) and creators with a negative true margin."""
    from quickturn.services import ledger as svc

    cli = make_cli(db, json_, lang, config)
    _ = cli._
    if top < 1:
        raise UsageError(f"--top must be at least 1, got {top}")
    with cli.open_store() as store, cli.progress(_("Building the ledger")) as _advance:
        lists = svc.losers(store, n=top, settings=cli.settings)
    if json_:
        cli.print_json({"ok": True, "top": top, **lists})
        return
    titles = {
        "sku": _("Money-losing SKUs"),
        "content": _("Money-losing videos"),
        "creator": _("Money-losing creators"),
    }
    for dim, df in lists.items():
        if df.height:
            print_rollup(cli, df, titles[dim])
        else:
            cli.console.print(
                _("{what}: none — every one earns money after every cost.", what=titles[dim])
            )
    cli.console.print(
        _(
            "Next: `quickturn ledger explain --sku SKU --month YYYY-MM` shows where a loss comes from."
        )
    )


@app.command("explain")
@handle_errors
def explain_cmd(
    order: Annotated[
        str | None, typer.Option("--order", help="Order id.", show_default=False)
    ] = None,
    sku: Annotated[str | None, typer.Option("--sku", help="SKU id.", show_default=False)] = None,
    month: Annotated[
        str | None, typer.Option("--month", help="Month YYYY-MM (with --sku).", show_default=False)
    ] = None,
    csv: Annotated[
        bool,
        typer.Option(
            "--csv", help="Print every posting (amount, basis, source table and key) as CSV."
        ),
    ] = False,
    db: DbOpt = None,
    json_: JsonOpt = False,
    lang: LangOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Every component of an order's or a SKU-month's margin, with the source rows it came from."""
    from quickturn.services import ledger as svc

    cli = make_cli(db, json_ or csv, lang, config)
    _ = cli._
    with cli.open_store(read_only=False) as store:
        e = svc.explain(store, order_id=order, sku_id=sku, month=month, settings=cli.settings)
    if csv:
        _csv(e.postings)
        return
    if json_:
        cli.print_json(
            {
                "ok": True,
                "title": e.title,
                "margin_usd": e.margin_usd,
                "components": e.components,
                "postings": e.postings,
                "cost_layers": e.layers,
                "sources": {k: v for k, v in e.sources.items()},
            }
        )
        return
    cli.console.print(f"[bold]{_('Explain')}: {e.title}[/]")
    cli.table(
        _("Components (USD)"),
        [
            _("component"),
            _("account"),
            _("amount"),
            _("of which estimated"),
            _("postings"),
            _("from"),
        ],
        [
            (
                _(SHORT.get(r["component"], r["component"])),
                r["account"],
                money(r["amount_usd"]),
                money(r["estimated_usd"]),
                r["postings"],
                r["sources"],
            )
            for r in e.components.to_dicts()
        ],
    )
    cli.console.print(f"[bold]{_('Contribution margin')}: USD {money(e.margin_usd)}[/]")
    pst = e.postings
    cli.table(
        _("Postings"),
        [_("date"), _("account"), _("amount"), _("basis"), _("source"), _("how")],
        [
            (
                r["date"],
                r["account"],
                money(r["amount_usd"]),
                _(r["basis"]),
                f"{r['source_table']}: {r['source_key']}",
                r["note"] or "",
            )
            for r in pst.head(80).to_dicts()
        ],
    )
    if pst.height > 80:
        cli.console.print(_("… {n} more rows (use --csv or --json for all)", n=pst.height - 80))
    if e.layers.height:
        cli.table(
            _("Landed cost layers"),
            [
                _("layer"),
                _("received"),
                _("units"),
                _("factory"),
                _("freight"),
                _("duty"),
                _("inbound"),
                _("per unit"),
            ],
            [
                (
                    r["source_key"],
                    r["received_on"],
                    r["quantity"],
                    money(r["factory_usd"]),
                    money(r["freight_usd"]),
                    money(r["duty_usd"]),
                    money(r["inbound_usd"]),
                    money(r["unit_landed_usd"]),
                )
                for r in e.layers.to_dicts()
            ],
        )
    for label, rows in list(e.sources.items())[:20]:
        keep = [c for c in rows.columns if rows[c].null_count() < rows.height][:9]
        cli.table(label, keep, rows.select(keep).head(10).rows())


@handle_errors
def cash_command(
    days: Annotated[int, typer.Option("--days", help="Days to project.")] = 90,
    today: Annotated[
        str | None,
        typer.Option(
            "--today",
            help="First projected day (default: the day after the last order).",
            show_default=False,
        ),
    ] = None,
    expected: Annotated[
        str,
        typer.Option(
            "--expected",
            help=(
                "Expected sales: auto (the sense module's forecast or demand scenarios,"
                " else the recent run rate) or run-rate."
            ),
        ),
    ] = "auto",
    csv: CsvOpt = False,
    save: Annotated[
        bool, typer.Option("--save/--no-save", help="Store the timeline (ledger_cash).")
    ] = True,
    db: DbOpt = None,
    json_: JsonOpt = False,
    lang: LangOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Daily cash timeline and projection: supplier terms, freight, duty, bills, ads, settlements."""
    from quickturn.services import ledger as svc

    cli = make_cli(db, json_ or csv, lang, config)
    _ = cli._
    if expected not in ("auto", "run-rate"):
        raise UsageError(f"--expected must be one of auto, run-rate, got {expected!r}")
    with cli.open_store() as store, cli.progress(_("Projecting cash")) as _advance:
        rep = svc.cash(
            store,
            days=days,
            today=_date(today, "--today"),
            settings=cli.settings,
            persist=save,
            expected=expected.replace("-", "_"),
        )
    if csv:
        _csv(rep.daily)
        return
    if json_:
        cli.print_json(
            {"ok": True, "run_id": rep.run_id, "summary": rep.summary, "daily": rep.daily}
        )
        return
    print_cash(cli, rep.summary, rep.daily)


def print_cash(cli: Cli, summary: dict[str, Any], daily: pl.DataFrame) -> None:
    import polars as pl

    from quickturn.core.ledger.cash import sparkline

    _ = cli._
    proj = daily.filter(pl.col("kind") == "projection")
    cli.console.print(
        _(
            "Cash projection from {start} for {days} days (expected sales: {source}).",
            start=summary["today"],
            days=summary["days"],
            source=summary["expected_sales_source"],
        )
    )
    cli.console.print(
        _(
            "Peak cash need: USD {need}; lowest balance USD {low} on {when}; end balance USD {end}.",
            need=money(summary["peak_cash_need_usd"]),
            low=money(summary["lowest_balance_usd"]),
            when=summary["lowest_balance_date"],
            end=money(summary["end_balance_usd"]),
        )
    )
    bal = [float(v) for v in proj["balance_usd"].to_list()]
    if bal:
        cli.console.print(
            f"{_('balance')} {sparkline(bal)}  [{money(min(bal))} … {money(max(bal))}]"
        )
    weekly = (
        proj.with_columns(pl.col("date").dt.truncate("1w").alias("week"))
        .group_by("week")
        .agg(
            pl.col("inflow_usd").sum(),
            pl.col("outflow_usd").sum(),
            pl.col("net_usd").sum(),
            pl.col("balance_usd").last(),
        )
        .sort("week")
    )
    cli.table(
        _("Projection by week (USD)"),
        [_("week"), _("in"), _("out"), _("net"), _("balance")],
        [
            (
                r["week"],
                money(r["inflow_usd"]),
                money(r["outflow_usd"]),
                money(r["net_usd"]),
                money(r["balance_usd"]),
            )
            for r in weekly.to_dicts()
        ],
    )


# -- demo ----------------------------------------------------------------------------------


def render_demo(cli: Cli, section: dict[str, Any]) -> None:
    """The ledger's part of ``quickturn demo``: who earns, who loses, where the cash goes."""
    _ = cli._
    t = section.get("totals", {})
    cli.console.print(f"\n[bold]{_('Ledger — true margin after every cost')}[/]")
    cli.console.print(
        _(
            "{lines} order lines: revenue USD {rev}, contribution margin USD {margin} ({rate}) after fees, commission, ads, fulfilment, returns and landed cost.",
            lines=t.get("order_lines", 0),
            rev=money(t.get("revenue_usd")),
            margin=money(t.get("margin_usd")),
            rate=pct(t.get("margin_rate")),
        )
    )

    def skus(rows: list[dict[str, Any]], title: str) -> None:
        cli.table(
            title,
            [_("SKU"), _("units"), _("revenue"), _("margin"), _("margin %")],
            [
                (
                    r["sku_id"],
                    r["units"],
                    money(r["revenue"]),
                    money(r["margin"]),
                    pct(r["margin_rate"]),
                )
                for r in rows
            ],
        )

    if section.get("top_skus"):
        skus(section["top_skus"], _("Top SKUs by true margin"))
    if section.get("bottom_skus"):
        skus(section["bottom_skus"], _("Bottom SKUs by true margin"))
    lowest = section.get("lowest_margin") or {}
    for key, label, col, dim, none_lose in (
        (
            "losing_videos",
            _("Money-losing videos"),
            "content_id",
            "content",
            _("No video loses money after every cost"),
        ),
        (
            "losing_creators",
            _("Money-losing creators"),
            "creator_id",
            "creator",
            _("No creator loses money after every cost"),
        ),
    ):
        rows = section.get(key) or []
        low = lowest.get(dim)
        if not rows and low:
            cli.console.print(
                _(
                    "{none}; the lowest margin is {key}: USD {margin} on {orders} orders.",
                    none=none_lose,
                    key=low[col],
                    margin=money(low["margin"]),
                    orders=low["orders"],
                )
            )
        if rows:
            cli.table(
                label,
                [
                    col,
                    _("orders"),
                    _("revenue"),
                    _("commission"),
                    _("ads"),
                    _("samples"),
                    _("margin"),
                ],
                [
                    (
                        r[col],
                        r["orders"],
                        money(r["revenue"]),
                        money(r["commission"]),
                        money(r["ads"]),
                        money(r["samples"]),
                        money(r["margin"]),
                    )
                    for r in rows
                ],
            )
    c = section.get("cash")
    if c:
        cli.console.print(
            _(
                "Cash, next {days} days: peak cash need USD {need}, lowest balance on {when}.",
                days=c["days"],
                need=money(c["peak_cash_need_usd"]),
                when=c["lowest_balance_date"],
            )
        )
        if c.get("expected_sales_source"):
            cli.console.print(_("Expected sales: {source}.", source=c["expected_sales_source"]))
        cli.console.print(f"{_('balance')} {c.get('sparkline', '')}")
        if c.get("weekly"):
            cli.table(
                _("Projection by week (USD)"),
                [_("week"), _("net"), _("balance")],
                [(w["week"], money(w["net_usd"]), money(w["balance_usd"])) for w in c["weekly"]],
            )
    n = section.get("findings", {})
    if n:
        cli.console.print(
            _("Ledger findings: {summary}", summary=", ".join(f"{k} ×{v}" for k, v in n.items()))
        )
    cli.console.print(
        _(
            "Look next: `quickturn ledger --by creator`, `quickturn ledger explain --sku {sku} --month {month}`, `quickturn cash`.",
            sku=section.get("explain_sku", "SKU"),
            month=section.get("explain_month", "YYYY-MM"),
        )
    )
