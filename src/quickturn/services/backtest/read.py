"""backtest: the read model of the dashboard's Backtest page and the report: the newest saved
backtest run.  Nothing here writes."""

from __future__ import annotations

from typing import Any

from quickturn.services.readbase import latest_run, run_public
from quickturn.store import Store


def backtest_overview(store: Store) -> dict[str, Any]:
    """The newest saved backtest (``quickturn backtest`` or the demo): its summary per
    policy and the shop-level daily traces (``services.backtest.saved_payload``)."""
    run = latest_run(store, "backtest")
    if run is None:
        return {"run": None}
    summary = run["summary"] if isinstance(run["summary"], dict) else {}
    return {"run": run_public(run), **summary}
