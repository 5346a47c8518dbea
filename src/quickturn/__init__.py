"""quickturn: an operations engine for cross-border sellers on TikTok Shop US.

Python API::

    import quickturn as qt
    store = qt.open("quickturn-demo.duckdb")      # or "postgresql://…"
    orders = store.table("orders")                # Polars DataFrame (as_pandas=True for pandas)

Module APIs (``qt.ledger``, ``qt.sense``, ``qt.plan``, ``qt.health``, ``qt.comply``,
``qt.channel``, ``qt.backtest``) are imported lazily on first use.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from quickturn.store import Store


def open(url: str | Path = "quickturn.duckdb", *, read_only: bool = False) -> Store:
    """Open the store at ``url`` (DuckDB file or ``postgresql://`` URL), migrating it."""
    from quickturn.store import open_store

    return open_store(url, read_only=read_only)


def __getattr__(name: str) -> Any:
    """``qt.sense`` etc.: the module API is imported on first use, so that ``import quickturn``
    (and the ``quickturn`` command) stays fast.  Plain import statements, one per module."""
    if name == "ledger":
        from quickturn.api import ledger

        return ledger
    if name == "sense":
        from quickturn.api import sense

        return sense
    if name == "plan":
        from quickturn.api import plan

        return plan
    if name == "health":
        from quickturn.api import health

        return health
    if name == "comply":
        from quickturn.api import comply

        return comply
    if name == "channel":
        from quickturn.api import channel

        return channel
    if name == "backtest":
        from quickturn.api import backtest

        return backtest
    if name == "demo_api":
        from quickturn.api import demo_api

        return demo_api
    raise AttributeError(f"module 'quickturn' has no attribute {name!r}")


__all__ = ["__version__", "open"]
