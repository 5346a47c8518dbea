"""``quickturn db …``: database information."""

from __future__ import annotations

import typer

from quickturn.cli.common import DbOpt, JsonOpt, LangOpt, handle_errors, make_cli

app = typer.Typer(help="Database information.", no_args_is_help=True)


@app.command("info")
@handle_errors
def info(db: DbOpt = None, json_: JsonOpt = False, lang: LangOpt = None) -> None:
    """List the tables with their row counts."""
    cli = make_cli(db, json_, lang)
    with cli.open_store() as store:
        rows = store.info()
        payload = {
            "db": store.url,
            "backend": store.backend,
            "schema_version": store.schema_version(),
            "tables": rows,
        }
    if json_:
        cli.print_json(payload)
        return
    _ = cli._
    cli.console.print(
        _(
            "Database {db} ({backend}, schema version {v})",
            db=payload["db"],
            backend=payload["backend"],
            v=payload["schema_version"],
        )
    )
    cli.table(
        None,
        [_("table"), _("group"), _("rows")],
        [(r["table"], r["group"], r["rows"]) for r in rows],
    )
