"""Findings for metrics that breach, or come within a margin of, their thresholds.

Data flow: rolling metrics frame + offending orders (``metrics.offenders``) → one
:class:`~quickturn.errors.Finding` per metric whose status is ``breach`` (severity
``error``) or ``near`` (``warning``), in English and Simplified Chinese (catalog
``locale/zh/LC_MESSAGES/health.po``).  The message names the first offending orders; the
``record`` carries all of them (up to 1,000) with the window, counts and threshold.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from quickturn.core.health.params import DIRECTION, METRICS, SHORT, HealthParams
from quickturn.errors import Finding
from quickturn.i18n import gettext

#: English display names (msgids of the catalog).
NAMES: dict[str, str] = {
    "late_dispatch_rate": "Late dispatch rate",
    "valid_tracking_rate": "Valid tracking rate",
    "seller_fault_cancellation_rate": "Seller-fault cancellation rate",
    "on_time_delivery_rate": "On-time delivery rate",
    "negative_review_rate": "Negative review rate",
    "non_buyer_fault_return_rate": "Non-buyer-fault return/refund rate",
}

FIXES: dict[str, str] = {
    "late_dispatch_rate": "Hand orders to the carrier before their dispatch deadline "
    "(2 business days, 23:59 US Pacific): keep US stock for fast sellers and check your "
    "warehouse's daily pick-up cut-off.",
    "valid_tracking_rate": "Use TikTok Shipping labels, or upload a valid tracking number "
    "with real carrier scans for every package.",
    "seller_fault_cancellation_rate": "Keep listed stock in sync with the warehouse and "
    "restock fast sellers before they run out; never cancel a confirmed order yourself.",
    "on_time_delivery_rate": "Ship the affected SKUs from a US warehouse with a faster "
    "service, or set a longer handling time for made-to-order items.",
    "negative_review_rate": "Read the 1–2★ reviews of these orders: late deliveries and "
    "quality problems cause most of them; contact the buyers and fix the cause.",
    "non_buyer_fault_return_rate": "Check why these orders came back (damaged, wrong "
    "item, not as described) and fix packaging, picking or the listing.",
}

MAX_RECORD_ORDERS = 1000


def metric_name(metric: str, lang: str = "en") -> str:
    return gettext(NAMES[metric], lang)


def pct(x: float | None) -> str:
    """A rate as a percentage with one decimal (two below 1%)."""
    if x is None:
        return "—"
    return f"{x:.2%}" if 0 < abs(x) < 0.01 else f"{x:.1%}"


def _both(msgid: str, **kw: Any) -> tuple[str, str]:
    return gettext(msgid, "en", **kw), gettext(msgid, "zh", **kw)


def threshold_findings(
    rolling: pl.DataFrame, offenders: pl.DataFrame, params: HealthParams
) -> list[Finding]:
    """Breach (error) and near-threshold (warning) findings, naming the orders."""
    out: list[Finding] = []
    by_metric = {
        m: offenders.filter(pl.col("metric") == m)["order_id"].to_list()
        for m in METRICS
        if offenders.height
    }
    for r in rolling.to_dicts():
        m, status = r["metric"], r["status"]
        if status not in ("breach", "near"):
            continue
        orders: list[str] = by_metric.get(m, [])
        shown = orders[: params.max_orders_named]
        more = len(orders) - len(shown)
        op = "≤" if DIRECTION[m] == "max" else "≥"
        kw_common: dict[str, Any] = {
            "value": pct(r["value"]),
            "op": op,
            "threshold": pct(r["threshold"]),
            "bad": f"{r['offending']:,}",
            "total": f"{r['denominator']:,}",
            "start": r["window_start"].isoformat(),
            "end": r["window_end"].isoformat(),
            "orders": ", ".join(shown),
            "margin": f"{params.margin:.0%}",
        }
        msgid = (
            "{name} is {value}, beyond the limit {op} {threshold}: {bad} of {total} orders "
            "between {start} and {end} count against it. Orders: {orders}"
            if status == "breach"
            else "{name} is {value}, within {margin} of the limit {op} {threshold}: {bad} of "
            "{total} orders between {start} and {end} count against it. Orders: {orders}"
        )
        en = gettext(msgid, "en", name=NAMES[m], **kw_common)
        zh = gettext(msgid, "zh", name=metric_name(m, "zh"), **kw_common)
        if more > 0:
            more_en, more_zh = _both(" (+{n} more)", n=more)
            en, zh = en + more_en, zh + more_zh
        fix_en, fix_zh = _both(FIXES[m])
        out.append(
            Finding(
                code=f"HEALTH_{SHORT[m]}_{'BREACH' if status == 'breach' else 'NEAR'}",
                severity="error" if status == "breach" else "warn",
                message=en,
                message_zh=zh,
                source="health",
                column=m,
                value=r["value"],
                expected=f"{op} {pct(r['threshold'])}",
                fix=fix_en,
                fix_zh=fix_zh,
                record={
                    "metric": m,
                    "status": status,
                    "value": r["value"],
                    "threshold": r["threshold"],
                    "numerator": r["numerator"],
                    "denominator": r["denominator"],
                    "offending": r["offending"],
                    "window_start": r["window_start"].isoformat(),
                    "window_end": r["window_end"].isoformat(),
                    "orders": orders[:MAX_RECORD_ORDERS],
                    "orders_truncated": len(orders) > MAX_RECORD_ORDERS,
                },
            )
        )
    return out


def info_finding(code: str, msgid: str, fix: str | None = None, **kw: Any) -> Finding:
    """An ``info`` finding with English and Chinese text from the catalog."""
    en, zh = _both(msgid, **kw)
    fix_en, fix_zh = _both(fix, **kw) if fix else (None, None)
    return Finding(
        code=code,
        severity="info",
        message=en,
        message_zh=zh,
        source="health",
        fix=fix_en,
        fix_zh=fix_zh,
        record={k: v for k, v in kw.items()},
    )
