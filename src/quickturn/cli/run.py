"""``quickturn run``: the morning loop in one command.

Data flow: flags → :class:`quickturn.services.morning.MorningOptions` →
:func:`quickturn.services.morning.run_morning` (import | sync → ledger → sense → plan →
health → comply, one as-of day, each step persisted as by its own command) → a Rich progress
bar per step on stderr, then a summary table (or ``--json``), and the exit code of the worst
step: 0 clean, 1 findings, 2 usage errors, 3 a step failed to run.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer

from quickturn.cli.common import (
    EXIT_USAGE,
    Cli,
    ConfigOpt,
    DbOpt,
    JsonOpt,
    LangOpt,
    handle_errors,
    make_cli,
)

ImportOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--import",
        help="TABLE=FILE to import first (repeatable, in order), e.g. orders=orders.csv or "
        "seller-center=OrderSKUList.xlsx. A file with errors writes nothing and stops the run.",
        show_default=False,
    ),
]


def _imports(cli: Cli, values: list[str] | None) -> tuple[tuple[str, Path], ...]:
    out: list[tuple[str, Path]] = []
    for v in values or []:
        table, sep, file = v.partition("=")
        if not sep or not table.strip() or not file.strip():
            cli.fail(
                cli._(
                    "--import {value!r} is not TABLE=FILE (for example orders=orders.csv)", value=v
                ),
                EXIT_USAGE,
            )
        out.append((table.strip(), Path(file.strip())))
    return tuple(out)


def _as_of(cli: Cli, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        cli.fail(
            cli._("--as-of {value!r} is not a date such as 2026-03-02", value=value), EXIT_USAGE
        )


def _headline(cli: Cli, name: str, s: dict[str, Any]) -> str:
    """One line per step for the summary table."""
    _ = cli._
    if name == "import":
        files = s.get("files", [])
        return _(
            "{n} file(s), {rows} row(s) read",
            n=len(files),
            rows=sum(int(f.get("rows_read") or 0) for f in files),
        )
    if name == "sync":
        fetched = s.get("fetched", {})
        return _("{n} item(s) fetched", n=sum(int(v) for v in fetched.values()))
    if name == "ledger":
        return _(
            "{lines} order lines, revenue ${rev:,.0f}, margin ${margin:,.0f}; {posted} new posting(s)",
            lines=s.get("order_lines", 0),
            rev=float(s.get("gross_revenue_usd") or 0.0),
            margin=float(s.get("margin_usd") or 0.0),
            posted=s.get("posted", 0),
        )
    if name == "sense":
        return _(
            "{n} SKUs forecast {h} days; {r} with receding traffic",
            n=s.get("skus", 0),
            h=s.get("horizon", 0),
            r=s.get("receding", 0),
        )
    if name == "plan":
        return _(
            "{skus} SKUs planned; {n} purchase order(s), ${cost:,.0f}",
            skus=s.get("skus_planned", 0),
            n=s.get("purchase_orders", 0),
            cost=float(s.get("purchase_order_cost_usd") or 0.0),
        )
    if name == "health":
        breaches = s.get("breaches") or []
        if breaches:
            return _("breached: {metrics}", metrics=", ".join(map(str, breaches)))
        near = s.get("near") or []
        if near:
            return _("near a threshold: {metrics}", metrics=", ".join(map(str, near)))
        return _("every metric within its threshold")
    if name == "comply":
        return _(
            "{blocking} blocking finding(s), {skus} SKU(s) blocked",
            blocking=(s.get("by_severity") or {}).get("block", 0),
            skus=s.get("blocked_skus", 0),
        )
    return ""


_STYLE = {"ok": "green", "findings": "yellow", "failed": "bold red", "skipped": "dim"}
#: English labels (msgids) of the steps and statuses; the JSON keeps the plain names
STEP_LABELS = {
    "import": "Import",
    "sync": "Sync",
    "ledger": "Ledger",
    "sense": "Sense",
    "plan": "Plan",
    "health": "Health",
    "comply": "Comply",
}
STATUS_LABELS = {"ok": "Clean", "findings": "Findings", "failed": "Failed", "skipped": "Skipped"}


def render(cli: Cli, payload: dict[str, Any]) -> None:
    from rich.table import Table

    _ = cli._
    t = Table(
        title=_("Morning run as of {day} ({db})", day=payload["as_of"], db=payload["db"]),
        header_style="bold",
    )
    for c in (_("Step"), _("Status"), _("Seconds"), _("Result")):
        t.add_column(c)
    for s in payload["steps"]:
        status = s["status"]
        if status == "skipped":
            line = "—"
        elif status == "failed":
            line = s["error"]
        else:
            line = _headline(cli, s["step"], s["summary"])
        t.add_row(
            _(STEP_LABELS.get(s["step"], s["step"])),
            f"[{_STYLE.get(status, 'white')}]{_(STATUS_LABELS.get(status, status))}[/]",
            f"{s['seconds']:.1f}" if status != "skipped" else "—",
            line,
        )
    cli.console.print(t)
    code = payload["exit_code"]
    if code == 0:
        cli.console.print(
            _(
                "No step has a finding that needs attention; `quickturn plan` lists the purchase orders."
            )
        )
    else:
        cli.console.print(
            _(
                "Exit code {code}: see each module's command (`quickturn ledger`, `plan`, `health`, "
                "`comply`) for the rows behind a finding.",
                code=code,
            ),
            style="yellow",
        )
    cli.console.print(
        _("Next: `quickturn serve` shows the runs of this morning on the dashboard."), style="dim"
    )


@handle_errors
def run(
    imports: ImportOpt = None,
    sync: Annotated[
        bool, typer.Option("--sync", help="Pull new and changed data from TikTok Shop first.")
    ] = False,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            help="The morning's date for every step (YYYY-MM-DD). Default: the demo's as-of day "
            "in a demo database, else today.",
            show_default=False,
        ),
    ] = None,
    skip: Annotated[
        list[str] | None,
        typer.Option(
            "--skip",
            help="Step to leave out (repeatable): ledger, sense, plan, health or comply.",
            show_default=False,
        ),
    ] = None,
    scenarios: Annotated[
        int | None,
        typer.Option("--scenarios", help="Plan scenarios (default: the plan's setting).", min=10),
    ] = None,
    seed: Annotated[
        int | None, typer.Option("--seed", help="Random seed for sense and plan.")
    ] = None,
    db: DbOpt = None,
    config: ConfigOpt = None,
    json_: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """The morning loop in one command: import or sync, then ledger → sense → plan → health →
    comply on one as-of day. Exit code: the worst step (0 clean, 1 findings, 3 a step failed)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from quickturn.services.morning import MorningOptions, planned_steps, run_morning

    cli = make_cli(db, json_, lang, config)
    _ = cli._
    opts = MorningOptions(
        as_of=_as_of(cli, as_of),
        imports=_imports(cli, imports),
        sync=sync,
        skip=tuple(skip or ()),
        scenarios=scenarios,
        seed=seed,
    )
    show = not json_ and cli.err.is_terminal
    with (
        cli.open_store() as store,
        Progress(
            TextColumn("[progress.description]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[detail]}", style="dim"),
            TimeElapsedColumn(),
            console=cli.err,
            disable=not show,
            transient=True,
        ) as bar,
    ):
        task = bar.add_task(_("Morning run"), total=len(planned_steps(opts)), detail="")

        def progress(step: str, k: int, total: int, message: str) -> None:
            bar.update(
                task,
                completed=k - 1,
                description=_("Running {step}", step=_(STEP_LABELS.get(step, step))),
                detail=message,
            )

        report = run_morning(store, cli.settings, opts, progress=progress)
        bar.update(task, completed=len(report.steps))
    payload = report.to_dict()
    if json_:
        cli.print_json(payload)
    else:
        render(cli, payload)
    raise typer.Exit(report.exit_code)
