"""What is in a generated demo shop, in figures that tell its story (pure, from the frames).

``story_summary(shop)`` returns a JSON-able dict: the shops, the catalog by category and
lifecycle archetype, sales, fulfilment, returns and reviews, content, compliance gaps,
supply and money.  ``quickturn demo`` prints it before each module's section.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from quickturn.demo.generator import DemoShop


def _f(x: Any) -> float:
    return round(float(x or 0), 2)


def story_summary(shop: DemoShop) -> dict[str, Any]:
    t = shop.tables
    cfg = shop.config
    truth = shop.truth
    orders = t["orders"]
    lines = t["order_lines"]
    us = orders.filter((pl.col("market") == "US") & ~pl.col("is_sample_order"))
    gb = orders.filter(pl.col("market") == "GB")
    paid = us.filter(pl.col("status") != "CANCELLED")
    delivered = orders.filter(pl.col("delivered_at").is_not_null() & ~pl.col("is_sample_order"))
    fbs = delivered.filter(pl.col("fulfillment_type") == "FULFILLMENT_BY_SELLER")
    late_dispatch = fbs.filter(pl.col("shipped_at") > pl.col("rts_sla_at")).height
    late_delivery = delivered.filter(pl.col("delivered_at") > pl.col("delivery_sla_at"))
    reviews = t["reviews"].join(
        orders.select(
            "order_id", (pl.col("delivered_at") > pl.col("delivery_sla_at")).alias("late")
        ),
        on="order_id",
    )
    neg = reviews.group_by("late").agg((pl.col("rating") <= 2).mean().alias("p"))
    p_neg = {bool(r["late"]): _f(r["p"]) for r in neg.iter_rows(named=True)}
    certs = t["certificates"]
    as_of = cfg.as_of
    expired = certs.filter(pl.col("expires_on") < as_of)
    skus = t["skus"]
    children = skus.filter(pl.col("is_children"))["sku_id"]
    cpc = certs.filter(
        (pl.col("cert_type") == "CPC")
        & (pl.col("language") == "en")
        & (pl.col("expires_on") >= as_of)
    )
    content = t["content"]
    risky = content.filter(
        pl.col("script").str.contains(
            r"(?i)cure|lose \d+ ?lbs|fat burning|treats|lucky wheel|治疗|减肥|抽奖|转盘"
        )
    )
    shipments = t["shipments"]
    po = t["purchase_orders"]
    settle = t["settlement_lines"]
    us_settle = settle.filter(pl.col("currency") == "USD")
    by_fee = (
        us_settle.group_by("fee_type")
        .agg(pl.col("amount").sum().cast(pl.Float64).round(2))
        .sort("fee_type")
    )
    arche = truth.group_by("archetype").len().sort("archetype")
    dead = truth.filter(pl.col("archetype") == "dead")
    stockout_skus = truth.filter(pl.col("stockout_days") > 0).height
    gmv = (
        paid.join(lines, on="order_id")
        .select(pl.col("subtotal_after_discount").cast(pl.Float64).sum())
        .item()
    )
    returns = t["returns"]
    return {
        "as_of": as_of.isoformat(),
        "history": {"first_day": cfg.start.isoformat(), "days": cfg.days},
        "seed": cfg.seed,
        "shops": t["shops"]
        .select("shop_id", "name", "market", "currency")
        .sort(pl.col("market") != "US", "shop_id")
        .to_dicts(),
        "skus": {
            "total": skus.height,
            "by_category": dict(skus.group_by("category").len().sort("category").iter_rows()),
            "by_lifecycle": dict(arche.iter_rows()),
            "pod_variants": int(truth["pod_only"].sum()),
            "fbt_stocked": int((truth["location"] == 2).sum()),
            "listed_in_gb": int(truth["gb_listed"].sum()),
        },
        "sales": {
            "us_orders": us.height,
            "gb_orders": gb.height,
            "sample_orders": int(orders["is_sample_order"].sum()),
            "order_lines": lines.height,
            "units": int(lines["quantity"].sum()),
            "us_gmv_usd": _f(gmv),
            "cancelled": orders.filter(pl.col("status") == "CANCELLED").height,
            "seller_fault_cancellations": orders.filter(pl.col("cancel_fault") == "seller").height,
            "in_transit_or_awaiting": orders.filter(
                pl.col("status").is_in(["AWAITING_SHIPMENT", "AWAITING_COLLECTION", "IN_TRANSIT"])
            ).height,
        },
        "fulfilment": {
            "late_dispatch_rate": round(late_dispatch / max(fbs.height, 1), 4),
            "late_delivery_rate": round(late_delivery.height / max(delivered.height, 1), 4),
            "by_type": dict(
                orders.group_by("fulfillment_type").len().sort("fulfillment_type").iter_rows()
            ),
        },
        "returns": {
            "count": returns.height,
            "rate": round(returns.height / max(delivered.height, 1), 4),
            "by_fault": dict(returns.group_by("fault").len().sort("fault").iter_rows()),
        },
        "reviews": {
            "count": t["reviews"].height,
            "p_negative_on_time": p_neg.get(False, 0.0),
            "p_negative_late": p_neg.get(True, 0.0),
        },
        "stock": {
            "skus_with_stockouts": stockout_skus,
            "lost_units": int(truth["lost_units"].sum()),
            "dead_skus": dead.height,
            "dead_stock_units": int(dead["end_stock"].sum()),
        },
        "content": {
            "by_kind": dict(content.group_by("kind").len().sort("kind").iter_rows()),
            "creators": t["creators"].height,
            "risky_scripts": risky.height,
            "templated_cross_market": content.filter(
                pl.col("content_id").str.starts_with("TPL-")
            ).height,
            "power_law_skus": int((truth["kernel"] == "power_law").sum()),
            "exponential_skus": int((truth["kernel"] == "exponential").sum()),
        },
        "compliance": {
            "certificates": certs.height,
            "expired": expired.height,
            "children_skus_without_valid_cpc": int(
                (~children.is_in(cpc["sku_id"].implode())).sum()
            ),
        },
        "supply": {
            "purchase_orders": po["po_id"].n_unique(),
            "open_or_in_production": po.filter(pl.col("status").is_in(["open", "ready"]))[
                "po_id"
            ].n_unique(),
            "shipments": shipments.height,
            "in_transit": shipments.filter(pl.col("arrived_on").is_null()).height,
            "by_route": dict(shipments.group_by("route_id").len().sort("route_id").iter_rows()),
        },
        "money": {
            "settlement_statements": settle["statement_id"].n_unique(),
            "us_settlement_by_fee_usd": dict(by_fee.iter_rows()),
            "ad_spend_usd": _f(t["ad_spend"]["spend"].cast(pl.Float64).sum()),
            "bills_usd": _f(t["bills"]["amount"].cast(pl.Float64).sum()),
            "freight_usd": _f(shipments["freight_cost"].cast(pl.Float64).sum()),
        },
    }
