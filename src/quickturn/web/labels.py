"""Display names of the codes the data uses (phases, components, policies, metrics, …).

Each name is an English msgid marked with ``N_`` (extracted like ``_``; the test that checks
the catalog reads them) and translated when shown: ``label(PHASES, "rising", _)``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping


def N_(message: str) -> str:
    """Mark a string for translation without translating it here."""
    return message


PHASES: dict[str, str] = {
    "testing": N_("Testing"),
    "rising": N_("Rising"),
    "peaking": N_("Peaking"),
    "steady": N_("Steady"),
    "decaying": N_("Decaying"),
    "dead": N_("Dead"),
}

COMPONENTS: dict[str, str] = {
    "revenue": N_("Revenue"),
    "discounts": N_("Discounts"),
    "platform_fees": N_("Platform fees"),
    "commission": N_("Creator commission"),
    "ads": N_("Ads"),
    "fulfilment": N_("Fulfilment"),
    "shipping": N_("Shipping"),
    "returns": N_("Returns & refunds"),
    "landed_cost": N_("Landed cost"),
    "samples": N_("Samples"),
    "margin": N_("Margin"),
}

POLICIES: dict[str, str] = {
    "heavy": N_("Heavy pre-stock"),
    "qr": N_("Quick response"),
    "dual": N_("Dual sourcing"),
    "pod": N_("Print on demand"),
    "hybrid": N_("Hybrid (stock + POD)"),
    "chosen": N_("Recommended mix"),
}

METRICS: dict[str, str] = {
    "late_dispatch_rate": N_("Late dispatch rate"),
    "valid_tracking_rate": N_("Valid tracking rate"),
    "seller_fault_cancellation_rate": N_("Seller-fault cancellation rate"),
    "on_time_delivery_rate": N_("On-time delivery rate"),
    "negative_review_rate": N_("Negative review rate"),
    "non_buyer_fault_return_rate": N_("Non-buyer-fault return/refund rate"),
}

HEALTH_STATUS: dict[str, str] = {
    "ok": N_("OK"),
    "near": N_("Near the limit"),
    "breach": N_("Breach"),
    "no_data": N_("No data"),
}

RISKS: dict[str, str] = {
    "high": N_("High"),
    "medium": N_("Medium"),
    "low": N_("Low"),
}

SEVERITIES: dict[str, str] = {
    "block": N_("Blocking"),
    "error": N_("Error"),
    "warn": N_("Warning"),
    "info": N_("Info"),
}

ACTION_KINDS: dict[str, str] = {
    "purchase_order": N_("Purchase order"),
    "pod": N_("Make to order"),
    "transfer": N_("Transfer"),
}

ROUTE_MODES: dict[str, str] = {
    "sea": N_("Sea"),
    "sea_express": N_("Sea express"),
    "air": N_("Air"),
    "express_parcel": N_("Express parcel"),
    "truck": N_("Truck"),
    "pod": N_("Print on demand"),
}

DIMENSIONS: dict[str, str] = {
    "sku": N_("SKU"),
    "content": N_("Video / content"),
    "creator": N_("Creator"),
    "source": N_("Traffic source"),
    "route": N_("Fulfilment path"),
    "model": N_("Operating model"),
    "market": N_("Market"),
    "month": N_("Month"),
}

MODULES: dict[str, str] = {
    "ledger": N_("Ledger"),
    "sense": N_("Sense"),
    "plan": N_("Plan"),
    "health": N_("Health"),
    "comply": N_("Compliance"),
    "backtest": N_("Backtest"),
}

#: the policies a backtest replays (docs/backtest.md)
BACKTEST_POLICIES: dict[str, str] = {
    "quickturn": N_("quickturn (the plan)"),
    "erp": N_("ERP reorder rule"),
    "heavy": N_("Heavy pre-stock"),
    "qr": N_("Quick response"),
    "oracle": N_("Perfect foresight (bound)"),
}

CONTENT_KINDS: dict[str, str] = {
    "video": N_("Video"),
    "live": N_("LIVE"),
    "ad": N_("Ad"),
    "creator_post": N_("Creator post"),
    "image": N_("Image"),
}

TRAFFIC_SOURCES: dict[str, str] = {
    "video": N_("Video"),
    "live": N_("LIVE"),
    "affiliate": N_("Affiliate"),
    "ads": N_("Ads"),
    "organic": N_("Organic"),
    "search": N_("Search"),
    "showcase": N_("Showcase"),
    "other": N_("Other"),
}

OPERATING_MODELS: dict[str, str] = {
    "self_operated": N_("Self-operated"),
    "semi_managed": N_("Semi-managed"),
    "fully_managed": N_("Fully managed"),
}

#: every table of names, for the catalog test
ALL: tuple[Mapping[str, str], ...] = (
    PHASES,
    COMPONENTS,
    POLICIES,
    METRICS,
    HEALTH_STATUS,
    RISKS,
    SEVERITIES,
    ACTION_KINDS,
    ROUTE_MODES,
    DIMENSIONS,
    MODULES,
    BACKTEST_POLICIES,
    CONTENT_KINDS,
    TRAFFIC_SOURCES,
    OPERATING_MODELS,
)


def label(names: Mapping[str, str], code: str | None, _: Callable[[str], str]) -> str:
    """The translated display name of ``code`` (the code itself when unknown, — for none)."""
    if code is None or code == "":
        return "—"
    name = names.get(code)
    return _(name) if name else code
