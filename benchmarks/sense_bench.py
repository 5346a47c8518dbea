"""Benchmark of the sense lifecycle model against its baselines; prints one JSON document.

Sections (each with inputs, sizes, seconds and the targets of issue #4):

* ``demo``: rolling-origin backtest (h=28, 4 windows) on the seeded demo shop, split by the
  generator's ground-truth archetype: lifecycle SKUs (burst, testing, dead) and steady SKUs
  (steady, slow).  Target: scaled pinball loss ≥ 15% better than the best baseline on
  lifecycle SKUs, ≤ 2% worse on steady SKUs.
* ``online_retail``: the same backtest on UCI Online Retail daily series of SKUs with ≥ 100
  active days.  Target: at least as good as the best baseline, 80% coverage in 75–85%.
* ``first_week``: from the first 7 days after launch, forecast each launched SKU's demand
  until the end of the demo history; error vs the baselines.
* ``speed``: fit + forecast (h=28, 9 quantiles, 200 paths) of 10,000 synthetic SKUs × 365
  days; AutoETS timed on a subset and scaled per series.

Usage: ``python benchmarks/sense_bench.py [--quick] [--no-autoets]``.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from quickturn.core.sense.backtest import first_week_to_rest_of_life, rolling_origin
from quickturn.core.sense.base import Forecaster, row_keys
from quickturn.core.sense.baselines import BASELINES
from quickturn.core.sense.history import panel_from_long
from quickturn.core.sense.lifecycle import Lifecycle
from quickturn.core.sense.metrics import M5_PROBS
from quickturn.core.sense.synthetic import synthetic_panel
from quickturn.core.sense.types import Panel

ROOT = Path(__file__).resolve().parents[1]
SHARED = (ROOT / ".." / "shared" / "data").resolve()
LIFECYCLE_ARCHETYPES = ("burst", "testing", "dead")
STEADY_ARCHETYPES = ("steady", "slow")


def _peak_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0, 1)


def _models(autoets: bool) -> dict[str, Forecaster]:
    out: dict[str, Forecaster] = {"lifecycle": Lifecycle()}
    for name, cls in BASELINES.items():
        if name == "autoets" and not autoets:
            continue
        out[name] = cls()
    return out


def _round(d: Any) -> Any:
    if isinstance(d, dict):
        return {k: _round(v) for k, v in d.items()}
    if isinstance(d, list):
        return [_round(v) for v in d]
    if isinstance(d, float):
        return None if d != d else round(d, 4)
    return d


def _compare(group: dict[str, dict[str, float]], metric: str = "spl") -> dict[str, Any]:
    """Best baseline by ``metric`` and the lifecycle model's relative improvement."""
    base = {m: v[metric] for m, v in group.items() if m != "lifecycle" and v[metric] == v[metric]}
    if not base or "lifecycle" not in group:
        return {}
    best = min(base, key=lambda m: base[m])
    ours = group["lifecycle"][metric]
    return {
        "lifecycle": ours,
        "best_baseline": best,
        "best_baseline_value": base[best],
        "improvement": 1.0 - ours / base[best],
    }


# ---------------------------------------------------------------------------------------------


def demo_panel(n_skus: int, days: int, seed: int) -> tuple[Panel, np.ndarray, float]:
    from quickturn.demo import DemoConfig, generate
    from quickturn.services.demo import write_demo_database
    from quickturn.services.sense import load_panel

    t0 = time.perf_counter()
    as_of = date(2026, 3, 2)
    shop = generate(DemoConfig(n_skus=n_skus, days=days, seed=seed, as_of=as_of))
    with tempfile.TemporaryDirectory() as tmp:
        store = write_demo_database(str(Path(tmp) / "demo.duckdb"), shop.tables, {"bench": True})
        try:
            panel = load_panel(store, today=as_of, history_days=days).panel
        finally:
            store.close()
    arche = dict(
        zip(shop.truth["sku_id"].to_list(), shop.truth["archetype"].to_list(), strict=True)
    )
    a = np.array([arche.get(s, "?") for s in panel.sku_ids])
    return panel, a, time.perf_counter() - t0


def bench_demo(n_skus: int, days: int, seed: int, autoets: bool) -> dict[str, Any]:
    panel, arche, t_gen = demo_panel(n_skus, days, seed)
    groups = {
        "lifecycle": np.isin(arche, LIFECYCLE_ARCHETYPES),
        "steady": np.isin(arche, STEADY_ARCHETYPES),
        **{a: arche == a for a in sorted(set(arche.tolist()))},
    }
    t0 = time.perf_counter()
    res = rolling_origin(
        panel,
        _models(autoets),
        h=28,
        windows=4,
        groups=groups,
        keys=row_keys(panel.sku_ids),
        timer=time.perf_counter,
    )
    life = _compare({m: g["lifecycle"] for m, g in res.by_group.items()})
    steady = _compare({m: g["steady"] for m, g in res.by_group.items()})
    t1 = time.perf_counter()
    fw_models = {
        k: v
        for k, v in _models(False).items()
        if k in ("lifecycle", "erp_velocity", "croston", "tsb")
    }
    fw = first_week_to_rest_of_life(panel, fw_models, n_paths=100)
    t_fw = time.perf_counter() - t1
    fw_best = min(
        (m for m in fw if not m.startswith("lifecycle")),
        key=lambda m: fw[m]["pooled_abs_error_rate"],
    )
    return {
        "inputs": {"n_skus": n_skus, "days": days, "seed": seed, "h": 28, "windows": 4},
        "sizes": {
            "skus": panel.n,
            "days": panel.n_days,
            "posts": panel.content.n if panel.content else 0,
            "censored_share": float(np.isnan(panel.y).mean()),
            "archetypes": {a: int((arche == a).sum()) for a in sorted(set(arche.tolist()))},
        },
        "seconds": {
            "generate_and_load": t_gen,
            "backtest_total": t1 - t0,
            "first_week": t_fw,
            **res.seconds,
        },
        "overall": res.overall,
        "by_group": res.by_group,
        "lifecycle_skus": {
            **life,
            "target": ">= 0.15 improvement in scaled pinball loss",
            "met": bool(life and life["improvement"] >= 0.15),
        },
        "steady_skus": {
            **steady,
            "target": "<= 2% worse than the best baseline",
            "met": bool(steady and steady["improvement"] >= -0.02),
        },
        "first_week": {
            "note": "point forecast of each launched SKU's demand from day 8 to the end of history; "
            "':median' = median of 100 simulated totals, other rows the mean / point forecast",
            "results": fw,
            "best_baseline": fw_best,
            "lifecycle_vs_best": 1.0
            - fw["lifecycle"]["pooled_abs_error_rate"]
            / max(fw[fw_best]["pooled_abs_error_rate"], 1e-12),
            "lifecycle_median_vs_best": 1.0
            - fw["lifecycle:median"]["pooled_abs_error_rate"]
            / max(fw[fw_best]["pooled_abs_error_rate"], 1e-12),
        },
        "fallbacks": res.fallbacks,
    }


# ---------------------------------------------------------------------------------------------


def online_retail_panel(min_days: int = 100, limit: int | None = None) -> Panel | None:
    path = SHARED / "online_retail" / "online_retail.parquet"
    if not path.exists():
        return None
    df = pl.read_parquet(path)
    df = df.filter(~pl.col("InvoiceNo").str.starts_with("C") & (pl.col("Quantity") > 0))
    d = df.group_by(
        pl.col("StockCode").alias("unique_id"), pl.col("InvoiceDate").dt.date().alias("ds")
    ).agg(pl.col("Quantity").sum().alias("y"))
    act = (
        d.group_by("unique_id")
        .agg(pl.len().alias("n"))
        .filter(pl.col("n") >= min_days)
        .sort("unique_id")
    )
    ids = act["unique_id"]
    if limit is not None:
        ids = ids.head(limit)
    return panel_from_long(d.filter(pl.col("unique_id").is_in(ids.implode())))


def bench_online_retail(limit: int | None, autoets_subset: int) -> dict[str, Any]:
    panel = online_retail_panel(limit=limit)
    if panel is None:
        return {"skipped": f"{SHARED / 'online_retail'} not found"}
    t0 = time.perf_counter()
    res = rolling_origin(
        panel,
        _models(False),
        h=28,
        windows=4,
        keys=row_keys(panel.sku_ids),
        timer=time.perf_counter,
    )
    out: dict[str, Any] = {
        "inputs": {"min_active_days": 100, "h": 28, "windows": 4, "limit": limit},
        "sizes": {"series": panel.n, "days": panel.n_days},
        "seconds": {"backtest_total": time.perf_counter() - t0, **res.seconds},
        "overall": res.overall,
    }
    cmp_ = _compare(res.overall)
    cov = res.overall["lifecycle"].get("coverage80", float("nan"))
    out["target"] = {
        **cmp_,
        "coverage80": cov,
        "goal": "scaled pinball <= best baseline and 80% coverage in [0.75, 0.85]",
        "met_accuracy": bool(cmp_ and cmp_["improvement"] >= 0.0),
        "met_coverage": bool(0.75 <= cov <= 0.85),
    }
    if autoets_subset:
        sub = np.linspace(0, panel.n - 1, min(autoets_subset, panel.n)).astype(int)
        sp = Panel(y=panel.y[sub], sku_ids=[panel.sku_ids[i] for i in sub], start=panel.start)
        models: dict[str, Forecaster] = {
            "lifecycle": Lifecycle(),
            "autoets": BASELINES["autoets"](),
        }
        t1 = time.perf_counter()
        r2 = rolling_origin(sp, models, h=28, windows=4, timer=time.perf_counter)
        out["autoets_subset"] = {
            "series": int(sub.size),
            "overall": r2.overall,
            "seconds": {"total": time.perf_counter() - t1, **r2.seconds},
            **_compare(r2.overall),
        }
    return out


# ---------------------------------------------------------------------------------------------


def bench_speed(n: int, days: int, autoets_series: int) -> dict[str, Any]:
    t0 = time.perf_counter()
    syn = synthetic_panel(n, days, seed=11)
    t_gen = time.perf_counter() - t0
    p = syn.panel
    probs = M5_PROBS
    # warm up Numba (compilation is not part of the fit; it is cached on disk after the first run)
    warm = synthetic_panel(20, 60, seed=1).panel
    Lifecycle().forecast(warm.y, 5, content=warm.content, probs=probs, n_paths=5)
    t1 = time.perf_counter()
    out = Lifecycle().forecast(
        p.y,
        28,
        keys=row_keys(p.sku_ids),
        weekday0=p.start.weekday(),
        content=p.content,
        category=p.category,
        probs=probs,
        n_paths=200,
        seed=0,
    )
    t_fit = time.perf_counter() - t1
    assert out.paths is not None and out.paths.shape == (n, 200, 28)
    res: dict[str, Any] = {
        "inputs": {"skus": n, "days": days, "h": 28, "quantiles": int(probs.size), "paths": 200},
        "sizes": {"posts": p.content.n if p.content else 0, "paths_bytes": int(out.paths.nbytes)},
        "seconds": {"synthetic_data": t_gen, "lifecycle_fit_forecast": t_fit},
        "per_series_ms": 1000.0 * t_fit / n,
        "target": {
            "goal": "<= 60 s for 10,000 SKUs x 365 days",
            "met": bool(n >= 10_000 and t_fit <= 60.0),
        },
        "fallbacks": int(sum(1 for m in out.model if m == "fallback")),
    }
    del out
    if autoets_series:
        try:
            ets = BASELINES["autoets"]()
            sub = p.y[:autoets_series]
            t2 = time.perf_counter()
            ets.forecast(sub, 28, probs=probs, n_paths=200)
            t_ets = time.perf_counter() - t2
            per = t_ets / autoets_series
            res["autoets"] = {
                "series_timed": autoets_series,
                "seconds": t_ets,
                "per_series_ms": 1000.0 * per,
                "extrapolated_seconds_all_series": per * n,
                "speed_ratio_autoets_over_lifecycle": per / (t_fit / n),
            }
        except ImportError as exc:
            res["autoets"] = {"skipped": str(exc)}
    return res


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="tiny sizes (smoke test)")
    ap.add_argument("--no-autoets", action="store_true", help="skip statsforecast AutoETS")
    ap.add_argument("--only", choices=["demo", "online_retail", "speed"], default=None)
    args = ap.parse_args(argv)
    autoets = not args.no_autoets
    if args.quick:
        demo_args = (40, 200, 11, False)
        or_args = (40, 4 if autoets else 0)
        speed_args = (300, 365, 3 if autoets else 0)
    else:
        demo_args = (300, 365, 7, autoets)
        or_args = (None, 100 if autoets else 0)
        speed_args = (10_000, 365, 50 if autoets else 0)
    t0 = time.perf_counter()
    doc: dict[str, Any] = {
        "benchmark": "sense",
        "quick": args.quick,
        "python": sys.version.split()[0],
    }
    if args.only in (None, "demo"):
        doc["demo"] = bench_demo(*demo_args)
    if args.only in (None, "online_retail"):
        doc["online_retail"] = bench_online_retail(*or_args)
    if args.only in (None, "speed"):
        doc["speed"] = bench_speed(*speed_args)
    doc["seconds_total"] = time.perf_counter() - t0
    doc["peak_memory_mb"] = _peak_mb()
    sys.stdout.write(json.dumps(_round(doc), indent=2, default=str) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
