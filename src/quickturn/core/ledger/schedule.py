"""Ledger configuration: the fee schedule, costing and cash-flow rules, with documented defaults.

``LedgerSettings.from_mapping(settings.section("ledger"))`` merges the YAML ``ledger:`` section
over the defaults below.  Unknown keys and bad values raise :class:`ConfigError` naming the key,
the value seen and what is expected.  Every default is a TikTok Shop US reference value from
``docs/ledger.md`` (fees change often: they are configuration, never constants in code).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from decimal import Decimal, InvalidOperation
from typing import Any

from quickturn.errors import ConfigError


@dataclass(frozen=True)
class FbtTier:
    """One weight tier of the Fulfilled-by-TikTok rate card (per unit, USD)."""

    max_weight_lb: Decimal | None  # None: the last, open-ended tier
    single_unit_usd: Decimal  # orders of one unit
    multi_unit_usd: Decimal  # per unit in orders of two or more units


@dataclass(frozen=True)
class ExtraTariff:
    """An additional ad-valorem tariff on top of the HTS duty rate (e.g. Section 301)."""

    name: str
    rate: Decimal
    hs_prefix: str = ""  # applies to SKUs whose HS code starts with this ("" = all)
    origin_country: str = ""  # applies to goods from this supplier country ("" = all)


#: Rate card of 16 Jan 2025: $3.58 single-unit / $2.86 multi-unit is the reference's first tier
#: (tiktok-shop-us.md §2); heavier tiers are placeholders to replace with the current card.
DEFAULT_FBT_RATE_CARD: tuple[FbtTier, ...] = (
    FbtTier(Decimal("0.5"), Decimal("3.58"), Decimal("2.86")),
    FbtTier(Decimal("1"), Decimal("4.18"), Decimal("3.46")),
    FbtTier(Decimal("2"), Decimal("5.08"), Decimal("4.36")),
    FbtTier(Decimal("3"), Decimal("5.98"), Decimal("5.26")),
    FbtTier(Decimal("5"), Decimal("7.38"), Decimal("6.66")),
    FbtTier(Decimal("10"), Decimal("10.38"), Decimal("9.66")),
    FbtTier(None, Decimal("16.98"), Decimal("16.26")),
)

COSTING_METHODS = ("fifo", "moving_average")
ALLOCATIONS = ("weight", "volume", "value")
PERIODS = ("day", "week", "month")
BALANCE_DUE = ("on_ready", "on_shipment", "on_arrival", "net_days")


@dataclass(frozen=True)
class LedgerSettings:
    """Every number the ledger uses that is not in the seller's data."""

    # -- costing ---------------------------------------------------------------------------
    costing_method: str = "fifo"
    freight_allocation: str = "weight"  # used when a shipment does not say
    extra_tariffs: tuple[ExtraTariff, ...] = ()
    # -- platform fees (estimates when no settlement line exists) --------------------------
    referral_fee_rate: Decimal = Decimal("0.06")
    referral_fee_includes_shipping: bool = False
    refund_admin_fee_rate: Decimal = Decimal("0.20")
    refund_admin_fee_cap_usd: Decimal = Decimal("5")
    payment_fee_rate: Decimal = Decimal("0")
    payment_fee_fixed_usd: Decimal = Decimal("0")
    default_commission_rate: Decimal = Decimal("0.10")
    fbt_rate_card: tuple[FbtTier, ...] = DEFAULT_FBT_RATE_CARD
    fbt_dim_divisor: Decimal = Decimal("166")  # in³ per lb
    # -- returns ---------------------------------------------------------------------------
    return_handling_per_unit_usd: Decimal = Decimal("1.00")
    disposal_per_unit_usd: Decimal = Decimal("0")
    # -- attribution -----------------------------------------------------------------------
    ad_allocation_period: str = "week"
    # -- settlement and cash ---------------------------------------------------------------
    settlement_days: int = 7
    expected_delivery_days: int = 8
    reserve_rate: Decimal = Decimal("0")
    reserve_days: int = 30
    default_deposit_rate: Decimal = Decimal("0.30")
    default_balance_due: str = "on_shipment"
    default_balance_days: int = 0
    bill_payment_days: int = 0
    opening_cash_usd: Decimal = Decimal("0")
    run_rate_days: int = 28
    # -- reconciliation --------------------------------------------------------------------
    fee_tolerance_usd: Decimal = Decimal("0.01")
    extra: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_mapping(cls, options: Mapping[str, Any] | None) -> LedgerSettings:
        """Defaults overridden by ``options`` (the ``ledger:`` section of quickturn.yaml)."""
        base = cls()
        if not options:
            return base
        known = {f.name: f for f in fields(cls) if f.name != "extra"}
        changes: dict[str, Any] = {}
        for key, value in options.items():
            if key not in known:
                raise ConfigError(
                    f"ledger: unknown option {key!r}; expected one of: {', '.join(sorted(known))}"
                )
            current = getattr(base, key)
            changes[key] = _coerce(key, value, current)
        out = replace(base, **changes)
        out.check()
        return out

    def check(self) -> None:
        _choice("costing_method", self.costing_method, COSTING_METHODS)
        _choice("freight_allocation", self.freight_allocation, ALLOCATIONS)
        _choice("ad_allocation_period", self.ad_allocation_period, PERIODS)
        _choice("default_balance_due", self.default_balance_due, BALANCE_DUE)
        for name in (
            "referral_fee_rate",
            "refund_admin_fee_rate",
            "payment_fee_rate",
            "default_commission_rate",
            "reserve_rate",
            "default_deposit_rate",
        ):
            v = getattr(self, name)
            if not Decimal(0) <= v <= Decimal(1):
                raise ConfigError(f"ledger: {name} must be a fraction 0–1, got {v}")
        if not self.fbt_rate_card:
            raise ConfigError("ledger: fbt_rate_card needs at least one tier")
        if self.fbt_rate_card[-1].max_weight_lb is not None:
            raise ConfigError(
                "ledger: the last fbt_rate_card tier must be open-ended (max_weight_lb: null)"
            )
        if self.fbt_dim_divisor <= 0:
            raise ConfigError(
                f"ledger: fbt_dim_divisor must be positive, got {self.fbt_dim_divisor}"
            )


def _choice(name: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ConfigError(f"ledger: {name} must be one of {', '.join(allowed)}; got {value!r}")


def _dec(key: str, value: Any) -> Decimal:
    if isinstance(value, bool):
        raise ConfigError(f"ledger: {key} must be a number, got {value!r}")
    try:
        d = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ConfigError(f"ledger: {key} must be a number, got {value!r}") from None
    if not d.is_finite():
        raise ConfigError(f"ledger: {key} must be a finite number, got {value!r}")
    return d


def _coerce(key: str, value: Any, current: Any) -> Any:
    if key == "fbt_rate_card":
        if not isinstance(value, list):
            raise ConfigError(
                f"ledger: fbt_rate_card must be a list of tiers "
                f"{{max_weight_lb, single_unit_usd, multi_unit_usd}}, got {value!r}"
            )
        tiers = []
        for i, t in enumerate(value):
            if not isinstance(t, Mapping):
                raise ConfigError(f"ledger: fbt_rate_card[{i}] must be a mapping, got {t!r}")
            mw = t.get("max_weight_lb")
            tiers.append(
                FbtTier(
                    None if mw is None else _dec(f"fbt_rate_card[{i}].max_weight_lb", mw),
                    _dec(f"fbt_rate_card[{i}].single_unit_usd", t.get("single_unit_usd")),
                    _dec(f"fbt_rate_card[{i}].multi_unit_usd", t.get("multi_unit_usd")),
                )
            )
        return tuple(tiers)
    if key == "extra_tariffs":
        if not isinstance(value, list):
            raise ConfigError(
                f"ledger: extra_tariffs must be a list of {{name, rate, hs_prefix, origin_country}}, got {value!r}"
            )
        out = []
        for i, t in enumerate(value):
            if not isinstance(t, Mapping) or "rate" not in t:
                raise ConfigError(f"ledger: extra_tariffs[{i}] needs at least a rate, got {t!r}")
            rate = _dec(f"extra_tariffs[{i}].rate", t["rate"])
            if not Decimal(0) <= rate <= Decimal(5):
                raise ConfigError(f"ledger: extra_tariffs[{i}].rate must be 0–5, got {rate}")
            out.append(
                ExtraTariff(
                    str(t.get("name") or f"tariff {i + 1}"),
                    rate,
                    str(t.get("hs_prefix") or ""),
                    str(t.get("origin_country") or "").upper(),
                )
            )
        return tuple(out)
    if isinstance(current, bool):
        if not isinstance(value, bool):
            raise ConfigError(f"ledger: {key} must be true or false, got {value!r}")
        return value
    if isinstance(current, Decimal):
        d = _dec(key, value)
        if d < 0:
            raise ConfigError(f"ledger: {key} must not be negative, got {d}")
        return d
    if isinstance(current, int):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ConfigError(f"ledger: {key} must be a whole number ≥ 0, got {value!r}")
        return value
    if isinstance(current, str):
        return str(value)
    raise AssertionError(key)  # pragma: no cover
