"""``qt.demo_api``: the seeded demo shop from Python.

Thin wrappers over :mod:`quickturn.services.demo`::

    import quickturn as qt
    shop = qt.demo_api.generate(n_skus=40, days=200, seed=11, as_of=date(2026, 3, 2))
    shop.tables["orders"], shop.truth                 # frames only, nothing written
    summary = qt.demo_api.run("quickturn-demo.duckdb", n_skus=300)   # like `quickturn demo --json`
"""

from __future__ import annotations

from datetime import date
from typing import Any

from quickturn.config import DEFAULT_DEMO_DB, Settings, normalise_lang
from quickturn.services.demo import STEPS, DemoContext, generate_demo, run_demo

__all__ = ["STEPS", "DemoContext", "generate", "run"]


def generate(
    *, n_skus: int = 300, days: int = 365, seed: int = 7, as_of: date | None = None
) -> Any:
    """Generate the demo shop (a ``DemoShop``: ``.tables``, ``.truth``, ``.timings``)."""
    return generate_demo(n_skus=n_skus, days=days, seed=seed, today=as_of or date.today())


def run(
    db: str = DEFAULT_DEMO_DB,
    *,
    n_skus: int = 300,
    days: int = 365,
    seed: int = 7,
    as_of: date | None = None,
    lang: str = "en",
) -> dict[str, Any]:
    """Write the demo into a fresh database ``db``, run every module, return the summary."""
    settings = Settings(db=db, lang=normalise_lang(lang))
    return run_demo(settings, n_skus=n_skus, days=days, seed=seed, today=as_of or date.today())
