"""Helpers of the web tests: a live ``quickturn serve`` subprocess on a free port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class LiveServer:
    """``quickturn serve`` in a subprocess on 127.0.0.1 and a free port."""

    def __init__(self, db: Path, *, env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        full_env = {k: v for k, v in os.environ.items() if not k.startswith("QUICKTURN_")}
        full_env.update(env or {})
        self.log = db.with_suffix(".serve.log")
        self._log = self.log.open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "quickturn", "serve", "--db", str(db), "--port", str(self.port)],
            env=full_env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"quickturn serve exited: {self.output()}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                self.first_line = self.output().splitlines()[0] if self.output() else ""
                return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("quickturn serve did not start within 60 s")

    def output(self) -> str:
        """What the server printed so far."""
        return self.log.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self._log.close()


def plan_module_installed() -> bool:
    """True when this build has the plan module (its demo step fills the plan tables)."""
    import importlib.util

    return importlib.util.find_spec("quickturn.services.plan") is not None


def seed_plan_tables(store: Any, *, as_of: date, skus: int = 40) -> str:
    """A plan run written straight into ``runs`` / ``plan_sku_results`` / ``plan_actions``,
    for builds without the plan module: the web reads those tables only, so its pages,
    API and CSV export are exercised on them as they would be on the plan's own output.

    The figures are derived from each SKU's last 30 days of sales (not the plan's model):
    heavy, qr and dual per SKU, the best expected profit chosen, a purchase order for the
    chosen family when cover is short."""
    import json
    from datetime import datetime, timedelta

    import polars as pl

    since = datetime.combine(as_of - timedelta(days=30), datetime.min.time())
    sales = store.query(
        "SELECT l.sku_id, sum(l.quantity) AS units FROM order_lines l "
        "JOIN orders o ON o.order_id = l.order_id WHERE o.created_at >= ? "
        "GROUP BY l.sku_id ORDER BY units DESC, l.sku_id LIMIT ?",
        [since, skus],
    )
    info = store.table(
        "skus", columns=["sku_id", "supplier_id", "unit_cost", "cost_currency", "list_price"]
    )
    routes = store.table("routes", columns=["route_id", "mode"]).sort("route_id")
    sea = routes.filter(pl.col("mode") == "sea")["route_id"]
    air = routes.filter(pl.col("mode") == "air")["route_id"]
    rid = f"plan-{as_of:%Y%m%d}-webfixture"
    df = sales.join(info, on="sku_id", how="left").sort("units", "sku_id", descending=[True, False])
    results: list[dict[str, Any]] = []
    actions: list[dict[str, Any]] = []
    for i, r in enumerate(df.to_dicts()):
        daily = float(r["units"]) / 30.0
        # factory cost in USD (CNY at a round 7.2; the fixture needs plausible, not exact, costs)
        cost = float(r["unit_cost"] or 36.0) / (7.2 if r["cost_currency"] != "USD" else 1.0)
        price = float(r["list_price"] or cost * 3)
        fams = {
            "heavy": (daily * 90, 0.04 + (i % 5) * 0.01, 0.30),
            "qr": (daily * 30, 0.10 + (i % 7) * 0.02, 0.05),
            "dual": (daily * 60, 0.06 + (i % 3) * 0.01, 0.12),
        }
        best = max(fams, key=lambda f: (price - cost) * fams[f][0] * (1 - fams[f][1] - fams[f][2]))
        for fam, (qty, so, dead) in fams.items():
            profit = (price - cost) * qty * (1 - so - dead)
            results.append(
                {
                    "run_id": rid,
                    "sku_id": r["sku_id"],
                    "policy": fam,
                    "chosen": fam == best,
                    "expected_profit_usd": profit,
                    "profit_p05_usd": profit * 0.6,
                    "cvar_usd": profit * 0.5,
                    "stockout_prob": so,
                    "fill_rate": 1 - so,
                    "dead_stock_qty": qty * dead,
                    "dead_stock_value_usd": qty * dead * cost,
                    "peak_cash_usd": qty * cost,
                    "order_qty": float(round(qty)),
                    "reason": f"web test fixture: {fam}",
                }
            )
        if i % 2 == 0 and round(fams[best][0]) > 0:
            route = air if best == "qr" else sea
            lead = 12 if best == "qr" else 45
            qty = round(fams[best][0])
            actions.append(
                {
                    "run_id": rid,
                    "action_id": f"{rid}-{i:04d}",
                    "kind": "purchase_order",
                    "sku_id": r["sku_id"],
                    "policy": best,
                    "supplier_id": r["supplier_id"],
                    "route_id": route[i % route.len()] if route.len() else None,
                    "quantity": qty,
                    "order_date": as_of,
                    "expected_arrival": as_of + timedelta(days=lead),
                    "unit_cost": round(cost, 2),
                    "currency": "USD",
                    "total_cost_usd": qty * cost,
                    "reason": "web test fixture: cover below the reorder point",
                }
            )
    params = {"horizon_days": 90, "scenarios": 100, "seed": 7, "fixture": True}
    summary = {"skus": df.height, "purchase_orders": len(actions)}
    with store.transaction():
        store.write("plan_sku_results", pl.DataFrame(results), mode="append")
        store.write("plan_actions", pl.DataFrame(actions), mode="append")
        store.write(
            "runs",
            pl.DataFrame(
                {
                    "run_id": [rid],
                    "module": ["plan"],
                    "created_at": [datetime.now()],
                    "as_of": [as_of],
                    "params": [json.dumps(params)],
                    "summary": [json.dumps(summary)],
                }
            ),
            mode="append",
        )
    return rid
