"""Sense on launch curves: forecast days 14–41 of a new SKU from its days 0–13; one JSON doc.

Everything goes through the public frame API, ``qt.sense.forecast`` (each series is forecast
from the day after its own last ``ds``), so a held-out launch set can be checked the same way.

Sections:

* ``online_retail``: UCI Online Retail; a *launch* is a StockCode first sold on or after
  2011-03-01 whose first 42 days lie inside the data and sell ≥ 100 units.  Launches are
  processed in batches by the month of their first sale: the frame holds every SKU's daily
  sales (zero rows included) up to the day before that month, plus each launch's days 0–13,
  so earlier launches teach the lifecycle shape and no batch sees the future.
* ``demo_burst``: the demo shop's SKUs launched inside its history (generator archetypes
  ``burst`` and ``testing``), same protocol (one batch: the rest of the shop up to each
  launch's day 13 is not cut, the demo has one calendar; launches see only their own 14 days).
* ``steady``: a pointer — steady SKUs are measured by ``benchmarks/sense_bench.py``.

Metrics per model over all launch-days: scaled pinball loss at 0.1 and 0.9 (Σ pinball ÷ Σ
units, averaged over the two levels), WAPE (Σ|y − mean| ÷ Σ y) and of the median
(``wape_median``, the median read as the middle of the 1% interval), 80% coverage (share of days
inside [q0.1, q0.9]) and bias (Σ mean ÷ Σ y − 1).  Targets (issue 14): lifecycle pinball ≥ 10%
below the log-linear decay fit (``decay``), WAPE no worse, coverage 0.70–0.90.

Usage: ``python benchmarks/sense_launch_bench.py [--quick] [--out FILE]``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

import quickturn as qt

sys.path.insert(0, str(Path(__file__).resolve().parent))
from sense_bench import _peak_mb, _round  # shared JSON helpers

ROOT = Path(__file__).resolve().parents[1]
SHARED = (ROOT / ".." / "shared" / "data").resolve()
FIT_DAYS = 14
H = 28
MODELS = ("lifecycle", "decay", "erp_velocity", "naive", "tsb")


def dense(daily: pl.DataFrame, start: date, end: date) -> pl.DataFrame:
    """Zero rows for days without sales, ``start..end`` per series present in ``daily``."""
    ids = daily.select("unique_id").unique()
    days = pl.DataFrame({"ds": pl.date_range(start, end, eager=True)})
    return (
        ids.join(days, how="cross")
        .join(daily, on=["unique_id", "ds"], how="left")
        .with_columns(pl.col("y").fill_null(0.0))
    )


def online_retail_daily() -> pl.DataFrame | None:
    path = SHARED / "online_retail" / "online_retail.parquet"
    if not path.exists():
        return None
    df = pl.read_parquet(path)
    df = df.filter(~pl.col("InvoiceNo").str.starts_with("C") & (pl.col("Quantity") > 0))
    return (
        df.group_by(
            pl.col("StockCode").alias("unique_id"), pl.col("InvoiceDate").dt.date().alias("ds")
        )
        .agg(pl.col("Quantity").sum().cast(pl.Float64).alias("y"))
        .sort("unique_id", "ds")
    )


def launches(daily: pl.DataFrame, since: date, min_units: float = 100.0) -> pl.DataFrame:
    """``unique_id, first``: series first sold on/after ``since`` with ≥ ``min_units`` units
    in their first 42 days, all 42 inside the data."""
    last = daily["ds"].max()
    assert isinstance(last, date)
    first = daily.group_by("unique_id").agg(pl.col("ds").min().alias("first"))
    cand = first.filter(
        (pl.col("first") >= since) & (pl.col("first") <= last - timedelta(days=FIT_DAYS + H - 1))
    )
    u = (
        daily.join(cand, on="unique_id")
        .filter((pl.col("ds") - pl.col("first")).dt.total_days() < FIT_DAYS + H)
        .group_by("unique_id")
        .agg(pl.col("y").sum().alias("units"))
    )
    return cand.join(u, on="unique_id").filter(pl.col("units") >= min_units).sort("unique_id")


def score(fc: pl.DataFrame, truth: pl.DataFrame) -> dict[str, float]:
    j = truth.join(fc, on=["unique_id", "ds"], how="left").fill_null(0.0)
    y = j["y"].to_numpy()
    tot = max(float(y.sum()), 1e-12)
    out: dict[str, float] = {}
    pin = []
    for p, col in ((0.1, "lo-80"), (0.9, "hi-80")):
        q = j[col].to_numpy()
        pin.append(float(np.maximum(p * (y - q), (p - 1) * (y - q)).sum()) / tot)
    out["pinball"] = float(np.mean(pin))
    m = j["mean"].to_numpy()
    out["wape"] = float(np.abs(y - m).sum()) / tot
    # WAPE is an L1 loss, minimised by the median, not the mean (Gneiting 2011): the
    # median's WAPE is the fair point-forecast comparison on lumpy demand
    out["wape_median"] = float(np.abs(y - j["median"].to_numpy()).sum()) / tot
    out["coverage_80"] = float(((y >= j["lo-80"].to_numpy()) & (y <= j["hi-80"].to_numpy())).mean())
    out["bias"] = float(m.sum()) / tot - 1.0
    out["mean_above_hi80_share"] = float((m > j["hi-80"].to_numpy() + 1e-9).mean())
    return out


def run_batches(
    batches: list[tuple[pl.DataFrame, pl.DataFrame]], models: tuple[str, ...]
) -> dict[str, Any]:
    """``batches``: (frame given to sense, truth rows ``unique_id, ds, y`` of the launches)."""
    res: dict[str, Any] = {}
    truth = pl.concat([t for _, t in batches])
    for name in models:
        t0 = time.perf_counter()
        parts = []
        for frame, tr in batches:
            fc = qt.sense.forecast(frame, h=H, levels=[80, 1], model=name)
            ids = tr["unique_id"].unique().implode()
            parts.append(
                fc.filter(pl.col("unique_id").is_in(ids)).select(
                    "unique_id",
                    "ds",
                    "mean",
                    "lo-80",
                    "hi-80",
                    ((pl.col("lo-1") + pl.col("hi-1")) / 2).alias("median"),
                )
            )
        res[name] = {**score(pl.concat(parts), truth), "seconds": time.perf_counter() - t0}
    return res


def _verdict(res: dict[str, Any]) -> dict[str, Any]:
    ours, ref = res["lifecycle"], res["decay"]
    gain = 1.0 - ours["pinball"] / max(ref["pinball"], 1e-12)
    return {
        "pinball_vs_decay": gain,
        "wape_vs_decay": ours["wape"] - ref["wape"],
        "wape_median_vs_decay": ours["wape_median"] - ref["wape"],
        "target": "pinball >= 10% below decay, WAPE no worse, 80% coverage 0.70-0.90",
        "met": bool(
            gain >= 0.10
            and ours["wape"] <= ref["wape"] + 1e-9
            and 0.70 <= ours["coverage_80"] <= 0.90
        ),
    }


def monthly_batches(
    daily: pl.DataFrame, lau: pl.DataFrame
) -> list[tuple[pl.DataFrame, pl.DataFrame]]:
    """One batch per month of first sale: every SKU's dense history up to the day before the
    month (from its own first sale), plus each launch's days 0–13; truth = days 14–41."""
    start = daily["ds"].min()
    assert isinstance(start, date)
    firsts = daily.group_by("unique_id").agg(pl.col("ds").min().alias("f"))
    months = sorted({(d.year, d.month) for d in lau["first"].to_list()})
    batches = []
    for y, m in months:
        cut = date(y, m, 1) - timedelta(days=1)
        group = lau.filter((pl.col("first").dt.year() == y) & (pl.col("first").dt.month() == m))
        hist = dense(daily.filter(pl.col("ds") <= cut), start, cut)
        hist = hist.join(firsts, on="unique_id").filter(pl.col("ds") >= pl.col("f")).drop("f")
        fit_rows, truth_rows = [], []
        for uid, f in group.select("unique_id", "first").iter_rows():
            s = daily.filter(pl.col("unique_id") == uid)
            fit_rows.append(dense(s, f, f + timedelta(days=FIT_DAYS - 1)))
            truth_rows.append(
                dense(s, f + timedelta(days=FIT_DAYS), f + timedelta(days=FIT_DAYS + H - 1))
            )
        frame = pl.concat([hist.select("unique_id", "ds", "y"), *fit_rows])
        batches.append((frame, pl.concat(truth_rows)))
    return batches


def _section(
    batches: list[tuple[pl.DataFrame, pl.DataFrame]], lau: pl.DataFrame, inputs: dict[str, Any]
) -> dict[str, Any]:
    res = run_batches(batches, MODELS)
    return {
        "inputs": {**inputs, "fit_days": FIT_DAYS, "h": H, "batches": len(batches)},
        "sizes": {
            "launches": lau.height,
            "truth_units": float(pl.concat([t for _, t in batches])["y"].sum()),
        },
        "models": res,
        "verdict": _verdict(res),
    }


def bench_online_retail(quick: bool) -> dict[str, Any] | None:
    daily = online_retail_daily()
    if daily is None:
        return None
    lau = launches(daily, date(2011, 3, 1))
    if quick:
        lau = lau.filter(pl.col("first") < date(2011, 6, 1))
    rule = "first sale >= 2011-03-01, >= 100 units in days 0-41"
    return _section(monthly_batches(daily, lau), lau, {"launch_rule": rule})


def bench_demo(quick: bool) -> dict[str, Any]:
    from quickturn.demo import DemoConfig, generate

    as_of = date(2026, 3, 2)
    shop = generate(DemoConfig(n_skus=120 if quick else 288, days=365, seed=7, as_of=as_of))
    tables = shop.tables
    lines = tables["order_lines"].join(
        tables["orders"].select("order_id", "created_at", "status"), on="order_id"
    )
    lines = lines.filter(pl.col("status") != "CANCELLED")
    daily = (
        lines.group_by(
            pl.col("sku_id").alias("unique_id"), pl.col("created_at").dt.date().alias("ds")
        )
        .agg(pl.col("quantity").sum().cast(pl.Float64).alias("y"))
        .sort("unique_id", "ds")
    )
    arche = shop.truth.select(pl.col("sku_id").alias("unique_id"), "archetype")
    burst_ids = arche.filter(pl.col("archetype").is_in(["burst", "testing"]))["unique_id"]
    d0 = daily["ds"].min()
    assert isinstance(d0, date)
    lau = launches(daily, d0 + timedelta(days=60), 20.0)
    lau = lau.filter(pl.col("unique_id").is_in(burst_ids.implode()))
    if lau.height == 0:
        return {"sizes": {"launches": 0}}
    rule = "burst/testing SKUs first sold >= 60 days into the history, >= 20 units in days 0-41"
    return _section(monthly_batches(daily, lau), lau, {"launch_rule": rule})


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer launches and SKUs (smoke test)")
    ap.add_argument("--out", type=Path, default=None, help="also write the JSON here")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    doc: dict[str, Any] = {"benchmark": "sense_launch", "quick": args.quick}
    doc["online_retail"] = bench_online_retail(args.quick)
    doc["demo_burst"] = bench_demo(args.quick)
    doc["steady"] = "see benchmarks/results/sense_bench.json (demo steady SKUs)"
    doc["seconds_total"] = time.perf_counter() - t0
    doc["peak_memory_mb"] = _peak_mb()
    text = json.dumps(_round(doc), indent=2)
    if args.out:
        args.out.write_text(text + "\n")
    sys.stdout.write(text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
