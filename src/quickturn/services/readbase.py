"""What every domain's read module shares: table and run look-ups, the as-of day, the shop's
time zone and the web cache's fingerprint.

The read models of the web dashboard and the report live beside each domain's use cases
(``services.ledger.read``, ``sense.read``, ``plan.read``, ``health.read``, ``comply.read``,
``backtest.read``); this module is the small base they import.  Nothing here writes.

Every read works on a database where a module has not run yet (or whose tables do not exist
yet): it returns empty frames and says which module is missing, so a page can tell the user
which command to run.  Money is float USD (display only; the ledger keeps exact amounts),
dates are the shop's calendar days, ``today`` is the as-of day of the data (:func:`as_of`).
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl

from quickturn.errors import UsageError
from quickturn.store import Store, queries

#: policy families in display order
POLICIES: tuple[str, ...] = ("heavy", "qr", "dual", "pod", "hybrid")


class NotFound(UsageError):
    """The SKU, order line or run asked for does not exist."""


def has(store: Store, *tables: str) -> bool:
    """True when every table exists."""
    have = store.existing_tables()
    return all(t in have for t in tables)


def latest_run(store: Store, module: str, *, kind: str | None = None) -> dict[str, Any] | None:
    """The newest ``runs`` row of ``module`` (``kind`` filters on ``params.kind``; ``"main"``
    keeps runs without one), with ``params`` and ``summary`` decoded."""
    if not has(store, "runs"):
        return None
    for row in queries.runs.runs_of(store, module).to_dicts():
        params = _json(row.get("params"))
        row_kind = params.get("kind") if isinstance(params, dict) else None
        if module == "health" and isinstance(params, dict) and "project" in params:
            row_kind = "project"
        if kind is not None and (row_kind or "main") != kind:
            continue
        row["params"] = params
        row["summary"] = _json(row.get("summary"))
        return row
    return None


def _json(text: Any) -> Any:
    if not text:
        return {}
    try:
        return json.loads(str(text))
    except ValueError:
        return {}


def as_of(store: Store) -> date:
    """The business day the dashboard is about: the demo's as-of day in a demo database, else
    the newest run's as-of day, else today's date."""
    if has(store, "state"):
        marker = store.get_state("demo", "marker")
        if isinstance(marker, dict) and marker.get("as_of"):
            try:
                return date.fromisoformat(str(marker["as_of"]))
            except ValueError:
                pass
    if has(store, "runs"):
        d = queries.runs.latest_as_of(store, ("plan", "sense"))
        if d is not None:
            return d
    return datetime.now(UTC).date()


def fingerprint(store: Store) -> str:
    """A cheap value that changes when a module run, a sync or a SKU import changes the
    database (the web cache's key on PostgreSQL; on DuckDB the web layer looks at the file).
    Only small tables are read, so it can be polled every few seconds."""
    parts: list[str] = []
    if has(store, "runs"):
        n, t = queries.runs.count_and_newest(store, "runs", "created_at")
        parts.append(f"runs={n}@{t}")
    if has(store, "state"):
        n, t = queries.runs.count_and_newest(store, "state", "updated_at")
        parts.append(f"state={n}@{t}")
    if has(store, "skus"):
        parts.append(f"skus={store.count('skus')}")
    return ";".join(parts)


def shop_info(store: Store) -> dict[str, Any]:
    """Shops, SKU count and the as-of day (page header)."""
    shops = store.table("shops", columns=["shop_id", "name", "market", "currency", "timezone"])
    return {
        "shops": shops.to_dicts(),
        "skus": store.count("skus"),
        "as_of": as_of(store),
        "runs": {
            m: run_public(latest_run(store, m))
            for m in ("ledger", "sense", "plan", "health", "comply")
        },
    }


def run_public(run: dict[str, Any] | None) -> dict[str, Any] | None:
    """The public part of a :func:`latest_run` row (id, creation time, as-of day)."""
    if run is None:
        return None
    return {"run_id": run["run_id"], "created_at": run["created_at"], "as_of": run["as_of"]}


def stored_run_id(store: Store, module: str, table: str) -> str | None:
    """The latest run of ``module`` when its output ``table`` exists, else ``None``."""
    if not has(store, table):
        return None
    run = latest_run(store, module)
    return str(run["run_id"]) if run else None


def utc_start(day: date, tz: str) -> datetime:
    """Midnight of ``day`` in the shop's time zone, as naive UTC (how the store keeps time)."""
    local = datetime.combine(day, datetime.min.time(), tzinfo=ZoneInfo(tz))
    return local.astimezone(UTC).replace(tzinfo=None)


def shop_tz(store: Store) -> str:
    """The time zone of the US shop (else of any shop; else Los Angeles)."""
    shops = store.table("shops", columns=["market", "timezone"])
    us = shops.filter(pl.col("market") == "US")["timezone"].drop_nulls().to_list()
    anyz = shops["timezone"].drop_nulls().to_list()
    return str((us or anyz or ["America/Los_Angeles"])[0])
