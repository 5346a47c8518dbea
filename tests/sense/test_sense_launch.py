"""Frame API convention (each series from its own last ``ds``; ``as_of=``), launch curves
pooled from earlier launches, and the mean/quantile consistency of the lifecycle model."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import quickturn as qt
from quickturn.core.sense.base import row_keys
from quickturn.core.sense.launch import launch_curves, launch_pool
from quickturn.core.sense.lifecycle import Lifecycle


def _series(uid: str, start: date, values: list[float]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "unique_id": [uid] * len(values),
            "ds": [start + timedelta(days=i) for i in range(len(values))],
            "y": [float(v) for v in values],
        }
    )


def test_each_series_is_forecast_from_its_own_last_ds() -> None:
    a = _series("A", date(2024, 1, 1), [5.0] * 60)  # ends 2024-02-29
    b = _series("B", date(2024, 1, 1), [10.0] * 50)  # ends 2024-02-19
    both = pl.concat([a, b])
    for model in ("naive", "seasonal_naive", "lifecycle"):
        fc = qt.sense.forecast(both, h=7, model=model)
        fb = fc.filter(pl.col("unique_id") == "B")
        assert fb["ds"].min() == date(2024, 2, 20) and fb["ds"].max() == date(2024, 2, 26)
        fa = fc.filter(pl.col("unique_id") == "A")
        assert fa["ds"].min() == date(2024, 3, 1)
        alone = qt.sense.forecast(b, h=7, model=model)
        if model != "lifecycle":  # per-series models: identical alone and together
            assert fb["mean"].to_list() == alone["mean"].to_list()
        else:  # pooled weekday factors only: B is not dragged to zero by A's later end
            assert fb["mean"].mean() == pytest.approx(alone["mean"].mean(), rel=0.05)
            assert fb["mean"].mean() > 8.0


def test_as_of_forecasts_every_series_from_one_date() -> None:
    a = _series("A", date(2024, 1, 1), [5.0] * 60)
    b = _series("B", date(2024, 1, 1), [10.0] * 50)
    fc = qt.sense.forecast(pl.concat([a, b]), h=3, model="naive", as_of=date(2024, 2, 29))
    assert set(fc["ds"].to_list()) == {date(2024, 3, 1), date(2024, 3, 2), date(2024, 3, 3)}
    # B sold nothing on the 10 days it has no rows for: zero sales, so naive says 0
    assert fc.filter(pl.col("unique_id") == "B")["mean"].to_list() == [0.0, 0.0, 0.0]
    # rows after as_of are ignored
    early = qt.sense.forecast(a, h=2, model="naive", as_of="2024-01-10")
    assert early["ds"].to_list() == [date(2024, 1, 11), date(2024, 1, 12)]
    with pytest.raises(qt.errors.UsageError, match="as_of"):
        qt.sense.forecast(a, h=2, as_of="not a date")


def test_shifting_a_frame_in_time_shifts_the_forecast_only() -> None:
    rng = np.random.default_rng(1)
    parts = [
        _series(f"S{i}", date(2024, 1, 1 + i), rng.poisson(4.0 + i, 70).tolist()) for i in range(4)
    ]
    df = pl.concat(parts)
    moved = df.with_columns(pl.col("ds") + pl.duration(days=7))
    f1 = qt.sense.forecast(df, h=10, model="lifecycle")
    f2 = qt.sense.forecast(moved, h=10, model="lifecycle")
    assert (f2["ds"] - f1["ds"]).dt.total_days().unique().to_list() == [7]
    np.testing.assert_allclose(f1["mean"].to_numpy(), f2["mean"].to_numpy(), rtol=1e-9)


def test_pandas_frames_follow_the_same_convention() -> None:
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame(
        {
            "unique_id": ["A"] * 20 + ["B"] * 10,
            "ds": list(pd.date_range("2024-01-01", periods=20))
            + list(pd.date_range("2024-01-01", periods=10)),
            "y": [3.0] * 30,
        }
    )
    fc = qt.sense.forecast(df, h=2, model="naive")
    got = fc.groupby("unique_id")["ds"].min()
    assert str(got["A"].date()) == "2024-01-21" and str(got["B"].date()) == "2024-01-11"


def _launch(peak: float, rate: float, days: int, rng: np.random.Generator) -> np.ndarray:
    t = np.arange(days)
    return rng.poisson(peak * np.exp(-rate * t)).astype(float)


def test_young_sku_follows_the_decline_of_earlier_launches() -> None:
    rng = np.random.default_rng(7)
    t_n = 240
    rows = []
    for j in range(30):  # earlier launches that decay with a 20-day time constant
        y = np.full(t_n, np.nan)
        s = 30 + 5 * j
        y[s:] = _launch(40.0, 0.05, t_n - s, rng)
        rows.append(y)
    target = np.full(t_n, np.nan)
    target[t_n - 14 :] = _launch(40.0, 0.05, 14, rng)
    y = np.vstack([*rows, target])
    flat = Lifecycle(launch_curves=False).forecast(y, 28, probs=[0.1, 0.5, 0.9])
    curve = Lifecycle().forecast(y, 28, probs=[0.1, 0.5, 0.9])
    truth = 40.0 * np.exp(-0.05 * np.arange(14, 42))
    err_flat = abs(flat.mean[-1].sum() - truth.sum()) / truth.sum()
    err_curve = abs(curve.mean[-1].sum() - truth.sum()) / truth.sum()
    assert err_curve < 0.25 < err_flat
    assert curve.mean[-1, -1] < curve.mean[-1, 0]  # it declines over the horizon
    # old SKUs (selling since column 0) are untouched by the launch curves
    old = np.vstack([rng.poisson(5.0, t_n).astype(float), y])
    a = Lifecycle(launch_curves=False).forecast(old[:1], 14).mean
    b = Lifecycle().forecast(old[:1], 14).mean
    np.testing.assert_allclose(a, b)


def test_launch_curves_need_enough_earlier_launches_and_use_categories() -> None:
    rng = np.random.default_rng(3)
    t_n = 200
    y = np.full((3, t_n), np.nan)
    y[0, 40:] = _launch(30.0, 0.05, t_n - 40, rng)
    y[1, 50:] = _launch(30.0, 0.05, t_n - 50, rng)
    y[2, t_n - 10 :] = _launch(30.0, 0.05, 10, rng)
    lc = launch_curves(y, launch_pool(y), min_launches=5)
    assert not lc.young.any()  # two earlier launches are not enough: flat level as before
    rows = [y]
    for j in range(12):
        r = np.full(t_n, np.nan)
        s = 30 + 4 * j
        fast = j % 2 == 0
        r[s:] = _launch(30.0, 0.15 if fast else 0.01, t_n - s, rng)
        rows.append(r[None, :])
    yy = np.vstack(rows)
    cats = ["x", "x", "fast"] + ["fast" if j % 2 == 0 else "slow" for j in range(12)]
    pool = launch_pool(yy, cats)
    lc_fast = launch_curves(yy[2:3], pool, ["fast"])
    lc_slow = launch_curves(yy[2:3], pool, ["slow"])
    assert lc_fast.young[0] and lc_slow.young[0]
    # the expected level over the next 28 days (the curve has mean 1 over them)
    assert lc_fast.level[0] < lc_slow.level[0]
    np.testing.assert_allclose(lc_fast.ratio[0, :28].mean(), 1.0, rtol=1e-9)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    level=st.floats(0.5, 50.0),
    spike=st.floats(0.0, 200.0),
    seed=st.integers(0, 10_000),
)
def test_mean_is_consistent_with_the_quantiles(level: float, spike: float, seed: int) -> None:
    """The reported mean is the mean of the distribution the quantiles describe: it equals
    the mean of the model's own sample paths within Monte Carlo error."""
    rng = np.random.default_rng(seed)
    y = rng.poisson(level, (3, 120)).astype(float)
    y[1, :100] = np.nan  # a young SKU
    y[2, 110] += spike
    m = Lifecycle(n_quantile_paths=2000)
    m.fit(y, keys=row_keys(["a", "b", "c"]))
    out = m.predict(14, probs=[0.1, 0.5, 0.9], n_paths=2000, seed=seed)
    assert out.paths is not None
    tot_mean = out.mean.sum(axis=1)
    tot_paths = out.paths.sum(axis=2)
    se = tot_paths.std(axis=1) / np.sqrt(tot_paths.shape[1])
    assert np.all(np.abs(tot_paths.mean(axis=1) - tot_mean) <= 5 * se + 0.02 * tot_mean + 0.5)
    # and the quantiles are those of the same paths: the mean lies inside their range
    assert np.all(out.quantile(0.9) >= out.quantile(0.1))
    assert np.all(tot_mean <= tot_paths.max(axis=1) + 1e-9)


def test_launch_level_is_shrunk_towards_the_shops_launches() -> None:
    """Earlier launches regress to the mean (a big first fortnight is partly luck, a small
    one often grows): the young SKU's expected level follows the pooled regression of later
    level on early level, not its own early level times one curve."""
    rng = np.random.default_rng(11)
    t_n = 200
    rows = []
    for j in range(40):
        y = np.full(t_n, np.nan)
        s = 30 + 2 * j
        base = rng.lognormal(1.5, 0.8)  # the launch's lasting level
        early = base * rng.lognormal(0.0, 0.8)  # its first fortnight: noisy
        y[s : s + 14] = rng.poisson(early, 14)
        y[s + 14 :] = rng.poisson(base, t_n - s - 14)
        rows.append(y)
    big = np.full(t_n, np.nan)
    big[t_n - 14 :] = 60.0
    yy = np.vstack([*rows, big])
    lc = launch_curves(yy, launch_pool(yy))
    assert lc.young[-1] and lc.pooled[-1]
    assert lc.level[-1] < 0.7 * lc.recent[-1]  # the big one is expected to cool down
    assert lc.cv[-1] > 0 and np.isfinite(lc.size[-1])
    np.testing.assert_allclose(lc.ratio[-1, :28].mean(), 1.0, rtol=1e-9)
