"""Walk-forward backtest: conservation, no lookahead, the oracle bound, a hand case,
invariants and the frame API's types."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import quickturn as qt
from quickturn.core.backtest import Decision, DecisionView, Policy, reconstruct_demand
from quickturn.core.backtest.policies import Foresight
from quickturn.errors import ValidationError

D0 = date(2025, 1, 1)


def _demand(n_sku: int, days: int, seed: int, *, launch: bool = False) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    rows: list[tuple[str, date, float]] = []
    for k in range(n_sku):
        lam = rng.uniform(0.5, 8.0)
        first = int(rng.integers(0, days // 2)) if launch else 0
        for t in range(first, days):
            rows.append((f"S{k}", D0 + timedelta(days=t), float(rng.poisson(lam))))
    return pl.DataFrame(rows, schema=["unique_id", "ds", "y"], orient="row")


def _fixed_economics(ids: list[str], **over: Any) -> pl.DataFrame:
    base: dict[str, Any] = {
        "price": 10.0,
        "unit_cost": 3.0,
        "variable_cost": 1.0,
        "slow_lead_time_days": 20.0,
        "slow_lead_time_dist": "fixed",
        "slow_freight_per_unit": 0.5,
        "fast_lead_time_days": 6.0,
        "fast_lead_time_dist": "fixed",
        "fast_freight_per_unit": 1.5,
        "capital_rate_annual": 0.0,
        "holding_cost": 0.0,
        "salvage_rate": 0.1,
    }
    base.update(over)
    return pl.DataFrame({"unique_id": ids, **{k: [v] * len(ids) for k, v in base.items()}})


class OnceSlow(Policy):
    """Orders ``qty`` units by the slow route at the first decision, nothing after."""

    name: ClassVar[str] = "once"

    def __init__(self, qty: float) -> None:
        self.qty = qty

    def decide(self, view: DecisionView, foresight: Foresight | None = None) -> Decision:
        q = np.zeros((view.n, 2))
        if view.k == 0:
            q[:, 0] = self.qty
        return Decision(q)


# -- demand reconstruction ----------------------------------------------------------------


def test_reconstruct_censored_day_uses_past_uncensored_mean() -> None:
    s = np.array([[2.0, 2.0, 4.0, 1.0, 0.0, 5.0]])
    c = np.array([[False, False, False, True, True, True]])
    out = reconstruct_demand(s, c)
    assert out[0, :3].tolist() == [2.0, 2.0, 4.0]
    assert out[0, 3] == pytest.approx(8.0 / 3.0)
    assert out[0, 4] == pytest.approx(8.0 / 3.0)
    assert out[0, 5] == 5.0  # recorded above the rate: recorded sales stand


def test_reconstruct_is_causal() -> None:
    rng = np.random.default_rng(3)
    s = rng.poisson(4.0, (5, 80)).astype(float)
    c = rng.random((5, 80)) < 0.2
    a = reconstruct_demand(s, c)
    s2 = s.copy()
    s2[:, 50:] = 99.0
    b = reconstruct_demand(s2, c)
    assert np.array_equal(a[:, :50], b[:, :50])


# -- a small case computed by hand -----------------------------------------------------------


def test_hand_case_exact() -> None:
    # one SKU, 2 units a day for 14 simulated days, then a year of zero demand (so the
    # remaining-life demand is the record's: 0); 20 units ordered by sea on day 0 with a
    # fixed 5-day lead time land on day 5.
    start = D0 + timedelta(days=30)
    rows = [("A", D0 + timedelta(days=t), 2.0) for t in range(44)]
    rows += [("A", D0 + timedelta(days=t), 0.0) for t in range(44, 44 + 365)]
    dem = pl.DataFrame(rows, schema=["unique_id", "ds", "y"], orient="row")
    eco = _fixed_economics(
        ["A"], slow_lead_time_days=5.0, slow_lead_time_min_days=1.0, fast_available=False
    )
    res = qt.backtest.run(
        dem, eco, start=start, end=start + timedelta(days=14), every=7, policies=[OnceSlow(20)]
    )
    r = res.skus.row(0, named=True)
    # days 0-4 stock-out: 10 lost; days 5-13: 18 sold; 2 left that nobody will buy
    assert r["sales_qty"] == 18.0
    assert r["lost_sales_qty"] == 10.0
    assert r["stockout_days"] == 5.0
    assert r["order_qty"] == 20.0
    landed = 3.0 + 0.5  # unit cost + sea freight
    assert r["purchases_usd"] == pytest.approx(20 * landed)
    assert r["revenue_usd"] == pytest.approx(180.0)
    assert r["variable_cost_usd"] == pytest.approx(18.0)
    assert r["cogs_usd"] == pytest.approx(18 * landed)
    assert r["dead_stock_qty"] == 2.0
    assert r["dead_stock_value_usd"] == pytest.approx(2 * landed)
    assert r["dead_stock_writedown_usd"] == pytest.approx(2 * landed * 0.9)
    assert r["working_stock_qty"] == 0.0
    assert r["profit_usd"] == pytest.approx(180.0 - 18.0 - 18 * landed - 2 * landed * 0.9)
    # lost margin at the landed cost of stock already held (default: unit + sea freight)
    assert r["lost_margin_usd"] == pytest.approx(10 * (10.0 - 1.0 - landed))
    tr = res.trace("once", "A")
    assert tr["on_hand_qty"].to_list() == [0.0] * 5 + [18.0, 16, 14, 12, 10, 8, 6, 4, 2]
    assert tr["cumulative_profit_usd"][-1] == pytest.approx(r["profit_usd"])
    assert res.orders["arrival"].to_list() == [start + timedelta(days=5)]


def test_working_stock_is_not_charged() -> None:
    # same as the hand case but the demand continues: the 2 units left will sell
    start = D0 + timedelta(days=30)
    rows = [("A", D0 + timedelta(days=t), 2.0) for t in range(44 + 365)]
    dem = pl.DataFrame(rows, schema=["unique_id", "ds", "y"], orient="row")
    eco = _fixed_economics(["A"], slow_lead_time_days=5.0, slow_lead_time_min_days=1.0)
    res = qt.backtest.run(
        dem, eco, start=start, end=start + timedelta(days=14), policies=[OnceSlow(20)]
    )
    r = res.skus.row(0, named=True)
    assert r["dead_stock_qty"] == 0.0
    assert r["working_stock_qty"] == 2.0
    assert r["profit_usd"] == pytest.approx(180.0 - 18.0 - 18 * 3.5)


# -- conservation, oracle bound --------------------------------------------------------------


@pytest.fixture(scope="module")
def five() -> Any:
    dem = _demand(12, 240, seed=5, launch=True)
    ids = sorted(dem["unique_id"].unique().to_list())
    eco = _fixed_economics(ids)
    return dem, eco, qt.backtest.run(dem, eco, every=7, seed=2)


def test_conservation_of_units(five: Any) -> None:
    _, _, res = five
    s = res.skus
    lhs = s["start_units"] + s["order_qty"]
    rhs = s["sales_qty"] + s["end_on_hand_qty"] + s["end_in_transit_qty"]
    assert np.allclose(lhs.to_numpy(), rhs.to_numpy())
    assert np.allclose(
        (s["sales_qty"] + s["lost_sales_qty"]).to_numpy(), s["demand_qty"].to_numpy()
    )
    assert np.allclose(
        (s["working_stock_qty"] + s["dead_stock_qty"]).to_numpy(),
        (s["end_on_hand_qty"] + s["end_in_transit_qty"]).to_numpy(),
    )
    # the orders frame adds up to the per-SKU order quantities
    o = res.orders.group_by("policy", "unique_id").agg(pl.col("qty").sum())
    m = s.join(o, on=["policy", "unique_id"], how="left").with_columns(pl.col("qty").fill_null(0))
    assert np.allclose(m["qty"].to_numpy(), m["order_qty"].to_numpy())
    # every policy faced the same demand
    assert s.group_by("policy").agg(pl.col("demand_qty").sum())["demand_qty"].n_unique() == 1


def test_oracle_beats_every_policy(five: Any) -> None:
    _, _, res = five
    tot = {r["policy"]: r["profit_usd"] for r in res.totals.to_dicts()}
    assert set(tot) == {"quickturn", "erp", "heavy", "qr", "oracle"}
    for name, p in tot.items():
        assert tot["oracle"] >= p - 1e-6, name
    # and SKU by SKU (no MOQ, case pack or budget: the oracle is a true bound)
    piv = res.skus.pivot(on="policy", index="unique_id", values="profit_usd")
    for name in tot:
        assert (piv["oracle"] >= piv[name] - 1e-6).all(), name


def test_no_order_baseline_bounds_every_policys_dead_stock(five: Any) -> None:
    dem, eco, res = five
    base = qt.backtest.run(dem, eco, every=7, seed=2, policies=["none", "erp"])
    none = base.skus.filter(pl.col("policy") == "none")
    assert none["order_qty"].sum() == 0.0
    # the orders frame holds the ERP's orders only (a policy without orders is no row)
    assert set(base.orders["policy"].to_list()) <= {"erp"}
    assert base.orders.schema["policy"] == pl.String
    floor = dict(zip(none["unique_id"].to_list(), none["dead_stock_qty"].to_list(), strict=True))
    for r in res.skus.iter_rows(named=True):
        assert r["dead_stock_qty"] >= floor[r["unique_id"]] - 1e-9, r["policy"]


def test_summary_and_targets(five: Any) -> None:
    _, _, res = five
    s = res.summary()
    assert s["decisions"] == 26
    assert set(s["policies"]) == {"quickturn", "erp", "heavy", "qr", "oracle"}
    assert s["policies"]["oracle"]["oracle_share"] == 1.0
    assert "quickturn_profit_vs_erp" in s["targets"]


# -- no lookahead ------------------------------------------------------------------------------


def test_changing_the_future_moves_no_earlier_decision() -> None:
    dem = _demand(8, 220, seed=11)
    ids = sorted(dem["unique_id"].unique().to_list())
    eco = _fixed_economics(ids, moq=10.0, case_pack=5.0)
    start = D0 + timedelta(days=220 - 13 * 7)
    cut = start + timedelta(days=35)  # the 6th decision day
    pols = ["quickturn", "erp", "heavy", "qr"]
    a = qt.backtest.run(dem, eco, start=start, every=7, policies=pols, seed=4)
    changed = dem.with_columns(
        pl.when(pl.col("ds") >= cut).then(pl.col("y") * 5 + 3).otherwise(pl.col("y")).alias("y")
    )
    b = qt.backtest.run(changed, eco, start=start, every=7, policies=pols, seed=4)

    def upto(res: Any) -> pl.DataFrame:
        return res.orders.filter(pl.col("ds") <= cut).sort("policy", "unique_id", "ds", "route")

    oa, ob = upto(a), upto(b)
    assert oa.height > 0
    assert oa.equals(ob)
    # the daily world before the cut is the same too
    da = a.daily.filter(pl.col("ds") < cut)
    db = b.daily.filter(pl.col("ds") < cut)
    assert da.equals(db)
    # …and the change is real: later decisions do move
    assert not a.orders.sort("policy", "unique_id", "ds", "route").equals(
        b.orders.sort("policy", "unique_id", "ds", "route")
    )


# -- compliance blocks, MOQ, case packs, budget --------------------------------------------


def test_blocks_moq_case_pack_and_budget() -> None:
    dem = _demand(6, 200, seed=8)
    ids = sorted(dem["unique_id"].unique().to_list())
    eco = _fixed_economics(ids, moq=30.0, case_pack=12.0).with_columns(
        pl.Series("blocked", [i == "S0" for i in ids])
    )
    res = qt.backtest.run(dem, eco, every=7, policies=["erp", "qr", "oracle"], budget=400.0)
    o = res.orders
    assert o.filter(pl.col("unique_id") == "S0").height == 0
    assert (o["qty"] >= 30).all()
    assert (o["qty"] % 12 == 0).all()
    per_day = o.group_by("policy", "ds").agg(pl.col("cost_usd").sum())
    assert (per_day["cost_usd"] <= 400.0 * 1.001).all()


# -- invariants ----------------------------------------------------------------------------


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 10_000),
    lead=st.integers(1, 40),
    moq=st.sampled_from([0.0, 5.0, 50.0]),
    case=st.sampled_from([1.0, 6.0]),
    every=st.integers(1, 14),
    censor=st.floats(0.0, 0.4),
)
def test_invariants(
    seed: int, lead: int, moq: float, case: float, every: int, censor: float
) -> None:
    rng = np.random.default_rng(seed)
    dem = _demand(4, 150, seed=seed, launch=True)
    dem = dem.with_columns(
        pl.when(pl.Series(rng.random(dem.height) < censor))
        .then(None)
        .otherwise(pl.col("y"))
        .alias("y")
    )
    ids = sorted(dem["unique_id"].unique().to_list())
    eco = _fixed_economics(
        ids,
        slow_lead_time_days=float(lead),
        slow_lead_time_dist="lognormal",
        slow_lead_time_sd_days=lead / 4,
        slow_lead_time_min_days=1.0,
        moq=moq,
        case_pack=case,
    )
    res = qt.backtest.run(
        dem,
        eco,
        every=every,
        policies=["erp", "heavy", "qr", "oracle"],
        seed=seed,
        start=D0 + timedelta(days=90),
    )
    for name in res.policies:
        tr = res.outcome.runs[name].trace
        assert (tr[:, :, 0] >= -1e-9).all()  # on hand
        assert (tr[:, :, 1] >= -1e-9).all()  # in transit
        assert (tr[:, :, 4] >= -1e-9).all()  # lost
    s = res.skus
    assert (s["lost_sales_qty"] >= 0).all()
    assert (s["dead_stock_qty"] >= 0).all()
    lhs = (s["start_units"] + s["order_qty"]).to_numpy()
    rhs = (s["sales_qty"] + s["end_on_hand_qty"] + s["end_in_transit_qty"]).to_numpy()
    assert np.allclose(lhs, rhs)
    # common random numbers: the same order day and route waits the same for everyone
    o = res.orders.with_columns((pl.col("arrival") - pl.col("ds")).alias("lt"))
    assert (o.group_by("unique_id", "ds", "route").agg(pl.col("lt").n_unique())["lt"] == 1).all()


# -- the frame API ---------------------------------------------------------------------------


def test_frame_type_follows_the_input() -> None:
    dem = _demand(3, 120, seed=1)
    ids = sorted(dem["unique_id"].unique().to_list())
    eco = _fixed_economics(ids)
    pl_res = qt.backtest.run(dem, eco, policies=["erp", "oracle"], start=D0 + timedelta(days=60))
    pd_res = qt.backtest.run(
        dem.to_pandas(),
        eco.to_pandas(),
        policies=["erp", "oracle"],
        start=str(D0 + timedelta(days=60)),
    )
    for attr in ("skus", "totals", "daily", "orders", "decisions"):
        assert isinstance(getattr(pl_res, attr), pl.DataFrame), attr
        assert isinstance(getattr(pd_res, attr), pd.DataFrame), attr
    assert isinstance(pd_res.trace("erp", ids[0]), pd.DataFrame)
    assert np.allclose(
        pl_res.totals["profit_usd"].to_numpy(), pd_res.totals["profit_usd"].to_numpy()
    )


def test_economics_optional() -> None:
    dem = _demand(2, 100, seed=2)
    res = qt.backtest.run(dem, policies=["erp"], start=D0 + timedelta(days=50))
    assert res.totals.height == 1


def test_bad_input_names_row_column_value() -> None:
    dem = _demand(2, 60, seed=2).with_columns(pl.col("y").cast(pl.String))
    dem = dem.with_columns(
        pl.when(pl.int_range(pl.len()) == 3).then(pl.lit("lots")).otherwise(pl.col("y")).alias("y")
    )
    with pytest.raises(ValidationError) as e:
        qt.backtest.run(dem, policies=["erp"])
    msg = str(e.value)
    assert "row 4" in msg and "'y'" in msg and "lots" in msg


def test_unknown_policy() -> None:
    from quickturn.errors import UsageError

    with pytest.raises(UsageError, match="unknown policy"):
        qt.backtest.run(_demand(1, 60, seed=0), policies=["magic"])
