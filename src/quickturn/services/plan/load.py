"""plan: load the shop for a plan: inputs (services.plan_inputs), the fitted sense model, pass 1."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

import numpy as np
import polars as pl

from quickturn.config import Settings
from quickturn.core.plan.inputs import SkuContext
from quickturn.core.plan.settings import PlanSettings
from quickturn.core.plan.simulate import (
    PlanInputs,
)
from quickturn.core.sense.base import Forecaster
from quickturn.core.sense.stream import (
    ScenarioPart,
    attach,
    detach,
    sample_part,
    summarise_part,
)
from quickturn.errors import Finding, UsageError
from quickturn.services import economics as economics_service
from quickturn.services.plan.report import Progress
from quickturn.services.plan_inputs import assemble_plan_inputs
from quickturn.store import Store

#: default SKUs per chunk (the ``plan.chunk_skus`` setting)
CHUNK_SKUS = PlanSettings().chunk_skus


def ledger_journal_economics(store: Store, today: date, days: int) -> pl.DataFrame | None:
    """Per-SKU unit economics from the journal the ledger persisted on its last run, or None
    when the ledger has not run (empty ``ledger_postings``).

    Same formulas as ``ledger.unit_economics`` over the ``days`` before ``today`` (sample
    orders excluded): price = (gross revenue + seller discount + revenue adjustment) ÷ units,
    landed = −COGS ÷ units, variable = −(fees, commission, fulfilment, returns…) ÷ units —
    but read from ``ledger_postings`` (reversals included, so sums are the current figures)
    in well under a second instead of rebuilding the ledger.  Units are the order lines of
    the orders the ledger posted revenue for.  SKUs without sales in the window are left out
    (the planner falls back to the list price and unit cost for them).
    """
    return economics_service.unit_economics_from_journal(store, today=today, days=days)


@dataclass
class Prepared:
    inputs: PlanInputs
    context: SkuContext
    findings: list[Finding]
    blocked: dict[str, list[str]]
    sources: dict[str, str]
    #: the fitted sense model (``services.sense.ScenarioModel``); ``inputs`` carry no
    #: scenarios, each chunk draws its own from it
    scenarios: Any = None


def prepare(
    store: Store,
    *,
    today: date,
    settings: PlanSettings,
    sku_ids: Sequence[str] | None = None,
    app_settings: Settings | None = None,
    progress: Progress | None = None,
    stream: bool = False,
    cluster: Any = None,
) -> Prepared:
    """Load everything the planner needs, fit the sense model once and assemble the
    simulator inputs.  With ``stream`` the inputs carry no scenarios (:func:`plan_outcome`
    draws them chunk by chunk); without, every SKU's scenarios are drawn into them (for
    callers that use them directly: one SKU's operating models, the backtest).  ``cluster``
    (a ``distributed.Client``): the sense model is fitted, and pass 1 summarised, by
    partitions on its workers."""
    skus = store.table("skus")
    if sku_ids is not None:
        missing = sorted(set(sku_ids) - set(skus["sku_id"].to_list()))
        if missing:
            raise UsageError(f"unknown SKU(s): {', '.join(missing)}; see `quickturn db info`")
        skus = skus.filter(pl.col("sku_id").is_in(list(sku_ids)))
    else:
        skus = skus.filter(pl.col("status").fill_null("active") == "active")
    ids = sorted(skus["sku_id"].to_list())
    sources: dict[str, str] = {}
    from quickturn.services import comply as comply_service
    from quickturn.services import ledger as ledger_service
    from quickturn.services import sense as sense_service

    scenarios = sense_service.scenario_model(
        store,
        today=today,
        h=settings.horizon_days,
        n_paths=settings.scenarios,
        seed=settings.seed,
        sku_ids=ids,
        cluster=cluster,
    )
    mean_demand, phase = _summarise(scenarios, ids, settings.chunk_skus, progress, cluster)
    sources["demand"] = "sense.demand_scenarios"
    economics = None
    if settings.use_ledger:
        economics = ledger_journal_economics(store, today, settings.economics_days)
        if economics is not None:
            sources["economics"] = "ledger_postings (the ledger's last run)"
        else:
            economics = ledger_service.unit_economics(
                store, today=today, days=settings.economics_days
            )
            sources["economics"] = "ledger.unit_economics"
    else:
        sources["economics"] = "skus (list price, unit cost) and plan defaults"
    blocked: dict[str, list[str]] = {}
    if settings.block_on_compliance:
        blocked = dict(comply_service.blocked_skus(store, today=today, settings=app_settings))
        sources["compliance"] = "comply.blocked_skus"
    # the one assembly of plan inputs (services.plan_inputs; the web's projection uses it too)
    assembled = assemble_plan_inputs(
        store,
        today=today,
        settings=settings,
        skus=skus,
        demand_sku_ids=ids,
        mean_demand=mean_demand,
        phase=phase,
        economics=economics,
        app_settings=app_settings,
    )
    inputs, context, findings = assembled.inputs, assembled.context, assembled.findings
    sources.update(assembled.sources)
    if not stream:
        inputs = replace(inputs, demand=_paths(scenarios, list(inputs.sku_ids), settings))
    return Prepared(inputs, context, findings, blocked, sources, scenarios)


def _paths(scenarios: Any, ids: list[str], settings: PlanSettings) -> np.ndarray:
    if not ids:
        return np.zeros((0, settings.scenarios, settings.horizon_days))
    return np.ascontiguousarray(sample_part(scenarios.part(ids)), dtype=np.float64)


def _chunks(n: int, size: int) -> list[slice]:
    return [slice(lo, min(lo + size, n)) for lo in range(0, n, max(size, 1))]


def _summarise(
    scenarios: Any,
    ids: list[str],
    chunk_skus: int,
    progress: Progress | None,
    cluster: Any = None,
) -> tuple[np.ndarray, list[str]]:
    """Each SKU's mean demand (what input assembly shares capacity and cash by) and phase,
    drawn chunk by chunk (pass 1 of 2; progress counts both passes); on the cluster's
    workers when ``cluster`` is a ``distributed.Client``."""
    if cluster is not None:
        return _summarise_on(scenarios, ids, chunk_skus, progress, cluster)
    mean = np.zeros(len(ids))
    phase: list[str] = []
    for sl in _chunks(len(ids), chunk_skus):
        m, ph = summarise_part(scenarios.part(ids[sl]))
        mean[sl] = m
        phase.extend(ph)
        if progress is not None:
            progress(sl.stop, 2 * len(ids))
    return mean, phase


def _summarise_remote(part: ScenarioPart, model: Forecaster) -> tuple[np.ndarray, list[str]]:
    return summarise_part(attach(part, model))


def _summarise_on(
    scenarios: Any, ids: list[str], chunk_skus: int, progress: Progress | None, client: Any
) -> tuple[np.ndarray, list[str]]:
    """:func:`_summarise` with each chunk's part drawn and summarised on a worker."""
    from quickturn.services.cluster import map_partitions

    slices = _chunks(len(ids), chunk_skus)
    step = None if progress is None else (lambda d, _t: progress(slices[d - 1].stop, 2 * len(ids)))
    outs = map_partitions(
        _summarise_remote,
        (detach(scenarios.part(ids[sl])) for sl in slices),
        cluster=client,
        total=len(slices),
        progress=step,
        shared=scenarios.bare,
    )
    mean = np.zeros(len(ids))
    phase: list[str] = []
    for sl, (m, ph) in zip(slices, outs, strict=True):
        mean[sl] = m
        phase.extend(ph)
    return mean, phase
