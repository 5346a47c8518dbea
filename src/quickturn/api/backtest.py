"""``qt.backtest``: what each replenishment policy would have earned on your own past.

For people without a store (statsforecast-style frames; pandas or Polars in, same type out)::

    import quickturn as qt
    res = qt.backtest.run(demand, economics, start="2011-06-01", every=7,
                          policies=["quickturn", "erp", "heavy", "qr", "oracle"], seed=0)
    res.totals      # one row per policy: profit, revenue, lost sales, dead stock, cash, …
    res.skus        # one row per (policy, unique_id)
    res.daily       # per policy and day: cumulative profit, stock on hand / in transit, …
    res.trace("quickturn", "SKU-1")     # one SKU's days under one policy
    res.summary()   # JSON-able totals, comparisons and issue 14's targets

``demand`` = ``unique_id, ds, y`` (daily units; a null ``y`` or ``censored`` true marks a
stock-out day); ``economics`` = one row per ``unique_id``, every column optional
(:data:`ECONOMICS_COLUMNS` lists them with their defaults).  Optional ``inventory``
(``unique_id, ds, qty``: stock at the start, or lots landing on ``ds``), ``blocked``
(``unique_id, ds``: days a SKU may not be ordered) and ``content`` (``unique_id, ds, views``).
On a store, :func:`run_store` builds the same frames from the shop's tables.
See docs/backtest.md for the accounting and every default.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from functools import partial
from typing import Any

import polars as pl

from quickturn.core.backtest.engine import Progress
from quickturn.core.backtest.frames import ECONOMICS_COLUMNS
from quickturn.core.backtest.policies import POLICIES, Policy
from quickturn.core.backtest.result import BacktestResult
from quickturn.core.backtest.runner import DEFAULT_POLICIES, run_frames
from quickturn.errors import UsageError
from quickturn.services.backtest import run as run_store

__all__ = [
    "DEFAULT_POLICIES",
    "ECONOMICS_COLUMNS",
    "POLICIES",
    "BacktestResult",
    "run",
    "run_store",
]


def _polars(df: Any, what: str) -> tuple[pl.DataFrame | None, bool]:
    if df is None:
        return None, False
    if isinstance(df, pl.DataFrame):
        return df, False
    try:
        import pandas as pd
    except ImportError:  # pragma: no cover - pandas is a dependency
        pd = None
    if pd is not None and isinstance(df, pd.DataFrame):
        return pl.from_pandas(df.reset_index(drop=True)), True
    raise UsageError(f"{what} must be a pandas or Polars DataFrame, got {type(df).__name__}")


def _day(value: date | str | None, what: str) -> date | None:
    if value is None or isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        raise UsageError(f"{what}={value!r} is not a date such as 2026-03-02") from None


def run(
    demand: Any,
    economics: Any = None,
    *,
    start: date | str | None = None,
    end: date | str | None = None,
    every: int = 7,
    policies: Sequence[str | Policy] | None = None,
    seed: int = 0,
    inventory: Any = None,
    blocked: Any = None,
    content: Any = None,
    budget: float | None = None,
    life_days: int = 365,
    policy_options: dict[str, dict[str, Any]] | None = None,
    progress: Progress | None = None,
    cluster: Any = None,
) -> BacktestResult:
    """Walk forward over ``demand`` from ``start`` (default: 26 weeks before the end) to
    ``end`` (exclusive; default: the day after the last ``ds``), one decision every
    ``every`` days, each policy ordering on what it could have known that day.

    Returns a :class:`BacktestResult` whose frames are pandas when ``demand`` was pandas.
    ``cluster`` (a Dask scheduler address or ``distributed.Client``; default
    ``QUICKTURN_DASK_SCHEDULER``) replays each policy as one task on the cluster.
    """
    from quickturn.services.cluster import is_distributed, map_partitions

    d, was_pandas = _polars(demand, "demand")
    assert d is not None
    eco, _ = _polars(economics, "economics")
    inv, _ = _polars(inventory, "inventory")
    blk, _ = _polars(blocked, "blocked")
    cnt, _ = _polars(content, "content")
    res = run_frames(
        d,
        eco,
        start=_day(start, "start"),
        end=_day(end, "end"),
        every=every,
        policies=policies,
        seed=seed,
        inventory=inv,
        blocked=blk,
        content=cnt,
        budget=budget,
        life_days=life_days,
        policy_options=policy_options,
        progress=progress,
        map_fn=partial(map_partitions, cluster=cluster) if is_distributed(cluster) else None,
    )
    return res.to_pandas() if was_pandas else res
