"""Walk-forward backtest: what each replenishment policy would have earned on the shop's past.

Data flow::

    record (recorded daily sales + stock-out flags) ─ reconstruct_demand ─> world demand
    economics, routes, stock at the start, compliance blocks, content posts
        ▼  engine.run_backtest: decision days start, start+every, … < end
    each policy (quickturn, erp, heavy, qr, oracle) decides on the record before the day
    and its own stock → orders (MOQ, case packs, budget, blocks) → lots with lead times
    drawn once per (SKU, day, route) for every policy (common random numbers)
        ▼  world: arrivals → sales from stock, lost sales → holding, cost value
    BacktestOutcome → frames: per policy × SKU, totals, daily traces, orders, decisions

Pure: no IO, no clock; seeds are parameters.  See docs/backtest.md.
"""

from quickturn.core.backtest.data import BacktestInputs, Economics, reconstruct_demand
from quickturn.core.backtest.engine import (
    BacktestConfig,
    BacktestOutcome,
    remaining_demand,
    run_backtest,
)
from quickturn.core.backtest.policies import (
    POLICIES,
    Decision,
    DecisionView,
    ErpPolicy,
    HeavyPolicy,
    OraclePolicy,
    Policy,
    QuickResponsePolicy,
    QuickturnPolicy,
    make_policy,
)

__all__ = [
    "POLICIES",
    "BacktestConfig",
    "BacktestInputs",
    "BacktestOutcome",
    "Decision",
    "DecisionView",
    "Economics",
    "ErpPolicy",
    "HeavyPolicy",
    "OraclePolicy",
    "Policy",
    "QuickResponsePolicy",
    "QuickturnPolicy",
    "make_policy",
    "reconstruct_demand",
    "remaining_demand",
    "run_backtest",
]
