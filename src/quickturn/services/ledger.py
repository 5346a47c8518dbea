"""Ledger use cases: load the seller's tables from the store → run the pure engine
(:mod:`quickturn.core.ledger`) → persist postings / cost layers / cash → frames for the CLI, web
dashboard and Python API.

Functions return Polars frames ready for tables and charts:

* :func:`unit_economics` — per-SKU price, landed and variable cost per unit (for the planner);
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

import polars as pl

from quickturn.config import Settings
from quickturn.core.ledger import economics
from quickturn.core.ledger.engine import LedgerResult, build_ledger
from quickturn.core.ledger.inputs import TABLES, LedgerInputs
from quickturn.core.ledger.schedule import LedgerSettings
from quickturn.store import Store


def ledger_settings(
    settings: Settings | Mapping[str, Any] | LedgerSettings | None,
) -> LedgerSettings:
    """The ``ledger:`` section of the settings merged over the documented defaults."""
    if isinstance(settings, LedgerSettings):
        return settings
    if isinstance(settings, Settings):
        return LedgerSettings.from_mapping(settings.section("ledger"))
    return LedgerSettings.from_mapping(settings or {})


def load_inputs(store: Store) -> LedgerInputs:
    """Every table the ledger reads (missing tables are empty)."""
    have = store.existing_tables()
    frames = {t: store.table(t) for t in TABLES if t in have}
    return LedgerInputs.from_frames(frames)


def build(
    store: Store,
    *,
    settings: Settings | Mapping[str, Any] | LedgerSettings | None = None,
    as_of: date | None = None,
    detail: bool = True,
) -> LedgerResult:
    """Run the ledger on the store's data (nothing is written)."""
    return build_ledger(load_inputs(store), ledger_settings(settings), as_of=as_of, detail=detail)


def unit_economics(
    store: Store,
    *,
    today: date,
    days: int = 90,
    settings: Settings | Mapping[str, Any] | LedgerSettings | None = None,
) -> pl.DataFrame:
    """One row per SKU: ``sku_id, price_usd, landed_cost_usd, variable_cost_usd,
    unit_margin_usd, cost_known`` (+ ``units_sold``, ``basis``) over the ``days`` before
    ``today`` — see :mod:`quickturn.core.ledger.economics` for the formulas."""
    inputs = load_inputs(store)
    result = build_ledger(inputs, ledger_settings(settings), as_of=today, detail=False)
    return economics.unit_economics(result, inputs.skus, inputs.fx_rates, today=today, days=days)
