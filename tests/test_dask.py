"""Dask: sense, plan and backtest on a LocalCluster give exactly the local result.

One small LocalCluster per test session (per xdist worker): 2 worker processes, 1 thread each,
loopback only, no dashboard.
"""

from __future__ import annotations

import builtins
import socket
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import numpy as np
import polars as pl
import pytest

import quickturn as qt
from quickturn.errors import UsageError
from quickturn.services import cluster as cl
from quickturn.store import Store

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="session")
def dask_client() -> Iterator[Any]:
    lc = distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
        memory_limit="2GiB",
    )
    client = distributed.Client(lc)
    try:
        yield client
    finally:
        client.close()
        lc.close()


def _square(x: int) -> int:
    return x * x


def test_map_partitions_local_and_on_the_cluster_in_order(dask_client: Any) -> None:
    seen: list[tuple[int, int]] = []
    local = cl.map_partitions(_square, list(range(7)), progress=lambda d, n: seen.append((d, n)))
    assert local == [x * x for x in range(7)]
    assert seen[-1] == (7, 7)
    seen.clear()
    remote = cl.map_partitions(
        _square, list(range(7)), cluster=dask_client, progress=lambda d, n: seen.append((d, n))
    )
    assert remote == local
    assert [d for d, _ in seen] == list(range(1, 8))
    # an address string connects a client of its own (and closes it)
    assert cl.map_partitions(_square, [3], cluster=dask_client.scheduler.address) == [9]


def _blas(_x: int) -> int | None:
    return cl.blas_threads()


def test_tasks_run_with_the_clients_blas_threads(dask_client: Any) -> None:
    # workers start with OPENBLAS_NUM_THREADS=1; a product's last bits depend on the count
    assert cl.map_partitions(_blas, [0, 1], cluster=dask_client) == [cl.blas_threads()] * 2


def test_resolve_scheduler_flag_then_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(cl.ENV_VAR, raising=False)
    assert cl.resolve_scheduler(None) is None
    monkeypatch.setenv(cl.ENV_VAR, "tcp://10.0.0.1:8786")
    assert cl.resolve_scheduler(None) == "tcp://10.0.0.1:8786"
    assert cl.resolve_scheduler("tcp://127.0.0.1:1") == "tcp://127.0.0.1:1"


def test_env_variable_is_honoured(dask_client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(cl.ENV_VAR, dask_client.scheduler.address)
    pids = cl.map_partitions(_pid, [0, 1])
    assert all(p != _pid(0) for p in pids)  # ran in the worker processes


def _pid(_x: int) -> int:
    import os

    return os.getpid()


def test_partitions_are_sorted_and_deterministic() -> None:
    assert cl.partition_ids(["c", "a", "b", "a"], 2) == [["a", "b"], ["c"]]
    assert cl.partition_bounds(5, 2) == [(0, 2), (2, 4), (4, 5)]
    with pytest.raises(UsageError):
        cl.partition_bounds(5, 0)


def test_unreachable_scheduler_names_the_address() -> None:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there
    addr = f"tcp://127.0.0.1:{port}"
    with pytest.raises(UsageError, match=f"127.0.0.1:{port}"):
        cl.connect(addr, timeout=2)


def test_without_dask_the_message_says_install_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    real = builtins.__import__

    def fake(name: str, *a: Any, **k: Any) -> Any:
        if name == "distributed" or name.startswith("distributed."):
            raise ImportError("No module named 'distributed'")
        return real(name, *a, **k)

    monkeypatch.setattr(builtins, "__import__", fake)
    with pytest.raises(UsageError, match=r"quickturn\[dask\]"):
        cl.map_partitions(_square, [1], cluster="tcp://127.0.0.1:8786")
    assert cl.map_partitions(_square, [2]) == [4]  # the local loop needs no dask


def test_sense_forecast_on_the_cluster_equals_local(
    demo_store: Store, demo_today: date, dask_client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from quickturn.services import sense as svc

    panel = svc.load_panel(demo_store, today=demo_today).panel
    probs = [0.1, 0.5, 0.9]
    # 40 SKUs in fit chunks of 8 rows, partitions of 2 chunks: 3 partitions (a partition is
    # whole chunks, so the rows are fitted in exactly the local run's chunks)
    monkeypatch.setattr(svc.Lifecycle, "chunk_size", 8)
    local = svc._fit(panel)
    want = local.predict(14, probs=probs, n_paths=20, seed=3)
    _, got = svc.fit_partitioned(
        panel, dask_client, h=14, probs=probs, n_paths=20, seed=3, partition_skus=16
    )
    assert got is not None and got.paths is not None and want.paths is not None
    np.testing.assert_array_equal(got.mean, want.mean)
    np.testing.assert_array_equal(got.quantiles, want.quantiles)
    np.testing.assert_array_equal(got.paths, want.paths)
    assert got.model == want.model
    # fit only: the same states, so the model predicts the same paths afterwards
    fitted, none = svc.fit_partitioned(panel, dask_client, partition_skus=16)
    assert none is None
    again = fitted.predict(14, probs=probs, n_paths=20, seed=3)
    assert again.paths is not None
    np.testing.assert_array_equal(again.paths, want.paths)
    assert [c.rows.tolist() for c, _ in fitted.states_] == [
        c.rows.tolist() for c, _ in local.states_
    ]
    monkeypatch.undo()
    a = svc.run(demo_store, today=demo_today, h=14, seed=3, persist=False)
    b = svc.run(demo_store, today=demo_today, h=14, seed=3, persist=False, cluster=dask_client)
    assert a.forecasts.drop("run_id").equals(b.forecasts.drop("run_id"))
    assert a.phases.drop("run_id").equals(b.phases.drop("run_id"))


def test_frame_api_forecast_on_the_cluster_equals_local(
    demo_frames: dict[str, Any], dask_client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``qt.sense.forecast(df, cluster=...)``: the statsforecast-style frame, series ending
    on different days (each forecast from its own last ``ds``), equals the local one."""
    from quickturn.api import sense as api
    from quickturn.services import sense as svc

    lines = demo_frames["order_lines"].join(
        demo_frames["orders"].select("order_id", "created_at"), on="order_id"
    )
    df = (
        lines.group_by("sku_id", pl.col("created_at").dt.date().alias("ds"))
        .agg(pl.col("quantity").sum().cast(pl.Float64).alias("y"))
        .rename({"sku_id": "unique_id"})
        .sort("unique_id", "ds")
    )
    ids = df["unique_id"].unique().sort().to_list()[:30]
    df = df.filter(pl.col("unique_id").is_in(ids))
    # a third of the series end 5 days earlier: their own last ds, not the frame's
    early = ids[::3]
    last = df["ds"].max()
    df = df.filter(~pl.col("unique_id").is_in(early) | (pl.col("ds") <= last - timedelta(days=5)))
    monkeypatch.setattr(svc.Lifecycle, "chunk_size", 8)  # 4 fit chunks, partitions of 2
    assert svc.fit_partitioned.__kwdefaults__ is not None
    monkeypatch.setitem(svc.fit_partitioned.__kwdefaults__, "partition_skus", 16)
    local = api.forecast(df, h=10, seed=4)
    remote = api.forecast(df, h=10, seed=4, cluster=dask_client)
    assert local.height == 30 * 10
    assert remote.equals(local)
    starts = local.group_by("unique_id").agg(pl.col("ds").min()).sort("unique_id")
    ends = df.group_by("unique_id").agg(pl.col("ds").max()).sort("unique_id")
    assert (starts["ds"] == ends["ds"] + timedelta(days=1)).all()
    assert starts["ds"].n_unique() > 1


def test_rows_travel_as_arrow_losslessly() -> None:
    rng = np.random.default_rng(0)
    cols = {
        "y": rng.normal(size=(5, 3, 4)),
        "empty": np.zeros((5, 0, 7)),
        "k": rng.integers(0, 2**40, 5),
        "b": np.array([True, False, True, True, False]),
        "s": ["a", "b", "c", "d", "é"],
    }
    back = cl.unpack_rows(cl.pack_rows(cols))
    for name, v in cols.items():
        if isinstance(v, np.ndarray):
            assert back[name].dtype == v.dtype and back[name].shape == v.shape
            np.testing.assert_array_equal(back[name], v)
            back[name][...] = 0  # writable
        else:
            assert back[name] == v
    with pytest.raises(ValueError, match="rows"):
        cl.pack_rows({"a": np.zeros(2), "b": np.zeros(3)})


def test_plan_on_the_cluster_equals_local(
    demo_store: Store, demo_today: date, dask_client: Any
) -> None:
    kw: dict[str, Any] = {"today": demo_today, "scenarios": 60, "seed": 5, "persist": False}
    kw["chunk_skus"] = 16  # 40 SKUs: 3 chunks
    a = qt.plan.run(demo_store, **kw)
    b = qt.plan.run(demo_store, cluster=dask_client, **kw)
    assert a.sku_rows == b.sku_rows
    assert a.actions == b.actions
    assert a.portfolio() == b.portfolio()
    # with a budget (every candidate's per-scenario results kept and allocated here)
    c = qt.plan.run(demo_store, budget=500.0, **kw)
    d = qt.plan.run(demo_store, budget=500.0, cluster=dask_client, **kw)
    assert c.sku_rows == d.sku_rows
    assert c.actions == d.actions


def test_backtest_frame_api_on_the_cluster_equals_local(dask_client: Any) -> None:
    rng = np.random.default_rng(1)
    d0 = date(2025, 1, 1)
    ids = [f"S{i}" for i in range(6)]
    rows = [
        {"unique_id": s, "ds": d0 + timedelta(days=t), "y": float(rng.poisson(3 + i))}
        for i, s in enumerate(ids)
        for t in range(200)
    ]
    dem = pl.DataFrame(rows)
    eco = None  # the frame API's default economics
    kw: dict[str, Any] = {"every": 14, "policies": ["quickturn", "erp", "qr", "oracle"], "seed": 2}
    kw["start"] = d0 + timedelta(days=140)
    a = qt.backtest.run(dem, eco, **kw)
    b = qt.backtest.run(dem, eco, cluster=dask_client, **kw)
    assert a.totals.equals(b.totals)
    assert a.skus.equals(b.skus)
    assert a.daily.equals(b.daily)
    assert a.orders.equals(b.orders)


def test_cli_cluster_flag_and_env_variable(
    demo_store: Store, demo_today: date, dask_client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json

    from typer.testing import CliRunner

    from quickturn.cli.app import app

    url = demo_store.url
    demo_store.close()
    base = ["--db", url, "--json", "--as-of", demo_today.isoformat()]
    plan = ["plan", *base, "--scenarios", "40", "--seed", "2"]
    runner = CliRunner()
    monkeypatch.delenv(cl.ENV_VAR, raising=False)
    local = runner.invoke(app, plan)
    assert local.exit_code in (0, 1), local.output
    remote = runner.invoke(app, [*plan, "--cluster", dask_client.scheduler.address])
    assert remote.exit_code == local.exit_code, remote.output
    a, b = json.loads(local.stdout), json.loads(remote.stdout)
    assert a["purchase_orders"] == b["purchase_orders"] and a["portfolio"] == b["portfolio"]
    monkeypatch.setenv(cl.ENV_VAR, dask_client.scheduler.address)
    sense = runner.invoke(app, ["sense", *base])
    assert sense.exit_code == 0, sense.output
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    real = cl.connect
    monkeypatch.setattr(cl, "connect", lambda a, timeout=2.0: real(a, timeout=timeout))
    bad = runner.invoke(app, ["sense", *base, "--cluster", f"tcp://127.0.0.1:{port}"])
    assert bad.exit_code == 2
    assert f"127.0.0.1:{port}" in bad.output
