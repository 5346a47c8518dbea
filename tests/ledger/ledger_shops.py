"""Hypothesis strategies: small random shops (SKUs with cost layers, orders, returns and,
for some orders, complete settlement statements) plus a plain-Decimal reference of what the
platform should pay for an order that has no statement."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

import polars as pl
from hypothesis import strategies as st

from quickturn.core.ledger.inputs import LedgerInputs, typed

CENT = Decimal("0.01")
START = datetime(2026, 3, 1, 20, 0)
FBT_SINGLE = {0.5: Decimal("3.58"), 1: Decimal("4.18"), 2: Decimal("5.08")}
FBT_MULTI = {0.5: Decimal("2.86"), 1: Decimal("3.46"), 2: Decimal("4.36")}


def cents(x: Decimal) -> Decimal:
    return x.quantize(CENT, rounding=ROUND_HALF_UP)


money = st.integers(min_value=1, max_value=50_000).map(lambda c: Decimal(c) / 100)


@dataclass
class Shop:
    frames: dict[str, list[dict[str, object]]] = field(default_factory=dict)
    settled: set[str] = field(default_factory=set)

    def add(self, table: str, **row: object) -> None:
        self.frames.setdefault(table, []).append(row)

    def inputs(self) -> LedgerInputs:
        return LedgerInputs.from_frames(self.polars())

    def polars(self) -> dict[str, pl.DataFrame]:
        out = {}
        for t, rows in self.frames.items():
            cols = sorted({k for r in rows for k in r})
            df = pl.DataFrame([{c: r.get(c) for c in cols} for r in rows], infer_schema_length=None)
            out[t] = typed(t, df)
        return out


@st.composite
def shops(draw: st.DrawFn, *, max_orders: int = 6, with_settlements: bool = True) -> Shop:
    shop = Shop()
    n_skus = draw(st.integers(1, 3))
    weights = [draw(st.sampled_from([200, 400, 800])) for _ in range(n_skus)]
    for i in range(n_skus):
        sku = f"S{i}"
        shop.add(
            "skus",
            sku_id=sku,
            title=sku,
            unit_cost=draw(money),
            cost_currency="USD",
            weight_g=float(weights[i]),
            duty_rate=Decimal("0.05"),
        )
        for j in range(draw(st.integers(0, 2))):
            sid = f"SH{i}{j}"
            qty = draw(st.integers(1, 20))
            shop.add(
                "purchase_orders",
                po_id=f"P{i}{j}",
                sku_id=sku,
                ordered_on=date(2026, 1, 1),
                quantity=qty,
                unit_cost=draw(money),
                currency="USD",
            )
            shop.add(
                "shipments",
                shipment_id=sid,
                route_id="SEA",
                shipped_on=date(2026, 1, 5 + j),
                arrived_on=date(2026, 2, 1 + 10 * j),
                freight_cost=draw(money),
                currency="USD",
            )
            shop.add("shipment_lines", shipment_id=sid, sku_id=sku, po_id=f"P{i}{j}", quantity=qty)
    shop.add("creators", creator_id="C1", handle="@c", commission_rate=Decimal("0.15"))
    n_orders = draw(st.integers(1, max_orders))
    for k in range(n_orders):
        oid = f"O{k}"
        fbt = draw(st.booleans())
        ship_fee = draw(st.sampled_from([Decimal(0), Decimal("4.99")]))
        ship_sd = draw(st.sampled_from([Decimal(0), Decimal("1.00")]))
        ship_pd = draw(st.sampled_from([Decimal(0), Decimal("0.50")]))
        created = START + timedelta(days=k, minutes=draw(st.integers(0, 600)))
        shop.add(
            "orders",
            order_id=oid,
            currency="USD",
            status="DELIVERED",
            created_at=created,
            delivered_at=created + timedelta(days=4),
            shipped_at=created + timedelta(days=1),
            fulfillment_type="FULFILLMENT_BY_TIKTOK" if fbt else "FULFILLMENT_BY_SELLER",
            shipping_fee=ship_fee,
            shipping_fee_seller_discount=ship_sd,
            shipping_fee_platform_discount=ship_pd,
        )
        skus = draw(st.lists(st.integers(0, n_skus - 1), min_size=1, max_size=n_skus, unique=True))
        lines = []
        for i in skus:
            qty = draw(st.integers(1, 4))
            price = draw(money)
            gross = price * qty
            sdisc = cents(gross * Decimal(draw(st.integers(0, 30))) / 100)
            pdisc = cents(gross * Decimal(draw(st.integers(0, 20))) / 100)
            tax = cents((gross - sdisc - pdisc) * Decimal("0.07"))
            creator = draw(st.booleans())
            row = dict(
                order_id=oid,
                sku_id=f"S{i}",
                quantity=qty,
                unit_price=price,
                seller_discount=sdisc,
                platform_discount=pdisc,
                tax=tax,
                creator_id="C1" if creator else None,
                traffic_source="affiliate" if creator else "organic",
            )
            shop.add("order_lines", **row)
            lines.append(row)
        returns = []
        for n, row in enumerate(lines):
            if draw(st.integers(0, 3)) == 0:
                rq = draw(st.integers(1, int(row["quantity"])))  # type: ignore[call-overload]
                paid = (
                    Decimal(row["unit_price"]) * int(row["quantity"])
                    - Decimal(row["seller_discount"])
                    - Decimal(row["platform_discount"])
                    + Decimal(row["tax"])
                )  # type: ignore[arg-type]
                refund = cents(paid * rq / int(row["quantity"]))  # type: ignore[call-overload]
                disp = draw(st.sampled_from(["resellable", "unsellable", "not_returned"]))
                rid = f"R{k}_{n}"
                shop.add(
                    "returns",
                    return_id=rid,
                    order_id=oid,
                    sku_id=row["sku_id"],
                    quantity=rq,
                    return_type="return_refund",
                    requested_at=created + timedelta(days=6),
                    currency="USD",
                    refund_amount=refund,
                    return_shipping_cost=Decimal("0"),
                    disposition=disp,
                )
                returns.append((row, rq, refund))
        if with_settlements and draw(st.booleans()):
            shop.settled.add(oid)
            _statement(draw, shop, oid, lines, returns, ship_fee, ship_sd, ship_pd, fbt)
    return shop


def _statement(
    draw: st.DrawFn,
    shop: Shop,
    oid: str,
    lines: list[dict[str, object]],
    returns: list[tuple[dict[str, object], int, Decimal]],
    ship_fee: Decimal,
    ship_sd: Decimal,
    ship_pd: Decimal,
    fbt: bool,
) -> None:
    """A complete statement: every family the ledger would otherwise estimate is present."""
    n = 0

    def add(fee_type: str, amount: Decimal, sku: object = None) -> None:
        nonlocal n
        n += 1
        shop.add(
            "settlement_lines",
            statement_id=f"ST{oid}",
            line_id=str(n),
            statement_date=date(2026, 4, 1),
            order_id=oid,
            sku_id=sku,
            fee_type=fee_type,
            amount=amount,
            currency="USD",
        )

    for row in lines:
        gross = Decimal(row["unit_price"]) * int(row["quantity"])  # type: ignore[arg-type, call-overload]
        after = gross - Decimal(row["seller_discount"]) - Decimal(row["platform_discount"])  # type: ignore[arg-type]
        add("revenue", after + Decimal(draw(st.integers(-100, 100))) / 100, row["sku_id"])
        add("platform_discount", Decimal(row["platform_discount"]), row["sku_id"])  # type: ignore[arg-type]
        add("referral_fee", -cents(Decimal(draw(st.integers(0, 800))) / 100))
        add("affiliate_commission", -cents(Decimal(draw(st.integers(0, 500))) / 100), row["sku_id"])
    add("shipping", ship_fee + ship_pd)
    add("shipping_label", -(ship_fee + ship_sd + ship_pd))
    add("transaction_fee", Decimal("-0.30"))
    add("fbt_fulfillment_fee", -Decimal("3.58") if fbt else Decimal(0))
    add("refund", -sum((r for _row, _q, r in returns), Decimal(0)))
    add("refund_administration_fee", -Decimal("0.10") if returns else Decimal(0))
    # refunds after the sale come back as positive referral and commission lines
    add("referral_fee", Decimal(draw(st.integers(1, 300))) / 100 if returns else Decimal(0))
    add("affiliate_commission", Decimal(draw(st.integers(1, 200))) / 100 if returns else Decimal(0))
    add("reserve_hold", Decimal("-2.00"))  # cash only: never in a margin


def fbt_fee(weight_g: float, units_in_order: int) -> Decimal:
    lb = weight_g / 453.59237
    card = FBT_SINGLE if units_in_order == 1 else FBT_MULTI
    for top, fee in card.items():
        if lb <= top:
            return fee
    raise AssertionError(lb)


def reference_net_settlement(shop: Shop, order_id: str) -> Decimal:
    """What the platform should pay for an unsettled order, from the reference fee rules,
    computed in plain Decimal — independent of the engine's integer arithmetic."""
    order = next(o for o in shop.frames["orders"] if o["order_id"] == order_id)
    lines = [r for r in shop.frames["order_lines"] if r["order_id"] == order_id]
    skus = {s["sku_id"]: s for s in shop.frames["skus"]}
    units = sum(int(r["quantity"]) for r in lines)  # type: ignore[call-overload]
    fbt = order["fulfillment_type"] == "FULFILLMENT_BY_TIKTOK"
    ship_fee, ship_sd, ship_pd = (
        Decimal(order[k])
        for k in ("shipping_fee", "shipping_fee_seller_discount", "shipping_fee_platform_discount")
    )  # type: ignore[arg-type]
    total = ship_fee + ship_pd - (Decimal(0) if fbt else ship_fee + ship_sd + ship_pd)
    for r in lines:
        qty = int(r["quantity"])  # type: ignore[call-overload]
        gross = Decimal(r["unit_price"]) * qty  # type: ignore[arg-type]
        sales = gross - Decimal(r["seller_discount"])  # type: ignore[arg-type]
        paid = sales - Decimal(r["platform_discount"]) + Decimal(r["tax"])  # type: ignore[arg-type]
        referral = cents(sales * Decimal("0.06"))
        commission = cents(sales * Decimal("0.15")) if r["creator_id"] else Decimal(0)
        total += sales - referral - commission
        if fbt:
            total -= fbt_fee(float(skus[r["sku_id"]]["weight_g"]), units) * qty  # type: ignore[arg-type]
        for ret in shop.frames.get("returns", []):
            if ret["order_id"] == order_id and ret["sku_id"] == r["sku_id"]:
                refund = Decimal(ret["refund_amount"])  # type: ignore[arg-type]
                share = min(refund, paid) / paid if paid > 0 else Decimal(0)
                ref_back = cents(referral * share)
                admin = min(cents(ref_back * Decimal("0.20")), Decimal(5))
                claw = cents(commission * share)
                total += -seller_refund(r, refund) + ref_back - admin + claw
    return total


def seller_refund(line: dict[str, object], refund: Decimal) -> Decimal:
    """The part of a buyer's refund the seller bears: the same share of its sales (gross −
    seller discount) as the refund is of what the buyer paid (tax and the platform discount are
    not the seller's), plus any refund above what was paid, to the micro-unit (half up)."""
    qty = int(line["quantity"])  # type: ignore[call-overload]
    sales = Decimal(line["unit_price"]) * qty - Decimal(line["seller_discount"])  # type: ignore[arg-type]
    paid = sales - Decimal(line["platform_discount"]) + Decimal(line["tax"])  # type: ignore[arg-type]
    if paid <= 0:
        return refund
    share = (sales * min(refund, paid) / paid).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)
    return share + max(refund - paid, Decimal(0))
