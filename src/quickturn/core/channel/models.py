"""Operating models (托管模式): what changes for the seller under self-operated, semi-managed
and fully managed selling, expressed as simulator inputs.

Data flow: the self-operated :class:`~quickturn.core.plan.simulate.PlanInputs` of a set of
SKUs (their demand scenarios, costs, routes and stock) + :class:`OperatingModelSettings` →
:func:`model_inputs` rewrites price, variable cost, storage, payment timing, end-of-life
value, stock-out penalty and demand for each model → the plan engine optimises each model's
replenishment on the same scenarios (common random numbers) → side-by-side economics and
risk.  Pure: no IO.

Public US documentation of the managed models is thin (see
``../shared/reference/tiktok-shop-us.md`` §3), so every term is a parameter:

==================  ==================  ======================  ==============================
model               price set by        stock held / shipped by  seller is paid
==================  ==================  ======================  ==============================
self_operated       seller              seller (US 3PL / FBT)    retail price − fees, settled
                                                                 7 days after delivery
semi_managed        platform            seller (own US stock)    a supply price, after delivery
fully_managed       platform            platform warehouse       a supply price when goods sell
==================  ==================  ======================  ==============================

Defaults (override in ``channel:`` of ``quickturn.yaml``): semi-managed supply price 75% of
the seller's retail price, paid 14 days after delivery, seller pays 3PL fulfilment, platform
fees included in the margin the platform keeps; fully managed supply price 55%, paid 20 days
after the sale, platform stores and ships free of charge to the seller, unsold stock returned
at the seller's cost (return freight 15% of landed cost per unit).  Demand multipliers default
to 1 (no traffic lift assumed): set them from your own experience.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

import numpy as np

from quickturn.core.plan.simulate import (
    E_CAPITAL,
    E_LANDED,
    E_PENALTY,
    E_POD_OK,
    E_PRICE,
    E_SALVAGE,
    E_SETTLE,
    E_STORAGE,
    E_VAR,
    F64,
    PlanInputs,
)
from quickturn.errors import ConfigError

MODELS = ("self_operated", "semi_managed", "fully_managed")


@dataclass(frozen=True)
class OperatingModelSettings:
    """Terms of the managed models (documented defaults; see the module docstring)."""

    semi_supply_price_rate: float = 0.75
    semi_payment_days_after_delivery: float = 14.0
    semi_demand_multiplier: float = 1.0
    full_supply_price_rate: float = 0.55
    full_payment_days_after_sale: float = 20.0
    full_demand_multiplier: float = 1.0
    #: share of the seller's own storage cost the platform charges under full management
    full_storage_cost_share: float = 0.0
    #: unsold stock under full management: "returned" (at the seller's cost) or "disposed"
    full_unsold: str = "returned"
    full_return_cost_rate: float = 0.15
    #: shop-health penalty per lost unit still borne by the seller under semi management
    semi_stockout_penalty_share: float = 1.0


def operating_model_settings(
    options: Mapping[str, Any] | None = None,
) -> OperatingModelSettings:
    """Defaults merged with the ``channel:`` configuration section.

    >>> operating_model_settings({"full_supply_price_rate": 0.5}).full_supply_price_rate
    0.5
    """
    known = {f.name for f in fields(OperatingModelSettings)}
    values: dict[str, Any] = {}
    for key, value in (options or {}).items():
        if key not in known:
            raise ConfigError(
                f"channel: unknown setting {key!r}; known settings: {', '.join(sorted(known))}"
            )
        if key == "full_unsold":
            if value not in ("returned", "disposed"):
                raise ConfigError(
                    f"channel: full_unsold must be returned or disposed, got {value!r}"
                )
            values[key] = value
            continue
        try:
            values[key] = float(value)
        except (TypeError, ValueError):
            raise ConfigError(f"channel: {key} must be a number, got {value!r}") from None
        if values[key] < 0:
            raise ConfigError(f"channel: {key} must be non-negative, got {value!r}")
    return replace(OperatingModelSettings(), **values)


Fact = tuple[str, dict[str, Any]]


def model_facts(model: str, s: OperatingModelSettings) -> dict[str, Fact]:
    """Who does what under ``model``: English templates and their values (for translation).

    >>> model_facts("fully_managed", OperatingModelSettings())["paid"]
    ('supply price when goods sell, {days} days later', {'days': '20'})
    """
    if model == "self_operated":
        return {
            "price_set_by": ("seller", {}),
            "stock_held_by": ("seller", {}),
            "ships_orders": ("seller (3PL / FBT)", {}),
            "fees_paid_by_seller": (
                "referral fee, creator commission, 3PL fulfilment, storage",
                {},
            ),
            "paid": ("retail price minus fees, {days} days after delivery", {"days": "7"}),
            "unsold_stock": ("seller's (salvage or dispose)", {}),
        }
    if model == "semi_managed":
        return {
            "price_set_by": ("platform", {}),
            "stock_held_by": ("seller", {}),
            "ships_orders": ("seller (own US stock)", {}),
            "fees_paid_by_seller": ("3PL fulfilment, storage", {}),
            "paid": (
                "supply price, {days} days after delivery",
                {"days": f"{s.semi_payment_days_after_delivery:g}"},
            ),
            "unsold_stock": ("seller's (salvage or dispose)", {}),
        }
    if model == "fully_managed":
        return {
            "price_set_by": ("platform", {}),
            "stock_held_by": ("platform warehouse (seller owns it until sold)", {}),
            "ships_orders": ("platform", {}),
            "fees_paid_by_seller": (
                ("inbound freight, storage", {})
                if s.full_storage_cost_share > 0
                else ("inbound freight", {})
            ),
            "paid": (
                "supply price when goods sell, {days} days later",
                {"days": f"{s.full_payment_days_after_sale:g}"},
            ),
            "unsold_stock": (
                (
                    "returned at the seller's cost ({pct}% of landed cost)",
                    {"pct": f"{100 * s.full_return_cost_rate:.0f}"},
                )
                if s.full_unsold == "returned"
                else ("disposed by the platform (no value)", {})
            ),
        }
    raise ValueError(f"unknown operating model {model!r}; expected one of {', '.join(MODELS)}")


def supply_price_rate(model: str, s: OperatingModelSettings) -> float:
    """Share of the seller's retail price the seller receives per unit under ``model``."""
    return {"self_operated": 1.0, "semi_managed": s.semi_supply_price_rate}.get(
        model, s.full_supply_price_rate
    )


def model_inputs(
    inputs: PlanInputs,
    model: str,
    settings: OperatingModelSettings,
    *,
    fulfilment_cost: F64,
    delivery_days: float,
) -> PlanInputs:
    """The self-operated ``inputs`` rewritten for ``model`` (same scenarios and stock).

    ``fulfilment_cost`` is the per-unit 3PL outbound + last-mile part of the variable cost;
    ``delivery_days`` the mean order → delivery days (settlement runs from delivery).
    """
    if model == "self_operated":
        return inputs
    eco = inputs.economics.copy()
    demand = inputs.demand
    if model == "semi_managed":
        eco[:, E_PRICE] = inputs.economics[:, E_PRICE] * settings.semi_supply_price_rate
        eco[:, E_VAR] = fulfilment_cost
        eco[:, E_SETTLE] = delivery_days + settings.semi_payment_days_after_delivery
        eco[:, E_PENALTY] = inputs.economics[:, E_PENALTY] * settings.semi_stockout_penalty_share
        if settings.semi_demand_multiplier != 1.0:
            demand = demand * settings.semi_demand_multiplier
    elif model == "fully_managed":
        eco[:, E_PRICE] = inputs.economics[:, E_PRICE] * settings.full_supply_price_rate
        eco[:, E_VAR] = 0.0
        eco[:, E_SETTLE] = settings.full_payment_days_after_sale
        eco[:, E_STORAGE] = inputs.economics[:, E_STORAGE] * settings.full_storage_cost_share
        eco[:, E_PENALTY] = 0.0  # the storefront and its health are the platform's
        eco[:, E_POD_OK] = 0.0  # the platform sells only stock it holds
        landed = inputs.economics[:, E_LANDED]
        if settings.full_unsold == "returned":
            eco[:, E_SALVAGE] = (
                inputs.economics[:, E_SALVAGE] - settings.full_return_cost_rate * landed
            )
        else:
            eco[:, E_SALVAGE] = 0.0
        eco[:, E_CAPITAL] = inputs.economics[:, E_CAPITAL]
        if settings.full_demand_multiplier != 1.0:
            demand = demand * settings.full_demand_multiplier
    else:
        raise ValueError(f"unknown operating model {model!r}; expected one of {', '.join(MODELS)}")
    return replace(inputs, economics=np.ascontiguousarray(eco), demand=demand, forecast=None)
