from __future__ import annotations

from datetime import date

import numpy as np

from quickturn.core.sense.types import PHASES
from quickturn.services import sense
from quickturn.store import Store

START = date(2024, 2, 2)
TODAY = date(2024, 6, 1)


def test_load_panel_units_cancellations_and_stockouts(
    store: Store, shop: dict[str, np.ndarray]
) -> None:
    units = shop
    hist = sense.load_panel(store, today=TODAY, history_days=120)
    p = hist.panel
    assert p.start == START
    assert p.sku_ids == ["BURST", "DEAD", "OOS", "STEADY"]
    steady = p.y[p.sku_ids.index("STEADY")]
    # units (not lines), cancelled order excluded
    assert np.nansum(steady) == units["STEADY"].sum()
    oos = p.y[p.sku_ids.index("OOS")]
    assert np.isnan(oos[100:110]).all()  # censored, not zero demand
    assert np.isfinite(oos[:100]).all() and np.isfinite(oos[110:]).all()
    assert p.content is not None and p.content.n == 1


def test_demand_scenarios_contract(store: Store, shop: dict[str, np.ndarray]) -> None:
    sp = sense.demand_scenarios(store, today=TODAY, h=14, n_paths=50, seed=3)
    assert sp.paths.shape == (4, 50, 14)
    assert sp.paths.dtype == np.float64
    assert sp.start == TODAY
    assert (sp.paths >= 0).all()
    assert set(sp.phase) <= set(PHASES)
    again = sense.demand_scenarios(store, today=TODAY, h=14, n_paths=50, seed=3)
    np.testing.assert_array_equal(sp.paths, again.paths)
    # a SKU's paths do not depend on which other SKUs are asked for
    one = sense.demand_scenarios(store, today=TODAY, h=14, n_paths=50, seed=3, sku_ids=["STEADY"])
    assert one.sku_ids == ["STEADY"]
    steady = sp.paths[sp.sku_ids.index("STEADY")]
    assert abs(steady.mean() - 4.0) < 1.5
    dead = sp.paths[sp.sku_ids.index("DEAD")]
    assert dead.mean() < 0.3
