"""The packed-key sorts equal Polars' multi-column sorts exactly."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from quickturn.core.ledger.amounts import sort_pairs
from quickturn.core.ledger.stream import sort_unique_keys


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 2**40), st.integers(0, 2**30)), max_size=40))
def test_sort_pairs_equals_two_column_sort(pairs: list[tuple[int, int]]) -> None:
    df = pl.DataFrame(
        {"a": [p[0] for p in pairs], "b": [p[1] for p in pairs], "i": list(range(len(pairs)))},
        schema={"a": pl.Int64, "b": pl.Int64, "i": pl.Int64},
    )
    assert sort_pairs(df, "a", "b").equals(df.sort("a", "b", maintain_order=True))


def test_sort_pairs_falls_back_on_negative_and_null() -> None:
    df = pl.DataFrame({"a": [3, -1, None, 3], "b": [2, 5, 1, 1]})
    assert sort_pairs(df, "a", "b").equals(df.sort("a", "b", maintain_order=True))


@settings(max_examples=60, deadline=None)
@given(
    st.sets(
        st.tuples(
            st.one_of(st.none(), st.text(alphabet="abcXY-é", max_size=4)),
            st.one_of(st.none(), st.integers(0, 400)),
        ),
        max_size=40,
    )
)
def test_sort_unique_keys_equals_multi_column_sort(
    cells: set[tuple[str | None, int | None]],
) -> None:
    rows = list(cells)
    day0 = date(2025, 1, 1)
    df = pl.DataFrame(
        {
            "sku_id": [r[0] for r in rows],
            "day": [None if r[1] is None else day0 + timedelta(days=r[1]) for r in rows],
            "v": list(range(len(rows))),
        },
        schema={"sku_id": pl.String, "day": pl.Date, "v": pl.Int64},
    )
    keys = ["sku_id", "day"]
    assert sort_unique_keys(df, keys).equals(df.sort(keys, nulls_last=True))
