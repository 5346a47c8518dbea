"""The first posting of a shop (an empty journal) is written into a copy of the journal piece
by piece, each piece committed, and swapped in at the end (issue 16: one transaction of a
2M-line shop's 10M postings is held in memory until it commits).  It gives the journal one
transaction gives; interrupted, it leaves the journal as it was; on both backends."""

from __future__ import annotations

import itertools

import polars as pl
import pytest
from test_ledger_incremental import _by_account, _journal_by_account

from quickturn.core.ledger import incremental as inc
from quickturn.core.ledger.postings import postings
from quickturn.errors import StoreError
from quickturn.services import ledger as svc
from quickturn.store import Store
from quickturn.store.base import rebuild_name


def test_first_post_is_staged_and_equals_the_built_ledger(
    demo_store_any: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = demo_store_any
    monkeypatch.setattr(svc, "POST_CHUNK_ORDERS", 700)  # several committed pieces
    pieces: list[int] = []
    write = store.write

    def spy(name: str, frame: pl.DataFrame, **kw: object) -> object:
        if kw.get("into") is not None:
            pieces.append(store._tx_depth)
        return write(name, frame, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(store, "write", spy)
    first = svc.run(store)
    assert first.mode == "full" and first.posted > 0
    # every piece was written on its own (no outer transaction), and more than one
    assert len(pieces) > 3 and set(pieces) == {0}
    assert rebuild_name("ledger_postings") not in store.existing_tables()
    assert rebuild_name("ledger_lines") not in store.existing_tables()
    assert _journal_by_account(store).equals(_by_account(postings(svc.build(store))))
    assert store.count("ledger_lines") == first.result.lines.height
    # a second first post (journal emptied) swaps again: on PostgreSQL the key's index was
    # renamed with its table, so the copy's name is free
    store.delete("ledger_postings")
    store.delete("ledger_lines")
    store.delete("ledger_sources")
    again = svc.run(store)
    assert again.mode == "full" and again.posted == first.posted
    assert _journal_by_account(store).equals(_by_account(postings(svc.build(store))))
    with pytest.raises(StoreError):  # the key is still enforced after the swap
        store.write("ledger_postings", store.table("ledger_postings").head(1), mode="append")


def test_interrupted_first_post_leaves_the_journal_as_it_was(
    demo_store_any: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = demo_store_any
    monkeypatch.setattr(svc, "POST_CHUNK_ORDERS", 700)
    write = store.write
    calls = {"n": 0}

    def failing(name: str, frame: pl.DataFrame, **kw: object) -> object:
        if kw.get("into") is not None:
            calls["n"] += 1
            if calls["n"] == 3:
                raise KeyboardInterrupt  # the user pressed Ctrl+C mid-way
        return write(name, frame, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(store, "write", failing)
    with pytest.raises(KeyboardInterrupt):
        svc.run(store)
    assert store.count("ledger_postings") == 0
    assert store.count("ledger_lines") == 0
    assert rebuild_name("ledger_postings") not in store.existing_tables()
    assert not [r for r in store.table("runs").to_dicts() if r["module"] == "ledger"]
    monkeypatch.setattr(store, "write", write)
    done = svc.run(store)  # re-running is safe
    assert done.mode == "full"
    assert _journal_by_account(store).equals(_by_account(postings(svc.build(store))))


def test_big_shop_inputs_are_let_go_before_posting_and_loaded_on_demand(
    demo_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(svc, "KEEP_INPUTS_MAX_LINES", 0)
    run = svc.run(demo_store)
    assert run.loaded_inputs is None  # not held while posting, nor after
    assert run.inputs.order_lines.height == demo_store.count("order_lines")
    monkeypatch.setattr(svc, "KEEP_INPUTS_MAX_LINES", 10**9)
    demo_store.delete("ledger_sources")  # force a build again
    assert svc.run(demo_store).loaded_inputs is not None


def test_a_big_shop_is_built_by_partitions_of_orders_as_one(
    demo_store_any: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Over PARTITION_ORDERS orders the ledger is built from order-id ranges read one at a
    time (the byte order of ids on both backends): the same ledger, journal and fingerprints
    as one build from every table at once."""
    store = demo_store_any
    whole = svc.build(store, inputs=svc.load_inputs(store))
    n_orders = store.count("orders")
    monkeypatch.setattr(svc, "PARTITION_ORDERS", n_orders // 4 + 1)
    parts = list(svc.load_partitions(store, svc.PARTITION_ORDERS))
    assert len(parts) == 4
    for t in ("orders", "order_lines", "settlement_lines", "returns", "bills"):
        assert sum(getattr(p, t).height for p in parts) == store.count(t), t
    ids = [p.orders["order_id"] for p in parts]
    assert all(a.max() < b.min() for a, b in itertools.pairwise(ids))  # type: ignore[operator]
    built = svc.build(store)
    assert built.lines.equals(whole.lines)
    assert postings(built).sort("entry_key").equals(postings(whole).sort("entry_key"))
    assert inc.line_fingerprints(built).equals(inc.line_fingerprints(whole))
    assert sorted(f.message for f in built.findings) == sorted(f.message for f in whole.findings)
    first = svc.run(store)
    assert first.mode == "full" and first.posted > 0
    assert _journal_by_account(store).equals(_by_account(postings(whole)))
    assert svc.run(store).mode == "unchanged"
