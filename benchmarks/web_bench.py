"""Web benchmark: latency of the dashboard's pages and API calls on a large demo shop.

Generates the demo shop (every module runs on it, as ``quickturn demo`` does), starts
``quickturn serve`` on 127.0.0.1 in a subprocess, waits for the cache to be warm, then
measures with an HTTP client (httpx, one connection, sequential requests):

* the overview, SKU list and SKU detail pages and their JSON API calls — p50, p95, max;
* the SKU detail on its first visit (no cached entry for that SKU) and the inventory
  projection (simulated on demand, loaded by the page after it is shown);
* the baseline, measured in the same run: the same pages with the cache emptied before
  each request (what every request would cost without the cache), and the ratio.

Prints one JSON document.

    uv run python benchmarks/web_bench.py                   # 5,000 SKUs
    uv run python benchmarks/web_bench.py --quick           # tiny smoke run
    uv run python benchmarks/web_bench.py --db big.duckdb   # reuse a demo database
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

import httpx

AS_OF = date(2026, 3, 2)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _percentiles(samples: list[float]) -> dict[str, float]:
    xs = sorted(samples)
    if not xs:
        return {"n": 0}  # type: ignore[dict-item]

    def q(p: float) -> float:
        k = (len(xs) - 1) * p
        lo, hi = int(k), min(int(k) + 1, len(xs) - 1)
        return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)

    return {
        "n": len(xs),
        "p50_ms": round(q(0.5) * 1000, 1),
        "p95_ms": round(q(0.95) * 1000, 1),
        "max_ms": round(xs[-1] * 1000, 1),
        "mean_ms": round(statistics.fmean(xs) * 1000, 1),
    }


def _vm_hwm_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


def build_demo(db: Path, skus: int, days: int, seed: int) -> dict[str, Any]:
    from quickturn.config import Settings
    from quickturn.services.demo import run_demo

    t0 = time.perf_counter()
    summary = run_demo(Settings(db=str(db)), n_skus=skus, days=days, seed=seed, today=AS_OF)
    return {
        "seconds": round(time.perf_counter() - t0, 1),
        "timings": summary["timings"],
        "errors": summary["errors"],
        "tables": {
            k: summary["tables"].get(k)
            for k in (
                "skus",
                "orders",
                "order_lines",
                "ledger_postings",
                "plan_sku_results",
                "comply_findings",
            )
        },
    }


def timed(client: httpx.Client, path: str, **kw: Any) -> float:
    t0 = time.perf_counter()
    r = client.get(path, **kw)
    dt = time.perf_counter() - t0
    if r.status_code != 200:
        raise RuntimeError(f"GET {path} answered {r.status_code}: {r.text[:300]}")
    return dt


def measure(
    url: str, requests: int, detail_skus: int, projections: int, seed: int
) -> dict[str, Any]:
    rng = random.Random(seed)
    html = {"Accept": "text/html"}
    out: dict[str, Any] = {}
    with httpx.Client(base_url=url, timeout=600) as c:
        skus = [
            r["sku_id"]
            for r in c.get("/api/v1/skus", params={"per_page": 500, "sort": "sku_id"}).json()[
                "items"
            ]
        ]
        total = c.get("/api/v1/meta").json()["skus"]
        pages = {
            "overview_page": ("/", html),
            "overview_api": ("/api/v1/overview", {}),
            "sku_list_page": ("/skus", html),
            "sku_list_api": ("/api/v1/skus", {}),
            "sku_list_filtered_sorted_page": (
                "/skus?phase=rising&sort=stockout_prob&order=desc",
                html,
            ),
        }
        for name, (path, headers) in pages.items():
            timed(c, path, headers=headers)  # the first request of each view warms it if needed
            out[name] = _percentiles([timed(c, path, headers=headers) for _ in range(requests)])
        sample = rng.sample(skus, min(detail_skus, len(skus)))
        first = [timed(c, f"/skus/{s}", headers=html) for s in sample]
        out["sku_detail_page_first_visit"] = _percentiles(first)
        out["sku_detail_page"] = _percentiles(
            [timed(c, f"/skus/{rng.choice(sample)}", headers=html) for _ in range(requests)]
        )
        first_api = [timed(c, f"/api/v1/skus/{s}") for s in sample]
        out["sku_detail_api"] = _percentiles(
            first_api + [timed(c, f"/api/v1/skus/{rng.choice(sample)}") for _ in range(requests)]
        )
        proj = sample[:projections]
        probe = c.get(f"/api/v1/skus/{proj[0]}/projection") if proj else None
        if probe is not None and probe.status_code == 404:
            # no plan run (or no plan module in this build): nothing to simulate
            why = {"n": 0, "skipped": str(probe.json().get("detail"))}
            out["projection_api_first"] = out["projection_api_cached"] = why
        else:
            out["projection_api_first"] = _percentiles(
                [timed(c, f"/api/v1/skus/{s}/projection") for s in proj[1:]]
            )
            out["projection_api_cached"] = _percentiles(
                [timed(c, f"/api/v1/skus/{s}/projection") for s in proj]
            )
        # baseline: the same views with the cache emptied before every request
        c.get("/", headers=html)
        token = c.cookies.get("qt_csrf") or ""
        base: dict[str, Any] = {}
        for name, path, headers in (
            ("overview_page", "/", html),
            ("sku_list_page", "/skus", html),
            ("sku_detail_page", f"/skus/{sample[0]}", html),
        ):
            samples = []
            for _ in range(max(2, requests // 10)):
                c.post("/api/v1/cache/refresh", headers={"X-CSRF-Token": token})
                samples.append(timed(c, path, headers=headers))
            base[name] = _percentiles(samples)
        out["baseline_uncached"] = base
        out["ratio_uncached_vs_cached_p50"] = {
            k: round(base[k]["p50_ms"] / max(out[k]["p50_ms"], 0.01), 1) for k in base
        }
        out["skus_in_shop"] = total
    return out


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--quick", action="store_true", help="tiny sizes (smoke test)")
    ap.add_argument("--skus", type=int, default=5000)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--requests", type=int, default=100, help="requests per view")
    ap.add_argument("--db", type=Path, help="reuse (or keep) this demo database")
    ap.add_argument("--seed", type=int, default=7)
    a = ap.parse_args()
    if a.quick:
        a.skus, a.days, a.requests = 20, 60, 5
    detail_skus = 5 if a.quick else 40
    projections = 3 if a.quick else 11  # the first one probes whether a plan run exists
    tmp = tempfile.TemporaryDirectory()
    db = a.db or Path(tmp.name) / "bench.duckdb"
    build: dict[str, Any] = {"reused": True}
    if not db.exists():
        build = build_demo(db, a.skus, a.days, a.seed)
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("QUICKTURN_")}
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "quickturn", "serve", "--db", str(db), "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        while True:
            if proc.poll() is not None:
                raise RuntimeError(proc.stderr.read().decode() if proc.stderr else "serve exited")
            try:
                httpx.get(url + "/healthz", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        started = time.perf_counter() - t0
        # the background warmer computes the overview and SKU list; the first request waits
        t1 = time.perf_counter()
        httpx.get(url + "/api/v1/overview", timeout=600)
        warm = time.perf_counter() - t1
        results = measure(url, a.requests, detail_skus, projections, a.seed)
        server_mb = _vm_hwm_mb(proc.pid)
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
    views = (
        "overview_page",
        "overview_api",
        "sku_list_page",
        "sku_list_api",
        "sku_detail_page",
        "sku_detail_api",
    )
    doc = {
        "benchmark": "web",
        "inputs": {
            "skus": a.skus,
            "days": a.days,
            "requests_per_view": a.requests,
            "quick": a.quick,
            "db_reused": bool(build.get("reused")),
        },
        "build": build,
        "server": {
            "start_seconds": round(started, 2),
            "first_overview_seconds": round(warm, 2),
            "peak_rss_mb": server_mb,
        },
        "latency": {
            k: v
            for k, v in results.items()
            if k not in ("baseline_uncached", "ratio_uncached_vs_cached_p50", "skus_in_shop")
        },
        "baseline_uncached": results["baseline_uncached"],
        "ratio_uncached_vs_cached_p50": results["ratio_uncached_vs_cached_p50"],
        "target_p95_ms": 300,
        "p95_under_target": {k: results[k]["p95_ms"] < 300 for k in views},
        "skus_in_shop": results["skus_in_shop"],
        "bench_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    print(json.dumps(doc, indent=2))
    tmp.cleanup()


if __name__ == "__main__":
    main()
