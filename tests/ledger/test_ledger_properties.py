"""Invariants of the ledger (hypothesis): money balances exactly on random shops."""

from __future__ import annotations

from collections import deque
from decimal import Decimal

import numpy as np
import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ledger_shops import Shop, reference_net_settlement, seller_refund, shops

from quickturn.core.ledger.accounts import ACCOUNT_NAMES, GROUPS
from quickturn.core.ledger.costing import RECEIPT, RESTOCK, REVERSE, SALE, cost_events
from quickturn.core.ledger.engine import build_ledger
from quickturn.core.ledger.postings import postings
from quickturn.core.ledger.reports import rollup

CASH_ONLY = ("reserve_hold", "reserve_release", "ads_payment")
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def usd(micro: int) -> Decimal:
    return Decimal(micro).scaleb(-4)


@SETTINGS
@given(shops())
def test_postings_of_an_order_sum_to_its_net_settlement(shop: Shop) -> None:
    res = build_ledger(shop.inputs())
    p = postings(res).filter(pl.col("settlement") & pl.col("order_id").is_not_null())
    got = {
        r["order_id"]: usd(r["amount_usd"])
        for r in p.group_by("order_id").agg(pl.col("amount_usd").sum()).to_dicts()
    }
    stl = shop.frames.get("settlement_lines", [])
    for order in shop.frames["orders"]:
        oid = str(order["order_id"])
        if oid in shop.settled:
            want = sum(
                (
                    Decimal(s["amount"])
                    for s in stl
                    if s["order_id"] == oid and s["fee_type"] not in CASH_ONLY
                ),
                Decimal(0),
            )  # type: ignore[arg-type]
        else:
            want = reference_net_settlement(shop, oid)
        assert got.get(oid, Decimal(0)) == want, oid


@SETTINGS
@given(shops())
def test_revenue_minus_all_costs_is_the_margin(shop: Shop) -> None:
    res = build_ledger(shop.inputs())
    lines = res.lines
    # per line: the accounts sum to the margin
    diff = lines.select(
        (pl.sum_horizontal([pl.col(a) for a in ACCOUNT_NAMES]) - pl.col("margin")).abs().max()
    ).item()
    assert not diff
    # per line: the waterfall groups sum to the margin
    t = rollup(lines, None, by="line")
    for r in t.to_dicts():
        assert sum((r[g] for g in GROUPS), Decimal(0)) == r["margin"]
    # postings: per line and in total they equal the wide lines (+ overhead)
    p = postings(res)
    per_line = (
        p.filter(pl.col("order_id").is_not_null())
        .group_by("order_id", "sku_id")
        .agg(pl.col("amount_usd").sum())
    )
    joined = lines.select("order_id", "sku_id", "margin").join(
        per_line, on=["order_id", "sku_id"], how="full", coalesce=True
    )
    assert (
        joined.select(
            (pl.col("margin").fill_null(0) - pl.col("amount_usd").fill_null(0)).abs().max()
        ).item()
        == 0
    )
    assert int(p["amount_usd"].sum()) == int(lines["margin"].sum()) + int(
        res.overhead["amount_usd"].sum() or 0
    )
    # the roll-up by SKU adds up to the same total
    assert sum(rollup(lines, res.overhead, by="sku")["margin"].to_list(), Decimal(0)) == usd(
        int(p["amount_usd"].sum())
    )


@SETTINGS
@given(shops(with_settlements=False))
def test_a_return_reverses_exactly_what_it_should(shop: Shop) -> None:
    res = build_ledger(shop.inputs())
    returns = {(r["order_id"], r["sku_id"]): r for r in shop.frames.get("returns", [])}
    for row in res.lines.to_dicts():
        ret = returns.get((row["order_id"], row["sku_id"]))
        if ret is None:
            for a in (
                "refunds",
                "referral_fee_refund",
                "commission_clawback",
                "cogs_reversal",
                "return_write_off",
            ):
                assert row[a] == 0
            continue
        full = int(ret["quantity"]) == row["quantity"]  # type: ignore[call-overload]
        # the seller bears its share of the sales (tax and platform discount are not its own)
        refund = Decimal(ret["refund_amount"])  # type: ignore[arg-type]
        src = next(
            r
            for r in shop.frames["order_lines"]
            if (r["order_id"], r["sku_id"]) == (row["order_id"], row["sku_id"])
        )
        assert -usd(row["refunds"]) == seller_refund(src, refund)
        # never more than the sale: fees and commission come back at most in full
        assert 0 <= row["referral_fee_refund"] <= -row["referral_fee"]
        assert 0 <= row["commission_clawback"] <= -row["commission"]
        assert 0 <= row["cogs_reversal"] <= -row["cogs"]
        if full:
            # a full refund gives back the whole referral fee and commission, and the cost of
            # every unit is reversed exactly (restocked or written off)
            assert row["referral_fee_refund"] == -row["referral_fee"]
            assert row["commission_clawback"] == -row["commission"]
            assert row["cogs_reversal"] == -row["cogs"]
        if ret["disposition"] == "resellable":
            assert row["return_write_off"] == 0
        else:
            assert row["return_write_off"] == -row["cogs_reversal"]


def _reference_fifo(
    events: list[tuple[int, int, int, int]],
) -> tuple[list[tuple[int, int]], int, int]:
    """Plain-Python FIFO with the same rounding (floor of the remaining layer's share).

    A restocked layer has the sale's cost; its cost is unknown when the sale had units of
    unknown cost, and units taken from it count as unknown again.  Returns the per-event
    (cost, unknown units), the units left in stock and the units sold beyond the stock.
    """
    short = 0
    out: list[tuple[int, int]] = []
    layers: deque[list[int]] = deque()  # [units, cost, known]
    returned: dict[int, int] = {}
    for kind, qty, cost, ref in events:
        if kind == RECEIPT:
            layers.append([qty, cost, 1])
            out.append((0, 0))
        elif kind == SALE:
            need, c, unknown = qty, 0, 0
            while need and layers:
                u, v, known = layers[0]
                take = min(need, u)
                part = v if take == u else v * take // u
                if known:
                    c += part
                else:
                    unknown += take
                layers[0][0] -= take
                layers[0][1] -= part
                need -= take
                if layers[0][0] == 0:
                    layers.popleft()
            short += need
            out.append((c, unknown + need))
        else:
            n_sale = events[ref][1]
            done = returned.get(ref, 0)
            q = min(qty, n_sale - done)
            sc = out[ref][0]
            part = sc * (done + q) // n_sale - sc * done // n_sale
            returned[ref] = done + q
            out.append((part, 0))
            if kind == RESTOCK and q > 0:
                layers.append([q, part, int(out[ref][1] == 0)])
    return out, sum(layer[0] for layer in layers), short


@st.composite
def event_streams(draw: st.DrawFn) -> list[tuple[int, int, int, int]]:
    events: list[tuple[int, int, int, int]] = []
    sales: list[int] = []
    for _ in range(draw(st.integers(1, 30))):
        kind = draw(
            st.sampled_from([RECEIPT, SALE, SALE, RESTOCK, REVERSE] if sales else [RECEIPT, SALE])
        )
        if kind == RECEIPT:
            events.append((RECEIPT, draw(st.integers(1, 50)), draw(st.integers(0, 10**9)), 0))
        elif kind == SALE:
            sales.append(len(events))
            events.append((SALE, draw(st.integers(1, 40)), 0, 0))
        else:
            ref = draw(st.sampled_from(sales))
            events.append((kind, draw(st.integers(1, events[ref][1])), 0, ref))
    return events


@settings(max_examples=200, deadline=None)
@given(event_streams())
def test_fifo_layers_never_go_negative_and_match_a_plain_fifo(
    events: list[tuple[int, int, int, int]],
) -> None:
    n = len(events)
    kind = np.array([e[0] for e in events], np.int8)
    qty = np.array([e[1] for e in events], np.int64)
    cost = np.array([e[2] for e in events], np.int64)
    ref = np.array([e[3] for e in events], np.int64)
    res = cost_events(np.zeros(n, np.int64), kind, qty, cost, np.ones(n, bool), ref)
    want, left, short = _reference_fifo(events)
    assert [(int(c), int(u)) for c, u in zip(res.cost, res.unknown, strict=True)] == [
        (c, u if events[i][0] == SALE else 0) for i, (c, u) in enumerate(want)
    ]
    pushed = np.array(_effective_returns(events)) > 0  # a restock of 0 units makes no layer
    layer_events = (kind == RECEIPT) | ((kind == RESTOCK) & pushed)
    assert (res.remaining[layer_events] >= 0).all()
    assert (res.remaining[~layer_events] == -1).all()
    assert int(res.remaining[layer_events].sum()) == left
    # units are conserved: received + restocked − sold from stock = left in the layers
    sold_from_stock = int(qty[kind == SALE].sum()) - short
    assert left == int(qty[kind == RECEIPT].sum()) + _restocked_units(events) - sold_from_stock
    # each layer's cost is consumed exactly: a sale's cost equals its consumption records
    per_sale = np.zeros(n, np.int64)
    np.add.at(per_sale, res.cons_sale, np.where(res.cons_cost >= 0, res.cons_cost, 0))
    assert (per_sale[kind == SALE] == res.cost[kind == SALE]).all()


def _effective_returns(events: list[tuple[int, int, int, int]]) -> list[int]:
    """Units each restock/reverse event really takes back (a sale is returned at most once)."""
    done: dict[int, int] = {}
    out = []
    for kind, qty, _c, ref in events:
        q = 0
        if kind in (RESTOCK, REVERSE):
            q = min(qty, events[ref][1] - done.get(ref, 0))
            done[ref] = done.get(ref, 0) + q
        out.append(q)
    return out


def _restocked_units(events: list[tuple[int, int, int, int]]) -> int:
    eff = _effective_returns(events)
    return sum(q for q, e in zip(eff, events, strict=True) if e[0] == RESTOCK)


@settings(max_examples=100, deadline=None)
@given(event_streams())
def test_moving_average_never_creates_or_loses_units(
    events: list[tuple[int, int, int, int]],
) -> None:
    n = len(events)
    kind = np.array([e[0] for e in events], np.int8)
    qty = np.array([e[1] for e in events], np.int64)
    res = cost_events(
        np.zeros(n, np.int64),
        kind,
        qty,
        np.array([e[2] for e in events], np.int64),
        np.ones(n, bool),
        np.array([e[3] for e in events], np.int64),
        method="moving_average",
    )
    assert (res.cost >= 0).all()
    left = int(res.remaining[res.remaining >= 0].sum())
    _want, fifo_left, _short = _reference_fifo(events)
    if (kind == RECEIPT).any():
        assert left == fifo_left  # the same units remain whichever way they are valued
