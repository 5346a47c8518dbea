"""``qt.health``: shop performance metrics vs TikTok Shop thresholds, and plan projections.

Thin wrappers over :mod:`quickturn.services.health`::

    import quickturn as qt
    store = qt.open("quickturn-demo.duckdb")
    rep = qt.health.metrics(store)            # HealthReport: .rolling .weekly .offenders .findings .score
    qt.health.offenders(store, "late_dispatch_rate")
    proj = qt.health.project(store, plan="latest")   # Projection: .metrics (current/chosen/heavy)
    qt.health.calibrate("../shared/data/olist")      # re-fit the lateness → 1–2★ curve

``store`` may be an open :class:`~quickturn.store.Store` or a database path / URL.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from quickturn.config import Settings
from quickturn.core.health.calendar import federal_holidays_named
from quickturn.core.health.params import METRICS, HealthParams, health_params
from quickturn.core.health.projection import Projection
from quickturn.core.health.report import HealthReport
from quickturn.core.health.response import ResponseCurve
from quickturn.core.health.score import ScoreEstimate
from quickturn.errors import Finding
from quickturn.services import health as svc
from quickturn.services.health import NoPlanRunError
from quickturn.store import Store, open_store

__all__ = [
    "METRICS",
    "NoPlanRunError",
    "calibrate",
    "findings",
    "holidays",
    "metrics",
    "offenders",
    "params",
    "project",
    "response_curve",
    "run",
    "score",
    "weekly",
]

StoreLike = Store | str | Path


@contextmanager
def _store(store: StoreLike) -> Iterator[Store]:
    if isinstance(store, Store):
        yield store
    else:
        s = open_store(store)
        try:
            yield s
        finally:
            s.close()


def params(config: dict[str, Any] | None = None) -> HealthParams:
    """Health parameters from a ``health:`` mapping (defaults: the reference values)."""
    return health_params(config)


def metrics(
    store: StoreLike,
    *,
    today: date | None = None,
    weeks: int = 12,
    settings: Settings | None = None,
    shop_id: str | None = None,
) -> HealthReport:
    """Metrics over their rolling windows, weekly trend, offending orders, findings, score.

    ``shop_id``: one shop (default: every shop of the configured markets, US)."""
    with _store(store) as s:
        return svc.metrics(s, today=today, weeks=weeks, settings=settings, shop_id=shop_id).report


def run(
    store: StoreLike,
    *,
    today: date | None = None,
    weeks: int = 12,
    settings: Settings | None = None,
    shop_id: str | None = None,
) -> svc.HealthRun:
    """Like :func:`metrics`, and persist the run (``runs``, ``health_metrics``)."""
    with _store(store) as s:
        return svc.run_health(s, today=today, weeks=weeks, settings=settings, shop_id=shop_id)


def weekly(
    store: StoreLike,
    *,
    today: date | None = None,
    weeks: int = 12,
    settings: Settings | None = None,
    shop_id: str | None = None,
) -> pl.DataFrame:
    """Each metric per Monday-start week vs its threshold."""
    with _store(store) as s:
        return svc.metric_trends(s, today=today, weeks=weeks, settings=settings, shop_id=shop_id)


def offenders(
    store: StoreLike,
    metric: str | None = None,
    *,
    today: date | None = None,
    settings: Settings | None = None,
    shop_id: str | None = None,
) -> pl.DataFrame:
    """Orders counting against ``metric`` (or every metric) in its rolling window."""
    with _store(store) as s:
        return svc.offending_orders(s, metric, today=today, settings=settings, shop_id=shop_id)


def findings(
    store: StoreLike, *, today: date | None = None, settings: Settings | None = None
) -> list[Finding]:
    """Breach / near-threshold findings (English and Chinese), naming the orders."""
    return metrics(store, today=today, settings=settings).findings


def score(
    store: StoreLike, *, today: date | None = None, settings: Settings | None = None
) -> ScoreEstimate:
    """The Shop Performance Score *estimate* (an approximation, see docs/health.md)."""
    return metrics(store, today=today, settings=settings).score


def project(
    store: StoreLike,
    plan: str = "latest",
    *,
    today: date | None = None,
    settings: Settings | None = None,
    save: bool = False,
    shop_id: str | None = None,
) -> Projection:
    """Metrics projected under a plan run: ``current``, ``chosen`` and ``heavy`` columns.

    Raises :class:`NoPlanRunError` when there is no plan run (run ``quickturn plan``).
    """
    with _store(store) as s:
        return svc.project(
            s, plan, today=today, settings=settings, save=save, shop_id=shop_id
        ).projection


def calibrate(olist_folder: str | Path) -> dict[str, Any]:
    """Re-fit P(1–2★ | days late) on the Olist sample: ``{"curve", "gap", "orders"}``."""
    return svc.calibrate_olist(olist_folder)


def response_curve() -> ResponseCurve:
    """The default (Olist-calibrated) response curve."""
    return svc.default_curve()


def holidays(year: int) -> list[tuple[date, date, str]]:
    """US federal holidays of ``year``: ``(date, observed date, name)``."""
    return federal_holidays_named(year)
