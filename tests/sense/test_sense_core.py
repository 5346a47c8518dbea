"""Core sense behaviour on small, hand-checkable inputs."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import numpy as np
import polars as pl

from quickturn.core.sense.backtest import first_week_to_rest_of_life, rolling_origin
from quickturn.core.sense.baselines import ErpVelocity, Naive
from quickturn.core.sense.history import (
    daily_units,
    demand_panel,
    panel_from_long,
    posts_from_long,
    stockout_days,
)
from quickturn.core.sense.lifecycle import Lifecycle
from quickturn.core.sense.metrics import M5_PROBS, pinball, pooled, series_metrics
from quickturn.core.sense.phases import receding_alert, report
from quickturn.core.sense.synthetic import synthetic_panel
from quickturn.core.sense.types import ContentPosts, quantile_probs


def test_daily_units_counts_units_not_lines_and_drops_cancellations() -> None:
    orders = pl.DataFrame(
        {
            "order_id": ["a", "b", "c", "d"],
            "status": ["COMPLETED", "CANCELLED", "DELIVERED", "COMPLETED"],
            # 07:00 UTC is the previous evening in Los Angeles
            "created_at": [
                datetime(2024, 3, 2, 20),
                datetime(2024, 3, 2, 20),
                datetime(2024, 3, 3, 7),
                datetime(2024, 3, 2, 21),
            ],
            "cancelled_at": [None, None, None, datetime(2024, 3, 2, 22)],
        }
    )
    lines = pl.DataFrame(
        {"order_id": ["a", "b", "c", "d"], "sku_id": ["X"] * 4, "quantity": [3, 5, 2, 7]}
    )
    u = daily_units(orders, lines)
    assert u.to_dicts() == [{"sku_id": "X", "date": date(2024, 3, 2), "units": 5.0}]


def test_stockout_days_are_censored_and_carried_forward() -> None:
    start = date(2024, 1, 1)
    units = pl.DataFrame(
        {"sku_id": ["X", "X"], "date": [start, start + timedelta(days=4)], "units": [2.0, 1.0]}
    )
    stock = stockout_days(
        pl.DataFrame(
            {
                "date": [start, start + timedelta(days=2), start + timedelta(days=4)],
                "sku_id": ["X"] * 3,
                "location_id": ["W"] * 3,
                "on_hand_qty": [5, 0, 3],
                "reserved_qty": [0, 0, 3],
            }
        )
    )
    p = demand_panel(units, start=start, end=start + timedelta(days=5), stock=stock)
    # day 1 in stock (carried from day 0), days 2-3 out (carried), day 4-5 out (3 on hand, 3 reserved)
    assert p.y[0, 0] == 2.0 and p.y[0, 1] == 0.0
    assert np.isnan(p.y[0, 2:]).all()


def test_panel_from_long_missing_days_are_zero_and_nulls_censored() -> None:
    df = pl.DataFrame(
        {
            "unique_id": ["A", "A", "A", "B"],
            "ds": [date(2024, 1, 1), date(2024, 1, 3), date(2024, 1, 4), date(2024, 1, 3)],
            "y": [1.0, None, 2.0, 5.0],
        }
    )
    p = panel_from_long(df)
    assert p.sku_ids == ["A", "B"] and p.start == date(2024, 1, 1)
    np.testing.assert_array_equal(p.y[0], [1.0, 0.0, np.nan, 2.0])
    np.testing.assert_array_equal(p.y[1], [np.nan, np.nan, 5.0, 0.0])


def test_posts_from_long_with_and_without_content_id() -> None:
    df = pl.DataFrame(
        {"unique_id": ["A"] * 3, "ds": [date(2024, 1, d) for d in (1, 2, 3)], "y": [1.0] * 3}
    )
    p = panel_from_long(df)
    c = pl.DataFrame(
        {
            "unique_id": ["A"] * 4,
            "ds": [date(2024, 1, 1), date(2024, 1, 2), date(2024, 1, 2), date(2024, 1, 3)],
            "views": [100, 50, 900, 400],
            "content_id": ["v1", "v1", "v2", "v2"],
        }
    )
    posts = posts_from_long(c, p)
    assert posts.n == 2 and sorted(posts.day.tolist()) == [0, 1]
    merged = posts_from_long(c.drop("content_id"), p)
    assert merged.n == 2  # 100 → 950 is a jump: a new post on day 1


def test_pinball_and_pooled_metrics() -> None:
    y = np.array([[10.0]])
    q = np.array([[[8.0], [12.0]]])
    pl_ = pinball(y, q, np.array([0.1, 0.9]))
    np.testing.assert_allclose(pl_[0, :, 0], [0.2, 0.2])
    train = np.array([[1.0, 3.0, 1.0, 3.0]])  # naive scale 2
    probs = np.union1d(M5_PROBS, [0.1, 0.9])
    quant = np.repeat(np.full((1, 1, 2), 2.0), probs.size, axis=1)
    m = series_metrics(train, np.array([[2.0, 4.0]]), np.array([[2.0, 2.0]]), quant, probs)
    assert m["mase"][0] == 0.5  # mean |err| 1 / scale 2
    res = pooled(m)
    assert res["wape"] == 2.0 / 6.0 and res["bias"] == -2.0 / 6.0
    assert res["coverage80"] == 0.5


def _burst(
    post: int, n_days: int = 100, tau: float = 6.0
) -> tuple[np.ndarray, np.ndarray, ContentPosts]:
    views = np.zeros((1, n_days + 30))
    life = np.arange(n_days + 30 - post)
    views[0, post:] = 50000 * (1 - np.exp(-(life + 1) / 0.8)) * np.exp(-life / tau) / tau
    lam = 2.0 + 0.002 * views[0]
    y = np.random.default_rng(0).poisson(lam[:n_days])[None, :].astype(float)
    return y, lam, ContentPosts(np.array([0]), np.array([post]), views[:, :n_days])


def test_lifecycle_follows_a_decaying_burst_from_its_views() -> None:
    y, lam, content = _burst(post=90)
    m = Lifecycle().fit(y, content=content)
    base, active, new = m.mean_components(m.states_[0][1], 0, 30)
    excess = lam[100:] - 2.0
    # the baseline is the 2 units/day under the burst, and the burst's tail decays with it
    assert abs(base[0].mean() - 2.0) < 0.6
    assert active[0, 0] > 3 * active[0, -1]
    # ten days of views cannot tell an exponential from a power-law tail: within a factor 2
    assert 0.5 < active[0].sum() / excess.sum() < 2.0
    # new posts are possible (this SKU had one), so the total carries some of them
    assert new[0].sum() > 0
    out = m.predict(30)
    np.testing.assert_allclose(out.mean[0], (base + active + new)[0])


def test_new_post_scale_scales_the_new_post_term() -> None:
    """``new_post_scale`` multiplies the expected rate of new posts: 0 switches them off (in
    the mean and in the paths), 2 doubles their expected demand; the rest is unchanged."""
    y, _lam, content = _burst(post=90)
    parts = {}
    for scale in (0.0, 1.0, 2.0):
        m = Lifecycle(new_post_scale=scale).fit(y, content=content)
        parts[scale] = m.mean_components(m.states_[0][1], 0, 30)
    assert parts[1.0][2].sum() > 0 and parts[0.0][2].sum() == 0
    np.testing.assert_allclose(parts[2.0][2], 2 * parts[1.0][2])
    for scale in (0.0, 2.0):
        np.testing.assert_array_equal(parts[scale][0], parts[1.0][0])
        np.testing.assert_array_equal(parts[scale][1], parts[1.0][1])


def test_exponential_kernel_chosen_for_an_exponential_burst() -> None:
    y, _, content = _burst(post=55)
    m = Lifecycle().fit(y, content=content)
    assert m.states_[0][1]["kernel"][0] == "exponential"


def test_power_law_tail_is_recognised() -> None:
    syn = synthetic_panel(60, 200, seed=5, mix=(0, 1, 0, 0), stockouts=False)
    p = syn.panel
    m = Lifecycle().fit(p.y, content=p.content)
    k = m.states_[0][1]["kernel"]
    known = [(a, b) for a, b in zip(syn.kernel, k.tolist(), strict=True) if b != "none"]
    assert len(known) >= 10
    hit = np.mean([a == b for a, b in known])
    assert hit >= 0.6


def test_censored_days_are_not_learned_as_zero_demand() -> None:
    rng = np.random.default_rng(1)
    y = rng.poisson(5.0, (1, 120)).astype(float)
    y_zero = y.copy()
    y_zero[0, 90:115] = 0.0  # looks like no demand …
    y_cens = y.copy()
    y_cens[0, 90:115] = np.nan  # … but was a stock-out
    zero = Lifecycle().forecast(y_zero, 14).mean.mean()
    cens = Lifecycle().forecast(y_cens, 14).mean.mean()
    assert cens > 3.5 and zero < cens
    erp = ErpVelocity().forecast(y_cens, 14).mean.mean()
    assert erp > 3.5


def test_phases_and_receding_on_synthetic_shapes() -> None:
    t = np.arange(150, dtype=float)
    rng = np.random.default_rng(2)
    steady = rng.poisson(4.0, 150)
    dead = np.where(t < 60, rng.poisson(3.0, 150), 0)
    hump = 1 + 40 * np.exp(-0.5 * ((t - 110) / 8.0) ** 2)
    receding = rng.poisson(hump)
    y = np.vstack([steady, dead, receding]).astype(float)
    m = Lifecycle().fit(y)
    rep = report(m, y, None, n_paths=40)
    assert rep.phase[0] == "steady"
    assert rep.phase[1] == "dead"
    assert rep.phase[2] == "decaying"
    assert rep.receding.tolist() == [False, False, True]
    assert abs(int(rep.receding_day[2]) - 110) <= 7
    assert rep.probs.shape == (3, 6) and np.allclose(rep.probs.sum(axis=1), 1.0)
    assert rep.remaining_p10[0] <= rep.remaining_mean[0] <= rep.remaining_p90[0]


def test_receding_alert_needs_a_real_drop() -> None:
    flat = np.full((1, 80), 5.0)
    alert, day = receding_alert(flat, flat)
    assert not alert[0] and day[0] == -1


def test_rolling_origin_and_first_week_report_every_model() -> None:
    syn = synthetic_panel(30, 150, seed=4)
    models = {"lifecycle": Lifecycle(), "naive": Naive()}
    res = rolling_origin(syn.panel, models, h=14, windows=2, actual=syn.demand[:, :150])
    assert res.origins == [122, 136]
    for name in models:
        assert {"mase", "spl", "wape", "bias", "coverage80", "coverage95"} <= set(res.overall[name])
        assert len(res.by_window[name]) == 2
    fw = first_week_to_rest_of_life(syn.panel, models, min_rest=14)
    assert fw["lifecycle"]["skus"] == fw["naive"]["skus"] > 0


def test_quantile_probs_for_levels() -> None:
    assert quantile_probs([50]).tolist() == [0.25, 0.5, 0.75]
