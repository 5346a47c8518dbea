"""Health settings: platform thresholds, windows, SLA rules and score weights as configuration.

Data flow: ``settings.section("health")`` (a plain mapping from YAML) → :func:`health_params`
→ a frozen :class:`HealthParams` that every other ``core.health`` function takes.  The
defaults are the values of ``shared/reference/tiktok-shop-us.md`` §1 (TikTok Shop US, 2026);
TikTok changes them often, so each one can be overridden under ``health:`` in
``quickturn.yaml``.  Malformed values raise :class:`~quickturn.errors.ConfigError` naming the
key, the value seen and what was expected.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, time
from typing import Any, Literal

from quickturn.errors import ConfigError

#: The six platform metrics, in display order.
METRICS: tuple[str, ...] = (
    "late_dispatch_rate",
    "valid_tracking_rate",
    "seller_fault_cancellation_rate",
    "on_time_delivery_rate",
    "negative_review_rate",
    "non_buyer_fault_return_rate",
)

#: Short codes used in finding codes and compact tables.
SHORT: dict[str, str] = {
    "late_dispatch_rate": "LDR",
    "valid_tracking_rate": "VTR",
    "seller_fault_cancellation_rate": "SFCR",
    "on_time_delivery_rate": "OTDR",
    "negative_review_rate": "NRR",
    "non_buyer_fault_return_rate": "NBFRR",
}

Direction = Literal["max", "min"]

#: ``max``: the metric must stay at or below its threshold; ``min``: at or above.
DIRECTION: dict[str, Direction] = {
    "late_dispatch_rate": "max",
    "valid_tracking_rate": "min",
    "seller_fault_cancellation_rate": "max",
    "on_time_delivery_rate": "min",
    "negative_review_rate": "max",
    "non_buyer_fault_return_rate": "max",
}

#: Reference thresholds (tiktok-shop-us.md §1).  NRR and NBFRR have no published US limit:
#: the defaults are TikTok Shop's targets in other markets (⚠, see docs/health.md).
DEFAULT_THRESHOLDS: dict[str, float] = {
    "late_dispatch_rate": 0.04,
    "valid_tracking_rate": 0.95,
    "seller_fault_cancellation_rate": 0.025,
    "on_time_delivery_rate": 0.80,
    "negative_review_rate": 0.005,
    "non_buyer_fault_return_rate": 0.015,
}

#: Rolling window of each metric in calendar days (SPS table: SFCR/OTDR 30, NRR/returns 60).
DEFAULT_WINDOWS: dict[str, int] = {
    "late_dispatch_rate": 30,
    "valid_tracking_rate": 30,
    "seller_fault_cancellation_rate": 30,
    "on_time_delivery_rate": 30,
    "negative_review_rate": 60,
    "non_buyer_fault_return_rate": 60,
}

#: Business days per order type: dispatch deadline, auto-cancel, deliver-by (from the SLA
#: start).  ``None`` means "no rule without the order's own deadline" (pre-orders: the
#: closing date of the pre-sale is not in the order data).
DEFAULT_SLA_DAYS: dict[str, dict[str, int | None]] = {
    "regular": {"dispatch": 2, "auto_cancel": 7, "deliver": 6},
    # handling time + 4 BD auto-cancel, handling time + 5 BD delivery (reference §1)
    "made_to_order": {"dispatch": 7, "auto_cancel": 11, "deliver": 12},
    "custom_handling": {"dispatch": 7, "auto_cancel": 11, "deliver": 12},
    "back_order": {"dispatch": 15, "auto_cancel": 19, "deliver": 20},
    "pre_order": {"dispatch": None, "auto_cancel": None, "deliver": None},
}

#: Metrics FBT orders are exempt from ("FBT orders are exempt from most of them").
DEFAULT_FBT_EXEMPT: tuple[str, ...] = (
    "late_dispatch_rate",
    "valid_tracking_rate",
    "seller_fault_cancellation_rate",
    "on_time_delivery_rate",
)

#: Metrics creator sample orders are excluded from (SFCR explicitly; SPS excludes samples).
DEFAULT_SAMPLES_EXCLUDED: tuple[str, ...] = (
    "seller_fault_cancellation_rate",
    "on_time_delivery_rate",
    "negative_review_rate",
    "non_buyer_fault_return_rate",
)

#: Approximate Shop Performance Score weights (SPS dimensions we can observe).
DEFAULT_SCORE_WEIGHTS: dict[str, float] = {
    "negative_review_rate": 0.25,
    "non_buyer_fault_return_rate": 0.15,
    "seller_fault_cancellation_rate": 0.20,
    "on_time_delivery_rate": 0.20,
    "late_dispatch_rate": 0.0,
    "valid_tracking_rate": 0.0,
}

#: Olist-calibrated response curve P(first review 1–2★ | days late), see response.py.
#: Reproduced by ``calibrate_response_curve`` on ../shared/data/olist (a test checks it).
OLIST_P_ON_TIME = 0.09299
OLIST_P_MAX = 0.7982
OLIST_TAU_DAYS = 3.361
OLIST_STARS_ON_TIME = 4.2833
OLIST_STARS_MIN = 1.6570
OLIST_STARS_TAU_DAYS = 3.169


@dataclass(frozen=True)
class ScoreParams:
    """Shop Performance Score approximation (see docs/health.md, "Score")."""

    weights: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_SCORE_WEIGHTS))
    #: sub-score when a metric sits exactly on its threshold
    score_at_threshold: float = 3.0
    #: the bad share (as a multiple of the allowed bad share) at which a sub-score reaches 0
    zero_at_multiple: float = 3.0
    #: SPS is only computed with at least this many delivered non-sample orders …
    min_delivered_orders: int = 30
    #: … in this many days
    window_days: int = 90


@dataclass(frozen=True)
class CurveParams:
    """P(first review 1–2★ | d days late) = p_on_time for d ≤ 0, else
    p_on_time + (p_max − p_on_time)·(1 − exp(−d / tau_days))."""

    p_on_time: float = OLIST_P_ON_TIME
    p_max: float = OLIST_P_MAX
    tau_days: float = OLIST_TAU_DAYS


@dataclass(frozen=True)
class ProjectionParams:
    """Assumptions of the plan projection (see docs/health.md, "Projection")."""

    #: share of demand arriving during a stock-out that still becomes an order and is then
    #: cancelled by the seller (inventory sync lag, multi-channel overselling)
    oversell_share: float = 0.15
    #: share of delivered orders that get a review, used when the shop has too little history
    default_review_rate: float = 0.10
    #: minimum delivered orders (90 days) to measure review rate and the shop's own baseline
    min_history_orders: int = 30
    #: fallback order-to-delivery days when the plan does not give them
    fallback_fulfilment_days_mean: float = 5.0
    fallback_fulfilment_days_sd: float = 1.5
    #: days ahead of the as-of date over which deliver-by promises are evaluated
    horizon_days: int = 28
    #: largest lateness (days) tracked by the response-curve integration
    max_late_days: int = 60
    curve: CurveParams = field(default_factory=CurveParams)


@dataclass(frozen=True)
class HealthParams:
    """Everything the health metrics depend on besides the data and the as-of date."""

    #: markets whose orders count (the platform judges the US shop; empty orders.market = US)
    markets: tuple[str, ...] = ("US",)
    timezone: str = "America/Los_Angeles"
    cutoff: time = time(23, 59)
    #: SLA clock starts at payment ("paid": awaiting shipment, 2026 wording) or creation
    sla_clock: Literal["paid", "created"] = "paid"
    extra_holidays: tuple[date, ...] = ()
    thresholds: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_THRESHOLDS))
    #: relative margin: "near" when the bad share exceeds (1 − margin) × the allowed bad share
    margin: float = 0.25
    windows: Mapping[str, int] = field(default_factory=lambda: dict(DEFAULT_WINDOWS))
    sla_days: Mapping[str, Mapping[str, int | None]] = field(
        default_factory=lambda: {k: dict(v) for k, v in DEFAULT_SLA_DAYS.items()}
    )
    #: order of the order's own columns used as dispatch deadline before recomputing
    dispatch_deadline_columns: tuple[str, ...] = ("rts_sla_at", "shipping_due_at")
    fbt_exempt: tuple[str, ...] = DEFAULT_FBT_EXEMPT
    samples_excluded: tuple[str, ...] = DEFAULT_SAMPLES_EXCLUDED
    #: return faults counted as non-buyer-fault
    return_faults: tuple[str, ...] = ("seller", "logistics")
    #: offending orders named in a finding's message (all of them are in ``record``)
    max_orders_named: int = 10
    score: ScoreParams = field(default_factory=ScoreParams)
    projection: ProjectionParams = field(default_factory=ProjectionParams)

    def threshold(self, metric: str) -> float:
        return float(self.thresholds[metric])

    def window(self, metric: str) -> int:
        return int(self.windows[metric])


_TIME = re.compile(r"^(\d{1,2}):(\d{2})$")


def _fail(key: str, value: Any, expected: str) -> ConfigError:
    return ConfigError(f"health.{key}: got {value!r}; expected {expected}")


def _number(key: str, value: Any, lo: float | None = None, hi: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _fail(key, value, "a number")
    v = float(value)
    if (lo is not None and v < lo) or (hi is not None and v > hi):
        raise _fail(key, value, f"a number between {lo} and {hi}")
    return v


def _int(key: str, value: Any, lo: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < lo:
        raise _fail(key, value, f"a whole number ≥ {lo}")
    return value


def _metric_map(key: str, value: Any) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise _fail(key, value, "a mapping of metric → value")
    unknown = [k for k in value if k not in METRICS]
    if unknown:
        raise _fail(key, unknown, "metric names among: " + ", ".join(METRICS))
    return dict(value)


def _metric_list(key: str, value: Any) -> tuple[str, ...]:
    if not isinstance(value, (list, tuple)) or any(v not in METRICS for v in value):
        raise _fail(key, value, "a list of metric names among: " + ", ".join(METRICS))
    return tuple(value)


def _date(key: str, value: Any) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise _fail(key, value, "a date YYYY-MM-DD") from None


def health_params(section: Mapping[str, Any] | None = None) -> HealthParams:
    """Build :class:`HealthParams` from the ``health:`` config section over the defaults."""
    s = dict(section or {})
    p = HealthParams()
    known = {
        "markets",
        "timezone",
        "cutoff",
        "sla_clock",
        "extra_holidays",
        "thresholds",
        "margin",
        "windows",
        "sla_days",
        "dispatch_deadline_columns",
        "fbt_exempt",
        "samples_excluded",
        "return_faults",
        "max_orders_named",
        "score",
        "projection",
    }
    unknown = sorted(set(s) - known)
    if unknown:
        raise _fail(str(unknown[0]), s[unknown[0]], "one of the keys: " + ", ".join(sorted(known)))
    kw: dict[str, Any] = {}
    if "markets" in s:
        mk = s["markets"]
        if not isinstance(mk, (list, tuple)) or not all(isinstance(x, str) for x in mk):
            raise _fail("markets", mk, 'a list of ISO country codes like ["US"] (empty: all)')
        kw["markets"] = tuple(x.upper() for x in mk)
    if "timezone" in s:
        if not isinstance(s["timezone"], str) or "/" not in s["timezone"]:
            raise _fail("timezone", s["timezone"], "an IANA time zone like America/Los_Angeles")
        kw["timezone"] = s["timezone"]
    if "cutoff" in s:
        raw = s["cutoff"]
        if isinstance(raw, int) and not isinstance(raw, bool):  # YAML 1.1 reads 23:59 as 1439
            raw = f"{raw // 60}:{raw % 60:02d}"
        m = _TIME.match(str(raw))
        if not m or int(m.group(1)) > 23 or int(m.group(2)) > 59:
            raise _fail("cutoff", s["cutoff"], 'a time of day "HH:MM"')
        kw["cutoff"] = time(int(m.group(1)), int(m.group(2)))
    if "sla_clock" in s:
        if s["sla_clock"] not in ("paid", "created"):
            raise _fail("sla_clock", s["sla_clock"], "paid or created")
        kw["sla_clock"] = s["sla_clock"]
    if "extra_holidays" in s:
        if not isinstance(s["extra_holidays"], (list, tuple)):
            raise _fail("extra_holidays", s["extra_holidays"], "a list of dates")
        kw["extra_holidays"] = tuple(_date("extra_holidays", v) for v in s["extra_holidays"])
    if "thresholds" in s:
        t = dict(p.thresholds)
        for k, v in _metric_map("thresholds", s["thresholds"]).items():
            t[k] = _number(f"thresholds.{k}", v, 0.0, 1.0)
        kw["thresholds"] = t
    if "margin" in s:
        kw["margin"] = _number("margin", s["margin"], 0.0, 1.0)
    if "windows" in s:
        w = dict(p.windows)
        for k, v in _metric_map("windows", s["windows"]).items():
            w[k] = _int(f"windows.{k}", v, 1)
        kw["windows"] = w
    if "sla_days" in s:
        sla = {k: dict(v) for k, v in p.sla_days.items()}
        if not isinstance(s["sla_days"], Mapping):
            raise _fail("sla_days", s["sla_days"], "a mapping of order type → {dispatch, …}")
        for otype, rule in s["sla_days"].items():
            if otype not in sla or not isinstance(rule, Mapping):
                raise _fail(f"sla_days.{otype}", rule, "order types: " + ", ".join(sla))
            for part, v in rule.items():
                if part not in ("dispatch", "auto_cancel", "deliver"):
                    raise _fail(f"sla_days.{otype}.{part}", v, "dispatch, auto_cancel or deliver")
                sla[otype][part] = None if v is None else _int(f"sla_days.{otype}.{part}", v)
        kw["sla_days"] = sla
    if "dispatch_deadline_columns" in s:
        cols = s["dispatch_deadline_columns"]
        if not isinstance(cols, (list, tuple)) or any(
            c not in ("shipping_due_at", "rts_sla_at") for c in cols
        ):
            raise _fail("dispatch_deadline_columns", cols, "a list of rts_sla_at, shipping_due_at")
        kw["dispatch_deadline_columns"] = tuple(cols)
    if "fbt_exempt" in s:
        kw["fbt_exempt"] = _metric_list("fbt_exempt", s["fbt_exempt"])
    if "samples_excluded" in s:
        kw["samples_excluded"] = _metric_list("samples_excluded", s["samples_excluded"])
    if "return_faults" in s:
        faults = s["return_faults"]
        allowed = ("buyer", "seller", "logistics", "platform", "unknown")
        if not isinstance(faults, (list, tuple)) or any(f not in allowed for f in faults):
            raise _fail("return_faults", faults, "a list among: " + ", ".join(allowed))
        kw["return_faults"] = tuple(faults)
    if "max_orders_named" in s:
        kw["max_orders_named"] = _int("max_orders_named", s["max_orders_named"], 1)
    if "score" in s:
        kw["score"] = _score_params(p.score, s["score"])
    if "projection" in s:
        kw["projection"] = _projection_params(p.projection, s["projection"])
    return replace(p, **kw)


def _score_params(base: ScoreParams, raw: Any) -> ScoreParams:
    if not isinstance(raw, Mapping):
        raise _fail("score", raw, "a mapping")
    kw: dict[str, Any] = {}
    for k, v in raw.items():
        if k == "weights":
            w = dict(base.weights)
            for m, x in _metric_map("score.weights", v).items():
                w[m] = _number(f"score.weights.{m}", x, 0.0)
            if sum(w.values()) <= 0:
                raise _fail("score.weights", v, "at least one positive weight")
            kw["weights"] = w
        elif k == "score_at_threshold":
            kw[k] = _number(f"score.{k}", v, 0.0, 5.0)
        elif k == "zero_at_multiple":
            kw[k] = _number(f"score.{k}", v, 1.0001)
        elif k in ("min_delivered_orders", "window_days"):
            kw[k] = _int(f"score.{k}", v, 0 if k == "min_delivered_orders" else 1)
        else:
            raise _fail(f"score.{k}", v, "weights, score_at_threshold, zero_at_multiple, …")
    return replace(base, **kw)


def _projection_params(base: ProjectionParams, raw: Any) -> ProjectionParams:
    if not isinstance(raw, Mapping):
        raise _fail("projection", raw, "a mapping")
    kw: dict[str, Any] = {}
    for k, v in raw.items():
        if k in ("oversell_share", "default_review_rate"):
            kw[k] = _number(f"projection.{k}", v, 0.0, 1.0)
        elif k in ("fallback_fulfilment_days_mean", "fallback_fulfilment_days_sd"):
            kw[k] = _number(f"projection.{k}", v, 0.0)
        elif k in ("min_history_orders", "horizon_days", "max_late_days"):
            kw[k] = _int(f"projection.{k}", v, 1)
        elif k == "curve":
            if not isinstance(v, Mapping):
                raise _fail("projection.curve", v, "a mapping with p_on_time, p_max, tau_days")
            c = base.curve
            ckw: dict[str, float] = {}
            for ck, cv in v.items():
                if ck in ("p_on_time", "p_max"):
                    ckw[ck] = _number(f"projection.curve.{ck}", cv, 0.0, 1.0)
                elif ck == "tau_days":
                    ckw[ck] = _number(f"projection.curve.{ck}", cv, 1e-6)
                else:
                    raise _fail(f"projection.curve.{ck}", cv, "p_on_time, p_max or tau_days")
            kw["curve"] = replace(c, **ckw)
        else:
            raise _fail(f"projection.{k}", v, "a known projection option (see docs/health.md)")
    return replace(base, **kw)
