"""The ``quickturn`` command (Typer + Rich).  Each module registers its commands here."""

from __future__ import annotations

import typer

from quickturn import __version__
from quickturn.cli import db as db_cmd
from quickturn.cli.common import DbOpt, JsonOpt, LangOpt, handle_errors, make_cli

app = typer.Typer(
    name="quickturn",
    help="Operations engine for cross-border TikTok Shop US sellers: true margins, lifecycle-aware demand, "
    "Monte Carlo replenishment, shop health and compliance.  Start with `quickturn demo`.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"quickturn {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show the version and exit."
    ),
) -> None:
    """quickturn — turn a shop's own data into each morning's decisions."""


@app.command()
@handle_errors
def init(db: DbOpt = None, json_: JsonOpt = False, lang: LangOpt = None) -> None:
    """Create (or migrate) the database and show where it is."""
    cli = make_cli(db, json_, lang)
    with cli.open_store() as store:
        payload = {
            "db": store.url,
            "backend": store.backend,
            "schema_version": store.schema_version(),
            "tables": len(store.info()),
        }
    if json_:
        cli.print_json(payload)
    else:
        cli.console.print(
            cli._(
                "Database ready: {db} ({backend}, schema version {v}, {n} tables).",
                db=payload["db"],
                backend=payload["backend"],
                v=payload["schema_version"],
                n=payload["tables"],
            )
        )


app.add_typer(db_cmd.app, name="db")

# Module commands register themselves below, each in its own marked block.

# --- import (foundation) ---
from quickturn.cli import importing as _importing  # noqa: E402

app.command("import")(_importing.import_cmd)

# --- demo (foundation) ---
from quickturn.cli import demo as demo_cmd  # noqa: E402

app.command("demo")(demo_cmd.demo)

# --- ledger ---
from quickturn.cli import ledger as ledger_cmd  # noqa: E402

app.add_typer(ledger_cmd.app, name="ledger")
app.command("cash")(ledger_cmd.cash_command)

# --- sense ---
from quickturn.cli import sense as sense_cmd  # noqa: E402

app.add_typer(sense_cmd.app, name="sense")

# --- plan ---
from quickturn.cli import channel as channel_cmd  # noqa: E402
from quickturn.cli import plan as plan_cmd  # noqa: E402

app.add_typer(plan_cmd.app, name="plan")
app.command("channel")(channel_cmd.channel)

# --- health ---
from quickturn.cli import health as health_cmd  # noqa: E402

app.add_typer(health_cmd.app, name="health")

# --- backtest ---
from quickturn.cli import backtest as backtest_cmd  # noqa: E402

app.command("backtest")(backtest_cmd.backtest)

# --- comply ---
from quickturn.cli import comply as comply_cmd  # noqa: E402

app.command(
    "comply",
    help="Check listings, scripts, promotions and SKU documents against the TikTok Shop US rules "
    "(exit 1 when a finding blocks).",
)(handle_errors(comply_cmd.comply))

# --- connector ---
from quickturn.cli import connector as connector_cmd  # noqa: E402

connector_cmd.register(app)

# --- web ---
from quickturn.cli import web as web_cmd  # noqa: E402

app.command("serve")(web_cmd.serve)
app.command("report")(web_cmd.report)

# --- run (the morning loop) ---
from quickturn.cli import run as run_cmd  # noqa: E402

app.command("run")(run_cmd.run)


def main() -> None:
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
