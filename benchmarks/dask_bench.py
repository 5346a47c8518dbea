"""Benchmark sense and plan on Dask: local vs a LocalCluster of 1 and of 2 worker processes.

One run measures, on the same synthetic shop (``core.sense.synthetic`` panel, the plan
benchmark's synthetic catalogue — as ``plan_stream_bench.py --synthetic``):

- **sense**: fit the lifecycle model and forecast 28 days with the stored quantiles
  (``services.sense.run``'s model work) — locally (``_fit`` + ``predict``) and with
  ``services.sense.fit_partitioned`` (partitions of whole fit chunks on the workers);
- **plan**: ``services.plan.plan_outcome`` streaming ``plan_chunk`` units (scenarios drawn,
  simulated and reduced per chunk, decision on the client) — locally and with ``cluster=``.

For each cluster: wall seconds (warm: every worker has imported quickturn and loaded the
Numba caches first, untimed, as the local process has), speed-up vs local, the overhead per
partition measured two ways — ``trivial_task_s``: the wall time of one no-op task per
partition through ``cluster.map_partitions`` divided by the partitions; ``derived_s``:
``(dask_wall - local_wall / workers) / partitions`` (an upper bound: the local run already
uses both cores through Numba's and the simulator's threads, so ``local_wall / workers``
understates what a worker needs) — whether the results are bit-for-bit equal, the size of
what travels per partition and the workers' peak RSS.  Load average at start and end of each
case is recorded: the machine has 2 cores shared with other engineers' test runs.

Each worker process gets ``NUMBA_NUM_THREADS = cpus // workers`` so that two workers do not
oversubscribe the two cores.

    uv run --frozen python benchmarks/dask_bench.py              # 4,096 SKUs, 200 scenarios
    uv run --frozen python benchmarks/dask_bench.py --quick      # 256 SKUs × 50, not written
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import pickle
import platform
import resource
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))

from plan_bench import chunk_inputs, synthetic_catalogue
from quickturn.core.plan.settings import PlanSettings
from quickturn.core.plan.simulate import PlanInputs
from quickturn.core.sense.lifecycle import Lifecycle
from quickturn.core.sense.synthetic import synthetic_panel
from quickturn.core.sense.types import Panel, quantile_probs
from quickturn.services import cluster as cl
from quickturn.services import plan, sense

RESULTS = Path(__file__).parent / "results"
H = 28


def _load() -> float:
    return round(os.getloadavg()[0], 2)


def same(a: Any, b: Any) -> bool:
    """Bit-for-bit equality of nested results (arrays: dtype, shape and values, NaN = NaN)."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        a, b = np.asarray(a), np.asarray(b)
        nan = a.dtype.kind in "fc"
        return a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b, equal_nan=nan)
    if dataclasses.is_dataclass(a) and not isinstance(a, type):
        return type(a) is type(b) and all(
            same(getattr(a, f.name), getattr(b, f.name)) for f in dataclasses.fields(a)
        )
    if isinstance(a, list | tuple):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return bool(a == b)


def plan_inputs(panel: Panel, settings: PlanSettings) -> PlanInputs:
    """Streaming plan inputs (no paths) for the panel's SKUs, as plan_stream_bench builds."""
    n = panel.n
    cat = synthetic_catalogue(n)
    parts = [chunk_inputs(cat, lo, min(lo + 5000, n), 1, 8, 1) for lo in range(0, n, 5000)]

    def cat_(f: str) -> np.ndarray:
        return np.concatenate([getattr(p, f) for p in parts])

    return PlanInputs(
        np.zeros((n, 0, settings.horizon_days)),
        cat_("economics"),
        cat_("routes"),
        cat_("pipeline_qty"),
        cat_("pipeline_eta"),
        cat_("pipeline_sd"),
        cat_("sku_key"),
        tuple(panel.sku_ids),
    )


def _warm(fit_chunk: int) -> int:
    """Import quickturn and load every Numba cache the cases use (in this process)."""
    Lifecycle.chunk_size = fit_chunk
    panel = synthetic_panel(24, 365, seed=9).panel
    settings = PlanSettings(scenarios=20, chunk_skus=8)
    model = sense._fit(panel)
    model.predict(H, probs=quantile_probs(sense.STORED_LEVELS), seed=0)
    sm = sense.ScenarioModel(model, panel, date(2025, 1, 1), settings.horizon_days, 20, 0)
    prepared = plan.Prepared(plan_inputs(panel, settings), None, [], {}, {}, sm)  # type: ignore[arg-type]
    plan.plan_outcome(prepared, settings)
    return os.getpid()


def _noop(x: Any) -> int:
    return 0


def _peak_rss_gb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6, 3)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--skus", type=int, default=4096)
    ap.add_argument("--scenarios", type=int, default=200)
    ap.add_argument("--fit-chunk", type=int, default=1024, help="sense fit chunk = partition")
    ap.add_argument("--plan-chunk", type=int, default=64, help="plan.chunk_skus")
    ap.add_argument("--workers", type=int, nargs="*", default=[1, 2])
    ap.add_argument("--quick", action="store_true", help="256 SKUs × 50 scenarios, not written")
    ap.add_argument("--out", type=Path, default=RESULTS / "dask_bench.json")
    args = ap.parse_args(argv)
    if args.quick:
        args.skus, args.scenarios, args.fit_chunk, args.out = 256, 50, 64, None
    import distributed

    cpus = os.cpu_count() or 1
    load0 = _load()
    n, m = args.skus, args.scenarios
    Lifecycle.chunk_size = args.fit_chunk
    probs = quantile_probs(sense.STORED_LEVELS)
    settings = PlanSettings(scenarios=m, chunk_skus=args.plan_chunk)
    panel = synthetic_panel(n, 365, seed=1).panel
    inputs = plan_inputs(panel, settings)
    _warm(args.fit_chunk)

    # -- local ---------------------------------------------------------------------------
    local: dict[str, Any] = {"load_1min_start": _load()}
    t0 = time.perf_counter()
    model = sense._fit(panel)
    fc = model.predict(H, probs=probs, seed=0)
    local["sense_wall_s"] = round(time.perf_counter() - t0, 2)
    sm = sense.ScenarioModel(model, panel, date(2025, 1, 1), settings.horizon_days, m, 0)
    prepared = plan.Prepared(inputs, None, [], {}, {}, sm)  # type: ignore[arg-type]
    t0 = time.perf_counter()
    outcome = plan.plan_outcome(prepared, settings)
    local["plan_wall_s"] = round(time.perf_counter() - t0, 2)
    local["load_1min_end"] = _load()
    local["peak_rss_gb"] = _peak_rss_gb()

    sense_parts = len(cl.partition_bounds(n, args.fit_chunk))
    plan_parts = len(plan._chunks(n, settings.chunk_skus))
    first = next(plan.iter_plan_chunks(prepared, settings))
    data, rest = plan.pack_plan_chunk(first)
    travel = {
        "sense_partition_rows_arrow_bytes": len(
            sense._pack_partition(_begun(panel), 0, min(args.fit_chunk, n))
        ),
        "sense_fitted_state_pickle_bytes_per_sku": round(
            len(pickle.dumps(model.states_, protocol=5)) / n
        ),
        "plan_chunk_inputs_arrow_bytes": len(data),
        "plan_chunk_rest_pickle_bytes": len(pickle.dumps(rest, protocol=5)),
        "plan_chunk_skus": first.inputs.n_skus,
        "shared_model_pickle_bytes_once_per_worker": len(pickle.dumps(sm.bare, protocol=5)),
    }

    clusters = []
    for workers in args.workers:
        env = {"NUMBA_NUM_THREADS": str(max(1, cpus // workers))}
        t_start = time.perf_counter()
        with (
            distributed.LocalCluster(
                n_workers=workers,
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",
                dashboard_address=None,
                memory_limit="3GiB",
                env=env,
            ) as lc,
            distributed.Client(lc) as client,
        ):
            client.run(_warm, args.fit_chunk)
            start_s = time.perf_counter() - t_start
            case: dict[str, Any] = {"workers": workers, "threads_per_worker": 1, **env}
            case["cluster_start_and_warm_s_untimed"] = round(start_s, 2)
            case["load_1min_start"] = _load()
            t0 = time.perf_counter()
            cl.map_partitions(_noop, list(range(plan_parts)), cluster=client)
            trivial = (time.perf_counter() - t0) / plan_parts

            t0 = time.perf_counter()
            model2, fc2 = sense.fit_partitioned(
                panel, client, h=H, probs=probs.tolist(), seed=0, partition_skus=args.fit_chunk
            )
            s_wall = time.perf_counter() - t0
            t0 = time.perf_counter()
            outcome2 = plan.plan_outcome(prepared, settings, cluster=client)
            p_wall = time.perf_counter() - t0
            case["load_1min_end"] = _load()
            rss = client.run(_peak_rss_gb)
            case["worker_peak_rss_gb"] = sorted(rss.values())
            for name, wall, loc, parts, equal in (
                ("sense", s_wall, local["sense_wall_s"], sense_parts, same(fc, fc2)),
                ("plan", p_wall, local["plan_wall_s"], plan_parts, same(outcome, outcome2)),
            ):
                case[name] = {
                    "wall_s": round(wall, 2),
                    "speed_up_vs_local": round(loc / wall, 3),
                    "partitions": parts,
                    "overhead_per_partition": {
                        "trivial_task_s": round(trivial, 4),
                        "derived_s": round((wall - loc / workers) / parts, 4),
                    },
                    "results_equal": bool(equal),
                }
            case["sense"]["states_equal"] = same(
                [s for _, s in model.states_], [s for _, s in model2.states_]
            )
        clusters.append(case)

    doc = {
        "benchmark": "dask",
        "what": (
            "synthetic panel (core.sense.synthetic, 365 days) and synthetic plan inputs "
            "(plan_bench catalogue); sense = lifecycle fit + 28-day forecast with the stored "
            "quantiles; plan = services.plan.plan_outcome over plan_chunk units + decide; "
            "no store, no input assembly, no persistence; warm workers"
        ),
        "skus": n,
        "scenarios": m,
        "horizon_days": settings.horizon_days,
        "sense_fit_chunk_skus": args.fit_chunk,
        "plan_chunk_skus": settings.chunk_skus,
        "machine": {
            "cpus": cpus,
            "python": platform.python_version(),
            "distributed": distributed.__version__,
            "note": (
                "2 cores shared with other engineers' concurrent test runs: load averages "
                "above 2 mean the figures are slowed by other work; the local run already "
                "uses both cores (Numba prange in sense, simulator threads in plan)"
            ),
            "load_1min_at_start": load0,
        },
        "local": local,
        "per_sku_local_s": {
            "sense": round(local["sense_wall_s"] / n, 5),
            "plan": round(local["plan_wall_s"] / n, 5),
        },
        "travel": travel,
        "clusters": clusters,
    }
    text = json.dumps(doc, indent=2)
    print(text)
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n")
    return 0


def _begun(panel: Panel) -> Lifecycle:
    """A model with the panel kept (what fit_partitioned packs partitions from)."""
    m = Lifecycle()
    m.begin_panel(
        panel.y,
        keys=sense.row_keys(panel.sku_ids),
        weekday0=panel.start.weekday(),
        content=panel.content,
        category=panel.category,
    )
    return m


if __name__ == "__main__":
    raise SystemExit(main())
