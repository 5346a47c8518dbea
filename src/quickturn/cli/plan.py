"""``quickturn plan …``: Monte Carlo replenishment (today's purchase orders and the risk behind them).

Data flow: flags → ``services.plan`` (load → scenarios → simulate every policy family →
decide → persist) → Rich tables or JSON.  ``compare``/``explain`` plan one SKU afresh;
``export`` writes the latest run's purchase orders as a supplier CSV.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.panel import Panel

from quickturn.cli.common import (
    EXIT_FINDINGS,
    EXIT_USAGE,
    Cli,
    ClusterOpt,
    ConfigOpt,
    DbOpt,
    JsonOpt,
    LangOpt,
    fmt_cell,
    handle_errors,
    make_cli,
)

app = typer.Typer(
    help="Replenishment by Monte Carlo simulation: how much, when, by which route — heavy "
    "pre-stock vs quick response vs dual sourcing vs POD.",
    invoke_without_command=True,
    no_args_is_help=False,
)

SkuOpt = Annotated[
    str | None, typer.Option("--sku", help="Plan only this SKU.", show_default=False)
]
PolicyOpt = Annotated[
    str,
    typer.Option(
        "--policy",
        help="auto (best objective per SKU) or force a family: heavy, qr, dual, pod, hybrid.",
    ),
]
BudgetOpt = Annotated[
    float | None,
    typer.Option(
        "--budget",
        help="Cash available for today's purchase orders, USD (SKUs are funded by marginal "
        "expected profit per dollar; the rest are reported as held back).",
        show_default=False,
        min=0,
    ),
]
ScenariosOpt = Annotated[
    int | None,
    typer.Option(
        "--scenarios", help="Demand scenarios per SKU (default 1000).", min=10, show_default=False
    ),
]
SeedOpt = Annotated[int | None, typer.Option("--seed", help="Random seed.", show_default=False)]
AsOfOpt = Annotated[
    str | None,
    typer.Option(
        "--as-of",
        help="Plan date (YYYY-MM-DD); default: the demo's date in a demo database, else today.",
        show_default=False,
    ),
]


def _today(cli: Cli, value: str | None, store: Any) -> date:
    from quickturn.services import plan as svc

    if value is not None:
        try:
            return date.fromisoformat(value)
        except ValueError:
            cli.fail(
                cli._("--as-of {value!r} is not a date such as 2026-03-02", value=value), EXIT_USAGE
            )
    return svc.default_as_of(store)


def _progress(cli: Cli, label: str) -> Any:
    return cli.progress(label, total=None)


@app.callback()
@handle_errors
def plan(
    ctx: typer.Context,
    sku: SkuOpt = None,
    policy: PolicyOpt = "auto",
    budget: BudgetOpt = None,
    scenarios: ScenariosOpt = None,
    seed: SeedOpt = None,
    as_of: AsOfOpt = None,
    cluster: ClusterOpt = None,
    db: DbOpt = None,
    config: ConfigOpt = None,
    json_: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """Plan every active SKU: today's purchase orders, per-SKU and portfolio risk."""
    from quickturn.services import plan as svc

    if ctx.invoked_subcommand is not None:
        return
    cli = make_cli(db, json_, lang, config)
    if policy not in ("auto", "heavy", "qr", "dual", "pod", "hybrid"):
        cli.fail(
            cli._(
                "--policy {value!r} is not a policy; use auto, heavy, qr, dual, pod or hybrid",
                value=policy,
            )
        )
    with cli.open_store() as store:
        today = _today(cli, as_of, store)
        with cli.progress(cli._("Simulating policies"), total=None) as advance:
            done = [0]

            def progress(k: int, n: int) -> None:
                advance(k - done[0])
                done[0] = k

            report = svc.run(
                store,
                today=today,
                app_settings=cli.settings,
                sku=sku,
                policy=policy,
                budget=budget,
                scenarios=scenarios,
                seed=seed,
                progress=progress,
                cluster=cluster,
            )
    payload = report.to_dict(cli.lang)
    if json_:
        cli.print_json(payload)
    else:
        render_report(cli, payload)
    if any(f["severity"] in ("error", "block") for f in payload["findings"]):
        raise typer.Exit(EXIT_FINDINGS)


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{100 * x:.0f}%"


def _usd(x: float | None) -> str:
    if x is None:
        return "—"
    return f"-${abs(x):,.0f}" if x < 0 else f"${x:,.0f}"


def render_report(cli: Cli, d: dict[str, Any]) -> None:
    _ = cli._
    c = cli.console
    p = d["portfolio"]
    c.print(
        _(
            "[bold]Plan as of {as_of}[/] — {n} SKUs, {m} scenarios × {h} days, objective = "
            "E(profit) − {lam}·CVaR{alpha}",
            as_of=d["as_of"],
            n=int(p["skus"]),
            m=d["scenarios"],
            h=d["horizon_days"],
            lam=d["risk"]["lambda"],
            alpha=f"{int(100 * d['risk']['alpha'])}",
        )
    )
    render_purchase_orders(cli, d["actions"])
    render_portfolio(cli, p, budget=d.get("budget_usd"), spent=d.get("budget_spent_usd"))
    rows = sorted(d["skus"], key=lambda r: -(r["expected_profit_usd"] or 0.0))
    cli.table(
        _("Per SKU (chosen policy)"),
        [
            _("SKU"),
            _("policy"),
            _("exp. profit"),
            _("P(stock-out)"),
            _("fill rate"),
            _("lost"),
            _("dead stock"),
            _("peak cash"),
            _("CVaR"),
        ],
        [
            (
                r["sku_id"],
                r["policy"]
                + (" ⏸" if r["held_back_by_budget"] else "")
                + (" ⛔" if r["gated_by_compliance"] else ""),
                _usd(r["expected_profit_usd"]),
                _pct(r["stockout_prob"]),
                _pct(r["fill_rate"]),
                r["lost_sales_qty"],
                r["dead_stock_qty"],
                _usd(r["peak_cash_usd"]),
                _usd(r["cvar_usd"]),
            )
            for r in rows[:25]
        ],
    )
    if len(rows) > 25:
        c.print(_("… {n} more SKUs (use --json or --sku)", n=len(rows) - 25))
    if d["held_back"]:
        c.print(
            _("[yellow]Held back by the budget[/]: {skus}", skus=", ".join(d["held_back"][:30]))
        )
    if d["gated"]:
        c.print(
            _(
                "[red]No purchase order (blocking compliance findings)[/]: {skus} — see `quickturn comply`",
                skus=", ".join(f"{k} ({', '.join(v)})" for k, v in list(d["gated"].items())[:15]),
            )
        )
    for note in d["notes"]:
        c.print(f"[dim]{note}[/]")
    if d["findings"]:
        from quickturn.errors import Finding

        cli.print_findings([Finding(**f) for f in d["findings"]])
    c.print(
        _(
            "Next: `quickturn plan compare --sku SKU` (all policies side by side), "
            "`quickturn plan explain --sku SKU`, `quickturn plan export --out pos.csv`."
        )
    )


def render_purchase_orders(cli: Cli, actions: list[dict[str, Any]], limit: int = 30) -> None:
    _ = cli._
    pos = [a for a in actions if a["kind"] == "purchase_order"]
    if not pos:
        cli.console.print(_("No purchase orders today."))
    else:
        cli.table(
            _("Today's purchase orders"),
            [
                _("SKU"),
                _("qty"),
                _("supplier"),
                _("route"),
                _("arrives"),
                _("cost"),
                _("policy"),
                _("vs next best"),
            ],
            [
                (
                    a["sku_id"],
                    a["quantity"],
                    a["supplier_id"],
                    f"{a['mode']} {a['route_id']}",
                    str(a["expected_arrival"]),
                    _usd(a["total_cost_usd"]),
                    a["policy"],
                    a.get("edge", ""),
                )
                for a in pos[:limit]
            ],
        )
        if len(pos) > limit:
            cli.console.print(_("… {n} more purchase orders", n=len(pos) - limit))
    transfers = [a for a in actions if a["kind"] == "transfer"]
    if transfers:
        cli.table(
            _("Transfers of stock already bought (no production)"),
            [_("SKU"), _("qty"), _("from"), _("route"), _("arrives"), _("freight"), _("policy")],
            [
                (
                    a["sku_id"],
                    a["quantity"],
                    a["origin_id"],
                    f"{a['mode']} {a['route_id']}",
                    str(a["expected_arrival"]),
                    _usd(a["total_cost_usd"]),
                    a["policy"],
                )
                for a in transfers[:limit]
            ],
        )
    pods = [a for a in actions if a["kind"] == "pod"]
    if pods:
        cli.console.print(
            _(
                "{n} SKUs served by print-on-demand / make-to-order ({units:,} units expected).",
                n=len(pods),
                units=sum(int(a["quantity"]) for a in pods),
            )
        )


def render_portfolio(
    cli: Cli, p: dict[str, float], *, budget: float | None = None, spent: float | None = None
) -> None:
    _ = cli._
    if p["cvar_usd"] > 0:
        head = _(
            "Expected profit {v} after writing dead stock down to salvage (5th percentile {p05}; the worst 5% of scenarios average {worst}, i.e. CVaR95 of loss {cvar})",
            v=_usd(p["expected_profit_usd"]),
            p05=_usd(p["profit_p05_usd"]),
            worst=_usd(-p["cvar_usd"]),
            cvar=_usd(p["cvar_usd"]),
        )
    else:
        head = _(
            "Expected profit {v} after writing dead stock down to salvage (5th percentile {p05}; even the worst 5% of scenarios average a profit of {worst}: no loss at risk)",
            v=_usd(p["expected_profit_usd"]),
            p05=_usd(p["profit_p05_usd"]),
            worst=_usd(-p["cvar_usd"]),
        )
    lines = [
        head,
        _("Fill rate {f}; lost sales {lost:,.0f} units; about {so:,.0f} SKUs expected to stock out before their next arrival", f=_pct(p["fill_rate"]), lost=p["lost_sales_qty"], so=p["expected_stockouts"]),
        _("Stock left at the end of the horizon {e:,.0f} units: {w:,.0f} working stock that sells within the SKUs' remaining life, {u:,.0f} dead stock it never will ({v} landed)", e=p.get("end_stock_qty", p["dead_stock_qty"]), w=p.get("working_stock_qty", 0.0), u=p["dead_stock_qty"], v=_usd(p["dead_stock_value_usd"])),
        _("Peak cash tied up {v} (sum over SKUs); today's orders {today}", v=_usd(p["peak_cash_usd"]), today=_usd(p["todays_order_cost_usd"])),
    ]  # fmt: skip
    if budget is not None:
        lines.append(
            _(
                "Budget {b}: spent {s}, {n} SKUs held back",
                b=_usd(budget),
                s=_usd(spent),
                n=int(p["held_back_skus"]),
            )
        )
    cli.console.print(Panel("\n".join(lines), title=_("Portfolio risk"), border_style="cyan"))


COMPARE_FIELDS = (
    ("objective_usd", "objective", "usd"),
    ("expected_profit_usd", "exp. profit", "usd"),
    ("profit_p05_usd", "profit P5", "usd"),
    ("cvar_usd", "CVaR (loss)", "usd"),
    ("stockout_prob", "P(stock-out before next arrival)", "pct"),
    ("fill_rate", "fill rate", "pct"),
    ("lost_sales_qty", "lost sales (units)", "qty"),
    ("dead_stock_qty", "dead stock (units)", "qty"),
    ("dead_stock_value_usd", "dead stock (value)", "usd"),
    ("peak_cash_usd", "peak cash", "usd"),
    ("order_qty", "units ordered", "qty"),
    ("freight_cost_usd", "freight + duty", "usd"),
    ("holding_cost_usd", "storage + capital", "usd"),
    ("fulfilment_days_mean", "days to buyer", "qty"),
)


def _fmt(kind: str, v: Any) -> str:
    if v is None:
        return "—"
    if kind == "usd":
        return _usd(v)
    if kind == "pct":
        return _pct(v)
    return fmt_cell(float(v))


def render_compare(cli: Cli, d: dict[str, Any]) -> None:
    _ = cli._
    fams = d["families"]
    cli.console.print(
        _(
            "[bold]{sku}[/] {title} — phase {phase}; {m} scenarios × {h} days",
            sku=d["sku_id"],
            title=d["title"],
            phase=d["phase"],
            m=d["scenarios"],
            h=d["horizon_days"],
        )
    )
    cli.table(
        _("Policy families side by side (common random numbers)"),
        ["", *[f["policy"] + (" ✓" if f["chosen"] else "") for f in fams]],
        [(_(label), *[_fmt(kind, f[key]) for f in fams]) for key, label, kind in COMPARE_FIELDS],
    )
    if d["not_applicable"]:
        cli.console.print(_("Not applicable here: {f}", f=", ".join(d["not_applicable"])))
    chosen = next(f for f in fams if f["chosen"])
    cli.console.print(chosen["reason"])


@app.command("compare")
@handle_errors
def compare_cmd(
    sku: Annotated[str, typer.Option("--sku", help="The SKU to compare.")],
    scenarios: ScenariosOpt = None,
    seed: SeedOpt = None,
    as_of: AsOfOpt = None,
    db: DbOpt = None,
    config: ConfigOpt = None,
    json_: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """Every policy family side by side for one SKU (heavy, QR, dual, POD, hybrid)."""
    from quickturn.services import plan as svc

    cli = make_cli(db, json_, lang, config)
    with cli.open_store() as store:
        today = _today(cli, as_of, store)
        d = svc.compare(
            store, today=today, sku=sku, app_settings=cli.settings, scenarios=scenarios, seed=seed
        )
    d.pop("_report", None)
    d["families"] = [svc.localise_row(r, cli.lang) for r in d["families"]]
    if json_:
        cli.print_json(d)
    else:
        render_compare(cli, d)


@app.command("explain")
@handle_errors
def explain_cmd(
    sku: Annotated[str, typer.Option("--sku", help="The SKU to explain.")],
    scenarios: ScenariosOpt = None,
    seed: SeedOpt = None,
    as_of: AsOfOpt = None,
    db: DbOpt = None,
    config: ConfigOpt = None,
    json_: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """Why a SKU gets its plan: demand, costs, routes, risk and the runner-up."""
    from quickturn.services import plan as svc

    cli = make_cli(db, json_, lang, config)
    with cli.open_store() as store:
        today = _today(cli, as_of, store)
        d = svc.explain(
            store, today=today, sku=sku, app_settings=cli.settings, scenarios=scenarios, seed=seed
        )
    d["families"] = [svc.localise_row(r, cli.lang) for r in d["families"]]
    d["purchase_orders"] = [svc.localise_action(a, cli.lang) for a in d["purchase_orders"]]
    d["reason"] = svc.render_reason(d.pop("_reason"), cli.lang)
    if json_:
        cli.print_json(d)
        return
    _ = cli._
    i = d["inputs"]
    c = cli.console
    render_compare(cli, d)
    c.print(
        Panel(
            "\n".join(
                [
                    _(
                        "Price {p}, landed cost {l}, variable cost {v} → unit margin {m} (from {src})",
                        p=_usd(i["price_usd"]),
                        l=f"${i['landed_cost_usd']:.2f}",
                        v=f"${i['variable_cost_usd']:.2f}",
                        m=f"${i['unit_margin_usd']:.2f}",
                        src=i["economics_source"],
                    ),
                    _(
                        "Stock {oh:,.0f} on hand at {dest}, {tr:,.0f} in transit; expected demand over the horizon {dem:,.0f} units",
                        oh=i["on_hand"],
                        dest=i["destination_id"],
                        tr=i["in_transit"],
                        dem=i["expected_demand_qty"],
                    ),
                    _(
                        "Supplier {s}: {pd:.0f} production days; unit cost {c} {cur}",
                        s=i["supplier_id"],
                        pd=i["production_days"],
                        c=i["unit_cost"],
                        cur=i["cost_currency"],
                    ),
                    *[
                        _(
                            "{slot} route {r} ({mode}): {lt} days incl. production, freight {f}/unit",
                            slot=_(slot),
                            r=r["route_id"],
                            mode=r["mode"],
                            lt=r["lead_time_days"],
                            f=f"${r['freight_per_unit_usd']:.2f}",
                        )
                        + (
                            " "
                            + _(
                                "(transit {t} ± {sd} days, fitted to {n} past shipments)",
                                t=r["transit_days"],
                                sd=r["transit_sd_days"],
                                n=r["lead_time_shipments"],
                            )
                            if r.get("lead_time_source") == "shipments"
                            else ""
                        )
                        for slot, r in d["routes"].items()
                        if r
                    ],
                    _(
                        "POD: {pod}; delivery {ud} days from US stock",
                        pod=(
                            _("yes, {d} days to the buyer", d=i["pod_days"])
                            if i["pod_eligible"]
                            else _("no")
                        ),
                        ud=i["us_delivery_days"],
                    ),
                ]
            ),
            title=_("Inputs"),
            border_style="cyan",
        )
    )
    if d["gated"]:
        c.print(_("[red]Blocked by compliance[/]: {codes}", codes=", ".join(d["gated"])))
    render_purchase_orders(cli, d["purchase_orders"])
    c.print(_("[bold]Why[/]: {reason}", reason=d["reason"]))


@app.command("export")
@handle_errors
def export_cmd(
    out: Annotated[Path, typer.Option("--out", help="CSV file to write.")],
    run_id: Annotated[
        str | None,
        typer.Option("--run", help="Plan run (default: the latest).", show_default=False),
    ] = None,
    db: DbOpt = None,
    json_: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """Write the purchase orders of the latest plan run as a CSV a supplier can receive."""
    from quickturn.services import plan as svc

    cli = make_cli(db, json_, lang)
    with cli.open_store() as store:
        info = svc.export_purchase_orders(store, out, run_id=run_id)
    if json_:
        cli.print_json(info)
    else:
        cli.console.print(
            cli._(
                "Wrote {lines} lines ({pos} purchase orders) from run {run} to {path}.",
                lines=info["lines"],
                pos=info["purchase_orders"],
                run=info["run_id"],
                path=info["path"],
            )
        )


def render_demo(cli: Cli, section: dict[str, Any]) -> None:
    """The plan part of ``quickturn demo``: today's POs, portfolio risk, heavy vs QR."""
    _ = cli._
    c = cli.console
    if "error" in section:
        c.print(_("[red]plan failed[/]: {e}", e=section["error"]))
        return
    mix = ", ".join(f"{k} {v}" for k, v in section["chosen_policies"].items() if v)
    c.print(
        _(
            "[bold]Plan[/]: {n} SKUs planned on {m} demand scenarios each; policies chosen: {mix} "
            "({idle} SKUs need no order: their stock covers what is worth selling).",
            n=section["skus_planned"],
            m=section.get("scenarios", 200),
            mix=mix,
            idle=section.get("no_order_needed", 0),
        )
    )
    render_purchase_orders(cli, section["purchase_orders"] + section.get("transfers", []), limit=8)
    if section["purchase_order_count"] > len(section["purchase_orders"]):
        c.print(
            _(
                "… {n} purchase orders in total, {v} today",
                n=section["purchase_order_count"],
                v=_usd(section["todays_spend_usd"]),
            )
        )
    render_portfolio(cli, section["portfolio"])
    h = section.get("hottest")
    if h and h.get("heavy") and h.get("qr"):
        hv, qr = h["heavy"], h["qr"]
        cli.table(
            _("Hottest SKU {sku} ({title}, {phase}): heavy pre-stock vs quick response", sku=h["sku_id"], title=h["title"], phase=h["phase"]),
            ["", "heavy", "qr"],
            [
                (_("exp. profit"), _usd(hv["expected_profit_usd"]), _usd(qr["expected_profit_usd"])),
                (_("dead stock (units)"), fmt_cell(hv["dead_stock_qty"]), fmt_cell(qr["dead_stock_qty"])),
                (_("lost sales (units)"), fmt_cell(hv["lost_sales_qty"]), fmt_cell(qr["lost_sales_qty"])),
                (_("P(stock-out before next arrival)"), _pct(hv["stockout_prob"]), _pct(qr["stockout_prob"])),
                (_("peak cash"), _usd(hv["peak_cash_usd"]), _usd(qr["peak_cash_usd"])),
            ],
        )  # fmt: skip
    if section.get("gated"):
        c.print(
            _(
                "{n} SKUs get no purchase order until their compliance documents are fixed.",
                n=len(section["gated"]),
            )
        )
    c.print(
        _(
            "Next: `quickturn plan --db {db}`, `quickturn plan compare --sku {sku} --db {db}`, "
            "`quickturn plan export --out pos.csv --db {db}`.",
            db=section.get("db", "quickturn-demo.duckdb"),
            sku=(h or {}).get("sku_id", "SKU"),
        )
    )
