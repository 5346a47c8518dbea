"""``quickturn import TABLE FILE``: load a CSV / Parquet / XLSX file into the store.

Thin layer: parse options → :func:`quickturn.services.importing.import_file` → render the
report (a short table per target table, or the findings as ``file:row: CODE message``).
Exit codes: 0 imported (or dry run clean), 1 the file has errors (nothing written),
2 usage errors (unknown table, unreadable file, bad mapping).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from quickturn.cli.common import (
    EXIT_FINDINGS,
    Cli,
    DbOpt,
    JsonOpt,
    LangOpt,
    handle_errors,
    make_cli,
)

if TYPE_CHECKING:
    from quickturn.services.importing import ImportReport
    from quickturn.services.importing import Progress as ProgressFn

TableArg = Annotated[
    str,
    typer.Argument(
        help="Table to fill (orders, order_lines, skus, …) or a built-in format "
        "(online-retail, seller-center).",
        show_default=False,
    ),
]
FileArg = Annotated[
    Path, typer.Argument(help="CSV, TSV, Parquet or XLSX file.", show_default=False)
]
MapOpt = Annotated[
    str | None,
    typer.Option(
        "--map",
        help="Column mapping: a YAML file, a built-in mapping name (online_retail, seller_center) "
        "or inline \"Their Col=our_col,'USD'=currency\".",
        show_default=False,
    ),
]
FormatOpt = Annotated[
    str,
    typer.Option("--format", help="auto (detect), canonical or seller-center.", show_default=True),
]
DateFormatOpt = Annotated[
    str | None,
    typer.Option(
        "--date-format",
        help="How to read slash dates: auto (detect), mdy (MM/DD/YYYY), dmy (DD/MM/YYYY) "
        "or a pattern such as %d.%m.%Y %H:%M.",
        show_default=False,
    ),
]
TimezoneOpt = Annotated[
    str | None,
    typer.Option(
        "--timezone",
        help="Time zone the file's times are in (e.g. America/Los_Angeles); stored as UTC. "
        "Default: times are already UTC.",
        show_default=False,
    ),
]
SheetOpt = Annotated[
    str | None,
    typer.Option(
        "--sheet",
        help="XLSX sheet (default: OrderSKUList if present, else the first).",
        show_default=False,
    ),
]
DryRunOpt = Annotated[bool, typer.Option("--dry-run", help="Validate only; write nothing.")]
EncodingOpt = Annotated[
    str | None,
    typer.Option(
        "--encoding",
        help="Text encoding of a CSV (e.g. cp1252). Default: UTF-8, then Chinese GB18030/GBK; "
        "other files are rejected.",
        show_default=False,
    ),
]
DecimalCommaOpt = Annotated[
    bool,
    typer.Option(
        "--decimal-comma",
        help="The file writes decimals with a comma (12,50 and 1.234,50); "
        "without it such amounts are rejected as ambiguous.",
    ),
]


@contextmanager
def _progress(cli: Cli) -> Iterator[ProgressFn]:
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    show = not cli.json and cli.err.is_terminal
    with Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=cli.err,
        disable=not show,
        transient=True,
    ) as bar:
        task = bar.add_task(cli._("Importing"), total=1)

        def update(what: str, done: int, total: int) -> None:
            bar.update(task, description=cli._(what), completed=done, total=total)

        yield update


@handle_errors
def import_cmd(
    table: TableArg,
    file: FileArg,
    map_: MapOpt = None,
    fmt: FormatOpt = "auto",
    date_format: DateFormatOpt = None,
    timezone: TimezoneOpt = None,
    sheet: SheetOpt = None,
    dry_run: DryRunOpt = False,
    decimal_comma: DecimalCommaOpt = False,
    encoding: EncodingOpt = None,
    db: DbOpt = None,
    json_: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """Import a file into a table: validates the whole file first, then writes it all in one
    transaction (or nothing).  Re-importing the same file updates rows in place."""
    from quickturn.services.importing import import_file

    cli = make_cli(db, json_, lang)
    with cli.open_store() as store, _progress(cli) as progress:
        report = import_file(
            store,
            table,
            file,
            mapping=map_,
            fmt=fmt,
            date_format=date_format,
            timezone=timezone,
            sheet=sheet,
            dry_run=dry_run,
            progress=progress,
            decimal_comma=decimal_comma,
            encoding=encoding,
        )
    if json_:
        cli.print_json(report.to_dict())
    else:
        render(cli, report)
    if not report.ok:
        raise typer.Exit(EXIT_FINDINGS)


def render(cli: Cli, report: ImportReport) -> None:
    _ = cli._
    if not report.ok:
        errors = report.errors
        cli.print_findings(errors, limit=200)
        others = [f for f in report.findings if not f.is_error]
        if others:
            cli.print_findings(others, limit=20)
        cli.err.print(
            "[bold red]"
            + _("{n} problem(s) in {file}; nothing was written.", n=len(errors), file=report.source)
            + "[/]",
            highlight=False,
            soft_wrap=True,
        )
        return
    head = (
        _("Checked {file} ({format}, {rows} rows): no problems; nothing written (dry run).")
        if report.dry_run
        else _("Imported {file} ({format}, {rows} rows) in {seconds:.1f} s.")
    )
    cli.console.print(
        head.format(
            file=report.source,
            format=report.format,
            rows=f"{report.rows_read:,}",
            seconds=report.seconds,
        ),
        soft_wrap=True,
    )
    would = report.dry_run
    cols = [
        _("table"),
        _("rows"),
        _("would insert") if would else _("inserted"),
        _("would update") if would else _("updated"),
    ]
    show_kept = any(t.kept_existing for t in report.tables)
    show_merged = any(t.merged for t in report.tables)
    if show_kept:
        cols.append(_("kept (already stored)"))
    if show_merged:
        cols.append(_("source rows merged"))
    rows = []
    for t in report.tables:
        r: list[object] = [t.table, t.rows, t.inserted, t.updated]
        if show_kept:
            r.append(t.kept_existing)
        if show_merged:
            r.append(t.merged)
        rows.append(r)
    cli.table(None, cols, rows)
    if report.counts:
        cli.table(_("Source rows"), [_("count"), _("rows")], list(report.counts.items()))
    if report.unused_rows:
        cli.console.print(
            _(
                "{n} source rows were not used by any table (see the counts above).",
                n=f"{report.unused_rows:,}",
            )
        )
    notes = [f for f in report.findings if not f.is_error]
    if notes:
        cli.print_findings(notes, limit=20)
