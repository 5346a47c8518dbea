"""The incremental ledger (issue 16): after several imports — new orders, a changed order, a new
statement, a new shipment, returns, a cancellation — the journal posted run by run holds, to the
micro-unit, what a full rebuild gives; an unchanged shop is read back from the journal."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import polars as pl
import pytest

from quickturn.core.ledger.postings import postings
from quickturn.core.ledger.reports import SUM_DIMENSIONS, rollup
from quickturn.services import ledger as svc
from quickturn.store import Store

BYS = ("sku", "order", "line", "creator", "route", "month")
ORDER_TABLES = ("orders", "order_lines", "returns", "settlement_lines")


def _journal_by_account(store: Store) -> pl.DataFrame:
    """Net micro-USD per (order, SKU, account, source) of the stored journal."""
    j = store.table("ledger_postings")
    return _by_account(j.with_columns((pl.col("amount_usd") * 10000).cast(pl.Int64)))


def _by_account(p: pl.DataFrame) -> pl.DataFrame:
    keys = ["order_id", "sku_id", "account", "source_table", "source_key"]
    return (
        p.group_by(keys)
        .agg(pl.col("amount_usd").sum())
        .filter(pl.col("amount_usd") != 0)
        .sort(keys, nulls_last=True)
    )


def assert_journal_is_the_full_ledger(store: Store) -> None:
    fresh = svc.build(store)
    assert _journal_by_account(store).equals(_by_account(postings(fresh)))
    journal = svc.journal_result(store)
    for by in BYS:
        assert rollup(journal.lines, journal.overhead, by=by).equals(
            rollup(fresh.lines, fresh.overhead, by=by)
        ), by
    again = svc.run(store)  # nothing changed since: read from the journal, nothing written
    assert again.mode == "unchanged" and again.posted == 0
    assert again.loaded_result is None and again.loaded_inputs is None  # nothing read yet
    assert again.order_lines == fresh.lines.height and again.as_of == fresh.as_of
    # an unchanged run is rolled up in the database: the same table as from a fresh build
    lo, hi = fresh.lines["order_date"].min(), fresh.lines["order_date"].max()
    mid = lo + (hi - lo) / 2  # type: ignore[operator]
    for by in [*SUM_DIMENSIONS, ["creator", "source"]]:
        for f, t in ((None, None), (mid, None), (None, mid)):
            got = svc.margins(store, by=by, date_from=f, date_to=t, run=again)
            want = svc.margins(store, by=by, date_from=f, date_to=t, result=fresh)
            assert got.schema == want.schema and got.equals(want), (by, f, t)
    assert again.loaded_result is None  # margins read no line of the journal
    assert svc.margins(store, by="sku", result=again.result).equals(
        svc.margins(store, by="sku", result=fresh)
    )
    assert svc.margins(store, by="month", run=again).equals(
        svc.margins(store, by="month", result=fresh)
    )


@pytest.fixture()
def demo_batches(demo_frames: dict[str, pl.DataFrame]) -> dict[str, dict[str, pl.DataFrame]]:
    """The test demo split into imports: the first months, the last weeks' orders, their
    statements, one shipment, some returns (held back from the earlier batches)."""
    orders = demo_frames["orders"]
    cut = orders["created_at"].max() - timedelta(days=21)  # type: ignore[operator]
    late = orders.filter(pl.col("created_at") >= cut)["order_id"]
    returned = demo_frames["returns"]["order_id"].unique().sort().head(15)
    ship = demo_frames["shipment_lines"]["shipment_id"].unique().sort()[0]

    def part(
        frames: dict[str, pl.DataFrame], keep: pl.Expr, tables: tuple[str, ...]
    ) -> dict[str, pl.DataFrame]:
        return {t: frames[t].filter(keep) for t in tables if t in frames}

    is_late = pl.col("order_id").is_in(late.implode())
    first = {
        t: df
        for t, df in demo_frames.items()
        if t not in ORDER_TABLES and t not in ("shipments", "shipment_lines")
    }
    first.update(part(demo_frames, ~is_late, ("orders", "order_lines")))
    first["settlement_lines"] = demo_frames["settlement_lines"].filter(~is_late)
    first["returns"] = demo_frames["returns"].filter(
        ~is_late & ~pl.col("order_id").is_in(returned.implode())
    )
    is_ship = pl.col("shipment_id") == ship
    first["shipments"] = demo_frames["shipments"].filter(~is_ship)
    first["shipment_lines"] = demo_frames["shipment_lines"].filter(~is_ship)
    return {
        "first": first,
        "new_orders": part(demo_frames, is_late, ("orders", "order_lines")),
        "statements": {"settlement_lines": demo_frames["settlement_lines"].filter(is_late)},
        "shipment": {
            "shipments": demo_frames["shipments"].filter(is_ship),
            "shipment_lines": demo_frames["shipment_lines"].filter(is_ship),
        },
        "returns": {
            "returns": demo_frames["returns"].filter(
                is_late | pl.col("order_id").is_in(returned.implode())
            )
        },
    }


@pytest.mark.parametrize("partitioned", [False, True], ids=["whole", "partitioned"])
def test_incremental_ledger_equals_a_full_rebuild_after_several_imports(
    store: Store,
    demo_batches: dict[str, dict[str, pl.DataFrame]],
    monkeypatch: pytest.MonkeyPatch,
    partitioned: bool,
) -> None:
    # postings are made, diffed and written in chunks of orders: small chunks here, so that
    # every run goes through several (the default chunk holds the whole test shop) — some
    # chunks then hold only standard-cost lines, posted as in the whole ledger
    monkeypatch.setattr(svc, "POST_CHUNK_ORDERS", 997)
    now = datetime(2026, 3, 2, 6)
    store.write_many(demo_batches["first"])
    calls: list[str] = []
    if partitioned:  # a "big" shop: built, checked and posted three partitions at a time
        monkeypatch.setattr(svc, "PARTITION_ORDERS", store.count("orders") // 3 + 1)
        by_parts = svc._run_partitioned

        def spy(*a: Any, **kw: Any) -> svc.LedgerRun:
            r = by_parts(*a, **kw)
            calls.append(r.mode)
            assert r.loaded_result is None and r.summary is not None
            return r

        monkeypatch.setattr(svc, "_run_partitioned", spy)
    first = svc.run(store, now=now)
    assert first.mode == "full" and first.posted > 0
    assert_journal_is_the_full_ledger(store)
    lines_before = store.count("ledger_lines")

    # new orders: only they (and the lines whose FIFO layers or ad shares move) are posted
    store.write_many(demo_batches["new_orders"])
    r = svc.run(store, now=now + timedelta(hours=1))
    assert r.mode == "incremental" and r.posted > 0
    assert 0 < r.orders_reposted < store.count("orders")
    assert store.count("ledger_lines") > lines_before
    assert_journal_is_the_full_ledger(store)

    # a changed order line (the price was corrected): reversal + new entries
    line = demo_batches["new_orders"]["order_lines"].row(0, named=True)
    changed = pl.DataFrame([line]).with_columns(
        (pl.col("unit_price") + 1).alias("unit_price"),
        (pl.col("subtotal_before_discount") + pl.col("quantity")).alias("subtotal_before_discount"),
        (pl.col("subtotal_after_discount") + pl.col("quantity")).alias("subtotal_after_discount"),
    )
    store.write("order_lines", changed)
    r = svc.run(store, now=now + timedelta(hours=2))
    assert r.mode == "incremental" and r.reversed > 0 and r.posted > 0
    assert_journal_is_the_full_ledger(store)

    # statements, a shipment (new FIFO layers), returns: each posted incrementally
    for i, batch in enumerate(("statements", "shipment", "returns")):
        store.write_many(demo_batches[batch])
        r = svc.run(store, now=now + timedelta(hours=3 + i))
        assert r.mode == "incremental" and r.posted + r.reversed > 0, batch
        assert_journal_is_the_full_ledger(store)

    # a cancelled order: every posting of it is reversed, its lines leave the report
    oid = line["order_id"]
    order = store.table("orders", where={"order_id": oid}).with_columns(
        pl.lit("CANCELLED").alias("status")
    )
    store.write("orders", order)
    r = svc.run(store, now=now + timedelta(hours=7))
    assert r.reversed > 0
    assert store.table("ledger_lines", where={"order_id": oid}).height == 0
    # the dashboard's queries net the reversals: the cancelled order counts no line, no money
    from quickturn.store.queries import ledger as q

    mine = q.amounts_by_key_component(store, "order_id").filter(pl.col("key") == oid)
    assert mine.height > 0 and mine["lines"].sum() == 0
    assert mine["amount_usd"].abs().max() < 1e-9  # type: ignore[operator]
    assert_journal_is_the_full_ledger(store)

    # the full rebuild diffs every line against the journal: nothing left to post
    full = svc.run(store, full=True, now=now + timedelta(hours=8))
    assert full.mode == "full" and full.posted == 0 and full.reversed == 0
    if partitioned:
        assert calls[0] == "full" and "incremental" in calls and calls[-1] == "full"


def test_settings_change_is_not_read_from_the_journal(
    store: Store, demo_batches: dict[str, dict[str, pl.DataFrame]]
) -> None:
    store.write_many(demo_batches["first"])
    svc.run(store)
    assert svc.run(store).mode == "unchanged"
    r = svc.run(store, settings={"referral_fee_rate": 0.05})
    assert r.mode == "incremental" and r.reversed > 0
    assert svc.run(store, settings={"referral_fee_rate": 0.05}).mode == "unchanged"
    assert svc.run(store).mode == "incremental"  # back to the default rate


def test_stored_identities_of_orders_by_list_or_scan(
    store: Store, demo_batches: dict[str, dict[str, pl.DataFrame]]
) -> None:
    from quickturn.store.queries import ledger as q

    store.write_many(demo_batches["first"])
    svc.run(store)
    ids = store.table("orders")["order_id"].sort().head(3).to_list()
    by_list = q.posting_identities_of_orders(store, ids)
    by_scan = q.posting_identities_of_orders(store, ids, chunk=2)
    assert by_list.height > 0 and by_list.sort("posting_id").equals(by_scan.sort("posting_id"))
    only = q.posting_identities_of_orders(store, ids, no_order=False, chunk=2)
    assert set(only["order_id"].to_list()) <= set(ids)
