"""``quickturn comply``: check listings, scripts, promotions and documents against the rules.

Data flow: flags → :mod:`quickturn.services.comply` (load rules, check the store / texts,
persist a full store check as a run) → ``source: CODE message`` lines (with the fix under
each) or ``--json``; exit 1 when any finding blocks, 2 on usage errors.

``--file texts.jsonl|csv|json`` (``-``: standard input) is the bulk mode: every row is checked
in this one process by :func:`quickturn.services.comply_texts.check_rows` and reported on
one line (a table row, or with ``--json`` one JSON object per line).  That path imports only
the light :mod:`~quickturn.services.comply_texts` (no polars, no database unless ``--db`` is
given for the templated-content comparison); the heavy modules are imported inside the
command, when needed.
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from quickturn.cli.common import (
    EXIT_FINDINGS,
    EXIT_OK,
    Cli,
    ConfigOpt,
    DbOpt,
    JsonOpt,
    LangOpt,
    make_cli,
)
from quickturn.errors import Finding, UsageError

if TYPE_CHECKING:  # services are imported by the command (fast start)
    from quickturn.services import comply as svc
    from quickturn.services.comply_texts import RowResult
    from quickturn.store import Store

SEVERITY_STYLE = {"block": "red", "warn": "yellow", "info": "cyan"}


def _parse_day(value: str | None) -> date:
    if not value:
        return date.today()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise UsageError(f"--today {value!r} is not a date; use YYYY-MM-DD") from None


def _optional_store(cli: Cli, explicit: bool) -> Store | None:
    """The database for comparing free texts with other markets' scripts, when there is one."""
    from quickturn.store import is_postgres_url, open_store

    url = cli.settings.db
    if is_postgres_url(url):
        return open_store(url)
    if Path(url).exists():
        return open_store(url, read_only=True)
    if explicit:
        raise UsageError(f"database {url} not found")
    return None


def comply(
    sku: Annotated[
        list[str] | None,
        typer.Option(
            "--sku",
            help="Check only this SKU (listing, documents, content featuring it). Repeatable.",
        ),
    ] = None,
    file: Annotated[
        str | None,
        typer.Option(
            "--file",
            help="Check every row of a CSV, JSON or JSON Lines file ('-': standard input), "
            "one result line per row.",
        ),
    ] = None,
    text: Annotated[
        list[str] | None,
        typer.Option("--text", help="Check this text (a title, script, promotion…). Repeatable."),
    ] = None,
    rules: Annotated[
        list[Path] | None,
        typer.Option(
            "--rules", help="Your own rule file (YAML) laid over the packaged rules. Repeatable."
        ),
    ] = None,
    scope: Annotated[
        str | None,
        typer.Option(
            "--scope",
            help="Only rules of this scope: listing, video, live, promotion, content, documents, text.",
        ),
    ] = None,
    today: Annotated[
        str | None,
        typer.Option(
            "--today", help="Check documents as of this day (YYYY-MM-DD; default: today)."
        ),
    ] = None,
    list_rules: Annotated[
        bool,
        typer.Option(
            "--list-rules", help="List the rules (code, severity, scopes, source) and exit."
        ),
    ] = False,
    save: Annotated[
        bool,
        typer.Option(
            "--save/--no-save",
            help="Store the findings of a whole-store check as a run (default: yes).",
        ),
    ] = True,
    db: DbOpt = None,
    json_: JsonOpt = False,
    lang: LangOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Check listings, video and LIVE scripts, promotions and SKU documents against the TikTok Shop US rules.

    Prints `source: CODE message` lines with the fix; exits 1 when any finding blocks.
    """
    cli = make_cli(db, json_, lang, config)
    _ = cli._
    from quickturn.services.comply_texts import load_rules

    ruleset = load_rules(rules or [], settings=cli.settings)
    if list_rules:
        from quickturn.core.comply.ruleset import rules_table

        rows = rules_table(ruleset)
        if json_:
            cli.print_json({"ruleset": f"{ruleset.name} {ruleset.version}", "rules": rows})
            return
        cli.table(
            _("Compliance rules ({name} {version})", name=ruleset.name, version=ruleset.version),
            [_("code"), _("severity"), _("kind"), _("title"), _("source")],
            [
                (
                    r["code"] + ("" if r["enabled"] else " " + _("(off)")),
                    r["severity"],
                    r["kind"],
                    r["title_zh"] if cli.lang == "zh" else r["title"],
                    r["source"],
                )
                for r in rows
            ],
        )
        return
    if (text or file) and sku:
        raise UsageError(_("--sku checks the database; do not combine it with --text or --file"))
    if file is not None:
        if text:
            raise UsageError(_("use --text or --file, not both"))
        if scope:
            raise UsageError(
                _("--scope applies to --text and the database; a file row has its own scope column")
            )
        _check_file(cli, file, ruleset, compare=db is not None)
        return
    from quickturn.services import comply as svc

    run_id: str | None = None
    if text:
        store = _optional_store(cli, explicit=db is not None)
        try:
            result = svc.check_texts(text, rules=ruleset, scope=scope or "text", store=store)
        finally:
            if store is not None:
                store.close()
    else:
        day = _parse_day(today)
        with (
            cli.open_store() as store,
            cli.progress(_("Checking listings, scripts and documents")),
        ):
            if save and not sku and not scope:
                run_id, result = svc.run(store, today=day, rules=ruleset)
            else:
                scopes = [scope] if scope else None
                result = svc.check_store(store, today=day, sku=sku, rules=ruleset, scopes=scopes)
    if json_:
        payload: dict[str, Any] = result.to_dict()
        payload["run_id"] = run_id
        cli.print_json(payload)
    else:
        _print_result(cli, result, run_id)
    raise typer.Exit(EXIT_FINDINGS if result.blocking else EXIT_OK)


def _check_file(cli: Cli, file: str, ruleset: Any, *, compare: bool) -> None:
    """Bulk mode: every row of ``file`` checked in this process, one result line per row."""
    from quickturn.connectors.comply_files import read_texts
    from quickturn.services.comply_texts import RowResult, check_rows, worst

    rows = read_texts(file)
    source = "stdin" if file == "-" else Path(file).name
    results = check_rows(rows, source, ruleset)
    if compare:  # --db given: also compare with the database's other-market scripts
        from quickturn.core.comply.findings import sort_findings
        from quickturn.services import comply as svc

        store = _optional_store(cli, explicit=True)
        if store is not None:
            try:
                extra = svc.templated_rows(rows, source, ruleset, store)
            finally:
                store.close()
            by_row: dict[int, list[Finding]] = {}
            for f in extra:
                by_row.setdefault(int(f.row or 0), []).append(f)
            results = [
                RowResult(r.row, r.id, tuple(sort_findings([*r.findings, *by_row[r.row]])))
                if r.row in by_row
                else r
                for r in results
            ]
    if cli.json:
        import json

        lang = cli.lang
        sys.stdout.write(
            "".join(
                json.dumps(r.to_dict(lang), ensure_ascii=False, separators=(",", ":")) + "\n"
                for r in results
            )
        )
    else:
        _print_rows(cli, source, results)
    raise typer.Exit(EXIT_FINDINGS if worst(results) == "block" else EXIT_OK)


def _print_rows(cli: Cli, source: str, results: list[RowResult], *, limit: int = 500) -> None:
    """A table: one line per finding of each row with findings (clean rows only counted)."""
    from rich.table import Table
    from rich.text import Text

    _ = cli._
    table = Table(title=source, header_style="bold")
    for col in (_("row"), _("id"), _("verdict"), _("rule"), _("what was written")):
        table.add_column(col)
    shown = 0
    for r in results:
        for f in r.findings:
            if shown >= limit:
                break
            style = SEVERITY_STYLE.get(str(f.severity), "white")
            title = f.record.get("title_zh" if cli.lang == "zh" else "title") or ""
            table.add_row(
                str(r.row),
                Text(r.id),
                Text(_(str(f.severity)), style=style),
                Text(f"{f.code} {title}".strip()),
                Text(str(f.record.get("match") or f.value or "")),
            )
            shown += 1
    n_findings = sum(len(r.findings) for r in results)
    if n_findings:
        cli.console.print(table)
    if n_findings > shown:
        cli.console.print(
            Text(_("… {n} more (use --json for all)", n=n_findings - shown)), soft_wrap=True
        )
    counts = {v: 0 for v in ("block", "warn", "info", "ok")}
    for r in results:
        counts[r.verdict] += 1
    cli.console.print(
        _(
            "{n} texts: {block} blocked, {warn} with warnings, {info} with notes, {ok} clean.",
            n=len(results),
            block=counts["block"],
            warn=counts["warn"],
            info=counts["info"],
            ok=counts["ok"],
        ),
        style="bold",
    )


def print_findings(cli: Cli, findings: list[Finding], *, limit: int = 500) -> None:
    """``source:row: CODE message`` lines with the fix under each (no Rich markup or emoji
    codes are interpreted in them: ``sku:TEA:`` stays as it is)."""
    from rich.text import Text

    for f in findings[:limit]:
        style = SEVERITY_STYLE.get(str(f.severity), "white")
        cli.console.print(Text(f.format(cli.lang), style=style), soft_wrap=True)
        fix = f.fix_zh if cli.lang == "zh" and f.fix_zh else f.fix
        if fix:
            cli.console.print(Text(f"    → {fix}"), soft_wrap=True)
    if len(findings) > limit:
        cli.console.print(
            Text(cli._("… {n} more (use --json for all)", n=len(findings) - limit)), soft_wrap=True
        )


def _print_result(cli: Cli, result: svc.CheckResult, run_id: str | None) -> None:
    _ = cli._
    print_findings(cli, result.findings)
    s = result.summary()
    sev = s["by_severity"]
    if not result.findings:
        cli.console.print("[green]" + _("No findings: nothing against the rules.") + "[/]")
    else:
        cli.console.print(
            _(
                "{n} findings: {block} blocking, {warn} warnings, {info} info.",
                n=s["total"],
                block=sev.get("block", 0),
                warn=sev.get("warn", 0),
                info=sev.get("info", 0),
            ),
            style="bold",
        )
    if s["blocked_skus"]:
        cli.console.print(
            _(
                "{n} SKUs lack required documents; the plan gives them no purchase order until fixed.",
                n=s["blocked_skus"],
            )
        )
    if run_id:
        cli.console.print(
            _("Saved as run {run_id} (table comply_findings).", run_id=run_id), style="dim"
        )


def render_demo(cli: Cli, section: dict[str, Any]) -> None:
    """The demo's compliance story: findings by severity, a few examples, what to do next."""
    from rich.text import Text

    _ = cli._
    sev = section.get("by_severity", {})
    cli.console.rule(_("Compliance (comply)"))
    checked = section.get("checked", {})
    cli.console.print(
        Text(
            _(
                "Checked {listings} listings, {content} US videos and LIVE scripts and {certs} documents as of {day}.",
                listings=checked.get("listings", 0),
                content=checked.get("content", 0),
                certs=checked.get("certificates", 0),
                day=section.get("as_of", ""),
            )
        ),
        soft_wrap=True,
    )
    cli.console.print(
        "  "
        + "  ".join(
            f"[{SEVERITY_STYLE[k]}]{label}: {sev.get(k, 0)}[/]"
            for k, label in (("block", _("blocking")), ("warn", _("warnings")), ("info", _("info")))
        )
    )
    by_code = section.get("by_code", {})
    if by_code:
        cli.table(
            _("Findings by rule"),
            [_("code"), _("findings")],
            list(by_code.items())[:10],
        )
    examples = section.get("examples", [])
    if examples:
        cli.console.print(_("Examples:"), style="bold")
        for ex in examples[:5]:
            style = SEVERITY_STYLE.get(str(ex.get("severity")), "white")
            msg = (
                ex.get("message_zh")
                if cli.lang == "zh" and ex.get("message_zh")
                else ex.get("message")
            )
            fix = ex.get("fix_zh") if cli.lang == "zh" and ex.get("fix_zh") else ex.get("fix")
            line = Text("  ")
            line.append(f"{ex.get('source')}: {ex.get('code')}", style=style)
            line.append(f" {msg}")
            cli.console.print(line, soft_wrap=True)
            if fix:
                cli.console.print(Text(f"      → {fix}"), soft_wrap=True)
    blocked = section.get("blocked_skus", {})
    if blocked:
        cli.console.print(
            _(
                "{n} SKUs are blocked by missing or expired documents: the plan gives them no purchase order until fixed.",
                n=len(blocked),
            ),
            soft_wrap=True,
        )
    cli.console.print(
        Text(
            _(
                'Next: `quickturn comply --sku <SKU>` for one SKU, `quickturn comply --text "…"` before you publish a script, the Compliance page of `quickturn serve`.'
            ),
            style="dim",
        ),
        soft_wrap=True,
    )


def main() -> None:
    """``python -m quickturn.cli.comply …``: this one command without the rest of the CLI
    (what ``quickturn comply`` costs once the CLI registers its commands lazily)."""
    from quickturn.cli.common import handle_errors

    app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    app.command(help="Check texts against the TikTok Shop US rules.")(handle_errors(comply))
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
