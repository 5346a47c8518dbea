"""The public API (qt.sense), the CLI and the demo step."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd
import polars as pl
import pytest
from rich.console import Console
from typer.testing import CliRunner

import quickturn as qt
from quickturn.cli.app import app
from quickturn.cli.common import Cli
from quickturn.config import Settings
from quickturn.errors import UsageError
from quickturn.services import sense as svc
from quickturn.services.demo import DemoContext
from quickturn.store import Store


@pytest.fixture(scope="module")
def frames() -> tuple[pl.DataFrame, pl.DataFrame]:
    rng = np.random.default_rng(0)
    start = date(2024, 1, 1)
    rows = []
    for uid, lam in (("A", 3.0), ("B", 0.5), ("C", 6.0)):
        for d in range(90):
            rows.append((uid, start + timedelta(days=d), float(rng.poisson(lam))))
    df = pl.DataFrame(rows, schema=["unique_id", "ds", "y"], orient="row")
    views = [
        ("C", start + timedelta(days=80 + i), float(int(40000 * np.exp(-i / 3))), "vid1")
        for i in range(10)
    ]
    content = pl.DataFrame(views, schema=["unique_id", "ds", "views", "content_id"], orient="row")
    return df, content


def test_forecast_returns_the_frame_type_it_was_given(frames: Any) -> None:
    df, content = frames
    fc = qt.sense.forecast(df, h=7, levels=[50, 80, 95], content=content)
    assert isinstance(fc, pl.DataFrame)
    assert fc.columns == [
        "unique_id",
        "ds",
        "mean",
        "lo-95",
        "lo-80",
        "lo-50",
        "hi-50",
        "hi-80",
        "hi-95",
        "model",
    ]
    assert fc.height == 21 and fc["ds"].min() == date(2024, 3, 31)
    assert (fc["lo-95"] <= fc["lo-80"]).all() and (fc["hi-80"] <= fc["hi-95"]).all()
    pdf = df.to_pandas()
    pdf["ds"] = pd.to_datetime(pdf["ds"])
    out = qt.sense.forecast(pdf, h=3, levels=[80], model="croston")
    assert isinstance(out, pd.DataFrame)
    assert list(out.columns) == ["unique_id", "ds", "mean", "lo-80", "hi-80", "model"]
    assert str(out["ds"].dtype).startswith("datetime64")
    assert set(out["model"]) == {"croston"}


def test_forecast_rejects_bad_input(frames: Any) -> None:
    df, _ = frames
    with pytest.raises(UsageError, match="unknown model"):
        qt.sense.forecast(df, model="prophet")
    with pytest.raises(UsageError, match="missing"):
        qt.sense.forecast(df.drop("y"))
    with pytest.raises(UsageError, match="pandas or Polars"):
        qt.sense.forecast([1, 2, 3])


def test_sample_paths_and_phases(frames: Any) -> None:
    df, content = frames
    sp = qt.sense.sample_paths(df, h=10, n_paths=30, seed=4, content=content)
    assert sp.paths.shape == (3, 30, 10) and sp.sku_ids == ["A", "B", "C"]
    assert sp.start == date(2024, 3, 31)
    again = qt.sense.sample_paths(df, h=10, n_paths=30, seed=4, content=content)
    np.testing.assert_array_equal(sp.paths, again.paths)
    ph = qt.sense.phases(df, content=content)
    assert ph["unique_id"].to_list() == ["A", "B", "C"]
    probs = ph.select([c for c in ph.columns if c.startswith("p_")]).to_numpy()
    np.testing.assert_allclose(probs.sum(axis=1), 1.0)
    assert ph.filter(pl.col("unique_id") == "C")["kernel"][0] in ("exponential", "power_law")


def test_backtest_api(frames: Any) -> None:
    df, _ = frames
    res = qt.sense.backtest(df, h=7, windows=2, models=("lifecycle", "naive"))
    assert set(res.overall) == {"lifecycle", "naive"}
    with pytest.raises(UsageError):
        qt.sense.backtest(df, h=30, windows=4)


def test_run_persists_forecasts_phases_and_run(demo_store: Store, demo_today: date) -> None:
    res = svc.run(demo_store, today=demo_today, h=14, seed=1)
    n = demo_store.count("skus")
    assert res.phases.height == n and res.forecasts.height == n * 14
    runs = demo_store.table("runs", where={"run_id": res.run_id})
    assert runs["module"].to_list() == ["sense"]
    fc, ph = svc.load_run(demo_store, res.run_id)
    assert fc.height == n * 14 and ph.height == n
    assert (fc["lo_80"] <= fc["hi_80"]).all() and (fc["mean"] >= 0).all()
    assert set(ph["phase"].to_list()) <= {
        "testing",
        "rising",
        "peaking",
        "steady",
        "decaying",
        "dead",
    }
    assert svc.default_today(demo_store) <= demo_today


def test_demand_scenarios_on_the_demo(demo_store: Store, demo_today: date) -> None:
    ids = demo_store.table("skus")["sku_id"].to_list()[:5]
    sp = svc.demand_scenarios(demo_store, today=demo_today, h=21, n_paths=40, seed=9, sku_ids=ids)
    assert sp.paths.shape == (5, 40, 21) and sp.sku_ids == ids and sp.start == demo_today
    assert np.isfinite(sp.paths).all() and (sp.paths >= 0).all()


def test_cli_sense_json_and_sku(demo_store: Store, demo_today: date) -> None:
    url = demo_store.url
    demo_store.close()
    runner = CliRunner()
    r = runner.invoke(app, ["sense", "--db", url, "--json", "--as-of", demo_today.isoformat()])
    assert r.exit_code == 0, r.output
    payload = json.loads(r.stdout)
    assert payload["ok"] and payload["summary"]["skus"] == len(payload["phases"])
    sku = payload["phases"][0]["sku_id"]
    r = runner.invoke(app, ["sense", "--db", url, "--sku", sku, "--horizon", "7"])
    assert r.exit_code == 0, r.output
    assert sku in r.stdout
    r = runner.invoke(app, ["sense", "--db", url, "--sku", "NOPE", "--json"])
    assert r.exit_code == 2
    r = runner.invoke(
        app, ["sense", "backtest", "--db", url, "--json", "--horizon", "14", "--windows", "2"]
    )
    assert r.exit_code == 0, r.output
    bt = json.loads(r.stdout)
    assert "lifecycle" in bt["overall"] and "erp_velocity" in bt["overall"]
    r = runner.invoke(app, ["sense", "backtest", "--db", url, "--horizon", "100", "--windows", "4"])
    assert r.exit_code == 2


def test_cli_chinese(demo_store: Store, demo_today: date) -> None:
    url = demo_store.url
    demo_store.close()
    r = CliRunner().invoke(app, ["sense", "--db", url, "--lang", "zh", "--limit", "3"])
    assert r.exit_code == 0, r.output
    assert "阶段" in r.stdout


def test_demo_step_and_render(demo_store: Store, demo_today: date) -> None:
    ctx = DemoContext(
        store=demo_store, settings=Settings(db=demo_store.url), today=demo_today, seed=3
    )
    section = svc.demo_step(ctx)
    json.dumps(section, default=str)
    assert section["skus"] == demo_store.count("skus")
    assert sum(section["by_phase"].values()) == section["skus"]
    from quickturn.cli.sense import render_demo

    console = Console(record=True, width=140)
    cli = Cli(Settings(db=demo_store.url), False, console, console)
    render_demo(cli, json.loads(json.dumps(section, default=str)))
    text = console.export_text()
    assert "Sense" in text and "quickturn sense" in text
