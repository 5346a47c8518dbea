"""Benchmark: orders synced per second from the fake TikTok Shop server into DuckDB.

Prints one JSON document: inputs, sizes, seconds, peak memory, and the ratio of the full sync
(fetch + map + change-aware upsert + checkpoints) to the baseline measured in the same run
(fetching the same pages with the client only).  ``--quick`` uses tiny sizes (smoke test).

    .venv/bin/python benchmarks/sync_bench.py [--quick] [--orders N] [--faults]
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "connector"))

from fake_tiktok import FakeTikTok  # noqa: E402
from tt_helpers import settings_for  # noqa: E402

from quickturn.services.connect import make_client  # noqa: E402
from quickturn.services.sync import sync_tiktok  # noqa: E402
from quickturn.store import open_store  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--orders", type=int, default=50_000)
    ap.add_argument("--page-size", type=int, default=2000)
    ap.add_argument("--faults", action="store_true", help="inject 429/500/drops/truncation")
    args = ap.parse_args()
    n = 1_000 if args.quick else args.orders
    page = 200 if args.quick else args.page_size
    t0 = time.perf_counter()
    fake = FakeTikTok(n_orders=n, days=90, seed=11)
    gen_s = time.perf_counter() - t0
    with fake, tempfile.TemporaryDirectory() as tmp:
        tts = settings_for(
            fake, Path(tmp) / "home", page_size=page, window_days=30.0, max_retries=30
        )
        cipher = fake.shops[0]["cipher"]
        with make_client(tts, rng=random.Random(1)) as client:
            client.exchange_code("good-code")
            # baseline: fetch the same order pages with the client only
            t = time.perf_counter()
            fetched = 0
            for p in client.iter_pages(
                lambda tok: client.search_orders(
                    cipher, update_time_ge=0, page_token=tok, page_size=page
                )
            ):
                fetched += len(p.items)
            fetch_s = time.perf_counter() - t
            if args.faults:
                fake.faults.p429, fake.faults.p500, fake.faults.pdrop, fake.faults.ptruncate = (
                    0.08,
                    0.06,
                    0.05,
                    0.03,
                )
            with open_store(Path(tmp) / "bench.duckdb") as store:
                t = time.perf_counter()
                report = sync_tiktok(store, client, tts, resources=("orders",))
                sync_s = time.perf_counter() - t
                t = time.perf_counter()
                again = sync_tiktok(store, client, tts, resources=("orders",))
                rerun_s = time.perf_counter() - t
                stored = store.count("orders")
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out = {
        "benchmark": "sync_bench",
        "inputs": {"orders": n, "page_size": page, "faults": args.faults, "quick": args.quick},
        "sizes": {
            "orders_fetched_baseline": fetched,
            "orders_stored": stored,
            "line_rows": report.tables.get("order_lines", {}).get("inserted", 0),
        },
        "seconds": {
            "generate_fake_data": round(gen_s, 3),
            "baseline_fetch_only": round(fetch_s, 3),
            "sync": round(sync_s, 3),
            "rerun_no_changes": round(rerun_s, 3),
        },
        "orders_per_second": round(stored / sync_s, 1),
        "baseline_orders_per_second": round(fetched / fetch_s, 1),
        "ratio_vs_baseline": round((stored / sync_s) / (fetched / fetch_s), 3),
        "client": report.client,
        "rerun_changes": again.tables.get("orders", {}),
        "peak_memory_mb": round(peak_mb, 1),
    }
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
