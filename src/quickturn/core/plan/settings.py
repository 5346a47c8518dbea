"""Planning parameters with documented defaults (``plan:`` section of ``quickturn.yaml``).

Data flow: a mapping from the configuration file → :func:`plan_settings` (checks names and
types, merges over the defaults) → :class:`PlanSettings`, used by input assembly and the
engine.  Pure: no IO.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

from quickturn.errors import ConfigError


@dataclass(frozen=True)
class PlanSettings:
    """Every planning default in one place (see docs/plan.md for the sources)."""

    #: days simulated from today
    horizon_days: int = 120
    #: demand scenarios (sample paths) per SKU
    scenarios: int = 1000
    #: scenarios used in the parameter search (the chosen parameters are re-evaluated on all)
    search_scenarios: int = 200
    seed: int = 0
    #: SKUs whose scenarios are drawn, simulated and reduced together (peak memory ∝ this)
    chunk_skus: int = 64
    #: objective = E[profit] − λ·CVaR_α(loss)
    risk_alpha: float = 0.95
    risk_lambda: float = 0.2
    #: lost sales (TikTok Shop: a sold-out listing loses the order) or backorders
    backorders: bool = False
    #: annual cost of capital applied to the landed value of stock on hand and in transit
    capital_rate_annual: float = 0.15
    #: what a dead unit fetches at the end of life, as a share of its landed cost
    salvage_rate: float = 0.1
    #: shop-health penalty per unit of demand lost to a stock-out (on top of the lost margin)
    stockout_penalty_usd: float = 1.0
    #: platform referral fee used when the ledger has no unit economics (TikTok Shop US, 2024)
    referral_fee_rate: float = 0.06
    #: creator commission share assumed when the ledger has no unit economics
    commission_rate: float = 0.0
    #: settlement: days after delivery the platform pays out (TikTok Shop US standard: 7)
    settlement_days_after_delivery: float = 7.0
    #: order → delivery days from US stock when the shop has no delivered orders to learn from
    us_delivery_days_mean: float = 4.5
    us_delivery_days_sd: float = 1.5
    #: SD of POD days when not learnt from made-to-order orders
    pod_delivery_days_sd: float = 1.5
    #: delivery days → conversion multiplier, piecewise linear (flat under a week, −2%/day after)
    conversion_curve: tuple[tuple[float, float], ...] = ((0.0, 1.0), (7.0, 1.0), (42.0, 0.3))
    #: leftover stock that sells within this many days after the horizon (at the final
    #: demand rate, fading with the forecast's trend) is not dead stock
    terminal_cover_days: float = 365.0
    #: cash (USD) that stock orders may tie up at any time — deposits, balances and freight
    #: paid less sales settled — shared by the SKUs in proportion to the landed value of
    #: their expected demand; None: no limit (the ``--budget`` flag limits today's orders)
    cash_limit_usd: float | None = None
    #: SKUs with blocking compliance findings get no purchase order
    block_on_compliance: bool = True
    #: location kinds where sellable US stock is held
    stock_location_kinds: tuple[str, ...] = ("us_3pl", "fbt", "platform_warehouse")
    #: location kinds holding bought stock that can be transferred to the US (no production)
    transfer_location_kinds: tuple[str, ...] = ("cn_warehouse",)
    #: route modes that may serve as the slow (cheap) and the fast route
    slow_modes: tuple[str, ...] = ("sea", "truck", "sea_express")
    fast_modes: tuple[str, ...] = ("air", "express_parcel", "sea_express")
    #: days of unit-economics history asked from the ledger
    economics_days: int = 90
    #: price and costs from the ledger's unit economics when it is installed (else the SKU
    #: list and the fee defaults above); false skips the ledger (faster, e.g. in the demo)
    use_ledger: bool = True
    #: production days of fast-route (quick-response) batches when the supplier makes small
    #: batches faster than bulk orders (小单快反 capacity); None: the SKU's production time
    fast_production_days: float | None = None


def plan_settings(options: Mapping[str, Any] | None = None, **overrides: Any) -> PlanSettings:
    """Defaults, then ``options`` (the ``plan:`` configuration section), then ``overrides``.

    >>> plan_settings({"risk_lambda": 0.5}).risk_lambda
    0.5
    """
    known = {f.name: f for f in fields(PlanSettings)}
    merged: dict[str, Any] = {}
    for source in (options or {}), overrides:
        for key, value in source.items():
            if value is None:
                continue
            if key not in known:
                raise ConfigError(
                    f"plan: unknown setting {key!r}; known settings: {', '.join(sorted(known))}"
                )
            default = getattr(PlanSettings(), key)
            merged[key] = _coerce(key, value, 0.0 if default is None else default)
    settings = replace(PlanSettings(), **merged)
    _check(settings)
    return settings


def _coerce(key: str, value: Any, default: Any) -> Any:
    try:
        if isinstance(default, bool):
            if isinstance(value, bool):
                return value
            raise TypeError
        if isinstance(default, int):
            if isinstance(value, bool) or int(value) != value:
                raise TypeError
            return int(value)
        if isinstance(default, float):
            return float(value)
        if key == "conversion_curve":
            return tuple((float(a), float(b)) for a, b in value)
        if isinstance(default, tuple):
            return tuple(str(v) for v in value)
    except (TypeError, ValueError):
        raise ConfigError(
            f"plan: setting {key!r} has value {value!r}; expected {type(default).__name__}"
            + (" of [days, multiplier] pairs" if key == "conversion_curve" else "")
        ) from None
    return value


def _check(s: PlanSettings) -> None:
    problems = []
    if s.horizon_days < 7:
        problems.append(f"horizon_days must be at least 7, got {s.horizon_days}")
    if s.chunk_skus < 1:
        problems.append(f"chunk_skus must be at least 1, got {s.chunk_skus}")
    if s.scenarios < 10:
        problems.append(f"scenarios must be at least 10, got {s.scenarios}")
    if not 0.5 <= s.risk_alpha < 1:
        problems.append(f"risk_alpha must be in [0.5, 1), got {s.risk_alpha}")
    if s.cash_limit_usd is not None and s.cash_limit_usd < 0:
        problems.append(f"cash_limit_usd must be non-negative, got {s.cash_limit_usd}")
    if s.risk_lambda < 0:
        problems.append(f"risk_lambda must be non-negative, got {s.risk_lambda}")
    days = [d for d, _ in s.conversion_curve]
    if len(days) < 2 or days != sorted(days) or any(m < 0 for _, m in s.conversion_curve):
        problems.append("conversion_curve needs ≥ 2 [days, multiplier] pairs, days increasing")
    if problems:
        raise ConfigError("plan: " + "; ".join(problems))


def conversion_multiplier(days: float, curve: tuple[tuple[float, float], ...]) -> float:
    """Conversion at ``days`` of delivery relative to instant delivery (piecewise linear).

    The default curve is flat under a week and loses about 2% per day beyond (Oblander &
    Jerath 2024; Fisher, Gallino & Xu 2019 find ≈ 1.5% per business day):

    >>> curve = PlanSettings().conversion_curve
    >>> conversion_multiplier(5, curve), round(conversion_multiplier(10, curve), 3)
    (1.0, 0.94)
    """
    xs = [d for d, _ in curve]
    ys = [m for _, m in curve]
    if days <= xs[0]:
        return ys[0]
    if days >= xs[-1]:
        return ys[-1]
    for (x0, y0), (x1, y1) in itertools.pairwise(curve):
        if x0 <= days <= x1:
            return y0 + (y1 - y0) * (days - x0) / (x1 - x0) if x1 > x0 else y1
    return ys[-1]  # pragma: no cover
