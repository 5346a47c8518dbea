"""The vectorised ``assemble_inputs`` gives exactly what the per-SKU loop before it gave.

``data/demo_inputs.npz`` holds the loop's outputs on the test demo (40 SKUs; mean demand of 1
per day; the journal-free path and a ledger-economics frame for every other SKU, with a few
SKUs stripped of weight, cost, price and FX to reach every finding).  Written once by the
loop (``QUICKTURN_WRITE_SNAPSHOT=1 pytest tests/plan/test_inputs_snapshot.py``); the test
compares every array of ``PlanInputs`` and ``SkuContext`` and every finding.
"""

from __future__ import annotations

import json
import os
from dataclasses import fields
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest

from quickturn.core.plan.inputs import SkuContext
from quickturn.core.plan.settings import plan_settings
from quickturn.services.plan_inputs import assemble_plan_inputs
from quickturn.store import Store

SNAPSHOT = Path(__file__).with_name("data") / "demo_inputs.npz"


def _variants(store: Store, today: date) -> dict[str, Any]:
    skus = store.table("skus").sort("sku_id")
    ids = skus["sku_id"].to_list()
    # reach the findings: no weight, no cost, no price, a currency without a rate, POD only
    skus = skus.with_columns(
        pl.when(pl.col("sku_id") == ids[1])
        .then(None)
        .otherwise(pl.col("weight_g"))
        .alias("weight_g"),
        pl.when(pl.col("sku_id") == ids[2])
        .then(None)
        .otherwise(pl.col("unit_cost"))
        .alias("unit_cost"),
        pl.when(pl.col("sku_id") == ids[3])
        .then(None)
        .otherwise(pl.col("list_price"))
        .alias("list_price"),
        pl.when(pl.col("sku_id") == ids[4])
        .then(pl.lit("EUR"))
        .otherwise(pl.col("cost_currency"))
        .alias("cost_currency"),
    )
    eco = pl.DataFrame(
        {
            "sku_id": ids[::2],
            "price_usd": [10.0 + k for k in range(len(ids[::2]))],
            "landed_cost_usd": [3.0 + 0.1 * k for k in range(len(ids[::2]))],
            "variable_cost_usd": [
                (-1.0 if k % 5 == 0 else 2.0 + 0.01 * k) for k in range(len(ids[::2]))
            ],
            "cost_known": [k % 3 != 0 for k in range(len(ids[::2]))],
        }
    )
    out = {}
    for name, economics, kw in (
        ("plain", None, {}),
        ("ledger", eco, {"cash_limit_usd": 5000.0, "fast_production_days": 7}),
    ):
        ps = plan_settings(horizon_days=30, **kw)  # type: ignore[arg-type]
        a = assemble_plan_inputs(
            store,
            today=today,
            settings=ps,
            skus=skus,
            demand_sku_ids=ids,
            mean_demand=np.linspace(0.5, 3.0, len(ids)),
            phase=["steady"] * len(ids),
            economics=economics,
        )
        out[name] = a
    return out


def _flatten(assembled: dict[str, Any]) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    arrays: dict[str, np.ndarray] = {}
    meta: dict[str, Any] = {}
    for name, a in assembled.items():
        inp, ctx = a.inputs, a.context
        for f in ("economics", "routes", "pipeline_qty", "pipeline_eta", "pipeline_sd", "sku_key"):
            arrays[f"{name}.{f}"] = np.asarray(getattr(inp, f))
        for f in fields(SkuContext):
            v = getattr(ctx, f.name)
            if isinstance(v, np.ndarray):
                arrays[f"{name}.ctx.{f.name}"] = v
            elif f.name in ("slow", "fast"):
                meta[f"{name}.ctx.{f.name}"] = [
                    None if c is None else list(c.__dict__.values()) for c in v
                ]
            else:
                meta[f"{name}.ctx.{f.name}"] = list(v) if isinstance(v, tuple) else v
        meta[f"{name}.sku_ids"] = list(inp.sku_ids)
        meta[f"{name}.findings"] = [f.to_dict() for f in a.findings]
    return arrays, meta


def test_assembled_inputs_equal_the_loops_outputs(demo_store: Store, demo_today: date) -> None:
    arrays, meta = _flatten(_variants(demo_store, demo_today))
    if os.environ.get("QUICKTURN_WRITE_SNAPSHOT"):
        SNAPSHOT.parent.mkdir(exist_ok=True)
        np.savez_compressed(SNAPSHOT, **arrays)
        SNAPSHOT.with_suffix(".json").write_text(
            json.dumps(meta, indent=0, sort_keys=True, default=str) + "\n", "utf-8"
        )
        pytest.skip("snapshot written")
    want = np.load(SNAPSHOT)
    assert sorted(want.files) == sorted(arrays)
    for k in want.files:
        np.testing.assert_allclose(arrays[k], want[k], rtol=1e-12, atol=1e-12, err_msg=k)
    want_meta = json.loads(SNAPSHOT.with_suffix(".json").read_text("utf-8"))
    got_meta = json.loads(json.dumps(meta, sort_keys=True, default=str))
    assert got_meta.keys() == want_meta.keys()
    for k in want_meta:
        assert got_meta[k] == want_meta[k], k
