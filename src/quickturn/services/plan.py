"""plan use cases: load the shop → demand scenarios → simulate every policy family → decide →
persist today's purchase orders and the per-SKU risk figures.

Data flow::

    store: skus, suppliers, locations, routes, inventory_snapshots, shipments(+lines),
           purchase_orders, fx_rates, orders (delivery days)
    sense.demand_scenarios(...)        → sample paths (n_skus × n_paths × horizon)
    ledger_postings (the ledger's last run, read directly) or, when the ledger has not run,
    ledger.unit_economics(...)         → price, landed and variable cost (when available)
    comply.blocked_skus(...)           → SKUs that get no purchase order (when enabled)
        │
        ▼  services.plan_inputs.assemble_plan_inputs (the one assembly, shared with the web's
        ▼  projection) → core.plan.inputs.assemble_inputs → PlanInputs + SkuContext (+ findings)
        ▼  core.plan.engine.evaluate (chunks of SKUs, progress) → decide (policy, budget)
        ▼
    runs (module "plan"), plan_sku_results (one row per SKU × family), plan_actions
    (purchase orders, transfers of origin-warehouse stock and POD switches) — written in one
    transaction.

``compare``/``explain`` plan one SKU afresh (nothing persisted); ``export_purchase_orders``
writes the latest run's purchase orders as a CSV a supplier can receive.
"""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from quickturn.config import Settings
from quickturn.core.plan.engine import (
    Evaluation,
    PlanOutcome,
    decide,
    drop_profit,
    evaluate,
    explain_choice,
)
from quickturn.core.plan.inputs import SkuContext
from quickturn.core.plan.policies import ROUTE_SLOTS, family
from quickturn.core.plan.settings import PlanSettings, plan_settings
from quickturn.core.plan.simulate import (
    FAST,
    M_DEAD_UNITS,
    M_DEAD_VALUE,
    M_DEMAND,
    M_FREIGHT,
    M_HOLDING,
    M_LOST,
    M_OOS_DEMAND,
    M_ORDERED,
    M_PEAK_CASH,
    M_POD_UNITS,
    M_PROFIT,
    M_SOLD,
    M_STOCKOUT,
    M_TRANSFERRED,
    P_ACTIVE,
    SLOW,
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
    summarise_part,
)
from quickturn.errors import Finding, UsageError
from quickturn.i18n import gettext
from quickturn.services import economics as economics_service
from quickturn.services.csvsafe import SafeWriter, cents
from quickturn.services.plan_inputs import assemble_plan_inputs
from quickturn.store import Store, queries

Progress = Callable[[int, int], None]
#: default SKUs per chunk (the ``plan.chunk_skus`` setting)
CHUNK_SKUS = PlanSettings().chunk_skus


@dataclass
class PlanReport:
    """Result of a plan run (JSON-able through :meth:`to_dict`)."""

    run_id: str | None
    today: date
    settings: PlanSettings
    outcome: PlanOutcome
    context: SkuContext
    findings: list[Finding]
    actions: list[dict[str, Any]]
    sku_rows: list[dict[str, Any]]
    blocked: dict[str, list[str]] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)

    def portfolio(self) -> dict[str, float]:
        return self.outcome.portfolio()

    def chosen_rows(self) -> list[dict[str, Any]]:
        return [r for r in self.sku_rows if r["chosen"]]

    def to_dict(self, lang: str = "en") -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "as_of": self.today.isoformat(),
            "policy": self.outcome.requested,
            "budget_usd": self.outcome.budget,
            "budget_spent_usd": self.outcome.budget_spent if self.outcome.budget else None,
            "scenarios": self.outcome.n_scenarios,
            "horizon_days": self.settings.horizon_days,
            "risk": {"alpha": self.settings.risk_alpha, "lambda": self.settings.risk_lambda},
            "portfolio": self.portfolio(),
            "purchase_orders": [
                localise_action(a, lang) for a in self.actions if a["kind"] == "purchase_order"
            ],
            "actions": [localise_action(a, lang) for a in self.actions],
            "skus": [localise_row(r, lang) for r in self.chosen_rows()],
            "held_back": [r["sku_id"] for r in self.chosen_rows() if r["held_back_by_budget"]],
            "gated": {k: v for k, v in self.blocked.items() if k in set(self.outcome.sku_ids)},
            "sources": self.sources,
            "findings": [f.to_dict() for f in self.findings],
            "notes": list(self.outcome.notes),
        }


Reason = list[tuple[str, dict[str, Any]]]


def render_reason(parts: Reason, lang: str = "en") -> str:
    """Translate and join the parts of a reason (each an English template and its values)."""
    return " ".join(gettext(t, lang, **v) for t, v in parts)


def localise_row(row: dict[str, Any], lang: str) -> dict[str, Any]:
    out = {k: v for k, v in row.items() if not k.startswith("_")}
    if "_reason" in row:
        out["reason"] = render_reason(row["_reason"], lang)
    return out


localise_action = localise_row


# ---------------------------------------------------------------------------------------------
# loading


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


# ---------------------------------------------------------------------------------------------
# running


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


def _fulfilment(metrics: np.ndarray, ctx: SkuContext, i: int) -> tuple[float, float]:
    """Mean and SD of order → delivery days over the units sold (US stock vs POD mixture)."""
    sold = float(metrics[M_SOLD])
    pod = float(metrics[M_POD_UNITS])
    if not sold > 0:
        return ctx.us_days_mean, ctx.us_days_sd
    wp = min(max(pod / sold, 0.0), 1.0)
    wu = 1.0 - wp
    mu_u, sd_u = ctx.us_days_mean, ctx.us_days_sd
    mu_p, sd_p = float(ctx.pod_days_mean[i]), float(ctx.pod_days_sd[i])
    mean = wu * mu_u + wp * mu_p
    second = wu * (sd_u**2 + mu_u**2) + wp * (sd_p**2 + mu_p**2)
    return mean, math.sqrt(max(second - mean**2, 0.0))


def _num(x: float) -> float | None:
    return None if x is None or not math.isfinite(float(x)) else float(x)


def sku_result_rows(outcome: PlanOutcome, ctx: SkuContext) -> list[dict[str, Any]]:
    """One row per SKU × applicable family, shaped like ``plan_sku_results``."""
    rows: list[dict[str, Any]] = []
    for i, sid in enumerate(outcome.sku_ids):
        chosen = int(outcome.chosen[i])
        for k, name in enumerate(outcome.families):
            is_chosen = k == chosen
            if is_chosen:
                mt, params = outcome.metrics[i], outcome.params[i]
                obj, cv, p05 = outcome.objective[i], outcome.cvar[i], outcome.p05[i]
                qty, _eta = outcome.day0_qty[i], outcome.day0_eta[i]
            else:
                if outcome.family_params[i, k, P_ACTIVE] < 0.5:
                    continue
                mt, params = outcome.family_metrics[i, k], outcome.family_params[i, k]
                obj, cv = outcome.family_objective[i, k], outcome.family_cvar[i, k]
                p05 = outcome.family_p05[i, k]
                qty, _eta = outcome.family_day0_qty[i, k], outcome.family_day0_eta[i, k]
            if not np.isfinite(mt[M_PROFIT]):
                continue
            sold, lost, demand = float(mt[M_SOLD]), float(mt[M_LOST]), float(mt[M_DEMAND])
            f_mean, f_sd = _fulfilment(mt, ctx, i)
            described = family(name).describe(params)
            routes = {}
            for slot, c in ((SLOW, ctx.slow[i]), (FAST, ctx.fast[i])):
                if c is not None:
                    routes[ROUTE_SLOTS[slot]] = c.route_id
            described["routes"] = routes
            described["todays_orders"] = {
                ROUTE_SLOTS[s]: float(qty[s]) for s in (SLOW, FAST) if qty[s] > 0
            }
            transfers = {ROUTE_SLOTS[s]: float(qty[2 + s]) for s in (SLOW, FAST) if qty[2 + s] > 0}
            if transfers:
                described["todays_transfers"] = transfers
            if is_chosen:
                reason: Reason = [explain_choice(outcome, i)]
            else:
                gap = float(outcome.objective[i] - obj) if np.isfinite(obj) else math.nan
                reason = [
                    (
                        "Not chosen: objective {objective} ({gap} below {policy}).",
                        {
                            "objective": _money(float(obj)),
                            "gap": _money(gap),
                            "policy": outcome.families[chosen],
                        },
                    )
                ]
            rows.append(
                {
                    "sku_id": sid,
                    "policy": name,
                    "chosen": is_chosen,
                    "params": described,
                    "expected_profit_usd": _num(mt[M_PROFIT]),
                    "profit_p05_usd": _num(p05),
                    "cvar_usd": _num(cv),
                    "objective_usd": _num(obj),
                    "expected_sales_qty": _num(sold),
                    "lost_sales_qty": _num(lost),
                    "fill_rate": _num(sold / (sold + lost)) if sold + lost > 0 else 1.0,
                    "stockout_prob": _num(mt[M_STOCKOUT]),
                    "oos_demand_share": _num(min(float(mt[M_OOS_DEMAND]) / demand, 1.0))
                    if demand > 0
                    else 0.0,
                    "dead_stock_qty": _num(mt[M_DEAD_UNITS]),
                    "dead_stock_value_usd": _num(mt[M_DEAD_VALUE]),
                    "peak_cash_usd": _num(mt[M_PEAK_CASH]),
                    "holding_cost_usd": _num(mt[M_HOLDING]),
                    "freight_cost_usd": _num(mt[M_FREIGHT]),
                    "order_qty": _num(mt[M_ORDERED]),
                    "fulfilment_days_mean": _num(f_mean),
                    "fulfilment_days_sd": _num(f_sd),
                    "held_back_by_budget": bool(is_chosen and outcome.held_back[i]),
                    "gated_by_compliance": bool(outcome.gated[i]),
                    "reason": render_reason(reason),
                    "_reason": reason,
                    "pod_qty": _num(mt[M_POD_UNITS]),
                    "transfer_qty": _num(mt[M_TRANSFERRED]),
                }
            )
    return rows


def _money(x: float) -> str:
    if not math.isfinite(x):
        return "—"
    return f"-${abs(x):,.0f}" if x < 0 else f"${x:,.0f}"


def _edge(outcome: PlanOutcome, i: int) -> str:
    """Short "why": the objective lead over the runner-up family (or the constraint)."""
    if outcome.held_back[i]:
        return "budget"
    obj = outcome.family_objective[i]
    k = int(outcome.chosen[i])
    others = [j for j in range(len(obj)) if j != k and np.isfinite(obj[j])]
    if not others:
        return "only option"
    j = max(others, key=lambda j: obj[j])
    return f"{_money(float(obj[k] - obj[j]))} vs {outcome.families[j]}"


def action_rows(outcome: PlanOutcome, ctx: SkuContext, today: date) -> list[dict[str, Any]]:
    """Today's purchase orders, transfers from origin-warehouse stock and POD switches of the
    final plan."""
    rows: list[dict[str, Any]] = []
    for i, sid in enumerate(outcome.sku_ids):
        fam = outcome.chosen_family(i)
        why = explain_choice(outcome, i)
        for slot, choice in ((SLOW, ctx.slow[i]), (FAST, ctx.fast[i])):
            q = float(outcome.day0_qty[i, 2 + slot])
            if q <= 0 or choice is None:
                continue
            arrival = today + timedelta(days=round(float(outcome.day0_eta[i, 2 + slot])))
            origin = ctx.origin_location_id[i] or choice.origin_id
            rows.append(
                {
                    "edge": _edge(outcome, i),
                    "action_id": f"TR-{sid}-{ROUTE_SLOTS[slot]}",
                    "kind": "transfer",
                    "sku_id": sid,
                    "title": ctx.title[i],
                    "policy": fam,
                    "supplier_id": None,
                    "route_id": choice.route_id,
                    "mode": choice.mode,
                    "origin_id": origin,
                    "destination_id": ctx.destination_id[i],
                    "quantity": round(q),
                    "order_date": today,
                    "expected_arrival": arrival,
                    "unit_cost": None,
                    "currency": None,
                    "total_cost_usd": round(q * choice.freight_per_unit_usd, 2),
                    "production_days": 0.0,
                    "reason": "",
                    "_reason": [
                        (
                            "{policy}: ship {qty} units already in {origin} by {mode} "
                            "({route}), arriving about {arrival} (no production needed).",
                            {
                                "policy": fam,
                                "qty": f"{q:,.0f}",
                                "origin": origin,
                                "mode": choice.mode,
                                "route": choice.route_id,
                                "arrival": arrival.isoformat(),
                            },
                        ),
                        why,
                    ],
                }
            )
            rows[-1]["reason"] = render_reason(rows[-1]["_reason"])
        for slot, choice in ((SLOW, ctx.slow[i]), (FAST, ctx.fast[i])):
            q = float(outcome.day0_qty[i, slot])
            if q <= 0 or choice is None:
                continue
            eta = round(float(outcome.day0_eta[i, slot]))
            unit_usd = float(ctx.unit_cost_native[i] * ctx.fx_usd[i])
            freight = q * choice.freight_per_unit_usd
            total = q * unit_usd + freight
            arrival = today + timedelta(days=eta)
            reason: Reason = [
                (
                    "{policy}: {qty} units by {mode} ({route}), arriving about {arrival}.",
                    {
                        "policy": fam,
                        "qty": f"{q:,.0f}",
                        "mode": choice.mode,
                        "route": choice.route_id,
                        "arrival": arrival.isoformat(),
                    },
                ),
                why,
            ]
            rows.append(
                {
                    "edge": _edge(outcome, i),
                    "action_id": f"PO-{sid}-{ROUTE_SLOTS[slot]}",
                    "kind": "purchase_order",
                    "sku_id": sid,
                    "title": ctx.title[i],
                    "policy": fam,
                    "supplier_id": ctx.supplier_id[i],
                    "route_id": choice.route_id,
                    "mode": choice.mode,
                    "origin_id": choice.origin_id,
                    "destination_id": ctx.destination_id[i],
                    "quantity": round(q),
                    "order_date": today,
                    "expected_arrival": arrival,
                    "unit_cost": float(ctx.unit_cost_native[i]),
                    "currency": ctx.cost_currency[i],
                    "total_cost_usd": round(total, 2),
                    "production_days": float(ctx.production_days[i]),
                    "reason": render_reason(reason),
                    "_reason": reason,
                }
            )
        if fam in ("pod", "hybrid") and float(outcome.metrics[i, M_POD_UNITS]) > 0:
            units = float(outcome.metrics[i, M_POD_UNITS])
            reason = [
                (
                    "{policy}: make about {qty} units to order over the horizon instead of "
                    "stocking them (POD {days} days to the buyer).",
                    {"policy": fam, "qty": f"{units:,.0f}", "days": f"{ctx.pod_days_mean[i]:.0f}"},
                ),
                why,
            ]
            rows.append(
                {
                    "action_id": f"POD-{sid}",
                    "kind": "pod",
                    "sku_id": sid,
                    "title": ctx.title[i],
                    "policy": fam,
                    "supplier_id": None,
                    "route_id": None,
                    "mode": "pod",
                    "origin_id": None,
                    "destination_id": "buyer",
                    "quantity": round(units),
                    "order_date": today,
                    "expected_arrival": today + timedelta(days=round(float(ctx.pod_days_mean[i]))),
                    "unit_cost": None,
                    "currency": None,
                    "total_cost_usd": None,
                    "production_days": None,
                    "reason": render_reason(reason),
                    "_reason": reason,
                }
            )
    return rows


def run(
    store: Store,
    *,
    today: date,
    app_settings: Settings | None = None,
    sku: str | None = None,
    policy: str = "auto",
    budget: float | None = None,
    scenarios: int | None = None,
    seed: int | None = None,
    horizon_days: int | None = None,
    persist: bool = True,
    progress: Progress | None = None,
    options: dict[str, Any] | None = None,
    cluster: Any = None,
) -> PlanReport:
    """Plan every active SKU (or ``sku``) and, with ``persist``, store the run.

    ``cluster`` (an address ``tcp://host:8786``, a ``distributed.Client``; default
    ``QUICKTURN_DASK_SCHEDULER``): the sense fit, both passes over the chunks and their
    simulations run on the cluster; the store is read and the decision taken here."""
    from quickturn.services.cluster import session

    if policy != "auto" and policy not in ("heavy", "qr", "dual", "pod", "hybrid"):
        raise UsageError(
            f"--policy {policy!r} is not a policy; use auto, heavy, qr, dual, pod or hybrid"
        )
    if budget is not None and (not math.isfinite(budget) or budget < 0):
        raise UsageError(f"--budget must be a non-negative amount in USD, got {budget}")
    section = dict(app_settings.section("plan")) if app_settings else {}
    section.update(options or {})
    settings = plan_settings(section, scenarios=scenarios, seed=seed, horizon_days=horizon_days)
    with session(cluster) as client:
        prepared = prepare(
            store,
            today=today,
            settings=settings,
            sku_ids=[sku] if sku else None,
            app_settings=app_settings,
            progress=progress,
            stream=True,
            cluster=client,
        )
        outcome = plan_outcome(
            prepared, settings, policy=policy, budget=budget, progress=progress, cluster=client
        )
    rows = sku_result_rows(outcome, prepared.context)
    actions = action_rows(outcome, prepared.context, today)
    report = PlanReport(
        run_id=None,
        today=today,
        settings=settings,
        outcome=outcome,
        context=prepared.context,
        findings=prepared.findings,
        actions=actions,
        sku_rows=rows,
        blocked=prepared.blocked,
        sources=prepared.sources,
    )
    if persist:
        report.run_id = persist_report(
            store, report, params={"sku": sku, "policy": policy, "budget": budget}
        )
    return report


def persist_report(store: Store, report: PlanReport, *, params: dict[str, Any]) -> str:
    """Write the run, its per-SKU results and its actions in one transaction."""
    now = datetime.now(UTC).replace(tzinfo=None)
    run_id = f"plan-{now:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"
    s = report.settings
    run_params = {
        **params,
        "horizon_days": s.horizon_days,
        "scenarios": s.scenarios,
        "search_scenarios": s.search_scenarios,
        "seed": s.seed,
        "risk_alpha": s.risk_alpha,
        "risk_lambda": s.risk_lambda,
        "backorders": s.backorders,
    }
    summary = {
        **report.portfolio(),
        "purchase_orders": sum(1 for a in report.actions if a["kind"] == "purchase_order"),
        "sources": report.sources,
        "findings": len(report.findings),
    }
    res = (
        pl.DataFrame(
            [
                {
                    **{
                        k: v
                        for k, v in r.items()
                        if not k.startswith("_") and k not in ("pod_qty", "transfer_qty")
                    },
                    "run_id": run_id,
                    "params": json.dumps(r["params"]),
                }
                for r in report.sku_rows
            ],
            infer_schema_length=None,
        )
        if report.sku_rows
        else pl.DataFrame()
    )
    acts = (
        pl.DataFrame(
            [
                {
                    "run_id": run_id,
                    "action_id": a["action_id"],
                    "kind": a["kind"],
                    "sku_id": a["sku_id"],
                    "policy": a["policy"],
                    "supplier_id": a["supplier_id"],
                    "route_id": a["route_id"],
                    "origin_id": a["origin_id"],
                    "destination_id": a["destination_id"],
                    "quantity": int(a["quantity"]),
                    "order_date": a["order_date"],
                    "expected_arrival": a["expected_arrival"],
                    "unit_cost": a["unit_cost"],
                    "currency": a["currency"],
                    "total_cost_usd": a["total_cost_usd"],
                    "reason": a["reason"],
                }
                for a in report.actions
            ],
            infer_schema_length=None,
        )
        if report.actions
        else pl.DataFrame()
    )
    frames: dict[str, pl.DataFrame] = {
        "runs": pl.DataFrame(
            {
                "run_id": [run_id],
                "module": ["plan"],
                "created_at": [now],
                "as_of": [report.today],
                "params": [json.dumps(run_params, default=str)],
                "summary": [json.dumps(summary, default=str)],
            }
        )
    }
    if res.height:
        frames["plan_sku_results"] = res
    if acts.height:
        frames["plan_actions"] = acts
    store.write_many(frames, mode="append")
    return run_id


# ---------------------------------------------------------------------------------------------
# reading back


def default_as_of(store: Store) -> date:
    """The plan date when none is given: the demo's as-of day in a demo database, else today."""
    marker = store.get_state("demo", "marker") if "state" in store.existing_tables() else None
    if isinstance(marker, dict) and marker.get("as_of"):
        try:
            return date.fromisoformat(str(marker["as_of"]))
        except ValueError:
            pass
    return date.today()


def latest_run_id(store: Store) -> str | None:
    return queries.runs.latest_run_id(store, "plan")


EXPORT_COLUMNS = (
    "po_number",
    "order_date",
    "supplier_id",
    "supplier_name",
    "sku",
    "description",
    "quantity",
    "case_pack",
    "cartons",
    "unit_price",
    "currency",
    "line_total",
    "ship_mode",
    "ship_to",
    "ready_by",
    "expected_arrival",
)


def export_purchase_orders(store: Store, out: Path, *, run_id: str | None = None) -> dict[str, Any]:
    """Write the purchase orders of a plan run (default: the latest) as a supplier CSV.

    One line per SKU; lines of the same supplier share a PO number.  Columns are in
    :data:`EXPORT_COLUMNS`; amounts in the supplier's currency with 2 decimals.
    """
    rid = run_id or latest_run_id(store)
    if rid is None:
        raise UsageError("no plan run yet: run `quickturn plan` first")
    acts = store.table("plan_actions", where={"run_id": rid, "kind": "purchase_order"})
    skus = store.table(
        "skus", columns=["sku_id", "title", "case_pack_qty", "production_lead_time_days"]
    )
    sups = store.table("suppliers", columns=["supplier_id", "name", "production_lead_time_days"])
    routes = store.table("routes", columns=["route_id", "mode"])
    df = (
        acts.join(skus, on="sku_id", how="left")
        .join(sups.rename({"production_lead_time_days": "sup_days"}), on="supplier_id", how="left")
        .join(routes, on="route_id", how="left")
        .sort("supplier_id", "sku_id", "action_id")
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    numbers: dict[str, str] = {}
    lines = 0
    total_by_cur: dict[str, Decimal] = {}
    with out.open("w", newline="", encoding="utf-8") as fh:
        w = SafeWriter(fh)
        w.writerow(EXPORT_COLUMNS)
        for r in df.to_dicts():
            sup = r.get("supplier_id") or "UNASSIGNED"
            order_date: date = r["order_date"]
            number = numbers.setdefault(sup, f"PO-{order_date:%Y%m%d}-{sup}-{rid[-6:].upper()}")
            qty = int(r["quantity"])
            case = int(r["case_pack_qty"] or 0)
            cur = r.get("currency") or ""
            unit = cents(r["unit_cost"], cur)
            days = r.get("production_lead_time_days") or r.get("sup_days") or 0
            total = unit * qty
            total_by_cur[cur] = total_by_cur.get(cur, Decimal(0)) + total
            w.writerow(
                [
                    number,
                    order_date.isoformat(),
                    sup,
                    r.get("name") or "",
                    r["sku_id"],
                    r.get("title") or "",
                    qty,
                    case or "",
                    math.ceil(qty / case) if case else "",
                    unit,
                    cur,
                    total,
                    r.get("mode") or "",
                    r.get("destination_id") or "",
                    (order_date + timedelta(days=round(float(days)))).isoformat(),
                    r["expected_arrival"].isoformat() if r.get("expected_arrival") else "",
                ]
            )
            lines += 1
    return {
        "run_id": rid,
        "path": str(out),
        "lines": lines,
        "purchase_orders": len(numbers),
        "totals": total_by_cur,
    }


# ---------------------------------------------------------------------------------------------
# one SKU: compare and explain


def compare(
    store: Store,
    *,
    today: date,
    sku: str,
    app_settings: Settings | None = None,
    scenarios: int | None = None,
    seed: int | None = None,
    options: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """All policy families side by side for one SKU (planned afresh; nothing persisted)."""
    report = run(
        store,
        today=today,
        app_settings=app_settings,
        sku=sku,
        scenarios=scenarios,
        seed=seed,
        persist=False,
        options=options,
    )
    if sku not in report.outcome.sku_ids:
        raise UsageError(_not_planned(sku, report.findings))
    rows = [r for r in report.sku_rows if r["sku_id"] == sku]
    order = {f: j for j, f in enumerate(report.outcome.families)}
    rows.sort(key=lambda r: order[r["policy"]])
    i = report.context.row(sku)
    return {
        "sku_id": sku,
        "title": report.context.title[i],
        "as_of": today.isoformat(),
        "phase": report.context.phase[i],
        "scenarios": report.settings.scenarios,
        "horizon_days": report.settings.horizon_days,
        "chosen": report.outcome.chosen_family(0),
        "families": rows,
        "not_applicable": [
            f for f in report.outcome.families if f not in {r["policy"] for r in rows}
        ],
        "_report": report,
    }


def _not_planned(sku: str, findings: list[Finding]) -> str:
    why = [f.message for f in findings if f.record.get("sku_id") == sku]
    return f"SKU {sku} could not be planned" + (": " + "; ".join(why) if why else "")


def explain(
    store: Store,
    *,
    today: date,
    sku: str,
    app_settings: Settings | None = None,
    scenarios: int | None = None,
    seed: int | None = None,
    options: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Why a SKU gets its plan: inputs, economics, route choice, risk, runner-up."""
    cmp = compare(
        store,
        today=today,
        sku=sku,
        app_settings=app_settings,
        scenarios=scenarios,
        seed=seed,
        options=options,
    )
    report: PlanReport = cmp["_report"]
    ctx, out = report.context, report.outcome
    i = ctx.row(sku)
    chosen_row = next(r for r in cmp["families"] if r["chosen"])
    total_demand = float(out.metrics[i, M_DEMAND])
    route = {
        slot: (
            {
                "route_id": c.route_id,
                "mode": c.mode,
                "lead_time_days": round(c.lead_time_mean_days, 1),
                "transit_days": round(c.transit_days, 1),
                "transit_sd_days": round(c.transit_sd_days, 1),
                "lead_time_source": c.lead_time_source,
                "lead_time_shipments": c.lead_time_shipments,
                "freight_per_unit_usd": round(c.freight_per_unit_usd, 3),
            }
            if c is not None
            else None
        )
        for slot, c in (("slow", ctx.slow[i]), ("fast", ctx.fast[i]))
    }
    return {
        **{k: v for k, v in cmp.items() if k != "_report"},
        "inputs": {
            "price_usd": round(float(ctx.price_usd[i]), 2),
            "landed_cost_usd": round(float(ctx.landed_cost_usd[i]), 2),
            "variable_cost_usd": round(float(ctx.variable_cost_usd[i]), 2),
            "unit_margin_usd": round(float(ctx.unit_margin_usd[i]), 2),
            "economics_source": ctx.economics_source[i],
            "unit_cost": round(float(ctx.unit_cost_native[i]), 2),
            "cost_currency": ctx.cost_currency[i],
            "on_hand": float(ctx.on_hand[i]),
            "in_transit": float(ctx.in_transit[i]),
            "origin_stock": float(ctx.origin_stock[i]),
            "origin_location_id": ctx.origin_location_id[i],
            "expected_demand_qty": round(total_demand, 1),
            "production_days": float(ctx.production_days[i]),
            "pod_eligible": bool(ctx.pod_eligible[i]),
            "pod_days": float(ctx.pod_days_mean[i]),
            "us_delivery_days": round(ctx.us_days_mean, 2),
            "supplier_id": ctx.supplier_id[i],
            "destination_id": ctx.destination_id[i],
        },
        "routes": route,
        "gated": report.blocked.get(sku, []),
        "reason": chosen_row["reason"],
        "_reason": chosen_row["_reason"],
        "purchase_orders": [a for a in report.actions if a["sku_id"] == sku],
        "settings": {
            "risk_alpha": report.settings.risk_alpha,
            "risk_lambda": report.settings.risk_lambda,
            "salvage_rate": report.settings.salvage_rate,
            "stockout_penalty_usd": report.settings.stockout_penalty_usd,
            "capital_rate_annual": report.settings.capital_rate_annual,
        },
        "findings": [f.to_dict() for f in report.findings if f.record.get("sku_id") == sku],
    }


# ---------------------------------------------------------------------------------------------
# demo


def demo_step(ctx: Any) -> dict[str, Any]:
    """Plan the demo shop: today's purchase orders, portfolio risk, heavy vs quick response on
    the hottest SKU."""
    report = run(
        ctx.store,
        today=ctx.today,
        app_settings=ctx.settings,
        # the ledger step ran first and persisted its journal: the plan reads unit economics
        # from it (ledger_journal_economics, well under a second)
        options={"scenarios": 200, "search_scenarios": 100, "seed": ctx.seed},
        progress=None,
    )
    out, c = report.outcome, report.context
    hottest = _hottest(report)
    section: dict[str, Any] = {
        "run_id": report.run_id,
        "db": getattr(ctx.settings, "db", None),
        "scenarios": report.settings.scenarios,
        "sources": report.sources,
        "skus_planned": out.n_skus,
        "portfolio": report.portfolio(),
        "chosen_policies": {f: int((out.chosen == k).sum()) for k, f in enumerate(out.families)},
        "no_order_needed": sum(
            1
            for r in report.chosen_rows()
            if (r["order_qty"] or 0.0) <= 0
            and (r.get("transfer_qty") or 0.0) <= 0
            and r["policy"] not in ("pod", "hybrid")
        ),
        "transfers": [
            {k: v for k, v in a.items() if not k.startswith("_")}
            for a in report.actions
            if a["kind"] == "transfer"
        ][:8],
        "transfer_count": sum(1 for a in report.actions if a["kind"] == "transfer"),
        "purchase_orders": [
            {k: v for k, v in a.items() if not k.startswith("_")}
            for a in sorted(
                (a for a in report.actions if a["kind"] == "purchase_order"),
                key=lambda a: -(a["total_cost_usd"] or 0.0),
            )[:8]
        ],
        "purchase_order_count": sum(1 for a in report.actions if a["kind"] == "purchase_order"),
        "todays_spend_usd": float(out.day0_cost.sum()),
        "gated": sorted(s for s in report.blocked if s in set(out.sku_ids)),
        "hottest": None,
    }
    if hottest is not None:
        i = c.row(hottest)
        rows = {r["policy"]: r for r in report.sku_rows if r["sku_id"] == hottest}
        section["hottest"] = {
            "sku_id": hottest,
            "title": c.title[i],
            "phase": c.phase[i],
            "chosen": out.chosen_family(i),
            "heavy": {k: v for k, v in rows.get("heavy", {}).items() if not k.startswith("_")},
            "qr": {k: v for k, v in rows.get("qr", {}).items() if not k.startswith("_")},
        }
    return section


def _hottest(report: PlanReport) -> str | None:
    """The demo's hottest SKU: highest expected demand over the horizon among SKUs where both
    heavy pre-stock and quick response apply, preferring those taking off (sense phase
    testing, rising or peaking) and those where the two plans order something — a SKU whose
    stock already covers the horizon shows no difference between them."""
    out = report.outcome
    rows = {(r["sku_id"], r["policy"]): r for r in report.sku_rows}
    best, best_key = None, (-1, -1, -1.0)
    for i, sid in enumerate(out.sku_ids):
        heavy, qr = rows.get((sid, "heavy")), rows.get((sid, "qr"))
        if heavy is None or qr is None:
            continue
        orders = (heavy["order_qty"] or 0.0) > 0 or (qr["order_qty"] or 0.0) > 0
        hot = report.context.phase[i] in ("testing", "rising", "peaking")
        key = (int(orders), int(hot), float(out.metrics[i, M_DEMAND]))
        if key > best_key:
            best, best_key = sid, key
    return best
