"""One contract suite run against every sense forecaster (lifecycle model and baselines).

Contract: non-negative output, right shapes, deterministic under a seed, fit-then-predict
equals forecast, all-zero and one-day histories handled, one bad SKU falls back without
touching the others.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from quickturn.core.sense.base import Forecaster
from quickturn.core.sense.baselines import (
    TSB,
    AutoETS,
    Croston,
    ErpVelocity,
    LogLinearDecay,
    Naive,
    SeasonalNaive,
)
from quickturn.core.sense.lifecycle import Lifecycle
from quickturn.core.sense.synthetic import synthetic_panel
from quickturn.core.sense.types import quantile_probs

FORECASTERS: dict[str, Callable[[], Forecaster]] = {
    "lifecycle": Lifecycle,
    "naive": Naive,
    "seasonal_naive": SeasonalNaive,
    "erp_velocity": ErpVelocity,
    "croston": Croston,
    "tsb": TSB,
    "decay": LogLinearDecay,
    "autoets": AutoETS,
}
PROBS = quantile_probs([50, 80, 95])


@pytest.fixture(params=list(FORECASTERS), scope="module")
def make(request: pytest.FixtureRequest) -> Callable[[], Forecaster]:
    if request.param == "autoets":
        pytest.importorskip("statsforecast")
    return FORECASTERS[request.param]


@pytest.fixture(scope="module")
def panel() -> Any:
    return synthetic_panel(12, 120, seed=3).panel


def _run(m: Forecaster, y: np.ndarray, panel: Any = None, **kw: Any) -> Any:
    extra = {}
    if panel is not None:
        extra = {"content": panel.content, "category": panel.category}
    return m.forecast(y, 14, probs=PROBS, n_paths=20, seed=5, **extra, **kw)


def test_shapes_and_non_negative(make: Callable[[], Forecaster], panel: Any) -> None:
    out = _run(make(), panel.y, panel)
    n = panel.n
    assert out.mean.shape == (n, 14)
    assert out.quantiles.shape == (n, PROBS.size, 14)
    assert out.paths is not None and out.paths.shape == (n, 20, 14)
    assert len(out.model) == n
    for arr in (out.mean, out.quantiles, out.paths):
        assert np.isfinite(arr).all()
        assert (arr >= 0).all()
    # quantiles never cross
    assert (np.diff(out.quantiles, axis=1) >= -1e-9).all()


def test_deterministic_under_seed(make: Callable[[], Forecaster], panel: Any) -> None:
    a = _run(make(), panel.y, panel)
    b = _run(make(), panel.y, panel)
    np.testing.assert_array_equal(a.mean, b.mean)
    np.testing.assert_array_equal(a.quantiles, b.quantiles)
    assert a.paths is not None and b.paths is not None
    np.testing.assert_array_equal(a.paths, b.paths)
    c = make().forecast(panel.y, 14, probs=PROBS, n_paths=20, seed=6, content=panel.content)
    assert c.paths is not None
    assert not np.array_equal(a.paths, c.paths)  # another seed, other scenarios


def test_fit_then_predict_equals_forecast(make: Callable[[], Forecaster], panel: Any) -> None:
    m = make()
    m.fit(panel.y, content=panel.content, category=panel.category)
    a = m.predict(14, probs=PROBS, n_paths=20, seed=5)
    b = _run(make(), panel.y, panel)
    np.testing.assert_allclose(a.mean, b.mean)
    np.testing.assert_allclose(a.quantiles, b.quantiles)
    assert a.paths is not None and b.paths is not None
    np.testing.assert_allclose(a.paths, b.paths)
    assert a.model == b.model
    # learned state ends in "_"
    assert hasattr(m, "states_") and hasattr(m, "y_")


def test_all_zero_and_one_day_histories(make: Callable[[], Forecaster]) -> None:
    zero = np.zeros((3, 60))
    out = _run(make(), zero)
    assert np.allclose(out.mean, 0.0) and np.allclose(out.quantiles, 0.0)
    one = np.full((2, 60), np.nan)
    one[:, -1] = [4.0, 0.0]
    out = _run(make(), one)
    assert np.isfinite(out.mean).all() and (out.mean >= 0).all()
    assert out.mean[0].mean() > out.mean[1].mean()  # it learned something from the one day
    single = _run(make(), np.array([[3.0]]))
    assert single.mean.shape == (1, 14) and np.isfinite(single.mean).all()
    nothing = _run(make(), np.full((2, 30), np.nan))
    assert np.allclose(nothing.mean, 0.0)


def test_bad_sku_falls_back_without_stopping_the_run(
    make: Callable[[], Forecaster], panel: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    clean = _run(make(), panel.y, panel)
    y = panel.y.copy()
    bad_row = 5
    y[bad_row, -3] = 123456.0  # a marker the sabotaged fit chokes on
    m = make()
    original = type(m)._fit_chunk

    def sabotaged(self: Forecaster, chunk: Any) -> dict[str, Any]:
        if np.any(chunk.y == 123456.0):
            raise FloatingPointError("simulated failure on one SKU")
        return original(self, chunk)

    monkeypatch.setattr(type(m), "_fit_chunk", sabotaged)
    out = m.forecast(
        y, 14, probs=PROBS, n_paths=20, seed=5, content=panel.content, category=panel.category
    )
    assert out.model[bad_row] == "fallback"
    assert all(name != "fallback" for i, name in enumerate(out.model) if i != bad_row)
    assert np.isfinite(out.mean).all() and (out.quantiles >= 0).all()
    others = [i for i in range(panel.n) if i != bad_row]
    # with per-SKU random streams, the other SKUs' paths are untouched by the failure
    assert out.paths is not None and clean.paths is not None
    if make is not Lifecycle:  # the lifecycle model pools priors over the chunk
        np.testing.assert_allclose(out.mean[others], clean.mean[others])
    assert out.paths[others].shape == clean.paths[others].shape


def test_non_finite_input_is_unobserved(make: Callable[[], Forecaster]) -> None:
    y = np.full((2, 50), 2.0)
    y[0, 10:20] = np.inf
    y[1, 5] = -3.0
    out = _run(make(), y)
    assert np.isfinite(out.mean).all()
    assert out.model == [make().name] * 2


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    y=arrays(
        np.float64,
        st.tuples(st.integers(1, 4), st.integers(1, 40)),
        elements=st.one_of(st.just(np.nan), st.floats(0, 50, allow_nan=False)),
    )
)
def test_invariants_on_random_histories(y: np.ndarray) -> None:
    for name, make_ in FORECASTERS.items():
        if name == "autoets":
            continue
        out = make_().forecast(y, 5, probs=PROBS, n_paths=5, seed=1)
        assert out.mean.shape == (y.shape[0], 5)
        assert np.isfinite(out.quantiles).all() and (out.quantiles >= 0).all()
        assert out.paths is not None and (out.paths >= 0).all()
