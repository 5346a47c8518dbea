"""``services.ledger.unit_economics`` — the planner's per-SKU price, landed and variable cost."""

from __future__ import annotations

from datetime import date

import pytest
from ledger_snippets import frames

from quickturn.services.ledger import unit_economics
from quickturn.store import Store

SHOP = """
fx_rates        date=2026-01-01 currency=CNY usd_per_unit=0.14
skus            sku_id=MUG title=Mug unit_cost=14.00 cost_currency=CNY weight_g=300 duty_rate=0.05 list_price=20.00
skus            sku_id=NEW title=New lamp unit_cost=70.00 cost_currency=CNY list_price=40.00
skus            sku_id=GHOST title=No cost known list_price=10.00
purchase_orders po_id=P1 sku_id=MUG ordered_on=2026-01-02 quantity=100 unit_cost=14.00 currency=CNY
shipments       shipment_id=S1 route_id=SEA shipped_on=2026-01-10 arrived_on=2026-02-10 freight_cost=50 currency=USD
shipment_lines  shipment_id=S1 sku_id=MUG po_id=P1 quantity=100
# two FBT orders of one mug each; one is returned unsellable
orders          order_id=O1 currency=USD status=DELIVERED created_at=2026-03-02T18:00 fulfillment_type=FULFILLMENT_BY_TIKTOK
order_lines     order_id=O1 sku_id=MUG quantity=1 unit_price=20.00 seller_discount=2.00
orders          order_id=O2 currency=USD status=DELIVERED created_at=2026-03-03T18:00 fulfillment_type=FULFILLMENT_BY_TIKTOK
order_lines     order_id=O2 sku_id=MUG quantity=1 unit_price=20.00 seller_discount=2.00
returns         return_id=R1 order_id=O2 sku_id=MUG quantity=1 return_type=return_refund requested_at=2026-03-10T20:00 currency=USD refund_amount=18.00 disposition=unsellable
"""


def test_unit_economics_per_sku(store: Store) -> None:
    store.write_many(frames(SHOP))
    ue = unit_economics(store, today=date(2026, 4, 1), days=90)
    assert ue.columns[:6] == [
        "sku_id",
        "price_usd",
        "landed_cost_usd",
        "variable_cost_usd",
        "unit_margin_usd",
        "cost_known",
    ]
    rows = {r["sku_id"]: r for r in ue.to_dicts()}
    assert set(rows) == {"MUG", "NEW", "GHOST"}
    mug = rows["MUG"]
    # landed: (100 × 14 CNY × 0.14 + $50 freight + 5% duty on $196) / 100 = $2.558
    assert mug["landed_cost_usd"] == pytest.approx(2.558)
    assert mug["price_usd"] == pytest.approx(18.0)
    # per order: referral 6% × 18 = 1.08, FBT ≤1 lb single unit 4.18; the return: refund 18,
    # referral refunded 1.08, admin fee 0.22, written off (the cost stays in landed cost).
    variable = (2 * (1.08 + 4.18) + 18.0 - 1.08 + 0.22) / 2
    assert mug["variable_cost_usd"] == pytest.approx(variable)
    assert mug["unit_margin_usd"] == pytest.approx(18.0 - 2.558 - variable)
    assert mug["cost_known"] is True
    # no sales: list price, standard cost = 70 CNY × 0.14 = 9.80, shop's variable ratio
    new = rows["NEW"]
    assert new["price_usd"] == pytest.approx(40.0)
    assert new["landed_cost_usd"] == pytest.approx(9.80)
    assert new["variable_cost_usd"] == pytest.approx(40.0 * variable / 18.0)
    assert rows["GHOST"]["cost_known"] is False
    assert rows["GHOST"]["landed_cost_usd"] is None
