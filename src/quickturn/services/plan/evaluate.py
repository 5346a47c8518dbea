"""plan: evaluate the plan chunk by chunk (locally or on a Dask cluster) and decide."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, fields, replace
from typing import Any

import numpy as np

from quickturn.core.plan.engine import (
    Evaluation,
    PlanOutcome,
    decide,
    drop_profit,
    evaluate,
)
from quickturn.core.plan.settings import PlanSettings
from quickturn.core.plan.simulate import (
    PlanInputs,
    SimConfig,
    SimResult,
)
from quickturn.core.sense.base import Forecaster
from quickturn.core.sense.stream import (
    ScenarioPart,
    attach,
    detach,
    sample_part,
)
from quickturn.services.plan.load import Prepared, _chunks, _paths
from quickturn.services.plan.report import Progress


def sim_config(settings: PlanSettings) -> SimConfig:
    return SimConfig(
        backorders=settings.backorders,
        terminal_cover_days=settings.terminal_cover_days,
        seed=settings.seed,
        risk_alpha=settings.risk_alpha,
        risk_lambda=settings.risk_lambda,
    )


@dataclass(frozen=True)
class PlanChunk:
    """Everything :func:`plan_chunk` needs for one chunk of SKUs (picklable; no store)."""

    #: the fitted sense state of the chunk's SKUs (None: ``inputs`` carry their scenarios)
    scenarios: ScenarioPart | None
    inputs: PlanInputs  # the chunk's rows of the assembled inputs
    config: SimConfig
    search_scenarios: int | None
    gated: np.ndarray  # (n,) bool: may not order today
    #: keep every candidate's per-scenario results (a budget allocates across all SKUs)
    keep_search: bool = False


def plan_chunk(chunk: PlanChunk) -> Evaluation:
    """Draw the chunk's demand scenarios, evaluate every policy family on them and reduce:
    the paths are dropped, and so are the search results unless ``keep_search``."""
    inputs = chunk.inputs
    if chunk.scenarios is not None:
        paths = sample_part(chunk.scenarios)
        inputs = replace(inputs, demand=np.ascontiguousarray(paths, dtype=np.float64))
    ev = evaluate(inputs, chunk.config, search_scenarios=chunk.search_scenarios, gated=chunk.gated)
    if chunk.keep_search:
        return ev
    s = ev.search
    # a fresh empty array, not a ``[..., :0]`` view, which would keep every search profit
    none = np.zeros((*s.profit.shape[:2], 0))
    empty = SimResult(s.metrics, none, s.day0_qty, s.day0_eta, s.risk_alpha, s.risk_lambda)
    return replace(ev, search=empty)


def iter_plan_chunks(
    prepared: Prepared, settings: PlanSettings, *, budget: float | None = None
) -> Iterator[PlanChunk]:
    """The chunks of ``settings.chunk_skus`` SKUs of a prepared plan, built lazily (a
    scheduler that needs them all at once takes ``list(...)``)."""
    inputs = prepared.inputs
    gated = np.array([s in prepared.blocked for s in inputs.sku_ids], dtype=bool)
    config = sim_config(settings)
    search = None if budget is not None else settings.search_scenarios
    drawn = prepared.scenarios is None or inputs.n_scenarios > 0
    for sl in _chunks(inputs.n_skus, settings.chunk_skus):
        idx = np.arange(sl.start, sl.stop)
        yield PlanChunk(
            scenarios=None if drawn else prepared.scenarios.part(list(inputs.sku_ids[sl])),
            inputs=inputs.take(idx),
            config=config,
            search_scenarios=search,
            gated=gated[idx],
            keep_search=budget is not None,
        )


def pack_plan_chunk(chunk: PlanChunk) -> tuple[bytes, PlanChunk]:
    """A chunk for a worker: its inputs' per-SKU arrays as Arrow IPC bytes, and the chunk
    with those inputs emptied (its fitted scenario part, settings and gating pickled; the
    part without its model, which goes to each worker once)."""
    from quickturn.services.cluster import pack_rows

    inputs = chunk.inputs
    cols: dict[str, Any] = {
        f.name: getattr(inputs, f.name)
        for f in fields(inputs)
        if isinstance(getattr(inputs, f.name), np.ndarray)
    }
    cols["sku_ids"] = list(inputs.sku_ids)
    rest = replace(chunk, inputs=inputs.take(np.arange(0)))
    if chunk.scenarios is not None:
        rest = replace(rest, scenarios=detach(chunk.scenarios))
    return pack_rows(cols), rest


def remote_plan_chunk(task: tuple[bytes, PlanChunk], model: Forecaster | None = None) -> Evaluation:
    """:func:`plan_chunk` of a :func:`pack_plan_chunk` chunk with its scenario part's
    ``model`` (top level: Dask workers run it)."""
    from quickturn.services.cluster import unpack_rows

    data, chunk = task
    cols = unpack_rows(data)
    cols["sku_ids"] = tuple(cols["sku_ids"])
    chunk = replace(chunk, inputs=replace(chunk.inputs, **cols))
    if chunk.scenarios is not None and model is not None:
        chunk = replace(chunk, scenarios=attach(chunk.scenarios, model))
    return plan_chunk(chunk)


def plan_outcome(
    prepared: Prepared,
    settings: PlanSettings,
    *,
    policy: str = "auto",
    budget: float | None = None,
    progress: Progress | None = None,
    cluster: Any = None,
) -> PlanOutcome:
    """Evaluate chunk by chunk (scenarios drawn, simulated and reduced before the next
    chunk; progress), then decide across all of them (the budget is portfolio-wide).

    ``cluster`` (a ``distributed.Client``): the same chunks, built here, are evaluated by
    :func:`plan_chunk` on its workers (a few in flight at a time), the decision is taken
    here on the gathered evaluations — the local outcome, bit for bit."""
    config = sim_config(settings)
    n = prepared.inputs.n_skus
    evals: list[Evaluation] = []
    # without a budget each chunk's per-scenario profits are reduced as it arrives: only the
    # portfolio's per-scenario profit is kept (rows added in SKU order, exactly the sum a
    # whole batch gives), so memory does not grow with SKUs × scenarios × families
    total: np.ndarray | None = None if budget is not None else np.zeros(settings.scenarios)

    def reduce(ev: Evaluation) -> Evaluation:
        if total is None:
            return ev
        ev, rows = drop_profit(ev, policy)
        for row in rows:
            total[:] += row
        return ev

    if cluster is not None:
        from quickturn.services.cluster import map_partitions

        # chunks come back in order; they are reduced on the client in the same order
        evals = [
            reduce(ev)
            for ev in map_partitions(
                remote_plan_chunk,
                (pack_plan_chunk(c) for c in iter_plan_chunks(prepared, settings, budget=budget)),
                cluster=cluster,
                total=len(_chunks(n, settings.chunk_skus)),
                progress=None
                if progress is None
                else (lambda d, t: progress(n + n * d // t, 2 * n)),
                shared=None if prepared.scenarios is None else prepared.scenarios.bare,
            )
        ]
    else:
        done = 0
        for part in iter_plan_chunks(prepared, settings, budget=budget):
            ev = reduce(plan_chunk(part))
            evals.append(ev)
            done += ev.gated.shape[0]
            if progress is not None:
                progress(n + done, 2 * n)
    if not evals:
        search = None if budget is not None else settings.search_scenarios
        empty = replace(prepared.inputs, demand=_paths(None, [], settings))
        evals.append(evaluate(empty, config, search_scenarios=search, gated=np.zeros(0, bool)))
        total = None
    return decide(evals, config, policy=policy, budget=budget, total_profit=total)
