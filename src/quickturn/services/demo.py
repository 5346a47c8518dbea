"""The demo use case: generate the seeded demo shop, store it, run every module, summarise.

Data flow: ``DemoConfig`` → :func:`quickturn.demo.generate` (pure) → a FRESH store, all
tables written in one transaction with a marker in ``state`` (namespace ``demo``) → each
module's ``demo_step(ctx)`` in ``STEPS`` order → summary dict (shop story, row counts,
timings, one section per module).  A failing module is recorded and the demo continues.

Replacing a database: a DuckDB file is built beside the target and moved over it only when
the target does not exist or carries the demo marker; a PostgreSQL database is emptied only
when it carries the marker or holds no seller data.  Anything else is refused.

Contract for modules (each module adds itself to ``STEPS`` and to :func:`step_function`):

* ``quickturn.services.<module>.demo_step(ctx: DemoContext) -> dict[str, Any]`` runs the module
  on the demo store and returns a JSON-able section for ``quickturn demo --json``
  (``DemoContext`` lives in :mod:`quickturn.services.demo_context`);
* ``quickturn.cli.<module>.render_demo(cli, section)`` prints that section with Rich
  (``quickturn.cli.demo.demo_renderer``).

Steps run in the order of ``STEPS``; a later step may read an earlier one's section from
``ctx.results`` (but should prefer what the earlier step persisted in the store).
"""

from __future__ import annotations

import contextlib
import json
import os
import time
import traceback
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from quickturn.config import Settings
from quickturn.demo import TABLE_ORDER, DemoConfig, DemoShop, generate
from quickturn.demo.generator import UNSORTED
from quickturn.demo.summary import story_summary
from quickturn.errors import StoreError, UsageError
from quickturn.i18n import Translator
from quickturn.schema import TABLES_BY_NAME, input_tables
from quickturn.services.demo_context import DemoContext as DemoContext  # re-exported
from quickturn.store import Store, is_postgres_url, open_store

#: module names, in run order; each provides ``services.<name>.demo_step``
STEPS: list[str] = [
    # --- ledger ---
    "ledger",
    # --- sense ---
    "sense",
    # --- plan ---
    "plan",
    # --- health ---
    "health",
    # --- comply ---
    "comply",
    # --- backtest ---
    "backtest",
]

#: ``state`` namespace and key of the marker that says "this database is a demo"
MARKER_NAMESPACE = "demo"
MARKER_KEY = "marker"

#: progress callback: (message, phase number 1..total, total phases)
Progress = Callable[[str, int, int], None]


#: a module's demo step: runs the module on the demo store, returns a JSON-able section
DemoStep = Callable[[DemoContext], dict[str, Any]]


def step_function(name: str) -> DemoStep:
    """``services.<name>.demo_step`` for a module of :data:`STEPS` (plain imports, inside the
    function: a demo imports only the modules it runs; static tools see every one)."""
    if name == "ledger":
        from quickturn.services.ledger import demo_step as ledger_step

        return ledger_step
    if name == "sense":
        from quickturn.services.sense import demo_step as sense_step

        return sense_step
    if name == "plan":
        from quickturn.services.plan import demo_step as plan_step

        return plan_step
    if name == "health":
        from quickturn.services.health import demo_step as health_step

        return health_step
    if name == "comply":
        from quickturn.services.comply import demo_step as comply_step

        return comply_step
    if name == "backtest":
        from quickturn.services.backtest import demo_step as backtest_step

        return backtest_step
    # as an import of a module that does not exist would (the demo records it and goes on)
    raise ModuleNotFoundError(
        f"no demo step {name!r}: no module quickturn.services.{name} in STEPS ({', '.join(STEPS)})",
        name=f"quickturn.services.{name}",
    )


def _sub_progress(report: Progress, step: int, total: int) -> Callable[[str], None]:
    def sub(message: str) -> None:
        report(message, step, total)

    return sub


def _no_progress(_msg: str, _step: int, _total: int) -> None:
    return None


def run_demo(
    settings: Settings,
    *,
    n_skus: int = 300,
    days: int = 365,
    seed: int = 7,
    today: date,
    progress: Progress | None = None,
    steps: list[str] | None = None,
) -> dict[str, Any]:
    """Generate the demo shop into a fresh database, run every module, return the summary.

    ``today`` is the as-of day (history ends the day before).  ``steps`` overrides
    :data:`STEPS` (tests).  Raises :class:`UsageError` if the target database exists and is
    not a demo database.
    """
    if n_skus < 10 or days < 30:
        raise UsageError(
            f"the demo needs at least 10 SKUs and 30 days (got --skus {n_skus}, --days {days})"
        )
    _ = Translator(settings.lang)
    report = progress or _no_progress
    modules = list(STEPS if steps is None else steps)
    total = 2 + len(modules)
    timings: dict[str, float] = {}
    url = settings.db

    report(_("Generating the demo shop ({n} SKUs × {d} days)…", n=n_skus, d=days), 1, total)
    t0 = time.perf_counter()
    cfg = DemoConfig(n_skus=n_skus, days=days, seed=seed, as_of=today)
    shop = generate(cfg)
    timings["generate"] = round(time.perf_counter() - t0, 3)
    story = story_summary(shop)

    report(_("Writing {rows} rows to {db}…", rows=sum(shop.counts().values()), db=url), 2, total)
    t0 = time.perf_counter()
    marker = {
        "n_skus": n_skus,
        "days": days,
        "seed": seed,
        "as_of": today.isoformat(),
        "written_by": "quickturn demo",
    }
    store = write_demo_database(url, shop.tables, marker)
    timings["write"] = round(time.perf_counter() - t0, 3)

    ctx = DemoContext(store=store, settings=settings.with_db(url), today=today, seed=seed)
    sections: dict[str, Any] = {}
    errors: dict[str, str] = {}
    try:
        for k, name in enumerate(modules):
            step_no = 3 + k
            report(_("Running {module}…", module=name), step_no, total)
            ctx.progress = _sub_progress(report, step_no, total)
            t0 = time.perf_counter()
            try:
                section = step_function(name)(ctx)
                section = json.loads(json.dumps(section, default=str))
                sections[name] = section
                ctx.results[name] = section
            except Exception as exc:  # a failing module must not stop the demo
                errors[name] = f"{type(exc).__name__}: {exc}"
                sections[name] = {
                    "error": errors[name],
                    "traceback": traceback.format_exc(limit=8),
                }
            timings[name] = round(time.perf_counter() - t0, 3)
        counts = {
            t.name: store.count(t.name)
            for t in TABLES_BY_NAME.values()
            if t.name in store.existing_tables()
        }
        backend = store.backend
    finally:
        store.close()
    return {
        "ok": not errors,
        "db": url,
        "backend": backend,
        "config": {"n_skus": n_skus, "days": days, "seed": seed, "as_of": today.isoformat()},
        "shop": story,
        "tables": counts,
        "timings": {**{f"generate.{k}": v for k, v in shop.timings.items()}, **timings},
        "modules": sections,
        "errors": errors,
        "next": [
            "quickturn db info --db " + url,
            "quickturn ledger --db " + url,
            "quickturn serve --db " + url,
        ],
    }


def generate_demo(*, n_skus: int = 300, days: int = 365, seed: int = 7, today: date) -> DemoShop:
    """The demo shop as frames (nothing written): :func:`quickturn.demo.generate`."""
    return generate(DemoConfig(n_skus=n_skus, days=days, seed=seed, as_of=today))


def is_demo_store(store: Store) -> bool:
    """True if ``store`` carries the demo marker."""
    if "state" not in store.existing_tables():
        return False
    return store.get_state(MARKER_NAMESPACE, MARKER_KEY) is not None


def _has_seller_data(store: Store) -> bool:
    have = store.existing_tables()
    return any(t.name in have and store.count(t.name) > 0 for t in input_tables())


def write_demo_database(url: str, tables: dict[str, Any], marker: dict[str, Any]) -> Store:
    """Write the demo frames into a fresh database at ``url`` and return it (open).

    DuckDB: built in a temporary file beside the target, then moved over it.  PostgreSQL:
    emptied and written in one transaction.  Refuses to replace a database that holds
    seller data and no demo marker.
    """
    if is_postgres_url(url):
        store = open_store(url)
        try:
            if not is_demo_store(store) and _has_seller_data(store):
                raise UsageError(
                    f"{url} holds data that is not a quickturn demo; the demo only replaces its own "
                    "databases. Use an empty database or another --db."
                )
            with store.transaction():
                have = store.existing_tables()
                for t in TABLES_BY_NAME.values():
                    if t.name in have:
                        store.delete(t.name)
                _write_all(store, tables, marker)
        except BaseException:
            store.close()
            raise
        return store
    if url == ":memory:":
        store = open_store(url)
        with store.transaction():
            _write_all(store, tables, marker)
        return store
    target = Path(url)
    if target.exists():
        _check_replaceable(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.building-{os.getpid()}")
    for p in (tmp, Path(str(tmp) + ".wal")):
        with contextlib.suppress(FileNotFoundError):
            p.unlink()
    try:
        store = open_store(tmp)
        try:
            with store.transaction():
                _write_all(store, tables, marker)
            store.checkpoint()
        finally:
            store.close()
        with contextlib.suppress(FileNotFoundError):
            Path(str(target) + ".wal").unlink()
        os.replace(tmp, target)
    finally:
        for p in (tmp, Path(str(tmp) + ".wal")):
            with contextlib.suppress(FileNotFoundError):
                p.unlink()
    return open_store(target)


def _check_replaceable(target: Path) -> None:
    if target.is_dir():
        raise UsageError(f"{target} is a directory; give a file path for --db")
    try:
        store = open_store(target, read_only=True, migrate=False)
    except StoreError:
        raise UsageError(
            f"{target} exists and is not a quickturn database; the demo will not overwrite it. "
            "Choose another --db path."
        ) from None
    try:
        ok = is_demo_store(store) or not _has_seller_data(store)
    except StoreError:
        ok = False
    finally:
        store.close()
    if not ok:
        raise UsageError(
            f"{target} holds data that is not a quickturn demo; the demo only replaces its own "
            "databases. Choose another --db path (default: quickturn-demo.duckdb)."
        )


def _write_all(store: Store, tables: dict[str, Any], marker: dict[str, Any]) -> None:
    for name in TABLE_ORDER:
        frame = tables[name]
        if name in UNSORTED:  # keys in order make the primary-key index build ~2× faster
            frame = frame.sort(list(TABLES_BY_NAME[name].key))
        store.write(name, frame, mode="append")
    store.set_state(MARKER_NAMESPACE, MARKER_KEY, marker)
