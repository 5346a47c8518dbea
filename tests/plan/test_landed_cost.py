"""One landed-cost definition: the plan's landed cost of a unit is the ledger's, tariffs included.

The ledger's cost layer of a shipment without freight, duty or inbound bills (freight from the
route's rates, duty = factory × (HTS rate + extra tariffs), the layer's total to the cent, inbound from the
destination) divided by its quantity equals the plan's no-ledger landed cost of the same SKU on
the same route (``SkuContext.landed_cost_usd``), and the plan carries the unit cost and the duty
rate (with tariffs) as the ledger's parts give them.  The route has no fixed or minimum charge:
the plan carries those per order (``R_FIXED``, ``R_MINCHG``), not per unit.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl
import pytest

from quickturn.core.ledger.fx import fx_table
from quickturn.core.ledger.inputs import LedgerInputs
from quickturn.core.ledger.landed import cost_layers, unit_cost_parts
from quickturn.core.ledger.schedule import LedgerSettings
from quickturn.core.plan.inputs import LOTS_SCHEMA, assemble_inputs
from quickturn.core.plan.settings import plan_settings
from quickturn.core.plan.simulate import E_DUTY, E_LANDED, E_UNIT

TODAY = date(2026, 3, 2)
TARIFFS = LedgerSettings.from_mapping(
    {
        "extra_tariffs": [
            {"name": "section 301", "rate": "0.25", "hs_prefix": "9503", "origin_country": "CN"},
            {"name": "other", "rate": "0.5", "hs_prefix": "8517"},  # does not apply
        ]
    }
)


def _tables(currency: str, unit_cost: float) -> dict[str, pl.DataFrame]:
    return {
        "skus": pl.DataFrame(
            {
                "sku_id": ["TOY"],
                "title": ["Spinning top"],
                "status": ["active"],
                "list_price": [19.99],
                "price_currency": ["USD"],
                "unit_cost": [unit_cost],
                "cost_currency": [currency],
                "supplier_id": ["S1"],
                "hs_code": ["9503.00.0073"],
                "duty_rate": [0.035],
                "weight_g": [450.0],
                "length_cm": [20.0],
                "width_cm": [15.0],
                "height_cm": [10.0],
                "moq_qty": [100],
                "case_pack_qty": [10],
            }
        ),
        "suppliers": pl.DataFrame(
            {
                "supplier_id": ["S1"],
                "country": ["cn"],
                "deposit_rate": [0.3],
                "balance_due": ["on_shipment"],
                "production_lead_time_days": [20.0],
            }
        ),
        "locations": pl.DataFrame(
            {
                "location_id": ["FAC", "US1"],
                "kind": ["factory", "us_3pl"],
                "inbound_cost_per_unit_usd": [0.0, 0.35],
                "outbound_cost_per_unit_usd": [0.0, 1.0],
                "storage_cost_per_cbm_day_usd": [0.0, 0.5],
            }
        ),
        "routes": pl.DataFrame(
            {
                "route_id": ["SEA"],
                "origin_id": ["FAC"],
                "destination_id": ["US1"],
                "mode": ["sea"],
                "lead_time_mean_days": [32.0],
                "lead_time_sd_days": [4.0],
                "lead_time_min_days": [26.0],
                "cost_per_kg_usd": [0.8],
                "cost_per_cbm_usd": [120.0],
                "cost_per_unit_usd": [0.05],
                "volumetric_divisor": [6000.0],
            }
        ),
        "fx_rates": pl.DataFrame(
            {"date": [date(2025, 12, 1)], "currency": ["CNY"], "usd_per_unit": [0.1385]}
        ),
    }


def _ledger_unit_landed(t: dict[str, pl.DataFrame], settings: LedgerSettings) -> float:
    inputs = LedgerInputs.from_frames(
        {
            **t,
            "shipments": pl.DataFrame(
                {
                    "shipment_id": ["SH1"],
                    "route_id": ["SEA"],
                    "origin_id": ["FAC"],
                    "destination_id": ["US1"],
                    "mode": ["sea"],
                    "shipped_on": [date(2026, 1, 5)],
                    "arrived_on": [date(2026, 2, 6)],
                }
            ),
            "shipment_lines": pl.DataFrame(
                {"shipment_id": ["SH1"], "sku_id": ["TOY"], "quantity": [400]}
            ),
        }
    )
    layers, _ = cost_layers(inputs, settings, fx_table(inputs.fx_rates))
    (row,) = layers.filter(pl.col("source_table") == "shipment_lines").iter_rows(named=True)
    return float(row["landed_usd"]) / 1e4 / row["quantity"]


def _plan_landed(t: dict[str, pl.DataFrame], settings: LedgerSettings):  # type: ignore[no-untyped-def]
    fx = {"USD": 1.0, "CNY": 0.1385}
    inputs, ctx, findings = assemble_inputs(
        skus=t["skus"],
        suppliers=t["suppliers"],
        locations=t["locations"],
        routes=t["routes"],
        stock=pl.DataFrame(
            {"sku_id": ["TOY"], "location_id": ["US1"], "on_hand_qty": [10], "reserved_qty": [0]}
        ),
        lots=pl.DataFrame(schema=LOTS_SCHEMA),
        fx=fx,
        demand=np.ones((1, 4, 30)),
        demand_sku_ids=["TOY"],
        phase=["steady"],
        economics=None,
        us_days=(4.0, 1.0),
        pod_days=(float("nan"), float("nan")),
        settings=plan_settings(),
        unit_costs=unit_cost_parts(t["skus"], t["suppliers"], settings, fx),
    )
    assert inputs.sku_ids == ("TOY",), findings
    return inputs, ctx


@pytest.mark.parametrize(("currency", "unit_cost"), [("USD", 3.17), ("CNY", 22.9)])
@pytest.mark.parametrize("tariffs", [False, True])
def test_plan_landed_cost_equals_the_ledgers(
    currency: str, unit_cost: float, tariffs: bool
) -> None:
    settings = TARIFFS if tariffs else LedgerSettings()
    t = _tables(currency, unit_cost)
    ledger = _ledger_unit_landed(t, settings)
    inputs, ctx = _plan_landed(t, settings)
    # the ledger is exact to 1/10,000 of a dollar per layer; the plan in float64 per unit
    assert ctx.landed_cost_usd[0] == pytest.approx(ledger, abs=1e-4)
    assert inputs.economics[0, E_LANDED] == pytest.approx(ledger, abs=1e-4)
    rate = 0.035 + (0.25 if tariffs else 0.0)
    assert inputs.economics[0, E_DUTY] == pytest.approx(rate)
    unit = unit_cost * (0.1385 if currency == "CNY" else 1.0)
    assert inputs.economics[0, E_UNIT] == pytest.approx(unit)  # carried, not recovered


def test_tariffs_raise_the_plans_landed_cost() -> None:
    t = _tables("USD", 3.17)
    _, plain = _plan_landed(t, LedgerSettings())
    _, taxed = _plan_landed(t, TARIFFS)
    assert taxed.landed_cost_usd[0] - plain.landed_cost_usd[0] == pytest.approx(0.79, abs=0.005)


def test_unit_cost_from_the_ledgers_cost_layer_when_the_sku_has_none() -> None:
    t = _tables("USD", 3.17)
    skus = t["skus"].with_columns(pl.lit(None, pl.Float64).alias("unit_cost"))
    layers = pl.DataFrame(
        {
            "sku_id": ["TOY", "TOY"],
            "received_on": [date(2025, 11, 1), date(2026, 2, 6)],
            "quantity": [100, 400],
            "factory_usd": [300.0, 1300.0],
            "cost_known": [True, True],
            "in_transit": [False, False],
        }
    )
    parts = unit_cost_parts(skus, t["suppliers"], TARIFFS, {"USD": 1.0}, layers=layers)
    row = parts.row(0, named=True)
    assert row["unit_cost_usd"] == pytest.approx(3.25)  # the latest layer, 1300 / 400
    assert row["unit_cost_basis"] == "cost_layer"
    assert row["duty_rate"] == pytest.approx(0.285)
    assert row["duty_usd"] == pytest.approx(3.25 * 0.285)
