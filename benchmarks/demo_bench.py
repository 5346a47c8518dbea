"""Benchmark the demo generator; prints one JSON document.

Cases (each in a fresh child process, so peak memory is its own):

* ``generate``: the story generator at the default size (300 SKUs × 365 days) and at
  10,000 SKUs × 365 days;
* ``demo_write``: generate + write to a fresh DuckDB file (what ``quickturn demo`` does
  before the modules run);
* ``bulk``: ``bulk_order_lines`` for 10 million order lines (chunks of 1 M);
* ``baseline``: the same order lines built row by row in a Python loop (dicts), the naive
  way, measured on a smaller sample; ``ratio_bulk_vs_loop`` is the speed-up per line.

``--quick`` shrinks every size so the whole run takes seconds (used by the smoke test).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from typing import Any

CHILD = r"""
import json, resource, sys, time, os
from datetime import date
case = json.loads(sys.argv[1])
t0 = time.perf_counter()
rows = 0
if case["kind"] == "generate":
    from quickturn.demo import DemoConfig, generate
    shop = generate(DemoConfig(n_skus=case["n_skus"], days=case["days"], seed=7, as_of=date(2026, 3, 2)))
    rows = sum(shop.counts().values())
    extra = {"order_lines": shop.tables["order_lines"].height, "timings": shop.timings}
elif case["kind"] == "demo_write":
    from quickturn.config import Settings
    from quickturn.services.demo import run_demo
    out = run_demo(Settings(db=case["db"]), n_skus=case["n_skus"], days=case["days"], seed=7,
                   today=date(2026, 3, 2), steps=[])
    rows = sum(out["tables"].values())
    extra = {"generate_s": out["timings"]["generate"], "write_s": out["timings"]["write"]}
elif case["kind"] == "bulk":
    from quickturn.demo.bulk import bulk_order_lines
    for chunk in bulk_order_lines(case["lines"], n_skus=10_000, seed=1, chunk_lines=case["chunk"]):
        rows += chunk.order_lines.height
    extra = {"chunk_lines": case["chunk"]}
elif case["kind"] == "baseline":
    import random
    random.seed(1)
    out = []
    for i in range(case["lines"]):
        q = 1 if random.random() < 0.9 else random.randint(2, 4)
        price = round(9.99 + random.random() * 30, 2)
        out.append({"order_id": str(700000000000000000 + i), "sku_id": f"BLK-{random.randint(1, 10000):06d}",
                    "quantity": q, "unit_price": price, "subtotal_before_discount": round(q * price, 2)})
    rows = len(out)
    extra = {}
secs = time.perf_counter() - t0
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": round(secs, 3), "peak_mb": round(peak, 1), "rows": rows, **extra}))
"""


def run_case(case: dict[str, Any]) -> dict[str, Any]:
    res = subprocess.run(
        [sys.executable, "-c", CHILD, json.dumps(case)],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONHASHSEED": "0"},
    )
    return {**case, **json.loads(res.stdout.strip().splitlines()[-1])}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="tiny sizes (seconds)")
    args = ap.parse_args(argv)
    q = args.quick
    with tempfile.TemporaryDirectory() as tmp:
        gen_sizes = [(30, 60), (200, 60)] if q else [(300, 365), (10_000, 365)]
        cases = [run_case({"kind": "generate", "n_skus": n, "days": d}) for n, d in gen_sizes]
        write = run_case(
            {
                "kind": "demo_write",
                "n_skus": 30 if q else 300,
                "days": 60 if q else 365,
                "db": os.path.join(tmp, "d.duckdb"),
            }
        )
        bulk = run_case(
            {
                "kind": "bulk",
                "lines": 200_000 if q else 10_000_000,
                "chunk": 50_000 if q else 1_000_000,
            }
        )
        base = run_case({"kind": "baseline", "lines": 20_000 if q else 1_000_000})
    bulk_rate = bulk["rows"] / max(bulk["seconds"], 1e-9)
    base_rate = base["rows"] / max(base["seconds"], 1e-9)
    out = {
        "benchmark": "demo",
        "quick": q,
        "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]},
        "generate": cases,
        "demo_write": write,
        "bulk": {**bulk, "lines_per_s": round(bulk_rate)},
        "baseline": {**base, "lines_per_s": round(base_rate)},
        "ratio_bulk_vs_loop": round(bulk_rate / base_rate, 2),
        "peak_mb_self": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "started": time.strftime("%Y-%m-%dT%H:%M:%S"),
    }
    print(json.dumps(out, indent=2))
    return out


if __name__ == "__main__":
    main()
