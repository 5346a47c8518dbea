"""Benchmark: import the UCI Online Retail file (541,909 invoice lines) into DuckDB through the
shipped mapping, against the same rows written one by one through the store interface.

Prints one JSON document:

* ``vectorised``: wall seconds of ``import_file`` (read Parquet → mapping → validation →
  reference checks → one transaction), source rows per second, time per phase, peak RSS;
* ``reimport``: the same file again (idempotent upsert: every row updated);
* ``baseline_row_by_row``: ``store.write()`` called once per canonical row (rows already
  mapped and validated, i.e. a lower bound for a row-wise importer), timed on a sample of
  ``--sample`` rows spread over the four tables and extrapolated to every row written;
* ``speedup_vs_baseline`` and whether the 200,000 rows/s target is met.

``--quick`` uses the first 5,000 lines (or a synthetic file of that shape when the shared
data folder is absent) so that the smoke test runs in seconds.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from quickturn.connectors.column_mapping import apply_mapping, load_builtin
from quickturn.connectors.files import read_file
from quickturn.schema import get_table
from quickturn.services.importing import import_file
from quickturn.store import open_store
from quickturn.validate import coerce

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_FILE = ROOT.parent / "shared" / "data" / "online_retail" / "online_retail.parquet"
TARGET = 200_000


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def synthetic(rows: int) -> pl.DataFrame:
    """A small file with the Online Retail columns (sales, credit notes, postage)."""
    start = datetime(2011, 1, 3, 9, 0)
    inv = [f"{540000 + i // 8}" for i in range(rows)]
    codes = [f"{20000 + (i * 37) % 400}" for i in range(rows)]
    qty = [float(1 + i % 12) for i in range(rows)]
    for i in range(0, rows, 97):
        inv[i] = f"C{540000 + i // 8}"
        qty[i] = -1.0
    for i in range(5, rows, 53):
        codes[i] = "POST"
    return pl.DataFrame(
        {
            "InvoiceNo": inv,
            "StockCode": codes,
            "Description": [f"ITEM {c}" for c in codes],
            "Quantity": qty,
            "InvoiceDate": [start + timedelta(minutes=i // 8) for i in range(rows)],
            "UnitPrice": [1.25 + (i % 7) * 0.5 for i in range(rows)],
            "CustomerID": [float(12000 + (i // 40) % 300) for i in range(rows)],
            "Country": ["United Kingdom" if i % 9 else "France" for i in range(rows)],
        }
    )


def prepare_input(args: argparse.Namespace, workdir: Path) -> tuple[Path, str]:
    src = Path(args.file)
    if args.quick:
        frame = pl.read_parquet(src).head(5_000) if src.exists() else synthetic(5_000)
        out = workdir / "online_retail_quick.parquet"
        frame.write_parquet(out)
        return out, (
            "first 5,000 lines of " + str(src)
        ) if src.exists() else "synthetic 5,000 lines"
    if not src.exists():
        sys.exit(f"{src} not found (pass --file or use --quick)")
    return src, str(src)


class PhaseTimer:
    """Progress callback that records the wall time of each import phase."""

    def __init__(self) -> None:
        self.phases: dict[str, float] = {}
        self.current = ""
        self.since = time.perf_counter()

    def __call__(self, what: str, done: int, total: int) -> None:
        now = time.perf_counter()
        if self.current:
            spent = self.phases.get(self.current, 0.0) + now - self.since
            self.phases[self.current] = round(spent, 4)
        self.current, self.since = what, now


def vectorised(path: Path, workdir: Path, repeat: int) -> dict[str, Any]:
    """Best of ``repeat`` imports, each into a fresh DuckDB file (the machine is shared:
    the minimum is the least disturbed run); then one re-import of the same file."""
    runs: list[dict[str, Any]] = []
    for i in range(repeat):
        timer = PhaseTimer()
        db = workdir / f"vectorised_{i}.duckdb"
        with open_store(db) as store:
            c0 = time.process_time()
            t0 = time.perf_counter()
            report = import_file(store, "online-retail", path, progress=timer)
            seconds = time.perf_counter() - t0
            cpu = time.process_time() - c0
            assert report.ok, [f.format() for f in report.errors[:5]]
        runs.append(
            {
                "report": report,
                "seconds": seconds,
                "cpu_seconds": cpu,
                "phases": timer.phases,
                "db": db,
            }
        )
    best = min(runs, key=lambda r: r["seconds"])
    with open_store(best["db"]) as store:
        t1 = time.perf_counter()
        again = import_file(store, "online-retail", path)
        reimport = time.perf_counter() - t1
    return {
        **best,
        "all_seconds": [round(r["seconds"], 3) for r in runs],
        "reimport_seconds": reimport,
        "reimport_tables": {
            t.table: {"inserted": t.inserted, "updated": t.updated} for t in again.tables
        },
    }


def canonical_frames(path: Path) -> dict[str, pl.DataFrame]:
    raw = read_file(path)
    mapped = apply_mapping(load_builtin("online_retail"), raw.frame)
    out = {}
    for name, frame in mapped.frames.items():
        typed, _findings = coerce(get_table(name), frame)
        out[name] = typed
    return out


def row_by_row(frames: dict[str, pl.DataFrame], db: Path, sample: int) -> dict[str, Any]:
    total = sum(f.height for f in frames.values())
    per_table = {n: max(1, round(sample * f.height / total)) for n, f in frames.items() if f.height}
    written = 0
    with open_store(db) as store:
        # parents first, as a row-wise importer would
        t0 = time.perf_counter()
        for name in ("skus", "orders", "order_lines", "returns"):
            if name not in per_table:
                continue
            frame = frames[name]
            step = max(1, frame.height // per_table[name])
            for i in range(0, frame.height, step)[: per_table[name]]:
                store.write(name, frame.slice(i, 1))
                written += 1
        seconds = time.perf_counter() - t0
    per_row = seconds / written
    return {
        "method": "store.write(table, one-row frame) per canonical row (already mapped and "
        "validated: a lower bound for a row-wise importer), upsert, DuckDB file",
        "sample_rows": written,
        "sample_per_table": per_table,
        "sample_seconds": round(seconds, 4),
        "seconds_per_row": per_row,
        "rows_to_write": total,
        "extrapolated_seconds": round(per_row * total, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="5,000 lines, for the smoke test")
    parser.add_argument("--file", default=str(DEFAULT_FILE), help="Online Retail Parquet file")
    parser.add_argument("--sample", type=int, default=None, help="rows timed one by one")
    parser.add_argument(
        "--repeat", type=int, default=None, help="vectorised runs; the best is reported"
    )
    args = parser.parse_args()
    sample = args.sample or (200 if args.quick else 2_000)
    with tempfile.TemporaryDirectory(prefix="qt-import-bench-") as tmp:
        workdir = Path(tmp)
        path, described = prepare_input(args, workdir)
        source_rows = pl.scan_parquet(path).select(pl.len()).collect().item()
        rss_before = rss_mb()
        repeat = args.repeat or (1 if args.quick else 3)
        vec = vectorised(path, workdir, repeat)
        peak = rss_mb()
        frames = canonical_frames(path)
        base = row_by_row(frames, workdir / "row_by_row.duckdb", sample)
    report = vec["report"]
    rows_written = {t.table: t.rows for t in report.tables}
    rate = source_rows / vec["seconds"]
    written_total = sum(rows_written.values())
    baseline_source_rate = (
        source_rows / base["extrapolated_seconds"] if base["extrapolated_seconds"] else None
    )
    out = {
        "benchmark": "import_online_retail",
        "input": described,
        "quick": bool(args.quick),
        "source_rows": source_rows,
        "rows_written": rows_written,
        "vectorised": {
            "seconds": round(vec["seconds"], 3),
            "runs_seconds": vec["all_seconds"],
            "cpu_seconds_all_threads": round(vec["cpu_seconds"], 3),
            "rows_per_second": round(rate),
            "canonical_rows_per_second": round(written_total / vec["seconds"]),
            "phases_seconds": vec["phases"],
            "peak_rss_mb": round(peak, 1),
            "rss_before_mb": round(rss_before, 1),
        },
        "reimport": {
            "seconds": round(vec["reimport_seconds"], 3),
            "rows_per_second": round(source_rows / vec["reimport_seconds"]),
            "tables": vec["reimport_tables"],
        },
        "baseline_row_by_row": {
            **base,
            "rows_per_second": round(baseline_source_rate) if baseline_source_rate else None,
        },
        "speedup_vs_baseline": round(base["extrapolated_seconds"] / vec["seconds"], 1),
        "target_rows_per_second": TARGET,
        "meets_target": rate >= TARGET,
        "machine": {
            "cpus": os.cpu_count(),
            "load_average_1m": round(os.getloadavg()[0], 2),
            "python": platform.python_version(),
            "polars": pl.__version__,
            "duckdb": duckdb.__version__,
        },
    }
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
