"""store.queries on both backends: a small shop written by hand, every query's answer checked
against what the rows say (docs/architecture.md, "Store": no SQL outside store/)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import polars as pl
import pytest

from quickturn.services.economics import unit_economics_from_journal
from quickturn.store import Store
from quickturn.store.queries import content, inventory, ledger, modules, orders, runs

D = date
T = datetime


def _orders(store: Store) -> None:
    store.write(
        "orders",
        pl.DataFrame(
            {
                "order_id": ["O1", "O2", "O3", "O4"],
                "shop_id": ["S1", "S1", "S2", "S1"],
                "status": ["COMPLETED", "CANCELLED", "COMPLETED", "COMPLETED"],
                "order_type": ["NORMAL", "NORMAL", "NORMAL", "NORMAL"],
                "created_at": [
                    T(2026, 2, 10, 10),
                    T(2026, 2, 11, 9),
                    T(2026, 2, 12, 8),
                    T(2026, 1, 1),
                ],
                "delivered_at": [T(2026, 2, 14), None, T(2026, 2, 16), T(2026, 1, 5)],
                "cancelled_at": [None, T(2026, 2, 11, 12), None, None],
                "is_sample_order": [False, False, True, False],
            }
        ),
    )
    store.write(
        "order_lines",
        pl.DataFrame(
            {
                "order_id": ["O1", "O1", "O2", "O3", "O4"],
                "sku_id": ["A", "B", "A", "A", "B"],
                "quantity": [2, 1, 5, 1, 3],
            }
        ),
    )


def _postings(store: Store) -> None:
    rows = [
        # id, order, sku, order_date, date, account, component, usd, sample, source
        ("P1", "O1", "A", D(2026, 2, 10), D(2026, 2, 10), "gross_revenue", "revenue", "40", False),
        ("P2", "O1", "A", D(2026, 2, 10), D(2026, 2, 12), "cogs", "landed_cost", "-10", False),
        ("P3", "O1", "B", D(2026, 2, 10), D(2026, 2, 10), "gross_revenue", "revenue", "15", False),
        (
            "P4",
            "O1",
            "A",
            D(2026, 2, 10),
            D(2026, 2, 20),
            "referral_fee",
            "platform_fees",
            "-3",
            False,
        ),
        ("P5", "O3", "A", D(2026, 2, 12), D(2026, 2, 12), "gross_revenue", "revenue", "20", True),
        ("P6", None, "A", None, D(2026, 2, 15), "storage", "fulfilment", "-2.5", False),
        ("P7", "O4", "B", D(2026, 1, 1), D(2026, 1, 1), "gross_revenue", "revenue", "30", False),
    ]
    store.write(
        "ledger_postings",
        pl.DataFrame(
            {
                "posting_id": [r[0] for r in rows],
                "entry_key": [f"k{r[0]}" for r in rows],
                "order_id": [r[1] for r in rows],
                "sku_id": [r[2] for r in rows],
                "order_date": [r[3] for r in rows],
                "date": [r[4] for r in rows],
                "account": [r[5] for r in rows],
                "component": [r[6] for r in rows],
                "amount_usd": [Decimal(r[7]) for r in rows],
                "amount": [Decimal(r[7]) for r in rows],
                "currency": ["USD"] * len(rows),
                "is_sample": [r[8] for r in rows],
                "source_table": ["order_lines"] * 5 + ["bills", "order_lines"],
                "content_id": ["V1", "V1", None, "V1", None, None, None],
            }
        ),
    )


@pytest.fixture()
def shop(store: Store) -> Store:
    _orders(store)
    _postings(store)
    store.write(
        "locations",
        pl.DataFrame(
            {"location_id": ["L1", "L2", "CN"], "kind": ["us_3pl", "fbt", "cn_warehouse"]}
        ),
    )
    store.write(
        "inventory_snapshots",
        pl.DataFrame(
            {
                "date": [D(2026, 2, 1), D(2026, 2, 3), D(2026, 2, 2), D(2026, 2, 1), D(2026, 2, 4)],
                "sku_id": ["A", "A", "A", "B", "A"],
                "location_id": ["L1", "L1", "L2", "L1", "CN"],
                "on_hand_qty": [10, 7, 4, 5, 100],
                "reserved_qty": [1, None, 0, 9, 0],
            }
        ),
    )
    return store


def test_ledger_aggregates(shop: Store) -> None:
    assert ledger.journal_has_postings(shop)
    lo, hi = D(2026, 2, 1), D(2026, 2, 28)
    comp = ledger.amounts_by_sku_component(shop, lo, hi).sort("sku_id", "component")
    got = {(r["sku_id"], r["component"]): r["amount_usd"] for r in comp.to_dicts()}
    # P6 has no order: its day is its own date
    assert got == {
        ("A", "fulfilment"): -2.5,
        ("A", "landed_cost"): -10.0,
        ("A", "platform_fees"): -3.0,
        ("A", "revenue"): 60.0,
        ("B", "revenue"): 15.0,
    }
    acc = ledger.amounts_by_component_account(shop, lo, hi)
    sample = acc.filter(pl.col("is_sample").fill_null(False))["amount_usd"].sum()
    assert sample == 20.0
    months = ledger.amounts_by_key_component(shop, None)
    assert sorted(set(months["key"].to_list())) == [202601, 202602]
    feb = months.filter((pl.col("key") == 202602) & (pl.col("component") == "revenue"))
    assert feb["amount_usd"][0] == 75.0 and feb["lines"][0] == 3  # O1|A, O1|B, O3|A
    by_video = ledger.amounts_by_key_component(shop, "content_id", days=[(lo, hi)])
    v1 = by_video.filter(pl.col("key") == "V1")
    assert v1["amount_usd"].sum() == 27.0
    nulls = ledger.amounts_by_line_component(shop, equals={"content_id": None}, days=[(lo, hi)])
    assert sorted(nulls["amount_usd"].to_list()) == [-2.5, 15.0, 20.0]
    assert nulls.filter(pl.col("order_id").is_null())["source_table"].to_list() == ["bills"]
    one = ledger.line_postings(shop, order_id="O1", sku_id="A")
    assert sorted(one["posting_id"].to_list()) == ["P1", "P2", "P4"]
    shop_level = ledger.line_postings(shop, order_id=None, sku_id="A")
    assert shop_level["posting_id"].to_list() == ["P6"]
    ids = ledger.posting_identities(shop)
    assert ids.height == 7 and ids.schema["entry_key"] == pl.String


def test_journal_aggregate_and_unit_economics(shop: Store) -> None:
    lo, hi = D(2026, 2, 1), D(2026, 2, 28)
    amounts = ledger.sku_account_amounts(shop, lo, hi)
    # the sample order (P5), the posting of no order (P6) and January (P7) are left out
    assert {(r["sku_id"], r["account"]): r["amount_usd"] for r in amounts.to_dicts()} == {
        ("A", "gross_revenue"): 40.0,
        ("A", "cogs"): -10.0,
        ("A", "referral_fee"): -3.0,
        ("B", "gross_revenue"): 15.0,
    }
    units = ledger.posted_line_units(shop, lo, hi).sort("sku_id")
    # units of the orders the ledger posted revenue for: O1 only (O2 cancelled, O3 sample)
    assert units.to_dicts() == [
        {"sku_id": "A", "units": 2.0, "lines": 1, "lines_without_cost": 0},
        {"sku_id": "B", "units": 1.0, "lines": 1, "lines_without_cost": 1},
    ]
    assert ledger.posted_line_units(shop, lo, hi, sku_ids=[]).height == 0
    assert ledger.sku_account_amounts(shop, lo, hi, sku_ids=["B"])["sku_id"].to_list() == ["B"]
    eco = unit_economics_from_journal(shop, today=D(2026, 3, 1), days=28)
    assert eco is not None
    a, b = eco.to_dicts()
    assert a == {
        "sku_id": "A",
        "price_usd": 20.0,
        "landed_cost_usd": 5.0,
        "variable_cost_usd": 1.5,
        "unit_margin_usd": 13.5,
        "cost_known": True,
        "units_sold": 2.0,
    }
    # B's line has no cost-of-goods posting: its cost is not known (the ledger's all-lines rule)
    assert b["sku_id"] == "B" and b["cost_known"] is False and b["units_sold"] == 1.0
    assert unit_economics_from_journal(shop, today=D(2025, 3, 1), days=28) is None


def test_empty_journal(store: Store) -> None:
    assert not ledger.journal_has_postings(store)
    assert unit_economics_from_journal(store, today=D(2026, 3, 1), days=28) is None


def test_latest_stock_and_shipments(shop: Store) -> None:
    latest = inventory.latest_stock(shop).sort("sku_id", "location_id")
    assert latest.select("sku_id", "location_id", "date", "on_hand_qty").rows() == [
        ("A", "CN", D(2026, 2, 4), 100),
        ("A", "L1", D(2026, 2, 3), 7),
        ("A", "L2", D(2026, 2, 2), 4),
        ("B", "L1", D(2026, 2, 1), 5),
    ]
    before = inventory.latest_stock(shop, before=D(2026, 2, 3), sku_ids=["A"])
    assert sorted(before.select("location_id", "on_hand_qty").rows()) == [("L1", 10), ("L2", 4)]
    assert inventory.latest_stock(shop, location_ids=[]).height == 0
    snaps = inventory.snapshots_between(shop, D(2026, 2, 2), D(2026, 2, 3))
    assert snaps.height == 2
    assert inventory.open_shipment_lines(shop, "A").height == 0


def test_dashboard_stock_uses_the_latest_stock(shop: Store) -> None:
    from quickturn.services.sense.read import stock_on_hand

    got = stock_on_hand(shop).sort("sku_id").rows()
    # A: its newest sellable day is Feb 3 (L1 only; L2's Feb 2 and the Chinese warehouse do
    # not count); B: 5 on hand, 9 reserved → clipped at 0
    assert got == [("A", 7.0, D(2026, 2, 3)), ("B", 0.0, D(2026, 2, 1))]
    assert stock_on_hand(shop, []).height == 0


def test_order_queries(shop: Store) -> None:
    assert orders.orders_per_shop(shop).rows() == [("S1", 3), ("S2", 1)]
    lo, hi = T(2026, 2, 1), T(2026, 3, 1)
    assert orders.lines_created_between(shop, lo, hi).height == 4
    units = orders.units_created_between(shop, lo, hi, exclude_status="CANCELLED")
    assert sorted(units["quantity"].to_list()) == [1, 1, 2]
    assert orders.order_and_unit_counts(shop, lo, hi, exclude_status="CANCELLED") == (2, 4)
    assert orders.order_and_unit_counts(shop, T(2030, 1, 1), T(2030, 2, 1), exclude_status="X") == (
        0,
        0,
    )
    assert orders.delivered_orders(shop, lo, hi).height == 2
    s1 = orders.rows_since(shop, "orders", ["order_id"], "created_at", lo, shop_id="S1")
    assert sorted(s1["order_id"].to_list()) == ["O1", "O2"]


def test_run_and_module_queries(store: Store) -> None:
    assert runs.latest_run_id(store, "plan") is None
    assert runs.latest_as_of(store, ("plan", "sense")) is None
    store.write(
        "runs",
        pl.DataFrame(
            {
                "run_id": ["p-1", "p-2", "p-3", "s-1"],
                "module": ["plan", "plan", "plan", "sense"],
                "created_at": [T(2026, 1, 1), T(2026, 1, 2), T(2026, 1, 2), T(2026, 1, 3)],
                "as_of": [D(2026, 1, 1), D(2026, 1, 2), D(2026, 1, 2), D(2026, 1, 3)],
                "params": ["{}", "{}", '{"kind": "x"}', "{}"],
            }
        ),
    )
    assert runs.latest_run_id(store, "plan") == "p-3"  # ties on created_at: the larger id
    assert runs.runs_of(store, "plan")["run_id"].to_list() == ["p-3", "p-2", "p-1"]
    assert runs.latest_as_of(store, ("plan", "sense")) == D(2026, 1, 3)
    assert runs.count_and_newest(store, "runs", "created_at") == (4, T(2026, 1, 3))
    assert runs.newest_value(store, "runs", "as_of") == D(2026, 1, 3)
    store.write(
        "forecasts",
        pl.DataFrame(
            {
                "run_id": ["s-1"] * 3,
                "sku_id": ["A", "A", "B"],
                "ds": [D(2026, 1, 3), D(2026, 1, 4), D(2026, 1, 3)],
                "mean": [1.0, 3.0, 5.0],
            }
        ),
    )
    fc = modules.mean_daily_forecast(store, "s-1").sort("sku_id")
    assert fc.rows() == [("A", 2.0), ("B", 5.0)]
    store.write(
        "comply_findings",
        pl.DataFrame(
            {
                "run_id": ["c-1"] * 3,
                "finding_id": [2, 1, 3],
                "code": ["X", "Y", "Z"],
                "severity": ["warn", "block", "info"],
                "sku_id": ["A", "A", "B"],
            }
        ),
    )
    assert modules.run_findings(store, "c-1")["finding_id"].to_list() == [1, 2, 3]
    assert modules.run_findings(store, "c-1", sku_id="B")["code"].to_list() == ["Z"]
    store.write(
        "tiktok_webhook_events",
        pl.DataFrame(
            {"notification_id": ["n1", "n2", "n3"], "status": ["pending", "done", "pending"]}
        ),
    )
    assert modules.status_counts(store, "tiktok_webhook_events") == {"pending": 2, "done": 1}
    by_text = modules.rows_with_keys(store, "runs", "run_id", ["p-1", "s-1", "nope"], ["run_id"])
    assert sorted(by_text["run_id"].to_list()) == ["p-1", "s-1"]
    by_int = modules.rows_with_keys(store, "comply_findings", "finding_id", [1, 3], ["code"])
    assert sorted(by_int["code"].to_list()) == ["Y", "Z"]
    assert modules.rows_with_keys(store, "runs", "run_id", [], ["run_id"]).height == 0


def test_content_and_cash_queries(store: Store) -> None:
    store.write(
        "content",
        pl.DataFrame(
            {
                "content_id": ["V1", "V2", "V3"],
                "creator_id": ["C1", "C1", None],
                "kind": ["video"] * 3,
            }
        ),
    )
    store.write(
        "content_metrics",
        pl.DataFrame(
            {
                "content_id": ["V1", "V1", "V2"],
                "date": [D(2026, 1, 1), D(2026, 1, 2), D(2026, 1, 2)],
                "views": [10, 5, 7],
            }
        ),
    )
    assert sorted(content.views_by_content(store).rows()) == [("V1", 15), ("V2", 7)]
    assert content.views_by_content(store, ["V2"]).rows() == [("V2", 7)]
    assert content.views_by_content(store, []).height == 0
    assert content.posts_by_creator(store).rows() == [("C1", 2)]
    assert content.metrics_between(store, D(2026, 1, 2), D(2026, 1, 2)).height == 2
    store.write(
        "ledger_cash",
        pl.DataFrame(
            {
                "run_id": ["r", "r"],
                "date": [D(2026, 1, 2), D(2026, 1, 1)],
                "kind": ["projection", "history"],
                "inflow_usd": [Decimal("1.5"), Decimal("2")],
                "balance_usd": [Decimal("10"), Decimal("8.5")],
            }
        ),
    )
    cash = ledger.cash_timeline(store, "r")
    assert cash["date"].to_list() == [D(2026, 1, 1), D(2026, 1, 2)]
    assert cash["inflow_usd"].dtype == pl.Float64 and cash["balance_usd"].to_list() == [8.5, 10.0]
