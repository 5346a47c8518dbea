"""The result a user gets back: frames per policy × SKU, totals, daily traces, orders.

Data flow: :class:`~quickturn.core.backtest.engine.BacktestOutcome` (arrays) →
:func:`build_result` → :class:`BacktestResult` holding Polars frames (the API turns them into
pandas when it was given pandas) and a JSON-able :meth:`BacktestResult.summary` with the
issue's targets checked.  Pure.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

import polars as pl

from quickturn.core.backtest.engine import BacktestOutcome
from quickturn.core.backtest.frames import (
    Window,
    daily_frame,
    decisions_frame,
    orders_frame,
    sku_frame,
    totals_frame,
)
from quickturn.errors import Finding

#: the figures of a policy's totals shown first (CLI table, web, report)
HEADLINE = (
    "profit_usd",
    "revenue_usd",
    "sales_qty",
    "lost_sales_qty",
    "lost_margin_usd",
    "fill_rate",
    "dead_stock_qty",
    "dead_stock_value_usd",
    "working_stock_value_usd",
    "peak_cash_usd",
    "mean_cash_usd",
    "stockout_days",
    "order_qty",
    "oracle_share",
    "vs_erp",
    "dead_stock_vs_erp",
)

#: issue 14's targets on the demo shop (quickturn against the ERP rule and the oracle)
TARGETS = {
    "profit_vs_erp_min": 1.10,
    "dead_stock_vs_erp_max": 0.6,
    "oracle_share_min": 0.85,
}


@dataclass
class BacktestResult:
    """What :func:`quickturn.api.backtest.run` returns.

    * ``skus`` — one row per (policy, unique_id): realised profit, revenue, lost sales and
      margin, dead and working stock, peak and mean cash, stock-out days, share of the
      oracle's profit;
    * ``totals`` — one row per policy (shop-level peak cash is the peak of the summed daily
      inventory value); ``vs_erp`` and ``oracle_share`` compare profits;
    * ``daily`` — per policy and day: profit, cumulative profit, stock on hand and in
      transit, inventory at cost, sales, lost sales;
    * ``orders`` — every order placed; ``decisions`` — per decision and SKU what the policy
      chose and expected against what happened.

    ``trace(policy, unique_id)`` gives the daily frame of one SKU under one policy.
    """

    skus: Any
    totals: Any
    daily: Any
    orders: Any
    decisions: Any
    start: date
    end: date
    every: int
    seed: int
    outcome: BacktestOutcome
    findings: list[Finding] = field(default_factory=list)
    sources: dict[str, str] = field(default_factory=dict)
    pandas: bool = False

    @property
    def policies(self) -> tuple[str, ...]:
        return self.outcome.policies

    def trace(self, policy: str, unique_id: str) -> Any:
        """Daily figures of one SKU under one policy (same frame type as the others)."""
        if policy not in self.outcome.runs:
            raise KeyError(f"policy {policy!r} was not run; have {', '.join(self.policies)}")
        if unique_id not in self.outcome.inputs.sku_ids:
            raise KeyError(f"unknown unique_id {unique_id!r}")
        frame = daily_frame(self.outcome, by_sku=True).filter(
            (pl.col("policy") == policy) & (pl.col("unique_id") == unique_id)
        )
        return frame.to_pandas() if self.pandas else frame

    def to_pandas(self) -> BacktestResult:
        if self.pandas:
            return self
        frames = {
            k: getattr(self, k).to_pandas()
            for k in ("skus", "totals", "daily", "orders", "decisions")
        }
        return replace(self, pandas=True, **frames)

    def summary(self) -> dict[str, Any]:
        """JSON-able totals per policy, the comparisons and the issue's targets."""
        tot = self.totals if not self.pandas else pl.from_pandas(self.totals)
        rows = {
            r["policy"]: {k: _num(v) for k, v in r.items() if k != "policy"} for r in tot.to_dicts()
        }
        out: dict[str, Any] = {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "every": self.every,
            "seed": self.seed,
            "skus": self.outcome.inputs.n,
            "decisions": int(self.outcome.decision_days.size),
            "seconds": round(self.outcome.seconds, 2),
            "seconds_by_policy": {k: round(v.seconds, 2) for k, v in self.outcome.runs.items()},
            "remaining_demand_source": sorted(set(self.outcome.remaining_source)),
            "policies": rows,
            "sources": self.sources,
            "findings": [f.to_dict() for f in self.findings],
        }
        q, erp, oracle = rows.get("quickturn"), rows.get("erp"), rows.get("oracle")
        if q and erp:
            pv = _ratio(q["profit_usd"], erp["profit_usd"])
            dv = _ratio(q["dead_stock_value_usd"], erp["dead_stock_value_usd"])
            out["targets"] = {
                "quickturn_profit_vs_erp": pv,
                "quickturn_dead_stock_value_vs_erp": dv,
                "quickturn_oracle_share": _ratio(q["profit_usd"], oracle["profit_usd"])
                if oracle
                else None,
                # against a loss, ×1.10 reads as "10% of its size better"
                "met_profit_vs_erp": q["profit_usd"]
                >= erp["profit_usd"]
                + (TARGETS["profit_vs_erp_min"] - 1.0) * abs(erp["profit_usd"]),
                "quickturn_minus_erp_profit_usd": round(q["profit_usd"] - erp["profit_usd"], 2),
                "met_dead_stock_vs_erp": dv is not None and dv <= TARGETS["dead_stock_vs_erp_max"],
                "met_oracle_share": bool(
                    oracle
                    and (r := _ratio(q["profit_usd"], oracle["profit_usd"])) is not None
                    and r >= TARGETS["oracle_share_min"]
                ),
                **TARGETS,
            }
        return out


def _num(v: Any) -> Any:
    if isinstance(v, float):
        return None if not math.isfinite(v) else round(v, 4)
    return v


def _ratio(a: float | None, b: float | None) -> float | None:
    if a is None or b is None or b == 0:
        return None
    # a ratio of profits means little when the reference lost money
    return round(a / b, 4) if b > 0 else None


def build_result(
    outcome: BacktestOutcome,
    window: Window,
    *,
    findings: list[Finding] | None = None,
    sources: dict[str, str] | None = None,
) -> BacktestResult:
    return BacktestResult(
        skus=sku_frame(outcome),
        totals=totals_frame(outcome),
        daily=daily_frame(outcome),
        orders=orders_frame(outcome),
        decisions=decisions_frame(outcome),
        start=window.start,
        end=window.end,
        every=outcome.config.every,
        seed=outcome.config.seed,
        outcome=outcome,
        findings=list(findings or []),
        sources=dict(sources or {}),
    )
