"""Real-data acceptance: the UCI Online Retail file imports through the shipped mapping and
every count reconciles with the source, recomputed here with plain Polars (no mapping code).

Rules (docs/importing.md, "UCI Online Retail"): "A" invoices adjust bad debt (skipped); "C"
invoices are credit notes whose product lines become returns linked to the customer's latest
earlier sale of the same StockCode; other invoices whose lines all have UnitPrice 0 are
stock adjustments (skipped); non-product codes are not order lines; repeated
(invoice, StockCode) lines are merged.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest

from quickturn.services.importing import import_file
from quickturn.store import open_store

NON_PRODUCT = ["POST", "DOT", "C2", "M", "S", "D", "B", "CRUK", "BANK CHARGES", "AMAZONFEE"]
POSTAGE = ["POST", "DOT", "C2"]


def expected(src: pl.DataFrame) -> dict[str, object]:
    df = src.with_columns(
        inv=pl.col("InvoiceNo"),
        product=~pl.col("StockCode").str.to_uppercase().is_in(NON_PRODUCT),
        amount=pl.col("Quantity") * pl.col("UnitPrice"),
    )
    bad_debt = df.filter(pl.col("inv").str.starts_with("A"))
    credit = df.filter(pl.col("inv").str.starts_with("C"))
    rest = df.filter(~pl.col("inv").str.starts_with("A") & ~pl.col("inv").str.starts_with("C"))
    zero_invoices = (
        rest.group_by("inv")
        .agg(pl.col("UnitPrice").max().alias("p"))
        .filter(pl.col("p") <= 0)["inv"]
    )
    adjust = rest.filter(pl.col("inv").is_in(zero_invoices.implode()))
    sale = rest.filter(~pl.col("inv").is_in(zero_invoices.implode()))
    sale_products = sale.filter("product")
    order_invoices = sale_products["inv"].unique()
    in_orders = sale.filter(pl.col("inv").is_in(order_invoices.implode()))
    lines = sale_products.group_by("inv", "StockCode").agg(
        pl.col("Quantity").sum(), pl.col("amount").sum()
    )
    # credit lines → the same customer's latest sale of that StockCode at or before the credit
    cp = credit.filter("product").with_row_index("cid")
    cand = sale_products.select(
        pl.col("CustomerID"),
        "StockCode",
        pl.col("InvoiceDate").alias("sold"),
        pl.col("inv").alias("sold_inv"),
    )
    pairs = cp.join(cand, on=["CustomerID", "StockCode"], how="inner").filter(
        pl.col("sold") <= pl.col("InvoiceDate")
    )
    linked_ids = pairs["cid"].unique()
    linked = cp.filter(pl.col("cid").is_in(linked_ids.implode()))
    returns = linked.group_by("inv", "StockCode").agg(
        pl.col("Quantity").sum().abs(), pl.col("amount").sum().abs()
    )
    return {
        "source_lines": src.height,
        "invoices": src["InvoiceNo"].n_unique(),
        "bad_debt_lines": bad_debt.height,
        "cancellation_lines": credit.height,
        "cancelled_product_lines": cp.height,
        "cancelled_lines_linked": linked.height,
        "stock_adjustment_lines": adjust.height,
        "stock_adjustment_invoices": zero_invoices.len(),
        "sale_lines": sale.height,
        "sale_product_lines": sale_products.height,
        "zero_price_product_lines": sale_products.filter(pl.col("UnitPrice") == 0).height,
        "orders": order_invoices.len(),
        "fee_only_invoices": sale["inv"].n_unique() - order_invoices.len(),
        "order_lines": lines.height,
        "merged_lines": sale_products.height - lines.height,
        "units": int(sale_products["Quantity"].sum()),
        "revenue": float(in_orders["amount"].sum()),
        "postage": float(in_orders.filter(pl.col("StockCode").is_in(POSTAGE))["amount"].sum()),
        "skus": sale_products["StockCode"].n_unique(),
        "returns": returns.height,
        "returned_units": int(returns["Quantity"].sum()),
        "refunds": float(returns["amount"].sum()),
        "gb_orders": sale_products.filter(pl.col("Country") == "United Kingdom")["inv"].n_unique(),
    }


@pytest.mark.slow
def test_online_retail_reconciles(shared_data: Path, tmp_path: Path) -> None:
    path = shared_data / "online_retail" / "online_retail.parquet"
    src = pl.read_parquet(path)
    exp = expected(src)
    # the facts quoted in the data README
    assert exp["source_lines"] == 541_909
    with open_store(tmp_path / "or.duckdb") as store:
        report = import_file(store, "online-retail", path)
        assert report.ok, [f.format() for f in report.errors[:10]]
        assert report.format == "online-retail" and report.written
        tables = {t.table: t for t in report.tables}
        c = report.counts
        # every source line is accounted for
        assert c["source_lines"] == exp["source_lines"]
        assert (
            c["sale_lines"]
            + c["cancellation_lines"]
            + c["stock_adjustment_lines"]
            + c["bad_debt_lines"]
            == exp["source_lines"]
        )
        assert c["sale_product_lines"] + c["sale_non_product_lines"] == c["sale_lines"]
        for key in (
            "bad_debt_lines",
            "cancellation_lines",
            "cancelled_product_lines",
            "cancelled_lines_linked",
            "stock_adjustment_lines",
            "sale_lines",
            "sale_product_lines",
            "zero_price_product_lines",
        ):
            assert c[key] == exp[key], key
        assert (
            c["cancelled_lines_linked"] + c["cancelled_lines_unlinked"]
            == c["cancelled_product_lines"]
        )
        # tables
        assert tables["orders"].rows == store.count("orders") == exp["orders"]
        assert tables["order_lines"].rows == store.count("order_lines") == exp["order_lines"]
        assert tables["order_lines"].merged == exp["merged_lines"]
        assert tables["skus"].rows == store.count("skus") == exp["skus"]
        assert tables["returns"].rows == store.count("returns") == exp["returns"]
        assert report.unused_rows == (
            c["bad_debt_lines"]
            + c["stock_adjustment_lines"]
            + c["cancellation_lines"]
            - c["cancelled_lines_linked"]
            + c["sale_lines_without_product_invoice"]
        )
        totals = store.query(
            "SELECT sum(quantity) AS units, sum(subtotal_before_discount) AS amount FROM order_lines"
        ).row(0, named=True)
        assert int(totals["units"]) == exp["units"]
        orders = store.query(
            "SELECT sum(order_amount) AS revenue, sum(shipping_fee) AS postage, "
            "count(DISTINCT currency) AS n_cur, min(currency) AS cur FROM orders"
        ).row(0, named=True)
        assert abs(float(orders["revenue"]) - exp["revenue"]) < 0.05
        assert abs(float(orders["postage"]) - exp["postage"]) < 0.05
        assert (orders["n_cur"], orders["cur"]) == (1, "GBP")
        gb = store.query("SELECT count(*) AS n FROM orders WHERE market = ?", ["GB"])["n"][0]
        assert gb == exp["gb_orders"]
        rets = store.query(
            "SELECT sum(quantity) AS units, sum(refund_amount) AS refunds FROM returns"
        ).row(0, named=True)
        assert int(rets["units"]) == exp["returned_units"]
        assert abs(float(rets["refunds"]) - exp["refunds"]) < 0.05
        # each return points at an order that sold that SKU no later than the credit note
        bad = store.query(
            "SELECT count(*) AS n FROM returns r LEFT JOIN orders o ON o.order_id = r.order_id "
            "LEFT JOIN order_lines l ON l.order_id = r.order_id AND l.sku_id = r.sku_id "
            "WHERE o.order_id IS NULL OR l.sku_id IS NULL OR o.created_at > r.requested_at"
        )["n"][0]
        assert bad == 0
        # unit prices are amount / quantity of the merged lines, exact to 4 decimals
        one = store.table(
            "order_lines", where={"order_id": "536365", "sku_id": "85123A"}
        ).to_dicts()[0]
        assert one["quantity"] == 6 and one["unit_price"] == Decimal("2.55")
        assert one["subtotal_before_discount"] == Decimal("15.30")


@pytest.mark.parametrize(
    ("target", "kwargs"),
    [("online-retail", {}), ("orders", {"mapping": "online_retail"}), ("orders", {})],
)
def test_three_ways_to_name_the_format(
    shared_data: Path, tmp_path: Path, target: str, kwargs: dict[str, str]
) -> None:
    head = pl.read_parquet(shared_data / "online_retail" / "online_retail.parquet").head(3_000)
    path = tmp_path / "or_head.parquet"
    head.write_parquet(path)
    exp = expected(head)
    with open_store(tmp_path / "x.duckdb") as store:
        r = import_file(store, target, path, **kwargs)
        assert r.ok
        assert store.count("orders") == exp["orders"]
        assert store.count("order_lines") == exp["order_lines"]
        assert store.count("returns") == exp["returns"]
