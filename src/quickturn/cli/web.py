"""``quickturn serve`` (the web dashboard) and ``quickturn report`` (one offline HTML file).

Data flow: flags → settings → ``quickturn.web.create_app`` served by uvicorn; or
``quickturn.web.report.build_report`` → a self-contained HTML file.
"""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Annotated

import typer

from quickturn.cli.common import (
    EXIT_USAGE,
    Cli,
    DbOpt,
    JsonOpt,
    LangOpt,
    handle_errors,
    make_cli,
)
from quickturn.errors import ConfigError

HostOpt = Annotated[
    str,
    typer.Option(
        "--host",
        help="Interface to listen on. Anything but 127.0.0.1 needs QUICKTURN_TOKEN set.",
    ),
]
PortOpt = Annotated[int, typer.Option("--port", help="TCP port.", min=1, max=65535)]


def _port_free(host: str, port: int) -> bool:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def run_server(cli: Cli, host: str, port: int) -> None:
    """Build the app for ``cli.settings`` and serve it until Ctrl+C."""
    import uvicorn

    from quickturn.web import create_app

    _ = cli._
    try:
        app = create_app(cli.settings, host=host)
    except ConfigError as exc:
        cli.fail(str(exc), EXIT_USAGE)
    if not _port_free(host, port):
        cli.fail(
            _("port {port} on {host} is in use: choose another with --port", port=port, host=host),
            EXIT_USAGE,
        )
    shown = f"[{host}]" if ":" in host else host
    url = f"http://{shown}:{port}/"
    if cli.json:
        cli.print_json({"ok": True, "url": url, "token_required": cli.settings.token is not None})
    else:
        cli.console.print(_("Dashboard: {url}", url=url), highlight=False)
        if cli.settings.token:
            cli.console.print(
                _("Access needs the token in QUICKTURN_TOKEN (log in once in the browser)."),
                highlight=False,
            )
        cli.console.print(_("Press Ctrl+C to stop."), highlight=False)
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)


@handle_errors
def serve(
    db: DbOpt = None,
    host: HostOpt = "127.0.0.1",
    port: PortOpt = 8000,
    json_: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """Serve the web dashboard (English / 简体中文) over the database."""
    cli = make_cli(db, json_, lang)
    run_server(cli, host, port)


@handle_errors
def report(
    out: Annotated[Path, typer.Option("--out", help="HTML file to write.", dir_okay=False)] = Path(
        "report.html"
    ),
    days: Annotated[
        int, typer.Option("--days", help="Days of history in the figures.", min=1, max=3650)
    ] = 30,
    db: DbOpt = None,
    json_: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """Write one self-contained HTML report (tables and charts, works offline)."""
    from quickturn.web.report import build_report

    cli = make_cli(db, json_, lang)
    info = build_report(cli.settings, out, lang=cli.lang, days=days)
    if json_:
        cli.print_json({"ok": True, **info})
    else:
        cli.console.print(
            cli._(
                "Report written to {path} ({size} KB): open it in any browser, no network needed.",
                path=str(out),
                size=f"{info['bytes'] / 1024:,.0f}",
            ),
            highlight=False,
        )
