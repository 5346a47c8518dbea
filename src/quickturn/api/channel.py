"""``qt.channel``: operating-model (托管模式) economics from Python.

    import quickturn as qt
    qt.channel.compare(store, sku="APP-00001-M")   # self-operated vs semi- vs fully managed

Data flow: thin wrapper over ``services.channel.compare_models``.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from quickturn.core.channel.models import MODELS, OperatingModelSettings, operating_model_settings
from quickturn.services import plan as _plan
from quickturn.services.channel import compare_models
from quickturn.store import Store


def compare(
    store: Store,
    *,
    sku: str,
    today: date | None = None,
    scenarios: int | None = None,
    seed: int | None = None,
    **terms: Any,
) -> dict[str, Any]:
    """Economics and risk of each operating model for ``sku``; ``terms`` override the
    :class:`OperatingModelSettings` defaults (e.g. ``full_supply_price_rate=0.5``)."""
    d = compare_models(
        store,
        today=today or _plan.default_as_of(store),
        sku=sku,
        scenarios=scenarios,
        seed=seed,
        options=terms,
    )
    for m in d["models"]:
        m.pop("_facts", None)
    return d


__all__ = ["MODELS", "OperatingModelSettings", "compare", "operating_model_settings"]
