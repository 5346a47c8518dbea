"""Every ledger figure on the demo shop and on an imported Seller Center export."""

from __future__ import annotations

import csv
import json
from datetime import date
from decimal import Decimal as D
from pathlib import Path

import polars as pl
import pytest

from quickturn.cli.common import Cli, make_cli, to_jsonable
from quickturn.cli.ledger import render_demo
from quickturn.config import Settings
from quickturn.core.ledger.accounts import GROUPS
from quickturn.services import ledger as svc
from quickturn.services.demo import DemoContext
from quickturn.services.importing import import_file
from quickturn.store import Store

BY = ("sku", "content", "creator", "route", "model", "market", "source", "day", "week", "month")


def test_every_figure_on_the_demo_shop(demo_store_any: Store, demo_today: date) -> None:
    """On DuckDB and PostgreSQL: the same demo shop, the same figures."""
    demo_store = demo_store_any
    r = svc.run(demo_store)
    res = r.result
    assert res.lines.height > 1000
    total = sum(res.lines["margin"].to_list()) + sum(res.overhead["amount_usd"].to_list())
    for by in BY:
        t = svc.margins(demo_store, by=by, result=res, inputs=r.inputs)
        assert t.height > 0, by
        # every roll-up adds up to the same total, and its components to its margin
        assert sum(t["margin"].to_list(), D(0)) == D(total).scaleb(-4), by
        row = t.row(0, named=True)
        assert sum((row[g] for g in GROUPS), D(0)) == row["margin"]
    # the journal holds exactly the ledger
    assert sum(demo_store.table("ledger_postings")["amount_usd"].to_list(), D(0)) == D(
        total
    ).scaleb(-4)
    # settled orders exist in the demo: some fees are actual, some estimated
    basis = set(res.lines["fees_basis"].to_list())
    assert basis == {"actual", "estimated"}
    losers = svc.losers(demo_store, result=res)
    assert set(losers) == {"sku", "content", "creator"}
    # explain reaches the source rows of a settled order
    settled = res.lines.filter(pl.col("fees_basis") == "actual")["order_id"][0]
    e = svc.explain(demo_store, order_id=settled)
    assert any(k.startswith("settlement_lines:") for k in e.sources)
    assert any(k.startswith("order_lines:") for k in e.sources)
    assert e.margin_usd == sum(e.components["amount_usd"].to_list(), D(0))
    cash = svc.cash(demo_store, days=90, today=demo_today, result=res, inputs=r.inputs)
    assert cash.daily.filter(pl.col("kind") == "projection").height == 90
    assert cash.summary["peak_cash_need_usd"] >= 0


def test_demo_step_and_render(
    demo_store: Store, demo_today: date, capsys: pytest.CaptureFixture[str]
) -> None:
    ctx = DemoContext(store=demo_store, settings=Settings(), today=demo_today, seed=11)
    section = svc.demo_step(ctx)
    json.dumps(section)  # JSON-able as it is
    assert section["top_skus"] and section["cash"]["days"] == 90
    assert len(section["cash"]["weekly"]) >= 12
    assert section["totals"]["order_lines"] > 0
    cli = make_cli(None, False, "zh")
    render_demo(cli, section)
    out = capsys.readouterr().out
    assert "真实利润" in out and section["top_skus"][0]["sku_id"] in out
    # money-losing videos and creators, or (when none loses money) the lowest margin of each
    for key, dim, col in (
        ("losing_videos", "content", "content_id"),
        ("losing_creators", "creator", "creator_id"),
    ):
        rows, low = section[key], section["lowest_margin"][dim]
        assert low is not None
        if rows:
            assert all(r["margin"] < 0 for r in rows) and rows[0][col] == low[col]
        else:
            assert low["margin"] >= 0 and "没有亏钱" in out
        assert low[col] in out
    assert section["cash"]["expected_sales_source"].startswith("sense")
    assert isinstance(cli, Cli) and to_jsonable(section)


SC_HEADER = [
    "Order ID", "Order Status", "SKU ID", "Seller SKU", "Product Name", "Quantity",
    "Sku Quantity of return", "Cancelation/Return Type", "SKU Unit Original Price",
    "SKU Subtotal Before Discount", "SKU Platform Discount", "SKU Seller Discount",
    "SKU Subtotal After Discount", "Shipping Fee After Discount", "Original Shipping Fee",
    "Shipping Fee Seller Discount", "Shipping Fee Platform Discount", "Taxes", "Order Amount",
    "Order Refund Amount", "Created Time", "Paid Time", "Shipped Time", "Delivered Time",
    "Cancelled Time", "Fulfillment Type", "Warehouse Name",
]  # fmt: skip
SC_ROWS = [
    # an FBT order of two mugs with a seller discount
    ["5760001\t", "Completed", "17001\t", "MUG-01", "Mug", "2", "0", "", "12.50", "25.00", "0", "2.00", "23.00", "0", "0", "0", "0", "1.61", "24.61", "0", "03/14/2026 10:15:22", "03/14/2026 10:16:01", "03/15/2026 09:00:00", "03/19/2026 14:30:00", "", "Fulfillment by TikTok", ""],
    # a self-fulfilled lamp order, refunded
    ["5760002\t", "Completed", "17002\t", "LAMP-01", "Lamp", "1", "1", "Return/Refund", "40.00", "40.00", "0", "0", "40.00", "5.99", "5.99", "0", "0", "2.80", "48.79", "42.80", "03/15/2026 11:00:00", "03/15/2026 11:01:00", "03/16/2026 09:00:00", "03/20/2026 10:00:00", "", "Fulfillment by seller", "LA Warehouse"],
    # a cancelled order: not a sale
    ["5760003\t", "Cancelled", "17001\t", "MUG-01", "Mug", "1", "0", "Cancel", "12.50", "12.50", "0", "0", "12.50", "0", "0", "0", "0", "0.88", "13.38", "13.38", "03/16/2026 11:00:00", "03/16/2026 11:01:00", "", "", "03/16/2026 12:00:00", "Fulfillment by TikTok", ""],
]  # fmt: skip


def test_ledger_on_an_imported_seller_center_export(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "orders.csv"
    with path.open("w", newline="", encoding="utf-8-sig") as fh:
        w = csv.writer(fh)
        w.writerow(SC_HEADER)
        w.writerow([f"{c}." for c in SC_HEADER])  # the description row under the header
        w.writerows(SC_ROWS)
    r = import_file(store, "orders", path)
    assert r.ok, [f.format() for f in r.errors]
    # no statements, no shipments, no costs: every fee estimated, every cost unknown
    run = svc.run(store)
    codes = {f.code for f in run.findings}
    assert "LEDGER_COST_UNKNOWN" in codes
    lines = run.result.lines
    assert sorted(lines["order_id"].to_list()) == ["5760001", "5760002"]
    assert set(lines["fees_basis"].to_list()) == {"estimated"}
    assert not any(lines["cost_known"].to_list())
    t = svc.margins(store, by="sku", result=run.result, inputs=run.inputs)
    assert set(t["lines_cost_unknown"].to_list()) == {1}
    mug = t.filter(pl.col("sku_id") == "MUG-01").row(0, named=True)
    # 25 − 2 = 23 sales: referral 6% = 1.38; FBT multi-unit (2 units) per unit
    assert mug["revenue"] == D(25) and mug["discounts"] == D(-2)
    assert mug["platform_fees"] == D("-1.38")
    # once a unit cost is known the cost of goods is estimated from it (no layers)
    store.write(
        "skus",
        store.table("skus").with_columns(
            pl.when(pl.col("sku_id") == "MUG-01")
            .then(pl.lit(D("3.00")))
            .otherwise(None)
            .cast(pl.Decimal(18, 4))
            .alias("unit_cost"),
            pl.lit("USD").alias("cost_currency"),
        ),
    )
    run2 = svc.run(store)
    mug_line = run2.result.lines.filter(pl.col("sku_id") == "MUG-01").row(0, named=True)
    assert mug_line["cost_basis"] == "standard" and mug_line["cogs"] == -60_000
    assert run2.reversed == 0 and run2.posted > 0  # an unknown cost was never posted as 0
    e = svc.explain(store, order_id="5760002")
    comps = {c["account"] for c in e.components.to_dicts()}
    assert {
        "refunds",
        "referral_fee_refund",
        "refund_admin_fee",
        "shipping_income",
        "shipping_cost",
    } <= comps
    assert (
        "returns: return_id="
        + e.postings.filter(pl.col("account") == "refunds")["source_key"][0].split("=", 1)[1]
        in e.sources
    )
    # every roll-up of the imported export adds up to the same margin
    total = sum(run2.result.lines["margin"].to_list()) + sum(
        run2.result.overhead["amount_usd"].to_list()
    )
    for by in (*BY, "order", "line"):
        t = svc.margins(store, by=by, result=run2.result, inputs=run2.inputs)
        assert t.height > 0 and sum(t["margin"].to_list(), D(0)) == D(total).scaleb(-4), by
    # in CNY at the day's rate (¥7.10 per USD in March)
    store.write(
        "fx_rates",
        pl.DataFrame(
            {"date": [date(2026, 3, 1)], "currency": ["CNY"], "usd_per_unit": [D("0.14084507")]}
        ),
    )
    cny = svc.margins(store, by="sku", currency="CNY")
    assert cny.filter(pl.col("sku_id") == "MUG-01")["revenue"][0] == D("177.5000")  # 25 × 7.10
    # explain a SKU-month down to the imported order lines
    em = svc.explain(store, sku_id="MUG-01", month="2026-03")
    assert any(k.startswith("order_lines:") for k in em.sources)
    assert em.margin_usd == sum(em.components["amount_usd"].to_list(), D(0))
    # cash: the estimated settlements arrive 7 days after delivery (19 and 20 March)
    rep = svc.cash(store, days=90, today=date(2026, 4, 1), expected="run_rate")
    assert rep.daily.filter(pl.col("kind") == "projection").height == 90
    paid = rep.daily.filter((pl.col("kind") == "history") & (pl.col("settlements_usd") != 0))
    # MUG: 23.00 sales − referral 1.38 − FBT 2 × 2.86; LAMP: 40.00 + buyer shipping 5.99 −
    # label 5.99 − referral 2.40 − refund 40.00 (the buyer's 42.80 less the 2.80 tax the
    # platform refunds) + referral back 2.40 − admin fee 0.48
    assert paid.select("date", "settlements_usd").rows() == [
        (date(2026, 3, 26), D("15.90")),
        (date(2026, 3, 27), D("-0.48")),
    ]
