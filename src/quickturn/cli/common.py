"""Shared CLI plumbing: options every command takes, output, findings and exit codes.

Exit codes: 0 success, 1 findings that are errors, 2 usage errors (bad flags, unknown
table, unreadable file, database that cannot be opened).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, TypeVar

import typer
from rich.console import Console

from quickturn.config import Settings, load_settings
from quickturn.errors import (
    ConfigError,
    Finding,
    QuickturnError,
    StoreError,
    UsageError,
    ValidationError,
)
from quickturn.i18n import Translator

if TYPE_CHECKING:  # the store (polars, duckdb) is imported when a command opens it
    from quickturn.store import Store

DbOpt = Annotated[
    str | None,
    typer.Option(
        "--db",
        help="Database: a DuckDB file path or a postgresql:// URL (default: QUICKTURN_DB or ./quickturn.duckdb).",
        show_default=False,
    ),
]
JsonOpt = Annotated[
    bool, typer.Option("--json", help="Print machine-readable JSON instead of tables.")
]
LangOpt = Annotated[
    str | None,
    typer.Option(
        "--lang",
        help="Language of messages: en or zh (default: QUICKTURN_LANG or the system locale).",
        show_default=False,
    ),
]
ClusterOpt = Annotated[
    str | None,
    typer.Option(
        "--cluster",
        help="Run on a Dask cluster: its scheduler address, e.g. tcp://host:8786 (default: "
        "QUICKTURN_DASK_SCHEDULER, else this machine). Needs the extra quickturn[dask].",
        show_default=False,
    ),
]
ConfigOpt = Annotated[
    Path | None,
    typer.Option(
        "--config",
        help="YAML file with module options (default: QUICKTURN_CONFIG or ./quickturn.yaml).",
        show_default=False,
    ),
]

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2


def to_jsonable(obj: Any) -> Any:
    """Convert Decimals, dates, dataclasses and frames into JSON-friendly values."""
    if isinstance(obj, Decimal):
        return (
            float(obj)
            if obj == obj.to_integral_value() or abs(obj.as_tuple().exponent) <= 4
            else str(obj)
        )  # type: ignore[operator]
    if isinstance(obj, (datetime, date)):
        return obj.isoformat()
    if isinstance(obj, Finding):
        return obj.to_dict()
    if hasattr(obj, "to_dicts"):
        return [to_jsonable(r) for r in obj.to_dicts()]
    if hasattr(obj, "__dataclass_fields__"):
        return {k: to_jsonable(getattr(obj, k)) for k in obj.__dataclass_fields__}
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, set)):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, Path):
        return str(obj)
    if isinstance(obj, float) and obj != obj:
        return None
    return obj


@dataclass
class Cli:
    """What one command invocation knows: settings, output mode, console, translator."""

    settings: Settings
    json: bool
    console: Console
    err: Console

    @property
    def lang(self) -> str:
        return self.settings.lang

    @property
    def _(self) -> Translator:
        return Translator(self.settings.lang)

    def open_store(self, *, read_only: bool = False) -> Store:
        from quickturn.store import open_store

        return open_store(self.settings.db, read_only=read_only)

    def print_json(self, payload: Any) -> None:
        sys.stdout.write(json.dumps(to_jsonable(payload), ensure_ascii=False, indent=2) + "\n")

    def fail(self, message: str, code: int = EXIT_USAGE) -> NoReturn:
        if self.json:
            self.print_json({"ok": False, "error": message})
        else:
            self.err.print(f"[bold red]{self._('error')}:[/] {message}", highlight=False)
        raise typer.Exit(code)

    def print_findings(self, findings: Sequence[Finding], *, limit: int = 50) -> None:
        """``source:row: CODE message`` lines (first ``limit``), then a count by severity."""
        for f in findings[:limit]:
            style = "red" if f.is_error else ("yellow" if f.severity == "warn" else "cyan")
            self.console.print(
                f"[{style}]{f.format(self.lang)}[/]", highlight=False, soft_wrap=True
            )
            fix = f.fix_zh if self.lang == "zh" and f.fix_zh else f.fix
            if fix:
                self.console.print(f"    → {fix}", highlight=False, soft_wrap=True)
        if len(findings) > limit:
            self.console.print(self._("… {n} more (use --json for all)", n=len(findings) - limit))

    @contextmanager
    def progress(
        self, description: str, total: int | None = None
    ) -> Iterator[Callable[[int], None]]:
        """A Rich progress bar on stderr (hidden with --json or when stderr is not a terminal)."""
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        show = not self.json and self.err.is_terminal
        with Progress(
            TextColumn("[progress.description]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=self.err,
            disable=not show,
            transient=True,
        ) as bar:
            task = bar.add_task(description, total=total)

            def advance(n: int = 1) -> None:
                bar.advance(task, n)

            yield advance

    def table(
        self, title: str | None, columns: Sequence[str], rows: Iterable[Sequence[Any]]
    ) -> None:
        from rich.table import Table as RichTable

        t = RichTable(title=title, show_lines=False, header_style="bold")
        for c in columns:
            t.add_column(c)
        for r in rows:
            t.add_row(*[fmt_cell(v) for v in r])
        self.console.print(t)


def fmt_cell(v: Any) -> str:
    if v is None:
        return "—"
    if isinstance(v, float):
        return f"{v:,.2f}" if abs(v) >= 1 or v == 0 else f"{v:.3f}"
    if isinstance(v, Decimal):
        return f"{v:,.2f}"
    if isinstance(v, int) and not isinstance(v, bool):
        return f"{v:,}"
    return str(v)


def make_cli(
    db: str | None,
    json_: bool,
    lang: str | None,
    config: Path | None = None,
    *,
    default_db: str | None = None,
) -> Cli:
    try:
        kwargs: dict[str, Any] = {"db": db, "lang": lang, "config": config}
        if default_db:
            kwargs["default_db"] = default_db
        settings = load_settings(**kwargs)
    except ConfigError as exc:
        Console(stderr=True).print(f"[bold red]error:[/] {exc}", highlight=False)
        raise typer.Exit(EXIT_USAGE) from None
    return Cli(settings, json_, Console(highlight=False), Console(stderr=True, highlight=False))


F = TypeVar("F", bound=Callable[..., Any])


def handle_errors(func: F) -> F:
    """Turn quickturn exceptions into clear messages and exit codes (never a traceback)."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except typer.Exit:
            raise
        except ValidationError as exc:
            as_json = bool(kwargs.get("json_"))
            if as_json:
                sys.stdout.write(
                    json.dumps(
                        {
                            "ok": False,
                            "error": str(exc),
                            "findings": [f.to_dict() for f in exc.findings],
                        },
                        ensure_ascii=False,
                        indent=2,
                        default=str,
                    )
                    + "\n"
                )
            else:
                err = Console(stderr=True, highlight=False)
                for f in exc.findings[:50]:
                    err.print(f.format(), soft_wrap=True)
                if len(exc.findings) > 50:
                    err.print(f"… {len(exc.findings) - 50} more (use --json for all)")
                err.print(f"[bold red]error:[/] {exc}")
            raise typer.Exit(EXIT_FINDINGS) from None
        except (UsageError, ConfigError, StoreError, QuickturnError, FileNotFoundError) as exc:
            if kwargs.get("json_"):
                sys.stdout.write(
                    json.dumps({"ok": False, "error": str(exc)}, ensure_ascii=False) + "\n"
                )
            else:
                Console(stderr=True, highlight=False).print(
                    f"[bold red]error:[/] {exc}", soft_wrap=True
                )
            raise typer.Exit(EXIT_USAGE) from None

    return wrapper  # type: ignore[return-value]
