"""``quickturn connect tiktok``, ``quickturn sync`` and ``quickturn webhooks …`` (thin CLI).

Data flow: flags → :mod:`quickturn.services.connect` / :mod:`quickturn.services.sync` /
:mod:`quickturn.services.webhooks` → Rich tables or ``--json``.
"""

from __future__ import annotations

import threading
from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, Any

import typer

from quickturn.cli.common import Cli, DbOpt, JsonOpt, LangOpt, handle_errors, make_cli
from quickturn.errors import UsageError

if TYPE_CHECKING:
    from quickturn.connectors.tiktok_api.errors import TikTokApiError

connect_app = typer.Typer(help="Connect quickturn to a sales channel.", no_args_is_help=True)
webhooks_app = typer.Typer(help="TikTok Shop webhooks (push notifications).", no_args_is_help=True)


def _client_error(cli: Cli, exc: TikTokApiError) -> None:
    cli.fail(str(exc), code=1)


@connect_app.command("tiktok")
@handle_errors
def connect_tiktok(
    code: Annotated[
        str | None,
        typer.Argument(
            help="Authorisation code from the redirect after the seller approved the app."
        ),
    ] = None,
    state: Annotated[str | None, typer.Option(help="State value to put in the URL.")] = None,
    db: DbOpt = None,
    json_: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """Print the authorisation URL, take the returned code, store the tokens, list the shops."""
    from quickturn.connectors.tiktok_api.errors import TikTokApiError
    from quickturn.services.connect import authorization_url, connect, make_client, tiktok_settings

    cli = make_cli(db, json_, lang)
    _ = cli._
    ts = tiktok_settings(cli.settings)
    with make_client(ts) as client:
        url, st = authorization_url(client, state)
        if code is None:
            if json_:
                cli.print_json(
                    {"ok": True, "authorization_url": url, "state": st, "connected": False}
                )
                return
            cli.console.print(_("Open this URL, sign in as the seller and approve the app:"))
            cli.console.print(f"  {url}", soft_wrap=True)
            code = typer.prompt(
                _("Paste the code from the redirect URL (?code=…)"), hide_input=True
            )
        elif not json_:
            cli.console.print(_("Authorisation URL: {url}", url=url), soft_wrap=True)
        if not code or not code.strip():
            raise UsageError(_("no authorisation code given"))
        try:
            with cli.open_store() as store:
                result = connect(store, client, code)
        except TikTokApiError as exc:
            _client_error(cli, exc)
            return
    if json_:
        cli.print_json({"ok": True, "authorization_url": url, "connected": True, **result.__dict__})
        return
    cli.console.print(
        _(
            "Connected as {seller}. Tokens saved to {path} (owner-only, mode 0600); the access token is refreshed automatically before {expires} UTC.",
            seller=result.seller_name or "?",
            path=result.token_file,
            expires=result.access_expires_at.isoformat(sep=" ", timespec="minutes"),
        ),
        soft_wrap=True,
    )
    cli.table(
        _("Shops"),
        [_("shop id"), _("name"), _("region"), _("seller type"), _("cipher")],
        [
            (s["shop_id"], s["name"], s["region"], s["seller_type"], s["cipher"])
            for s in result.shops
        ],
    )
    cli.console.print(_("Next: `quickturn sync` pulls orders, returns and settlements."))


def _parse_since(value: str | None) -> datetime | date | None:
    if value is None:
        return None
    try:
        if len(value) <= 10:
            return date.fromisoformat(value)
        return datetime.fromisoformat(value)
    except ValueError:
        raise UsageError(
            f"--since must be a date such as 2026-10-01 (or 2026-10-01T08:00), got {value!r}"
        ) from None


def sync(
    since: Annotated[
        str | None,
        typer.Option(
            "--since", help="Re-sync everything updated since this date (UTC), e.g. 2026-10-01."
        ),
    ] = None,
    shop: Annotated[str | None, typer.Option("--shop", help="Only this shop id.")] = None,
    resource: Annotated[
        list[str] | None,
        typer.Option(
            "--resource",
            help="Only these resources (orders, cancellations, returns, statements, products); repeatable.",
        ),
    ] = None,
    page_size: Annotated[int | None, typer.Option(help="Items per API page.")] = None,
    db: DbOpt = None,
    json_: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """Pull new and changed orders, returns, cancellations, settlements and products from TikTok Shop."""
    from quickturn.connectors.tiktok_api.errors import TikTokApiError
    from quickturn.services.connect import make_client, tiktok_settings
    from quickturn.services.sync import RESOURCES, sync_tiktok

    cli = make_cli(db, json_, lang)
    _ = cli._
    since_value = _parse_since(since)
    ts = tiktok_settings(cli.settings)
    resources = tuple(resource) if resource else RESOURCES
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    show = not json_ and cli.err.is_terminal
    with (
        make_client(ts) as client,
        cli.open_store() as store,
        Progress(
            TextColumn("[progress.description]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=cli.err,
            disable=not show,
            transient=True,
        ) as bar,
    ):
        task = bar.add_task(_("Syncing TikTok Shop"), total=None)
        expected = 0

        def progress(res: str, n: int, total: int | None) -> None:
            nonlocal expected
            if total is not None:
                expected += total
                bar.update(task, total=expected)
            if n:
                bar.update(task, advance=n, description=_("Syncing {what}", what=res))

        try:
            report = sync_tiktok(
                store,
                client,
                ts,
                shop_id=shop,
                since=since_value,
                resources=resources,
                progress=progress,
                page_size=page_size,
            )
        except TikTokApiError as exc:
            _client_error(cli, exc)
            return
    payload = report.as_dict()
    if json_:
        cli.print_json({"ok": True, **payload})
        return
    cli.console.print(
        _(
            "Synced {shops} shop(s) in {seconds:.1f} s ({requests} API requests, {retries} retries).",
            shops=len(report.shops),
            seconds=report.seconds,
            requests=int(report.client.get("requests", 0)),
            retries=int(report.client.get("retries", 0)),
        )
    )
    cli.table(
        _("What changed"),
        [_("table"), _("inserted"), _("updated"), _("unchanged")],
        [
            (t, c["inserted"], c["updated"], c["unchanged"])
            for t, c in sorted(report.tables.items())
        ],
    )
    if report.resumed:
        cli.console.print(_("Resumed an interrupted sync: {what}", what=", ".join(report.resumed)))
    if report.webhooks_processed:
        cli.console.print(
            _("Processed {n} queued webhook notification(s).", n=report.webhooks_processed)
        )
    if report.findings:
        cli.print_findings(report.findings)


@webhooks_app.command("serve")
@handle_errors
def webhooks_serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8787,
    worker: Annotated[
        bool,
        typer.Option(
            "--worker/--no-worker", help="Also re-fetch queued notifications in the background."
        ),
    ] = True,
    interval: Annotated[float, typer.Option(help="Seconds between background re-fetches.")] = 30.0,
    db: DbOpt = None,
    json_: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """Serve POST /webhooks/tiktok (standalone, until the web app mounts it)."""
    import uvicorn

    from quickturn.services.connect import make_client, tiktok_settings
    from quickturn.services.webhooks import process_queue, tiktok_app

    cli = make_cli(db, json_, lang)
    _ = cli._
    ts = tiktok_settings(cli.settings)
    store = cli.open_store()
    app, inbox = tiktok_app(cli.settings, store, options=ts)
    stop = threading.Event()

    def loop() -> None:
        with make_client(ts) as client:
            while not stop.wait(interval):
                try:
                    with inbox.lock:
                        process_queue(store, client)
                except Exception as exc:  # keep serving; the event stays pending
                    cli.err.print(_("webhook worker: {error}", error=str(exc)))

    thread = threading.Thread(target=loop, daemon=True) if worker else None
    if thread:
        thread.start()
    cli.err.print(
        _("Listening on http://{host}:{port}{path}", host=host, port=port, path=ts.webhook_path)
    )
    try:
        uvicorn.run(app, host=host, port=port, log_level="warning")
    finally:
        stop.set()
        if thread:
            thread.join(timeout=5)
        store.close()


@webhooks_app.command("status")
@handle_errors
def webhooks_status(db: DbOpt = None, json_: JsonOpt = False, lang: LangOpt = None) -> None:
    """Count queued webhook notifications by status."""
    from quickturn.services.webhooks import queue_summary

    cli = make_cli(db, json_, lang)
    with cli.open_store() as store:
        summary = queue_summary(store)
    if json_:
        cli.print_json({"ok": True, "queue": summary})
        return
    cli.table(cli._("Webhook queue"), [cli._("status"), cli._("events")], sorted(summary.items()))


def register(app: Any) -> None:
    """Add the connector's commands to the root app."""
    app.add_typer(connect_app, name="connect")
    app.command("sync")(handle_errors(sync))
    app.add_typer(webhooks_app, name="webhooks")
