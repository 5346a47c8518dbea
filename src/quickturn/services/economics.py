"""Unit economics per SKU read from the ledger's persisted journal (no ledger rebuild).

Data flow: ``ledger_postings`` (+ ``order_lines``) → two aggregates of
:mod:`quickturn.store.queries.ledger` (``sku_account_amounts``, ``posted_line_units``) →
:func:`quickturn.core.ledger.economics.journal_unit_economics` → one row per SKU sold in the
window.  The plan (``services.plan.ledger_journal_economics``) and the web's inventory
projection (``services.ledger.read.unit_economics_from_journal``) both call this, so the page
and the plan it replays price a unit the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

import polars as pl

from quickturn.core.ledger.economics import journal_unit_economics
from quickturn.store import Store
from quickturn.store.queries import ledger as ledger_queries


def unit_economics_from_journal(
    store: Store, *, today: date, days: int, sku_ids: Sequence[str] | None = None
) -> pl.DataFrame | None:
    """Per-SKU unit economics over the ``days`` before ``today`` (sample orders excluded), or
    None when the journal is empty or holds no sale in the window (the caller falls back).

    Columns: ``sku_id, price_usd, landed_cost_usd, variable_cost_usd, unit_margin_usd,
    cost_known, units_sold``; see ``journal_unit_economics`` for the rules."""
    if not ledger_queries.journal_has_postings(store):
        return None
    lo, hi = today - timedelta(days=days), today - timedelta(days=1)
    amounts = ledger_queries.sku_account_amounts(store, lo, hi, sku_ids=sku_ids)
    units = ledger_queries.posted_line_units(store, lo, hi, sku_ids=sku_ids)
    if amounts.is_empty() or units.is_empty():
        return None
    return journal_unit_economics(amounts, units)
