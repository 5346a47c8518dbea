"""Named read queries: the only SQL outside the ``Store`` class itself.

Services, the web and the CLI never write SQL; they call these functions, which take a
:class:`~quickturn.store.base.Store` and return Polars frames (or plain values).  Every
statement is portable between DuckDB and PostgreSQL (``?`` placeholders, standard types).
One module per domain:

* :mod:`.runs` — ``runs`` (latest run of a module, its as-of day) and change fingerprints;
* :mod:`.orders` — order lines in a window, counts, delivery times, generic windows;
* :mod:`.inventory` — the latest stock per SKU × location, snapshot windows, lots at sea;
* :mod:`.ledger` — the persisted journal (sums by component, account, dimension, line) and
  the aggregate behind the unit economics, the cash timeline;
* :mod:`.content` — views and posts per video and creator;
* :mod:`.modules` — forecasts, compliance findings, the webhook queue, keyed reads.
"""

from __future__ import annotations

from quickturn.store.queries import content, inventory, ledger, modules, orders, runs

__all__ = ["content", "inventory", "ledger", "modules", "orders", "runs"]
