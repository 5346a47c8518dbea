"""Incremental ledger benchmark (issue 16 item 3): the demo shop's journal posted once, then
``quickturn ledger --by sku`` on an unchanged shop and after 10,000 new order lines.

Prints one JSON document (and writes ``benchmarks/results/ledger_incremental.json``).  The demo
shop (default 300 SKUs × 365 days, seed 7, ~142k order lines) is generated and written to a
DuckDB file with its latest orders held back (as many orders as make ``--new-lines`` order
lines, with their statements and returns).  Each step then runs in its own child process, so
that its seconds (wall clock of the step: the ledger run plus the roll-up by SKU, imports not
counted) and its peak memory (``VmHWM``, the process's own high-water mark; ``ru_maxrss``,
used before, also held the bench parent's resident size — the generated shop, ~0.8 GB — so
every step's peak read at least that much) are its own:

1. ``full``: the first run — build, post the whole journal (an empty journal);
2. ``unchanged``: the same shop again — read from the journal
   (the roll-up as ``quickturn ledger`` makes it: ``margins(run=…)``, summed in the
   database per SKU, no line read back);
3. ``full_rebuild``: ``--full`` on the unchanged shop (what every call did before: build the
   ledger and diff every line against the whole journal);
4. the held-back orders are imported; ``incremental``: post only what they change;
5. ``unchanged_after``: again, read from the journal;
6. ``check``: a full rebuild in memory compared with the journal — per (order, SKU, account,
   source), per SKU / order / line roll-up and the roll-up by SKU summed in the database,
   exact micro-units (``equal``).

``cli_unchanged_s`` is the wall clock of the whole ``quickturn ledger --by sku --json`` process
on the unchanged shop (Python start and imports included): the median of 5 runs, with their
CPU seconds (``cli_unchanged_cpu_s``, user + system) and the load average; every step records
its CPU seconds too (the machine is shared: CPU time is the steadier figure).

    uv run python benchmarks/ledger_incremental_bench.py
    uv run python benchmarks/ledger_incremental_bench.py --quick    # smoke run, no file written
    uv run python benchmarks/ledger_incremental_bench.py --skus 40 --days 120 --new-lines 1000
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent
CHILD = r"""
import json, os, resource, sys, time
from quickturn.store import open_store
from quickturn.services import ledger as svc
step, url = sys.argv[1], sys.argv[2]
store = open_store(url)
t, c = time.perf_counter(), time.process_time()
if step == "check":
    import polars as pl
    from quickturn.core.ledger.postings import postings
    from quickturn.core.ledger.reports import rollup
    fresh = svc.build(store)
    keys = ["order_id", "sku_id", "account", "source_table", "source_key"]
    def by(p):
        return p.group_by(keys).agg(pl.col("amount_usd").sum()).filter(
            pl.col("amount_usd") != 0).sort(keys, nulls_last=True)
    j = store.table("ledger_postings").with_columns(
        (pl.col("amount_usd") * 10000).cast(pl.Int64))
    journal = svc.journal_result(store)
    same = {"postings": by(j).equals(by(postings(fresh)))}
    for d in ("sku", "order", "line"):
        same[d] = rollup(journal.lines, journal.overhead, by=d).equals(
            rollup(fresh.lines, fresh.overhead, by=d))
    same["sku_in_db"] = svc.journal_margins(store, by="sku").equals(
        svc.margins(store, by="sku", result=fresh))
    out = {"equal": all(same.values()), "equal_by": same, "order_lines": fresh.lines.height,
           "journal_postings": j.height,
           "journal_reversals": int(j["reversal_of"].is_not_null().sum())}
else:
    r = svc.run(store, full=step == "full_rebuild")
    table = svc.margins(store, by="sku", run=r)  # as the CLI: unchanged → summed in the db
    out = {"mode": r.mode, "posted": r.posted, "reversed": r.reversed,
           "orders_reposted": r.orders_reposted, "order_lines": r.order_lines,
           "skus": table.height}
out["seconds"] = round(time.perf_counter() - t, 3)
out["cpu_s"] = round(time.process_time() - c, 3)
out["load_avg"] = [round(x, 2) for x in os.getloadavg()]
def peak_mb():
    # this process's own high-water mark: ru_maxrss of a child of a big parent also holds the
    # parent's resident size at the fork (the bench parent holds the generated shop)
    try:
        with open("/proc/self/status") as f:
            for row in f:
                if row.startswith("VmHWM:"):
                    return round(int(row.split()[1]) / 1024, 1)
    except OSError:
        pass
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
out["peak_mb"] = peak_mb()
store.close()
print(json.dumps(out))
"""


def _child(step: str, url: str) -> dict[str, Any]:
    p = subprocess.run(
        [sys.executable, "-c", CHILD, step, url], capture_output=True, text=True, check=False
    )
    if p.returncode != 0:
        raise SystemExit(f"step {step} failed:\n{p.stderr}")
    out: dict[str, Any] = json.loads(p.stdout.strip().splitlines()[-1])
    return out


def _cli(url: str) -> dict[str, Any]:
    """One ``quickturn ledger --by sku --json`` process: wall and CPU seconds, load average."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    p = subprocess.run(
        [sys.executable, "-m", "quickturn", "ledger", "--by", "sku", "--json", "--db", url],
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    mode = json.loads(p.stdout)["mode"] if p.stdout.strip().startswith("{") else None
    return {
        "seconds": round(wall, 3),
        "cpu_s": round(cpu, 3),
        "mode": mode,
        "load_avg": [round(x, 2) for x in os.getloadavg()],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--skus", type=int, default=300)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--as-of", default="2026-12-01")
    ap.add_argument("--new-lines", type=int, default=10_000)
    ap.add_argument("--out", default=None, help="JSON file (default: results/, not with --quick)")
    ap.add_argument("--quick", action="store_true", help="20 SKUs × 60 days, 300 new lines")
    args = ap.parse_args()
    if args.quick:
        args.skus, args.days, args.new_lines = 20, 60, 300
    elif args.out is None:
        args.out = str(ROOT / "results" / "ledger_incremental.json")

    import polars as pl

    from quickturn.demo import DemoConfig, generate
    from quickturn.services.demo import write_demo_database

    cfg = DemoConfig(
        n_skus=args.skus, days=args.days, seed=args.seed, as_of=date.fromisoformat(args.as_of)
    )
    tables = dict(generate(cfg).tables)
    # hold back the latest orders: as many as make --new-lines order lines
    lines = tables["order_lines"].join(
        tables["orders"].select("order_id", "created_at"), on="order_id"
    )
    order_lines = lines.group_by("order_id").agg(pl.len(), pl.col("created_at").first())
    order_lines = order_lines.sort("created_at", "order_id", descending=True)
    late = order_lines.filter(pl.col("len").cum_sum() <= args.new_lines)["order_id"].implode()
    held: dict[str, pl.DataFrame] = {}
    for t in ("orders", "order_lines", "settlement_lines", "returns"):
        held[t] = tables[t].filter(pl.col("order_id").is_in(late))
        tables[t] = tables[t].filter(~pl.col("order_id").is_in(late))
    tmp = tempfile.mkdtemp(prefix="qt-incr-bench-")
    url = os.path.join(tmp, "demo.duckdb")
    marker = {"n_skus": args.skus, "days": args.days, "seed": args.seed, "as_of": args.as_of}
    write_demo_database(url, tables, marker).close()

    steps: dict[str, Any] = {}
    steps["full"] = _child("full", url)
    steps["unchanged"] = _child("unchanged", url)
    cli_runs = [_cli(url) for _ in range(5)]
    cli_s = sorted(r["seconds"] for r in cli_runs)[2]
    cli_cpu = sorted(r["cpu_s"] for r in cli_runs)[2]
    cli_mode = cli_runs[-1]["mode"]
    steps["full_rebuild"] = _child("full_rebuild", url)
    from quickturn.store import open_store

    store = open_store(url)
    store.write_many(held)
    store.close()
    steps["incremental"] = _child("incremental", url)
    steps["unchanged_after"] = _child("unchanged_after", url)
    check = _child("check", url)
    doc = {
        "benchmark": "ledger_incremental",
        "inputs": {
            "skus": args.skus,
            "days": args.days,
            "seed": args.seed,
            "as_of": args.as_of,
            "order_lines_first": steps["full"]["order_lines"],
            "new_order_lines": held["order_lines"].height,
            "new_orders": held["orders"].height,
        },
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "load_avg": os.getloadavg(),
        },
        "steps": steps,
        "cli_unchanged_s": cli_s,
        "cli_unchanged_cpu_s": cli_cpu,
        "cli_unchanged_runs": cli_runs,
        "cli_unchanged_mode": cli_mode,
        "equal_to_full_rebuild": check["equal"],
        "check": check,
        "targets": {
            "unchanged_s_max": 1.0,
            "cli_unchanged_s_max": 1.0,
            "new_10k_lines_s_max": 3.0,
            "unchanged_met": steps["unchanged"]["seconds"] <= 1.0,
            "cli_unchanged_met": cli_s <= 1.0,
            "new_lines_met": steps["incremental"]["seconds"] <= 3.0,
        },
    }
    text = json.dumps(doc, indent=2, default=str)
    print(text)
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(text + "\n")


if __name__ == "__main__":
    main()
