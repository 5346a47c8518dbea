"""One call from frames to a result: the frame API and the store path both end here.

Data flow: Polars frames (demand, economics, inventory, blocked, content) →
:func:`~quickturn.core.backtest.frames.inputs_from_frames` → policies by name or object →
:func:`~quickturn.core.backtest.engine.run_backtest` →
:func:`~quickturn.core.backtest.result.build_result`.  Pure.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

import polars as pl

from quickturn.core.backtest.data import BacktestInputs
from quickturn.core.backtest.engine import BacktestConfig, BacktestOutcome, Progress, run_backtest
from quickturn.core.backtest.frames import inputs_from_frames
from quickturn.core.backtest.policies import POLICIES, Policy, make_policy
from quickturn.core.backtest.result import BacktestResult, build_result
from quickturn.errors import Finding, UsageError

DEFAULT_POLICIES: tuple[str, ...] = ("quickturn", "erp", "heavy", "qr", "oracle")


def resolve_policies(
    policies: Sequence[str | Policy] | None, options: dict[str, dict[str, Any]] | None = None
) -> list[Policy]:
    """Policy objects for names (with ``options[name]`` as keyword arguments) or objects."""
    out: list[Policy] = []
    opts = options or {}
    for p in policies or DEFAULT_POLICIES:
        if isinstance(p, Policy):
            out.append(p)
            continue
        name = str(p).strip().lower()
        if name not in POLICIES:
            raise UsageError(
                f"unknown policy {p!r}; choose from {', '.join(POLICIES)} (comma-separated)"
            )
        try:
            out.append(make_policy(name, **opts.get(name, {})))
        except TypeError as exc:
            raise UsageError(f"policy {name}: bad option ({exc})") from None
    if not out:
        raise UsageError("no policy to backtest")
    return out


#: ``map_fn(fn, tasks) -> [fn(t) for t in tasks]``, in order, wherever it runs them
MapFn = Callable[[Callable[[Any], Any], list[Any]], list[Any]]


def _replay_one(task: tuple[BacktestInputs, Policy, BacktestConfig]) -> BacktestOutcome:
    """One policy's replay (top level so that a Dask worker can run it)."""
    inputs, policy, config = task
    return run_backtest(inputs, [policy], config)


def run_frames(
    demand: pl.DataFrame,
    economics: pl.DataFrame | None = None,
    *,
    start: date | None = None,
    end: date | None = None,
    every: int = 7,
    policies: Sequence[str | Policy] | None = None,
    seed: int = 0,
    inventory: pl.DataFrame | None = None,
    blocked: pl.DataFrame | None = None,
    content: pl.DataFrame | None = None,
    budget: float | None = None,
    life_days: int = 365,
    history_days: int = 365,
    policy_options: dict[str, dict[str, Any]] | None = None,
    progress: Progress | None = None,
    findings: list[Finding] | None = None,
    sources: dict[str, str] | None = None,
    map_fn: MapFn | None = None,
) -> BacktestResult:
    """Backtest ``policies`` on long frames (see :mod:`quickturn.core.backtest.frames`).

    ``map_fn(fn, tasks)`` (e.g. ``services.cluster.map_partitions`` bound to a Dask cluster)
    replays the policies one task each, wherever it runs them; every policy sees the same
    demand, lead-time draws and seeds, so the result is the one of a single replay."""
    if int(every) != every or every < 1:
        raise UsageError(f"every must be a whole number of days ≥ 1, got {every!r}")
    if budget is not None and not budget >= 0:
        raise UsageError(f"budget must be a non-negative amount in USD, got {budget!r}")
    pols = resolve_policies(policies, policy_options)
    inputs, window = inputs_from_frames(
        demand,
        economics,
        start=start,
        end=end,
        inventory=inventory,
        blocked=blocked,
        content=content,
        history_days=history_days,
    )
    config = BacktestConfig(
        start=inputs.day(window.start),
        end=inputs.day(window.end),
        every=int(every),
        seed=int(seed),
        budget=budget,
        life_days=int(life_days),
        history_days=int(history_days),
    )
    if map_fn is None or len(pols) < 2:
        outcome = run_backtest(inputs, pols, config, progress=progress)
    else:
        outs = map_fn(_replay_one, [(inputs, p, config) for p in pols])
        outcome = outs[0]
        for o in outs[1:]:
            outcome.runs.update(o.runs)
        outcome.seconds = float(sum(o.seconds for o in outs))
    return build_result(outcome, window, findings=findings, sources=sources)
