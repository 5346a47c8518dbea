"""The partitioned roll-up and the ledger built by partitions (bounded memory) equal the
whole-shop build exactly."""

from __future__ import annotations

import polars as pl
from hypothesis import HealthCheck, given, settings
from ledger_shops import Shop, shops
from ledger_snippets import inputs
from test_ledger_domain import ADS_SHOP, COSTING_SHOP, LAMP_SHOP

from quickturn.core.ledger.accounts import GROUPS
from quickturn.core.ledger.engine import build_ledger
from quickturn.core.ledger.findings import finding, sample
from quickturn.core.ledger.findings import merge as merge_findings
from quickturn.core.ledger.incremental import line_fingerprints
from quickturn.core.ledger.inputs import LedgerInputs
from quickturn.core.ledger.postings import postings
from quickturn.core.ledger.reports import rollup
from quickturn.core.ledger.stream import build_partitions, rollup_partitions, spill_partitions
from quickturn.errors import Finding

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


# -- the whole ledger built by partitions of orders ------------------------------------------


def same_ledger(inp: LedgerInputs, k: int) -> None:
    """build_partitions(k partitions) == build_ledger: every frame, and the postings."""
    whole = build_ledger(inp)
    parts = build_partitions(split(inp, k))
    assert parts.lines.columns == whole.lines.columns
    assert parts.lines.equals(whole.lines)
    for name in ("details", "consumption", "ad_allocations", "overhead"):
        a, b = getattr(whole, name), getattr(parts, name)
        assert a.columns == b.columns, name
        assert a.sort(a.columns, nulls_last=True).equals(b.sort(b.columns, nulls_last=True)), name
    for name in ("layers", "ad_pools", "standard_costs"):
        assert getattr(whole, name).equals(getattr(parts, name)), name
    assert parts.as_of == whole.as_of and parts.by_layer == whole.by_layer
    pw, pp = postings(whole), postings(parts)
    assert pw.sort("entry_key").equals(pp.sort("entry_key"))
    fw, fp = line_fingerprints(whole), line_fingerprints(parts)
    assert fw.equals(fp)
    # one finding per kind, with the whole shop's counts and lists
    assert sorted(f.message for f in parts.findings) == sorted(f.message for f in whole.findings)


def test_built_by_partitions_equals_the_whole_build_on_domain_shops() -> None:
    for text in (LAMP_SHOP, COSTING_SHOP, ADS_SHOP):
        inp = inputs(text)
        for k in (1, 2, 3):
            same_ledger(inp, k)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(shops(max_orders=8))
def test_built_by_partitions_equals_the_whole_build(shop: Shop) -> None:
    same_ledger(shop.inputs(), 3)


def test_findings_of_partitions_merge_into_one_per_kind() -> None:
    def weight(skus: list[str]) -> Finding:
        return finding(
            "LEDGER_WEIGHT_MISSING",
            "warn",
            "{n} SKU(s) have no weight: {skus}",
            value=skus,
            counts_value="n",
            n=len(skus),
            skus=sample(skus),
        )

    def orphan(ids: list[str]) -> Finding:
        return finding(
            "LEDGER_LINE_UNKNOWN_ORDER",
            "error",
            "{n} order line(s) refer to orders that do not exist: {ids}",
            source="order_lines",
            n=len(ids) * 2,
            ids=sample(ids),
            record={"order_ids": ids},
        )

    other = Finding("X", "info", "made without a template")
    out = merge_findings(
        [weight(["A", "B"]), orphan(["o1", "o2", "o3"]), other, weight(["B", "C"]), orphan(["o4"])]
    )
    assert [f.message for f in out] == [
        "3 SKU(s) have no weight: A, B, C",  # B counted once
        "8 order line(s) refer to orders that do not exist: o1, o2, o3, o4",
        "made without a template",
    ]
    assert out[0].value == ["A", "B", "C"]
    assert out[1].record == {"order_ids": ["o1", "o2", "o3", "o4"]}
    assert out[1].message_zh and "8" in out[1].message_zh
    many = merge_findings([orphan([f"a{i}" for i in range(6)]), orphan(["b1"])])
    assert many[0].message.endswith("a0, a1, a2, a3, a4 … (+2)")  # a5 and b1
    assert merge_findings([other, other]) == [other, other]


def same_spilled(inp: LedgerInputs, k: int) -> None:
    """spill_partitions: partition by partition, the whole build's rows of those orders."""
    whole = build_ledger(inp)
    with spill_partitions(split(inp, k)) as spilled:
        parts = list(spilled.partitions())
        assert spilled.n_lines == whole.lines.height and spilled.as_of == whole.as_of
        assert sorted(f.message for f in spilled.findings) == sorted(
            f.message for f in whole.findings
        )
    assert pl.concat([p.lines for p in parts]).equals(whole.lines)
    for name in ("details", "consumption", "ad_allocations", "overhead"):
        a = getattr(whole, name)
        b = pl.concat([getattr(p, name) for p in parts])
        assert a.sort(a.columns, nulls_last=True).equals(b.sort(b.columns, nulls_last=True)), name
    assert (
        pl.concat([postings(p) for p in parts])
        .sort("entry_key")
        .equals(postings(whole).sort("entry_key"))
    )
    fps = pl.concat([line_fingerprints(p) for p in parts])
    assert fps.equals(line_fingerprints(whole))
    assert not spilled.directory.exists()


def test_spilled_partitions_equal_the_whole_build_on_domain_shops() -> None:
    for text in (LAMP_SHOP, COSTING_SHOP, ADS_SHOP):
        inp = inputs(text)
        for k in (1, 2, 3):
            same_spilled(inp, k)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(shops(max_orders=8))
def test_spilled_partitions_equal_the_whole_build(shop: Shop) -> None:
    same_spilled(shop.inputs(), 3)
