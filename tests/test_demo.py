"""The demo generator: every input table present, valid and linked; deterministic by seed."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quickturn.demo import TABLE_ORDER, DemoConfig, DemoShop, generate
from quickturn.schema import get_table, input_tables
from quickturn.validate import check_references, coerce, polars_schema


def test_every_input_table_is_generated_and_not_empty(demo_frames: dict[str, pl.DataFrame]) -> None:
    assert set(demo_frames) == {t.name for t in input_tables()}
    assert list(demo_frames) == list(TABLE_ORDER)
    empty = [name for name, df in demo_frames.items() if df.height == 0]
    assert not empty, f"empty demo tables: {empty}"


def test_every_table_validates_without_errors(demo_frames: dict[str, pl.DataFrame]) -> None:
    for name, df in demo_frames.items():
        table = get_table(name)
        assert df.schema == pl.Schema(polars_schema(table)), name
        typed, findings = coerce(table, df)
        errors = [f.format() for f in findings if f.is_error]
        assert not errors, f"{name}: {errors[:5]}"
        assert typed.equals(df), f"{name}: coerce changed the frame"


def test_every_reference_resolves(demo_frames: dict[str, pl.DataFrame]) -> None:
    known: dict[str, set[object]] = {}
    for name in demo_frames:
        t = get_table(name)
        for c in t.columns:
            if c.references:
                target, col = c.references.split(".")
                known.setdefault(c.references, set(demo_frames[target][col].to_list()))
    for name, df in demo_frames.items():
        problems = check_references(get_table(name), df, known)
        assert not problems, f"{name}: {[p.message for p in problems[:5]]}"


def test_same_seed_same_shop_other_seed_other_shop() -> None:
    cfg = DemoConfig(n_skus=20, days=60, seed=3, as_of=date(2026, 1, 15))
    a, b = generate(cfg), generate(cfg)
    for name in TABLE_ORDER:
        assert a.tables[name].equals(b.tables[name]), name
    c = generate(DemoConfig(n_skus=20, days=60, seed=4, as_of=date(2026, 1, 15)))
    assert not c.tables["orders"].equals(a.tables["orders"])


def test_history_ends_the_day_before_as_of(demo_shop: DemoShop, demo_today: date) -> None:
    t = demo_shop.tables
    assert t["inventory_snapshots"]["date"].max() == date.fromordinal(demo_today.toordinal() - 1)
    assert t["content_metrics"]["date"].max() < demo_today
    for col in ("created_at", "shipped_at", "delivered_at", "cancelled_at"):
        assert t["orders"][col].max().date() <= demo_today  # UTC can be the next calendar day
    assert t["settlement_lines"]["statement_date"].max() < demo_today
    assert t["fx_rates"]["date"].max() == demo_today


def test_config_rejects_tiny_shops() -> None:
    with pytest.raises(ValueError, match="n_skus"):
        DemoConfig(n_skus=3)
    with pytest.raises(ValueError, match="days"):
        DemoConfig(days=5)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 10_000),
    n_skus=st.integers(10, 30),
    days=st.integers(30, 90),
)
def test_invariants_hold_for_any_seed_and_size(seed: int, n_skus: int, days: int) -> None:
    shop = generate(DemoConfig(n_skus=n_skus, days=days, seed=seed, as_of=date(2026, 3, 2)))
    t = shop.tables
    inv = t["inventory_snapshots"]
    assert (inv["on_hand_qty"] >= inv["reserved_qty"]).all() and (inv["reserved_qty"] >= 0).all()
    truth = shop.truth
    assert (truth["sales_units"] + truth["lost_units"] == truth["demand_units"]).all()
    assert (truth["end_stock"] >= 0).all()
    ln = t["order_lines"]
    assert (
        ln["subtotal_after_discount"]
        == ln["subtotal_before_discount"] - ln["seller_discount"] - ln["platform_discount"]
    ).all()
    o = t["orders"]
    assert o["order_id"].is_unique().all()
    assert ln.join(o, on="order_id", how="anti").height == 0
    done = o.filter(pl.col("delivered_at").is_not_null())
    assert (done["delivered_at"] > done["shipped_at"]).all()
    assert (done["shipped_at"] > done["created_at"]).all()
    for name, df in t.items():
        _typed, findings = coerce(get_table(name), df)
        assert not [f for f in findings if f.is_error], name
