"""The store contract, run identically on DuckDB and PostgreSQL (the ``store`` fixture)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pandas as pd
import polars as pl
import pytest

import quickturn as qt
from quickturn.errors import StoreError, UsageError
from quickturn.schema import get_table
from quickturn.store import Store, load_migrations, open_store
from quickturn.validate import polars_schema


def skus_frame() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "sku_id": ["A", "B", "C"],
            "title": ['Mug, "large"', "Tee\nwith newline", "帽子 cap"],
            "description": ["", None, "  spaced  "],
            "list_price": [Decimal("12.5"), Decimal("99999999999999.9999"), None],
            "unit_cost": [Decimal("0.0001"), Decimal("1234567.8912"), Decimal("0")],
            "duty_rate": [Decimal("0.123456"), None, Decimal("1")],
            "moq_qty": [500, None, 9_000_000_000_000],
            "weight_g": [120.5, 0.1 + 0.2, None],
            "launch_date": [date(2024, 2, 29), None, date(1999, 12, 31)],
            "is_battery": [True, False, None],
        },
        schema_overrides={
            "list_price": pl.Decimal(18, 4),
            "unit_cost": pl.Decimal(18, 4),
            "duty_rate": pl.Decimal(12, 6),
        },
    )


def test_round_trip_every_dtype_exactly(store: Store) -> None:
    frame = skus_frame()
    store.write("skus", frame)
    back = store.table("skus", columns=frame.columns, order_by=["sku_id"])
    assert back.schema == {c: polars_schema(get_table("skus"))[c] for c in frame.columns}
    for col in frame.columns:
        got, want = back[col].to_list(), frame[col].to_list()
        if col == "description":
            # PostgreSQL and DuckDB both keep the empty string distinct from NULL
            assert got == want
        elif col == "weight_g":
            assert got[0] == 120.5 and got[1] == 0.1 + 0.2 and got[2] is None
        else:
            assert got == want, col
    # Decimal exactness: values come back as the same Decimal, not a float approximation
    assert back["unit_cost"].to_list()[1] == Decimal("1234567.8912")
    assert back["list_price"].to_list()[1] == Decimal("99999999999999.9999")


def test_timestamps_with_and_without_fractions(store: Store) -> None:
    frame = pl.DataFrame(
        {
            "order_id": ["1", "2", "3", "4"],
            "currency": ["USD"] * 4,
            "status": ["COMPLETED"] * 4,
            "created_at": [
                datetime(2024, 3, 1, 10, 0, 0),
                datetime(2024, 3, 1, 10, 0, 0, 123456),
                datetime(1970, 1, 1, 0, 0, 0, 1),
                datetime(2038, 1, 19, 3, 14, 8),
            ],
            "shipped_at": [None, datetime(2024, 3, 2, 0, 0, 0, 500000), None, None],
            "is_sample_order": [False, True, None, False],
        }
    )
    store.write("orders", frame)
    back = store.table("orders", columns=list(frame.columns), order_by=["order_id"])
    assert back["created_at"].to_list() == frame["created_at"].to_list()
    assert back["shipped_at"].to_list() == frame["shipped_at"].to_list()
    assert back["is_sample_order"].to_list() == [False, True, None, False]


def test_fx_precision(store: Store) -> None:
    frame = pl.DataFrame(
        {
            "date": [date(2024, 1, 1), date(2024, 1, 1)],
            "currency": ["CNY", "JPY"],
            "usd_per_unit": [Decimal("0.13888889"), Decimal("0.00671234")],
        },
        schema_overrides={"usd_per_unit": pl.Decimal(18, 8)},
    )
    store.write("fx_rates", frame)
    back = store.table("fx_rates", order_by=["currency"])
    assert back["usd_per_unit"].to_list() == [Decimal("0.13888889"), Decimal("0.00671234")]


def test_upsert_counts_and_modes(store: Store) -> None:
    first = pl.DataFrame({"sku_id": ["A", "B", "C"], "title": ["a", "b", "c"]})
    r = store.write("skus", first)
    assert (r.table, r.inserted, r.updated, r.rows) == ("skus", 3, 0, 3)
    second = pl.DataFrame({"sku_id": ["B", "C", "D"], "title": ["b2", "c2", "d"]})
    r = store.write("skus", second)
    assert (r.inserted, r.updated) == (1, 2)
    assert store.table("skus", columns=["title"], order_by=["sku_id"])["title"].to_list() == [
        "a",
        "b2",
        "c2",
        "d",
    ]
    r = store.write("skus", pl.DataFrame({"sku_id": ["E"], "title": ["e"]}), mode="append")
    assert (r.inserted, r.updated) == (1, 0)
    r = store.write("skus", pl.DataFrame({"sku_id": ["Z"], "title": ["z"]}), mode="replace")
    assert store.keys("skus.sku_id") == {"Z"}
    with pytest.raises(UsageError, match="duplicate keys"):
        store.write("skus", pl.DataFrame({"sku_id": ["Q", "Q"], "title": ["1", "2"]}))
    with pytest.raises(UsageError, match="has no columns"):
        store.write("skus", pl.DataFrame({"sku_id": ["Q"], "colour": ["red"]}))
    assert store.write("skus", pl.DataFrame({"sku_id": [], "title": []})).rows == 0


def test_composite_key_upsert(store: Store) -> None:
    lines = pl.DataFrame(
        {
            "order_id": ["1", "1", "2"],
            "sku_id": ["A", "B", "A"],
            "quantity": [1, 2, 3],
            "unit_price": [Decimal("1"), Decimal("2"), Decimal("3")],
        }
    )
    assert store.write("order_lines", lines).inserted == 3
    again = lines.with_columns(pl.col("quantity") * 10)
    r = store.write("order_lines", again)
    assert (r.inserted, r.updated) == (0, 3)
    assert store.table("order_lines", order_by=["order_id", "sku_id"])["quantity"].to_list() == [
        10,
        20,
        30,
    ]


def test_write_many_is_atomic(store: Store) -> None:
    store.write("skus", pl.DataFrame({"sku_id": ["KEEP"], "title": ["kept"]}))
    good = pl.DataFrame({"sku_id": ["A"], "title": ["a"]})
    bad_orders = pl.DataFrame(
        {"order_id": ["1", "1"], "currency": ["USD", "USD"], "status": ["COMPLETED"] * 2}
    )
    with pytest.raises(UsageError):
        store.write_many({"skus": good, "orders": bad_orders})
    assert store.keys("skus.sku_id") == {"KEEP"}
    assert store.count("orders") == 0
    results = store.write_many({"skus": good, "orders": bad_orders.head(1)})
    assert [(r.table, r.inserted) for r in results] == [("skus", 1), ("orders", 1)]


def test_transaction_nesting_and_rollback(store: Store) -> None:
    with pytest.raises(RuntimeError), store.transaction():
        store.write("skus", pl.DataFrame({"sku_id": ["A"], "title": ["a"]}))
        with store.transaction():
            store.write("skus", pl.DataFrame({"sku_id": ["B"], "title": ["b"]}))
        raise RuntimeError("boom")
    assert store.count("skus") == 0
    with store.transaction():
        store.write("skus", pl.DataFrame({"sku_id": ["A"], "title": ["a"]}))
        with store.transaction():
            store.write("skus", pl.DataFrame({"sku_id": ["B"], "title": ["b"]}))
        assert store.count("skus") == 2  # visible inside the transaction
    assert store.count("skus") == 2
    # an inner failure rolls back the outer transaction too (nesting joins the outer one)
    with pytest.raises(ValueError), store.transaction():
        store.write("skus", pl.DataFrame({"sku_id": ["C"], "title": ["c"]}))
        with store.transaction():
            raise ValueError("inner")
    assert store.keys("skus.sku_id") == {"A", "B"}
    # the store stays usable after a failed statement inside a transaction
    with pytest.raises(StoreError), store.transaction():
        store.query("SELECT no_such_column FROM skus")
    assert store.count("skus") == 2


def test_table_where_order_limit(store: Store) -> None:
    store.write(
        "skus",
        pl.DataFrame(
            {
                "sku_id": ["A", "B", "C", "D"],
                "title": ["a", "b", "c", "d"],
                "category": ["toys", "toys", "home", None],
                "moq_qty": [10, 20, 30, 40],
            }
        ),
    )
    t = store.table(
        "skus", columns=["sku_id"], where={"category": "toys"}, order_by=["sku_id desc"]
    )
    assert t["sku_id"].to_list() == ["B", "A"]
    t = store.table(
        "skus", columns=["sku_id"], where={"sku_id": ["A", "D", "X"]}, order_by=["sku_id"]
    )
    assert t["sku_id"].to_list() == ["A", "D"]
    assert store.table("skus", where={"category": None})["sku_id"].to_list() == ["D"]
    assert store.table("skus", where={"sku_id": []}).height == 0
    t = store.table("skus", columns=["sku_id", "moq_qty"], order_by=["moq_qty desc"], limit=2)
    assert t.rows() == [("D", 40), ("C", 30)]
    with pytest.raises(KeyError):
        store.table("skus", columns=["nope"])
    with pytest.raises(KeyError):
        store.table("nope")
    with pytest.raises(UsageError):
        store.table("skus", order_by=["sku_id; DROP TABLE skus"])


def test_query_placeholders_and_literals(store: Store) -> None:
    store.write("skus", pl.DataFrame({"sku_id": ["50%", "a?b"], "title": ["x", "y"]}))
    q = store.query("SELECT sku_id FROM skus WHERE sku_id LIKE '%\\%' ESCAPE '\\' ORDER BY sku_id")
    assert q["sku_id"].to_list() == ["50%"]
    q = store.query("SELECT sku_id FROM skus WHERE sku_id = ? OR title = ?", ["a?b", "x"])
    assert sorted(q["sku_id"].to_list()) == ["50%", "a?b"]
    assert store.query("SELECT 'it''s 100%' AS t")["t"].to_list() == ["it's 100%"]
    assert store.query("SELECT '?' AS q")["q"].to_list() == ["?"]
    assert (
        store.query("SELECT count(*) AS n FROM skus WHERE title IN (?, ?)", ["x", "z"])["n"][0] == 1
    )


def test_keys_count_delete_info(store: Store) -> None:
    store.write("skus", pl.DataFrame({"sku_id": ["A", "B"], "title": ["a", "b"]}))
    assert store.keys("skus.sku_id") == {"A", "B"}
    assert store.count("skus") == 2
    assert store.delete("skus", {"sku_id": "A"}) == 1
    assert store.keys("skus.sku_id") == {"B"}
    info = {row["table"]: row for row in store.info()}
    assert info["skus"]["rows"] == 1 and info["skus"]["group"] == "input"
    assert info["orders"]["rows"] == 0
    assert {"runs", "state", "forecasts"} <= set(info)
    assert store.count_existing("skus", pl.DataFrame({"sku_id": ["B", "C"]})) == 1


def test_state(store: Store) -> None:
    assert store.get_state("sync:x", "cursor", default="none") == "none"
    store.set_state("sync:x", "cursor", {"page": 3, "ids": [1, 2], "at": "2024-01-01"})
    assert store.get_state("sync:x", "cursor") == {"page": 3, "ids": [1, 2], "at": "2024-01-01"}
    store.set_state("sync:x", "cursor", 7)
    assert store.get_state("sync:x", "cursor") == 7
    assert store.count("state") == 1


def test_migrations_applied_once(store_url: str) -> None:
    versions = [m.version for m in load_migrations()]
    with open_store(store_url) as s:
        assert s.schema_version() == max(versions)
        assert s.migrate() == []  # nothing left to apply
        applied = s.query("SELECT version FROM qt_migrations ORDER BY version")["version"].to_list()
        assert applied == versions
        s.write("skus", pl.DataFrame({"sku_id": ["A"], "title": ["a"]}))
    with open_store(store_url) as s:  # re-open: no migration re-runs, data intact
        assert s.migrate() == []
        assert s.count("skus") == 1
        n = s.query("SELECT count(*) AS n FROM qt_migrations")["n"][0]
        assert n == len(versions)


def test_python_api_polars_and_pandas(store_url: str) -> None:
    with qt.open(store_url) as s:
        s.write("skus", skus_frame())
        df = s.table("skus", order_by=["sku_id"])
        assert isinstance(df, pl.DataFrame) and df.height == 3
        pdf = s.table(
            "skus",
            columns=["sku_id", "unit_cost", "launch_date"],
            order_by=["sku_id"],
            as_pandas=True,
        )
        assert isinstance(pdf, pd.DataFrame)
        assert list(pdf["sku_id"]) == ["A", "B", "C"]
        assert pdf["unit_cost"].iloc[1] == Decimal("1234567.8912")


def test_read_only_duckdb_and_bad_urls(tmp_path: Path) -> None:
    path = tmp_path / "ro.duckdb"
    with open_store(path) as s:
        s.write("skus", pl.DataFrame({"sku_id": ["A"], "title": ["a"]}))
    with open_store(path, read_only=True) as ro:
        assert ro.count("skus") == 1
        with pytest.raises(StoreError):
            ro.write("skus", pl.DataFrame({"sku_id": ["B"], "title": ["b"]}))
    with pytest.raises(StoreError, match="cannot connect to PostgreSQL"):
        open_store("postgresql://nobody:secret@127.0.0.1:1/none")


def test_failed_write_reports_the_real_error_and_rolls_back(store: Store) -> None:
    store.write("skus", pl.DataFrame({"sku_id": ["A"], "title": ["a"]}))
    with pytest.raises(StoreError) as info:
        store.write_many(
            {
                "skus": pl.DataFrame({"sku_id": ["B"], "title": ["b"]}),
                "orders": pl.DataFrame(
                    {"order_id": [None], "currency": ["USD"]},
                    schema_overrides={"order_id": pl.String},
                ),
            }
        )
    assert "aborted" not in str(info.value).lower()
    assert "null" in str(info.value).lower()
    assert store.keys("skus.sku_id") == {"A"}
    assert store.write("skus", pl.DataFrame({"sku_id": ["C"], "title": ["c"]})).inserted == 1


def test_upsert_of_a_table_made_only_of_keys(store: Store) -> None:
    frame = pl.DataFrame({"content_id": ["v1", "v1"], "sku_id": ["A", "B"]})
    assert (store.write("content_skus", frame).inserted, store.count("content_skus")) == (2, 2)
    r = store.write(
        "content_skus", pl.DataFrame({"content_id": ["v1", "v2"], "sku_id": ["B", "A"]})
    )
    assert (r.inserted, r.updated, store.count("content_skus")) == (1, 1, 3)
