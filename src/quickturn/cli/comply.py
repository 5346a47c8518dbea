"""``quickturn comply``: check listings, scripts, promotions and documents against the rules.

Data flow: flags → :mod:`quickturn.services.comply` (load rules, check the store / a file /
texts, persist a full store check as a run) → ``source: CODE message`` lines (with the fix
under each) or ``--json``; exit 1 when any finding blocks, 2 on usage errors.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.text import Text

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
from quickturn.store import Store, is_postgres_url, open_store

if TYPE_CHECKING:  # the service is imported by the command (fast start)
    from quickturn.services import comply as svc

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
        Path | None,
        typer.Option(
            "--file", help="Check the listings / scripts / promotions of a CSV or JSON file."
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
    from quickturn.services import comply as svc

    cli = make_cli(db, json_, lang, config)
    _ = cli._
    ruleset = svc.load_rules(rules or [], settings=cli.settings)
    if list_rules:
        rows = svc.list_rules(ruleset)
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
    run_id: str | None = None
    if text or file:
        store = _optional_store(cli, explicit=db is not None)
        try:
            results = []
            if text:
                results.append(
                    svc.check_texts(text, rules=ruleset, scope=scope or "text", store=store)
                )
            if file:
                if scope:
                    raise UsageError(
                        _(
                            "--scope applies to --text and the database; a file row has its own scope column"
                        )
                    )
                results.append(svc.check_file(file, rules=ruleset, store=store))
        finally:
            if store is not None:
                store.close()
        result = results[0]
        for extra in results[1:]:
            result = svc.CheckResult(
                result.findings + extra.findings,
                {**result.checked, **extra.checked},
                None,
                result.ruleset,
            )
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


def print_findings(cli: Cli, findings: list[Finding], *, limit: int = 500) -> None:
    """``source:row: CODE message`` lines with the fix under each (no Rich markup or emoji
    codes are interpreted in them: ``sku:TEA:`` stays as it is)."""
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
