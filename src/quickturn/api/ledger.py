"""``qt.ledger``: true margins, explain, cash — the Python face of :mod:`quickturn.services.ledger`.

    import quickturn as qt
    store = qt.open("quickturn-demo.duckdb")
    qt.ledger.margins(store, by="creator")          # Polars frame, exact Decimal amounts
    qt.ledger.margins(store, by=["sku", "month"], currency="CNY")
    qt.ledger.cash(store, days=90).summary           # peak cash need, lowest-balance date
    qt.ledger.explain(store, order_id="O-1001").components
    qt.ledger.unit_economics(store, today=date(2026, 10, 1))

Settings (the ``ledger:`` section of quickturn.yaml) are passed as ``settings=`` — a
``quickturn.config.Settings``, a mapping or a ``LedgerSettings``.
"""

from __future__ import annotations

from quickturn.core.ledger.schedule import ExtraTariff, FbtTier, LedgerSettings
from quickturn.services.ledger import (
    CashReport,
    Explanation,
    LedgerRun,
    build,
    cash,
    drilldown,
    explain,
    line_waterfalls,
    losers,
    margins,
    run,
    unit_economics,
    waterfall,
)

__all__ = [
    "CashReport",
    "Explanation",
    "ExtraTariff",
    "FbtTier",
    "LedgerRun",
    "LedgerSettings",
    "build",
    "cash",
    "drilldown",
    "explain",
    "line_waterfalls",
    "losers",
    "margins",
    "run",
    "unit_economics",
    "waterfall",
]
