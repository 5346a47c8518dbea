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
    one = sense.demand_scenarios(
        store, today=TODAY, h=14, n_paths=50, seed=3, sku_ids=["STEADY", "NEW-SKU"]
    )
    assert one.sku_ids == ["STEADY", "NEW-SKU"]
    steady = sp.paths[sp.sku_ids.index("STEADY")]
    np.testing.assert_array_equal(one.paths[0], steady)
    assert (one.paths[1] == 0).all()  # a SKU the store does not know has no demand yet
    assert abs(steady.mean() - 4.0) < 1.5
    dead = sp.paths[sp.sku_ids.index("DEAD")]
    assert dead.mean() < 0.3


def test_run_persists_on_both_backends(store: Store, shop: dict[str, np.ndarray]) -> None:
    res = sense.run(store, today=TODAY, h=7, seed=2)
    assert store.count("forecasts") == 4 * 7 and store.count("sku_phases") == 4
    runs = store.table("runs")
    assert runs["module"].to_list() == ["sense"] and runs["as_of"].to_list() == [TODAY]
    ph = store.table("sku_phases").sort("sku_id")
    assert ph["sku_id"].to_list() == ["BURST", "DEAD", "OOS", "STEADY"]
    dead = ph.filter(ph["sku_id"] == "DEAD").row(0, named=True)
    assert dead["phase"] == "dead" and dead["p_dead"] > 0.5
    burst = ph.filter(ph["sku_id"] == "BURST").row(0, named=True)
    assert burst["kernel"] in ("exponential", "power_law")
    assert res.summary["skus"] == 4
    one = sense.run(store, today=TODAY, h=7, seed=2, sku_ids=["STEADY"])
    assert one.phases["sku_id"].to_list() == ["STEADY"]
