"""Input assembly from shop tables: route choice, freight, lots in transit, findings."""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl
import pytest

from quickturn.core.channel.models import OperatingModelSettings, model_facts, model_inputs
from quickturn.core.plan.engine import decide, evaluate, run_plan
from quickturn.core.plan.inputs import (
    LOTS_SCHEMA,
    assemble_inputs,
    fit_route_lead_times,
    freight_per_unit,
    in_transit_lots,
)
from quickturn.core.plan.settings import plan_settings
from quickturn.core.plan.simulate import (
    E_CASH,
    E_ON_HAND,
    E_ORIGIN,
    E_PRICE,
    E_STORAGE,
    E_UNIT,
    E_VAR,
    FAST,
    R_DIST,
    R_FREIGHT,
    R_MEAN,
    R_PROD,
    R_Q0,
    SLOW,
    SimConfig,
    build_inputs,
)

TODAY = date(2026, 3, 2)


def _frames() -> dict[str, pl.DataFrame]:
    skus = pl.DataFrame(
        {
            "sku_id": ["A", "B", "C"],
            "title": ["Lamp", "Mug", "Mystery"],
            "status": ["active"] * 3,
            "list_price": [20.0, 15.0, 10.0],
            "price_currency": ["USD"] * 3,
            "unit_cost": [28.0, 14.0, None],
            "cost_currency": ["CNY"] * 3,
            "supplier_id": ["S1"] * 3,
            "weight_g": [500.0, 300.0, 100.0],
            "length_cm": [20.0, 10.0, 5.0],
            "width_cm": [20.0, 10.0, 5.0],
            "height_cm": [15.0, 10.0, 5.0],
            "duty_rate": [0.1, 0.0, 0.0],
            "moq_qty": [100, 50, 10],
            "case_pack_qty": [20, 10, 10],
            "production_lead_time_days": [None, 12.0, 10.0],
            "pod_eligible": [False, True, False],
            "pod_unit_cost": [None, 50.0, None],
            "pod_lead_time_days": [None, 9.0, None],
        }
    )
    suppliers = pl.DataFrame(
        {
            "supplier_id": ["S1"],
            "deposit_rate": [0.3],
            "balance_due": ["net_days"],
            "balance_days": [30],
            "production_lead_time_days": [20.0],
        }
    )
    locations = pl.DataFrame(
        {
            "location_id": ["FAC", "US1"],
            "kind": ["factory", "us_3pl"],
            "storage_cost_per_cbm_day_usd": [0.0, 0.5],
            "inbound_cost_per_unit_usd": [0.0, 0.2],
            "outbound_cost_per_unit_usd": [0.0, 1.0],
            "capacity_cbm": [None, None],
        }
    )
    routes = pl.DataFrame(
        {
            "route_id": ["SEA", "AIR", "LM"],
            "origin_id": ["FAC", "FAC", "US1"],
            "destination_id": ["US1", "US1", "buyer"],
            "mode": ["sea", "air", "express_parcel"],
            "lead_time_mean_days": [30.0, 8.0, 3.0],
            "lead_time_sd_days": [5.0, 2.0, 1.0],
            "lead_time_min_days": [24.0, 5.0, 1.0],
            "cost_per_kg_usd": [None, 7.0, None],
            "cost_per_cbm_usd": [150.0, None, None],
            "cost_per_unit_usd": [None, None, 4.0],
            "fixed_cost_usd": [400.0, 100.0, None],
            "min_charge_usd": [250.0, 150.0, None],
            "volumetric_divisor": [None, 6000.0, None],
        }
    )
    stock = pl.DataFrame(
        {
            "sku_id": ["A", "B"],
            "location_id": ["US1", "US1"],
            "on_hand_qty": [80, 0],
            "reserved_qty": [5, 0],
        }
    )
    return {
        "skus": skus,
        "suppliers": suppliers,
        "locations": locations,
        "routes": routes,
        "stock": stock,
    }


def _assemble(routes: pl.DataFrame | None = None, **kw: object):
    f = _frames()
    if routes is not None:
        f["routes"] = routes
    rng = np.random.default_rng(0)
    demand = rng.poisson(3.0, size=(3, 50, 40)).astype(float)
    lots = pl.DataFrame(
        {"sku_id": ["A"], "qty": [120.0], "eta_days": [10.0], "sd_days": [2.0], "source": ["SH1"]}
    )
    return assemble_inputs(
        skus=f["skus"],
        suppliers=f["suppliers"],
        locations=f["locations"],
        routes=f["routes"],
        stock=f["stock"],
        lots=lots,
        fx={"USD": 1.0, "CNY": 0.14},
        demand=demand,
        demand_sku_ids=["A", "B", "C"],
        phase=["rising", "steady", "dead"],
        economics=None,
        us_days=(4.0, 1.0),
        pod_days=(float("nan"), float("nan")),
        settings=plan_settings(**kw),  # type: ignore[arg-type]
    )


def test_routes_costs_stock_and_findings() -> None:
    inputs, ctx, findings = _assemble()
    assert inputs.sku_ids == ("A", "B")  # C has no unit cost: reported, not guessed
    assert [f.code for f in findings] == ["PLAN_UNKNOWN_COST"]
    a = 0
    assert ctx.slow[a].route_id == "SEA" and ctx.fast[a].route_id == "AIR"
    # production falls back to the supplier's 20 days; lead = production + transit
    assert inputs.routes[a, SLOW, R_MEAN] == 50.0 and inputs.routes[a, FAST, R_MEAN] == 28.0
    # air: chargeable kg = max(0.5, 20·20·15 / 6000 = 1.0) × $7 + $0.20 inbound
    assert inputs.routes[a, FAST, R_FREIGHT] == pytest.approx(7.2)
    assert inputs.routes[a, SLOW, R_FREIGHT] == pytest.approx(150 * 0.006 + 0.2)
    assert inputs.economics[a, E_UNIT] == pytest.approx(28 * 0.14)
    assert inputs.economics[a, E_ON_HAND] == 75  # on hand net of reserved
    assert inputs.pipeline_qty[a, 0] == 120
    # variable cost: 6% referral + $1 outbound + $4 last mile
    assert inputs.economics[a, E_VAR] == pytest.approx(0.06 * 20 + 1 + 4)
    assert inputs.economics[a, E_STORAGE] == pytest.approx(0.5 * 0.006)
    assert ctx.pod_eligible.tolist() == [False, True]
    assert ctx.fulfilment_cost_usd[a] == pytest.approx(5.0)


def test_lead_time_distribution_families_reach_the_simulator() -> None:
    f = _frames()
    base = f["routes"]
    for dist, code in (("gamma", 1), ("fixed", 2), ("empirical", 0)):
        routes = base.with_columns(pl.lit(dist).alias("lead_time_dist"))
        inputs, _, _ = _assemble(routes=routes)
        # an empirical route without enough past shipments falls back to lognormal
        assert (inputs.routes[:, :, R_DIST] == code).all(), dist
    quant = [30.0 + k for k in range(11)]
    routes = base.with_columns(
        pl.lit("empirical").alias("lead_time_dist"),
        pl.lit(quant, dtype=pl.List(pl.Float64)).alias("lead_time_quantiles"),
    )
    inputs, _, _ = _assemble(routes=routes)
    assert (inputs.routes[:, SLOW, R_DIST] == 3).all()
    # production days (20 for A, 12 for B) come on top of the transit quantiles
    np.testing.assert_allclose(inputs.routes[0, SLOW, R_Q0 : R_Q0 + 11], np.array(quant) + 20)
    np.testing.assert_allclose(inputs.routes[1, SLOW, R_Q0 : R_Q0 + 11], np.array(quant) + 12)


def test_cash_limit_is_shared_by_landed_value_of_expected_demand() -> None:
    free, _, _ = _assemble()
    assert np.isinf(free.economics[:, E_CASH]).all()
    inputs, _, _ = _assemble(cash_limit_usd=1000.0)
    cash = inputs.economics[:, E_CASH]
    mean = inputs.demand.mean(axis=(1, 2))
    value = mean * np.array([28 * 0.14, 14 * 0.14])
    np.testing.assert_allclose(cash, 1000.0 * value / value.sum())


def test_fast_production_days_shortens_only_the_fast_route() -> None:
    inputs, _, _ = _assemble(fast_production_days=5)
    assert inputs.routes[0, FAST, R_MEAN] == 13.0
    assert inputs.routes[0, SLOW, R_MEAN] == 50.0


def test_in_transit_lots_from_shipments_and_open_purchase_orders() -> None:
    routes = _frames()["routes"]
    shipments = pl.DataFrame(
        {
            "shipment_id": ["SH1", "SH2"],
            "route_id": ["SEA", "SEA"],
            "shipped_on": [date(2026, 2, 10), date(2026, 1, 1)],
            "eta_on": [date(2026, 3, 12), None],
            "arrived_on": [None, date(2026, 2, 1)],
        }
    )
    lines = pl.DataFrame(
        {
            "shipment_id": ["SH1", "SH2"],
            "sku_id": ["A", "A"],
            "po_id": ["PO1", "PO0"],
            "quantity": [100, 50],
        }
    )
    pos = pl.DataFrame(
        {
            "po_id": ["PO1", "PO2", "PO3"],
            "sku_id": ["A", "B", "B"],
            "quantity": [100, 60, 70],
            "ready_on": [date(2026, 2, 1), date(2026, 3, 10), None],
            "destination_id": ["US1", "US1", "US1"],
            "status": ["shipped", "open", "cancelled"],
        }
    )
    lots = in_transit_lots(shipments, lines, pos, routes, TODAY)
    got = {(r["sku_id"], r["source"]): r for r in lots.to_dicts()}
    assert set(got) == {("A", "SH1"), ("B", "PO2")}
    # 10 of the sea route's 30 transit days left: SD 5 × √(10/30)
    assert got[("A", "SH1")]["eta_days"] == 10
    assert got[("A", "SH1")]["sd_days"] == pytest.approx(5 * (10 / 30) ** 0.5)
    assert got[("B", "PO2")]["eta_days"] == 8 + 30  # ready in 8 days, then the sea route


def test_route_lead_times_are_fitted_to_past_shipments() -> None:
    routes = pl.DataFrame(
        {
            "route_id": ["SEA", "AIR", "NEW"],
            "lead_time_mean_days": [30.0, 8.0, None],
            "lead_time_sd_days": [5.0, 2.0, None],
            "lead_time_min_days": [22.0, 6.0, None],
        }
    )
    transit = [36, 40, 38, 42, 44, 40]  # sea: slower and steadier than the route says
    shipments = pl.DataFrame(
        {
            "route_id": ["SEA"] * 6 + ["NEW"] * 2 + ["AIR"],
            "shipped_on": [date(2025, 6, 1)] * 9,
            "arrived_on": [date.fromordinal(date(2025, 6, 1).toordinal() + d) for d in transit]
            + [date(2025, 6, 21), date(2025, 6, 25)]
            + [None],  # the air shipment is still in transit: no information yet
        }
    )
    fit = {r["route_id"]: r for r in fit_route_lead_times(routes, shipments, TODAY).to_dicts()}
    sea = fit["SEA"]
    n, mean, var = 6, float(np.mean(transit)), float(np.var(transit, ddof=1))
    assert sea["lead_time_mean_days"] == pytest.approx((4 * 30 + n * mean) / (4 + n))
    assert sea["lead_time_sd_days"] == pytest.approx(
        ((4 * 25 + (n - 1) * var) / (4 + n - 1)) ** 0.5
    )
    assert sea["lead_time_min_days"] == 22.0
    assert (sea["lead_time_source"], sea["lead_time_shipments"]) == ("shipments", 6)
    # no stated values: the shipments alone
    assert fit["NEW"]["lead_time_mean_days"] == 22.0
    assert fit["NEW"]["lead_time_sd_days"] == pytest.approx(2**0.5 * 2)
    assert fit["NEW"]["lead_time_min_days"] == 20.0
    assert fit["AIR"]["lead_time_source"] == "route" and fit["AIR"]["lead_time_mean_days"] == 8.0
    assert fit["SEA"]["lead_time_quantiles"] == pytest.approx(
        list(np.quantile(transit, np.linspace(0, 1, 11)))
    )
    assert fit["NEW"]["lead_time_quantiles"] is None  # too few for an empirical distribution
    # shipments arriving on or after the plan date are not known yet
    early = fit_route_lead_times(routes, shipments, date(2025, 7, 10))  # 36 and 38 days only
    assert early.filter(pl.col("route_id") == "SEA")["lead_time_shipments"][0] == 2


def test_freight_per_unit_uses_chargeable_weight() -> None:
    air = {"cost_per_kg_usd": 10.0, "volumetric_divisor": 5000.0}
    assert freight_per_unit(air, 0.2, 0.001, 1000.0, 0.0) == pytest.approx(2.0)  # actual 0.2 kg
    assert freight_per_unit(air, 0.1, 0.001, 1000.0, 0.0) == pytest.approx(2.0)  # dim 0.2 kg


def test_chunked_decisions_equal_one_batch() -> None:
    inputs, _, _ = _assemble()
    config = SimConfig(seed=2)
    whole = run_plan(inputs, config, search_scenarios=20)
    parts = [evaluate(inputs.take(np.array([k])), config, search_scenarios=20) for k in range(2)]
    split = decide(parts, config)
    np.testing.assert_array_equal(whole.chosen, split.chosen)
    np.testing.assert_allclose(whole.metrics, split.metrics)
    np.testing.assert_allclose(whole.profit, split.profit)


def test_operating_models_rewrite_the_economics() -> None:
    demand = np.full((1, 4, 10), 2.0)
    inputs = build_inputs(
        demand, price=20.0, variable_cost=7.0, storage_cost_per_day=0.01, pod_eligible=1
    )
    terms = OperatingModelSettings()
    full = model_inputs(
        inputs, "fully_managed", terms, fulfilment_cost=np.array([5.0]), delivery_days=4
    )
    semi = model_inputs(
        inputs, "semi_managed", terms, fulfilment_cost=np.array([5.0]), delivery_days=4
    )
    assert full.economics[0, E_PRICE] == pytest.approx(11.0) and full.economics[0, E_VAR] == 0
    assert full.economics[0, E_STORAGE] == 0
    assert semi.economics[0, E_PRICE] == pytest.approx(15.0) and semi.economics[0, E_VAR] == 5
    assert (
        model_inputs(
            inputs, "self_operated", terms, fulfilment_cost=np.array([5.0]), delivery_days=4
        )
        is inputs
    )
    assert model_facts("semi_managed", terms)["price_set_by"] == ("platform", {})
    with pytest.raises(ValueError, match="unknown operating model"):
        model_facts("rental", terms)


def test_stock_in_the_chinese_warehouse_is_transferable_origin_stock() -> None:
    f = _frames()
    locations = pl.concat(
        [
            f["locations"],
            pl.DataFrame(
                {
                    "location_id": ["CNW"],
                    "kind": ["cn_warehouse"],
                    "storage_cost_per_cbm_day_usd": [0.1],
                    "inbound_cost_per_unit_usd": [0.0],
                    "outbound_cost_per_unit_usd": [0.0],
                    "capacity_cbm": [None],
                }
            ),
        ],
        how="diagonal_relaxed",
    )
    stock = pl.concat(
        [
            f["stock"],
            pl.DataFrame(
                {"sku_id": ["B"], "location_id": ["CNW"], "on_hand_qty": [40], "reserved_qty": [4]}
            ),
        ]
    )
    rng = np.random.default_rng(0)
    inputs, ctx, _ = assemble_inputs(
        skus=f["skus"],
        suppliers=f["suppliers"],
        locations=locations,
        routes=f["routes"],
        stock=stock,
        lots=pl.DataFrame(schema=LOTS_SCHEMA),
        fx={"USD": 1.0, "CNY": 0.14},
        demand=rng.poisson(3.0, size=(3, 20, 40)).astype(float),
        demand_sku_ids=["A", "B", "C"],
        phase=["rising", "steady", "dead"],
        economics=None,
        us_days=(4.0, 1.0),
        pod_days=(float("nan"), float("nan")),
        settings=plan_settings(),
    )
    b = ctx.row("B")
    # not sellable US stock, but transferable: on hand net of reserved, where it is
    assert inputs.economics[b, E_ON_HAND] == 0 and inputs.economics[b, E_ORIGIN] == 36
    assert ctx.origin_stock[b] == 36 and ctx.origin_location_id[b] == "CNW"
    assert ctx.origin_location_id[ctx.row("A")] is None
    # the production part of the lead time is known to the simulator (transfers skip it)
    assert inputs.routes[b, SLOW, R_PROD] == 12.0
    out = run_plan(inputs, SimConfig(seed=1), search_scenarios=10)
    assert out.day0_qty[b, 2:].sum() <= 36
