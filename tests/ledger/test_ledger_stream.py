"""The partitioned roll-up (bounded memory) equals the full ledger's roll-up exactly."""

from __future__ import annotations

import polars as pl
from hypothesis import HealthCheck, given, settings
from ledger_shops import Shop, shops
from ledger_snippets import inputs
from test_ledger_domain import ADS_SHOP, COSTING_SHOP, LAMP_SHOP

from quickturn.core.ledger.accounts import GROUPS
from quickturn.core.ledger.engine import build_ledger
from quickturn.core.ledger.inputs import LedgerInputs
from quickturn.core.ledger.reports import rollup
from quickturn.core.ledger.stream import rollup_partitions

ORDER_SCOPED = ("orders", "order_lines", "returns", "settlement_lines", "bills")


def split(inp: LedgerInputs, k: int) -> list[LedgerInputs]:
    """k partitions by contiguous ranges of order ids (shop-level rows go to the first)."""
    ids = inp.orders["order_id"].sort().to_list()
    bounds = [ids[len(ids) * i // k] for i in range(1, k)] if ids else []
    parts = []
    for i in range(k):
        lo = bounds[i - 1] if i > 0 else None
        hi = bounds[i] if i < k - 1 else None

        def keep(
            df: pl.DataFrame, lo: str | None = lo, hi: str | None = hi, first: bool = i == 0
        ) -> pl.DataFrame:
            c = pl.col("order_id")
            cond = pl.lit(True)
            if lo is not None:
                cond = cond & (c >= lo)
            if hi is not None:
                cond = cond & (c < hi)
            return df.filter(cond.fill_null(first))

        parts.append(inp.replace(**{t: keep(getattr(inp, t)) for t in ORDER_SCOPED}))
    return parts


def full(inp: LedgerInputs, by: list[str]) -> pl.DataFrame:
    res = build_ledger(inp, detail=False)
    return rollup(res.lines, res.overhead, by=by, as_decimal=False)


def same(a: pl.DataFrame, b: pl.DataFrame, keys: list[str]) -> None:
    cols = [*keys, "orders", "units", *GROUPS, "margin"]
    x = a.select(cols).sort(keys, nulls_last=True)
    y = (
        b.select(cols)
        .with_columns(pl.col("orders").cast(x["orders"].dtype))
        .sort(keys, nulls_last=True)
    )
    assert x.equals(y), f"\n{x}\n{y}"


def test_streamed_rollup_equals_the_full_ledger_on_domain_shops() -> None:
    for text in (LAMP_SHOP, COSTING_SHOP, ADS_SHOP):
        inp = inputs(text)
        for k in (1, 2, 3):
            out, _ = rollup_partitions(split(inp, k), by=["sku", "day"])
            same(out, full(inp, ["sku", "day"]), ["sku_id", "day"])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(shops(max_orders=8))
def test_streamed_rollup_equals_the_full_ledger(shop: Shop) -> None:
    inp = shop.inputs()
    for by, keys in (
        (["sku", "day"], ["sku_id", "day"]),
        (["creator", "month"], ["creator_id", "month"]),
    ):
        out, _ = rollup_partitions(split(inp, 3), by=by)
        same(out, full(inp, by), keys)
