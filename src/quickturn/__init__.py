"""quickturn: an operations engine for cross-border sellers on TikTok Shop US.

Python API::

    import quickturn as qt
    store = qt.open("quickturn-demo.duckdb")      # or "postgresql://…"
    orders = store.table("orders")                # Polars DataFrame (as_pandas=True for pandas)

Module APIs (``qt.ledger``, ``qt.sense``, ``qt.plan``, ``qt.health``, ``qt.comply``,
``qt.channel``, ``qt.backtest``) are imported lazily on first use.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from quickturn.store import Store

_MODULES = ("ledger", "sense", "plan", "health", "comply", "channel", "backtest", "demo_api")


def open(url: str | Path = "quickturn.duckdb", *, read_only: bool = False) -> Store:
    """Open the store at ``url`` (DuckDB file or ``postgresql://`` URL), migrating it."""
    from quickturn.store import open_store

    return open_store(url, read_only=read_only)


def __getattr__(name: str) -> Any:
    if name in _MODULES:
        return importlib.import_module(f"quickturn.api.{name}")
    raise AttributeError(f"module 'quickturn' has no attribute {name!r}")


__all__ = ["__version__", "open"]
