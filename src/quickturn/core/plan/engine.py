"""The planning engine: every family on the same scenarios, choice per SKU, budget, portfolio.

Data flow: :class:`PlanInputs` → all candidates of all families in one simulator call on the
search scenarios (common random numbers) → best candidate per family and SKU → those five
evaluated on all scenarios → chosen family per SKU (``auto``: highest objective; or the
family asked for) → optional compliance gate (no order today) and cash budget
(:func:`~quickturn.core.plan.budget.allocate_budget`) → :class:`PlanOutcome` with
per-family and final figures, today's orders and the reasons.  Pure: no IO.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from quickturn.core.plan.budget import allocate_budget
from quickturn.core.plan.policies import (
    FAMILIES,
    PolicyFamily,
    all_families,
    best_candidate,
)
from quickturn.core.plan.simulate import (
    E_DUTY,
    E_UNIT,
    F64,
    M_BACKLOG_END,
    M_DEAD_UNITS,
    M_DEAD_VALUE,
    M_DEMAND,
    M_END_UNITS,
    M_LOST,
    M_ORDERED,
    M_PEAK_CASH,
    M_POD_UNITS,
    M_PROFIT,
    M_SOLD,
    M_STOCKOUT,
    M_TRANSFERRED,
    METRIC_NAMES,
    N_PARAMS,
    P_ACTIVE,
    R_FIXED,
    R_FREIGHT,
    R_MINCHG,
    PlanInputs,
    SimConfig,
    SimResult,
    cvar_of_loss,
    simulate,
)


@dataclass(frozen=True)
class PlanOutcome:
    """Everything the engine decided for a batch of SKUs (arrays indexed by SKU first)."""

    sku_ids: tuple[str, ...]
    families: tuple[str, ...]
    family_params: F64  # (n, F, N_PARAMS)
    family_metrics: F64  # (n, F, N_METRICS), NaN where the family does not apply
    family_objective: F64  # (n, F)
    family_cvar: F64  # (n, F)
    family_p05: F64  # (n, F)
    family_day0_qty: F64  # (n, F, 2)
    family_day0_eta: F64  # (n, F, 2)
    family_day0_cost: F64  # (n, F)
    chosen: NDArray[np.intp]  # (n,) index into families
    params: F64  # (n, N_PARAMS) final parameters (after budget and compliance)
    metrics: F64  # (n, N_METRICS) final expected figures
    objective: F64  # (n,)
    cvar: F64  # (n,)
    p05: F64  # (n,)
    day0_qty: F64  # (n, 2)
    day0_eta: F64  # (n, 2)
    day0_cost: F64  # (n,)
    profit: F64  # (n, m) per-scenario profit of the final plan
    held_back: NDArray[np.bool_]  # (n,) orders reduced by the budget
    gated: NDArray[np.bool_]  # (n,) orders withheld by compliance
    requested: str = "auto"
    budget: float | None = None
    budget_spent: float = 0.0
    risk_alpha: float = 0.95
    risk_lambda: float = 0.2
    notes: tuple[str, ...] = field(default_factory=tuple)
    #: (m,) the portfolio's per-scenario profit (the sum of ``profit`` over SKUs) when the
    #: plan streamed and ``profit`` is ``(n, 0)``; None: sum ``profit``
    total_profit: F64 | None = None

    @property
    def n_skus(self) -> int:
        return len(self.sku_ids)

    @property
    def n_scenarios(self) -> int:
        if self.total_profit is not None:
            return int(self.total_profit.shape[0])
        return int(self.profit.shape[1]) if self.n_skus else 0

    def portfolio_profit(self) -> F64:
        """(m,) per-scenario profit of the whole portfolio."""
        if self.total_profit is not None:
            return self.total_profit
        return np.asarray(self.profit.sum(axis=0), dtype=np.float64)

    def metric(self, name: str) -> F64:
        return np.asarray(self.metrics[:, METRIC_NAMES.index(name)], dtype=np.float64)

    def chosen_family(self, i: int) -> str:
        return self.families[int(self.chosen[i])]

    def portfolio(self) -> dict[str, float]:
        """Portfolio figures: sums, fill rate, CVaR of the summed per-scenario profit."""
        m = self.metrics
        total = self.portfolio_profit() if self.n_skus else np.zeros(1)
        sold, lost = float(m[:, M_SOLD].sum()), float(m[:, M_LOST].sum())
        cv = float(cvar_of_loss(total[None, :], self.risk_alpha)[0]) if total.size else 0.0
        end_stock = float(np.maximum(m[:, M_END_UNITS] - m[:, M_BACKLOG_END], 0.0).sum())
        return {
            "skus": float(self.n_skus),
            "expected_profit_usd": float(m[:, M_PROFIT].sum()),
            "profit_p05_usd": float(np.quantile(total, 0.05)) if total.size else 0.0,
            "cvar_usd": cv,
            "objective_usd": float(m[:, M_PROFIT].sum()) - self.risk_lambda * cv,
            "expected_sales_qty": sold,
            "demand_qty": float(m[:, M_DEMAND].sum()),
            "lost_sales_qty": lost,
            "fill_rate": sold / (sold + lost) if sold + lost > 0 else 1.0,
            "expected_stockouts": float(m[:, M_STOCKOUT].sum()),
            "mean_stockout_prob": float(m[:, M_STOCKOUT].mean()) if self.n_skus else 0.0,
            "dead_stock_qty": float(m[:, M_DEAD_UNITS].sum()),
            "dead_stock_value_usd": float(m[:, M_DEAD_VALUE].sum()),
            # stock left at the end = working stock (sells within the SKU's remaining life,
            # at its final demand rate fading with the forecast's trend) + dead stock
            "end_stock_qty": end_stock,
            "working_stock_qty": max(end_stock - float(m[:, M_DEAD_UNITS].sum()), 0.0),
            "peak_cash_usd": float(m[:, M_PEAK_CASH].sum()),
            "pod_qty": float(m[:, M_POD_UNITS].sum()),
            "todays_order_cost_usd": float(self.day0_cost.sum()),
            "held_back_skus": float(self.held_back.sum()),
            "gated_skus": float(self.gated.sum()),
        }


def day0_cost(inputs: PlanInputs, qty: F64) -> F64:
    """Cash cost of today's orders ``qty[..., slot]`` (slots 0/1: purchase orders by the slow
    and fast route, at goods + duty + freight; slots 2/3: transfers of origin-warehouse
    stock by those routes, at duty + freight — the goods are already paid for)."""
    eco, rt = inputs.economics, inputs.routes
    shape = (inputs.n_skus,) + (1,) * (qty.ndim - 2)
    goods = eco[:, E_UNIT].reshape(shape)
    duty = (eco[:, E_UNIT] * eco[:, E_DUTY]).reshape(shape)
    total = np.zeros(qty.shape[:-1])
    for col in range(qty.shape[-1]):
        slot = col % 2
        q = qty[..., col]
        freight = np.maximum(
            q * rt[:, slot, R_FREIGHT].reshape(shape), rt[:, slot, R_MINCHG].reshape(shape)
        )
        freight = freight + rt[:, slot, R_FIXED].reshape(shape)
        per_unit = duty + (goods if col < 2 else 0.0)
        total += np.where(q > 0, q * per_unit + freight, 0.0)
    return total


def _p05(profit: F64) -> F64:
    if profit.shape[-1] == 0:
        return np.zeros(profit.shape[:-1])
    with np.errstate(all="ignore"):
        return np.asarray(np.quantile(profit, 0.05, axis=-1), dtype=np.float64)


@dataclass(frozen=True)
class Evaluation:
    """Every family evaluated on one batch of SKUs (before the choice and the budget)."""

    sku_ids: tuple[str, ...]
    names: tuple[str, ...]
    offsets: NDArray[np.intp]  # family k owns candidates offsets[k]:offsets[k+1]
    candidates: F64  # (n, C, N_PARAMS)
    search: SimResult  # (n, C, m_search)
    candidate_cost: F64  # (n, C) landed cost of today's orders
    allowed: NDArray[np.bool_]  # (n, C) after compliance gating
    best: NDArray[np.intp]  # (n, F) best candidate per family
    family_params: F64  # (n, F, N_PARAMS)
    family_active: NDArray[np.bool_]  # (n, F)
    full: SimResult  # (n, F, m) best candidates on all scenarios
    family_cost: F64  # (n, F)
    gated: NDArray[np.bool_]  # (n,)
    search_is_full: bool
    #: ``full``'s objective, CVaR and 5 % quantile per SKU and family (n, F), unmasked: what
    #: :func:`decide` needs of the per-scenario profits once :func:`drop_profit` dropped them
    full_objective: F64
    full_cvar: F64
    full_p05: F64


def evaluate(
    inputs: PlanInputs,
    config: SimConfig,
    *,
    families: list[PolicyFamily] | None = None,
    search_scenarios: int | None = None,
    gated: NDArray[np.bool_] | None = None,
) -> Evaluation:
    """All candidates of all families on the search scenarios in one simulator call, then the
    best of each family on all scenarios.  ``gated`` SKUs may only keep candidates that order
    nothing today."""
    fams = families or all_families()
    names = tuple(f.name for f in fams)
    n, m = inputs.n_skus, inputs.n_scenarios
    gated_mask = np.zeros(n, dtype=bool) if gated is None else np.asarray(gated, dtype=bool)
    search_n = min(search_scenarios or m, m)
    blocks = [f.candidates(inputs) for f in fams]
    offsets = np.cumsum([0, *[b.shape[1] for b in blocks]]).astype(np.intp)
    cands = np.concatenate(blocks, axis=1)
    search = _simulate_unique(inputs.with_scenarios(search_n), cands, config)
    cand_cost = day0_cost(inputs, search.day0_qty)
    allowed = np.ones(cands.shape[:2], dtype=bool)
    allowed[gated_mask] = cand_cost[gated_mask] <= 1e-9
    best = np.zeros((n, len(fams)), dtype=np.intp)
    for k in range(len(fams)):
        lo, hi = int(offsets[k]), int(offsets[k + 1])
        sub = SimResult(
            search.metrics[:, lo:hi],
            search.profit[:, lo:hi],
            search.day0_qty[:, lo:hi],
            search.day0_eta[:, lo:hi],
            search.risk_alpha,
            search.risk_lambda,
        )
        best[:, k] = lo + best_candidate(sub, allowed[:, lo:hi])
    rows = np.arange(n)[:, None]
    fam_params = cands[rows, best].copy()
    fam_active = (fam_params[..., P_ACTIVE] > 0.5) & allowed[rows, best]
    fam_params[..., P_ACTIVE] = fam_active
    if search_n == m:
        full = SimResult(
            search.metrics[rows, best],
            search.profit[rows, best],
            search.day0_qty[rows, best],
            search.day0_eta[rows, best],
            config.risk_alpha,
            config.risk_lambda,
        )
    else:
        full = simulate(inputs, fam_params, config)
    return Evaluation(
        sku_ids=inputs.sku_ids or tuple(str(k) for k in inputs.sku_key),
        names=names,
        offsets=offsets,
        candidates=cands,
        search=search,
        candidate_cost=cand_cost,
        allowed=allowed,
        best=best,
        family_params=fam_params,
        family_active=fam_active,
        full=full,
        family_cost=day0_cost(inputs, full.day0_qty),
        gated=gated_mask,
        search_is_full=search_n == m,
        full_objective=full.objective,
        full_cvar=full.cvar,
        full_p05=_p05(full.profit),
    )


def choose(
    objective: F64, active: NDArray[np.bool_], names: tuple[str, ...], policy: str
) -> tuple[NDArray[np.intp], int]:
    """The family of each SKU before the budget (``auto``: the highest objective of the
    families that apply; else ``policy`` where it applies) and how many SKUs cannot use
    ``policy``.  Per SKU, so a chunk of SKUs chooses exactly as the whole batch."""
    score = np.where(active, objective, -np.inf)
    score = np.where(np.isnan(score), -np.inf, score)
    chosen = np.asarray(np.argmax(score, axis=1), dtype=np.intp)
    if policy == "auto":
        return chosen, 0
    k = names.index(policy)
    ok = active[:, k]
    return np.where(ok, k, chosen).astype(np.intp), int((~ok).sum())


def drop_profit(ev: Evaluation, policy: str = "auto") -> tuple[Evaluation, F64]:
    """``ev`` without its per-scenario profits (and, past the search, its candidate grid),
    and the per-scenario profit ``(n, m)`` of the family :func:`decide` will choose for each
    SKU under ``policy`` without a budget: the reduction that keeps a streamed plan's memory
    independent of the number of SKUs (the caller sums the rows into the portfolio's
    per-scenario profit and passes it to :func:`decide` as ``total_profit``)."""
    chosen, _ = choose(ev.full_objective, ev.family_active, ev.names, policy)
    rows = np.arange(chosen.shape[0])
    profit = np.ascontiguousarray(ev.full.profit[rows, chosen])
    f, s = ev.full, ev.search
    # fresh empty arrays, not ``[..., :0]`` views: a view keeps its whole buffer alive
    full = SimResult(
        f.metrics, _none(f.profit), f.day0_qty, f.day0_eta, f.risk_alpha, f.risk_lambda
    )
    search = SimResult(
        _none(s.metrics, 1),
        _none(s.profit, 1),
        _none(s.day0_qty, 1),
        _none(s.day0_eta, 1),
        s.risk_alpha,
        s.risk_lambda,
    )
    slim = replace(ev, full=full, search=search, candidates=_none(ev.candidates, 1))
    return slim, profit


def _none(a: F64, axis: int = -1) -> F64:
    """An empty array shaped like ``a`` with length 0 along ``axis`` (owning no buffer)."""
    shape = list(a.shape)
    shape[axis] = 0
    return np.zeros(shape, dtype=a.dtype)


def _simulate_unique(inputs: PlanInputs, cands: F64, config: SimConfig) -> SimResult:
    """Simulate each distinct candidate of a SKU once (e.g. heavy orders that all round to
    zero when stock is ample) and copy the results to its duplicates."""
    run = cands.copy()
    dups: list[tuple[int, int, int]] = []
    for i in range(cands.shape[0]):
        _, first, inverse = np.unique(cands[i], axis=0, return_index=True, return_inverse=True)
        rep = first[inverse.ravel()]
        for c in np.flatnonzero(rep != np.arange(cands.shape[1])):
            if cands[i, c, P_ACTIVE] > 0.5:
                dups.append((i, int(c), int(rep[c])))
                run[i, c, P_ACTIVE] = 0.0
    res = simulate(inputs, run, config)
    for i, c, r in dups:
        res.metrics[i, c] = res.metrics[i, r]
        res.profit[i, c] = res.profit[i, r]
        res.day0_qty[i, c] = res.day0_qty[i, r]
        res.day0_eta[i, c] = res.day0_eta[i, r]
    return res


def _cat_results(parts: list[SimResult]) -> SimResult:
    return SimResult(
        np.concatenate([p.metrics for p in parts]),
        np.concatenate([p.profit for p in parts]),
        np.concatenate([p.day0_qty for p in parts]),
        np.concatenate([p.day0_eta for p in parts]),
        parts[0].risk_alpha,
        parts[0].risk_lambda,
    )


def decide(
    evaluations: list[Evaluation],
    config: SimConfig,
    *,
    policy: str = "auto",
    budget: float | None = None,
    total_profit: F64 | None = None,
) -> PlanOutcome:
    """Choose a family per SKU (``auto``: highest objective), then apply the cash budget.

    With a budget every candidate must have been evaluated on all scenarios
    (``search_scenarios`` = all), so that the allocation compares like with like.
    Evaluations reduced by :func:`drop_profit` (no budget) come with ``total_profit``, the
    sum of the rows it returned: the outcome then has the portfolio's per-scenario profit
    but no per-SKU one (``profit`` is ``(n, 0)``); every other figure is the same.
    """
    ev = evaluations[0]
    names = ev.names
    if policy != "auto" and policy not in names:
        raise ValueError(
            f"unknown policy {policy!r}; expected auto or one of {', '.join(FAMILIES)}"
        )
    if budget is not None and not all(e.search_is_full for e in evaluations):
        raise ValueError("a budget needs every candidate evaluated on all scenarios")
    if budget is not None and total_profit is not None:
        raise ValueError("a budget needs the per-scenario profits (not drop_profit)")
    full = _cat_results([e.full for e in evaluations])
    fam_active = np.concatenate([e.family_active for e in evaluations])
    fam_params = np.concatenate([e.family_params for e in evaluations])
    fam_cost = np.concatenate([e.family_cost for e in evaluations])
    gated = np.concatenate([e.gated for e in evaluations])
    n = fam_active.shape[0]
    rows = np.arange(n)
    raw_obj = np.concatenate([e.full_objective for e in evaluations])
    raw_cvar = np.concatenate([e.full_cvar for e in evaluations])
    raw_p05 = np.concatenate([e.full_p05 for e in evaluations])
    fam_obj = np.where(fam_active, raw_obj, np.nan)
    fam_cvar = np.where(fam_active, raw_cvar, np.nan)
    fam_p05 = np.where(fam_active, raw_p05, np.nan)

    notes: list[str] = []
    chosen, cannot = choose(raw_obj, fam_active, names, policy)
    if cannot:
        notes.append(f"{cannot} SKU(s) cannot use {policy}; best family used instead")
    final = SimResult(
        full.metrics[rows, chosen][:, None],
        full.profit[rows, chosen][:, None],
        full.day0_qty[rows, chosen][:, None],
        full.day0_eta[rows, chosen][:, None],
        config.risk_alpha,
        config.risk_lambda,
    )
    final_params = fam_params[rows, chosen]
    best_all = np.concatenate([e.best for e in evaluations])
    cost_all = np.concatenate([e.candidate_cost for e in evaluations])
    final_idx = best_all[rows, chosen]
    held = np.zeros(n, dtype=bool)
    spent = float(fam_cost[rows, chosen].sum())
    if budget is not None:
        if len({e.candidates.shape[1] for e in evaluations}) != 1:
            raise ValueError("evaluations must share the same candidate grid")
        cands = np.concatenate([e.candidates for e in evaluations])
        search = _cat_results([e.search for e in evaluations])
        allowed = np.concatenate([e.allowed for e in evaluations])
        values = np.where(allowed, search.objective, np.nan)
        if policy != "auto":
            k = names.index(policy)
            own = np.zeros(values.shape[1], dtype=bool)
            own[ev.offsets[k] : ev.offsets[k + 1]] = True
            use_own = fam_active[:, k]
            values = np.where(own[None, :] | ~use_own[:, None], values, np.nan)
        # the unconstrained option must be the family choice made above
        top = np.max(np.where(np.isnan(values), -np.inf, values), axis=1)
        cur = values[rows, final_idx]
        values[rows, final_idx] = np.where(np.isnan(cur), cur, np.maximum(cur, top + 1e-9))
        alloc = allocate_budget(cost_all, values, float(budget))
        held = alloc.choice != final_idx
        spent = alloc.spent
        if held.any():
            pick = alloc.choice
            h3 = held[:, None, None]
            final = SimResult(
                np.where(h3, search.metrics[rows, pick][:, None], final.metrics),
                np.where(h3, search.profit[rows, pick][:, None], final.profit),
                np.where(h3, search.day0_qty[rows, pick][:, None], final.day0_qty),
                np.where(h3, search.day0_eta[rows, pick][:, None], final.day0_eta),
                config.risk_alpha,
                config.risk_lambda,
            )
            final_params = np.where(held[:, None], cands[rows, pick], final_params)
            fam_of = np.searchsorted(ev.offsets[1:], pick, side="right")
            chosen = np.where(held, fam_of, chosen).astype(np.intp)
            final_idx = np.where(held, pick, final_idx).astype(np.intp)
    metrics = final.metrics[:, 0]
    profit = final.profit[:, 0]
    # a SKU's objective, CVaR and 5 % quantile are row-wise figures of its profits: the
    # chosen family's from the evaluation, recomputed only where the budget held it back
    objective, cvar, p05 = raw_obj[rows, chosen], raw_cvar[rows, chosen], raw_p05[rows, chosen]
    if held.any():
        objective = np.where(held, final.objective[:, 0], objective)
        cvar = np.where(held, final.cvar[:, 0], cvar)
        p05 = np.where(held, _p05(profit), p05)
    final_cost = cost_all[rows, final_idx] if n else np.zeros(0)
    return PlanOutcome(
        sku_ids=tuple(s for e in evaluations for s in e.sku_ids),
        families=names,
        family_params=fam_params,
        family_metrics=np.where(fam_active[..., None], full.metrics, np.nan),
        family_objective=fam_obj,
        family_cvar=fam_cvar,
        family_p05=fam_p05,
        family_day0_qty=full.day0_qty,
        family_day0_eta=full.day0_eta,
        family_day0_cost=fam_cost,
        chosen=chosen,
        params=final_params,
        metrics=metrics,
        objective=objective,
        cvar=cvar,
        p05=p05,
        day0_qty=final.day0_qty[:, 0],
        day0_eta=final.day0_eta[:, 0],
        day0_cost=final_cost,
        profit=profit,
        held_back=held,
        gated=gated,
        requested=policy,
        budget=budget,
        budget_spent=spent,
        risk_alpha=config.risk_alpha,
        risk_lambda=config.risk_lambda,
        notes=tuple(notes),
        total_profit=total_profit,
    )


def run_plan(
    inputs: PlanInputs,
    config: SimConfig,
    *,
    families: list[PolicyFamily] | None = None,
    policy: str = "auto",
    search_scenarios: int | None = None,
    budget: float | None = None,
    gated: NDArray[np.bool_] | None = None,
) -> PlanOutcome:
    """Optimise every family per SKU, choose, then apply compliance gating and the budget.

    ``policy``: ``auto`` (highest objective) or a family name (used where it applies, else
    the best family, with a note).  ``gated`` SKUs may not order today.  With a ``budget``
    every candidate is evaluated on all scenarios so that the allocation compares like with
    like.
    """
    if policy != "auto" and policy not in FAMILIES:
        raise ValueError(
            f"unknown policy {policy!r}; expected auto or one of {', '.join(FAMILIES)}"
        )
    ev = evaluate(
        inputs,
        config,
        families=families,
        search_scenarios=None if budget is not None else search_scenarios,
        gated=gated,
    )
    return decide([ev], config, policy=policy, budget=budget)


def concat_outcomes(parts: list[PlanOutcome]) -> PlanOutcome:
    """Join outcomes of SKU chunks (same families, scenarios and settings)."""
    if len(parts) == 1:
        return parts[0]
    first = parts[0]
    cat: dict[str, Any] = {}
    for name in PlanOutcome.__dataclass_fields__:
        v = getattr(first, name)
        if isinstance(v, np.ndarray) and name != "total_profit":
            cat[name] = np.concatenate([getattr(p, name) for p in parts], axis=0)
    totals = [p.total_profit for p in parts]
    if all(t is not None for t in totals):
        cat["total_profit"] = np.sum([p.portfolio_profit() for p in parts], axis=0)
    cat["sku_ids"] = tuple(s for p in parts for s in p.sku_ids)
    return PlanOutcome(
        families=first.families,
        requested=first.requested,
        budget=first.budget,
        budget_spent=sum(p.budget_spent for p in parts),
        risk_alpha=first.risk_alpha,
        risk_lambda=first.risk_lambda,
        notes=tuple(dict.fromkeys(n for p in parts for n in p.notes)),
        **cat,
    )


def explain_choice(outcome: PlanOutcome, i: int) -> tuple[str, dict[str, Any]]:
    """Why SKU ``i`` got its plan: an English template and its values (for translation)."""
    fam = outcome.chosen_family(i)
    k = int(outcome.chosen[i])
    obj = outcome.family_objective[i]
    metrics = outcome.family_metrics[i]
    values: dict[str, Any] = {
        "policy": fam,
        "objective": _money(float(outcome.objective[i])),
        "profit": _money(float(outcome.metrics[i, M_PROFIT])),
        "dead": _qty(float(outcome.metrics[i, M_DEAD_UNITS])),
        "stockout": f"{100 * float(outcome.metrics[i, M_STOCKOUT]):.0f}%",
    }
    if outcome.gated[i]:
        return (
            "No purchase order today: blocking compliance findings. {policy} with existing stock: "
            "expected profit {profit}, P(stock-out) {stockout}.",
            values,
        )
    if outcome.held_back[i]:
        return (
            "Held back by the cash budget: {policy} funded at a lower level; expected profit "
            "{profit}, P(stock-out) {stockout}, dead stock {dead} units.",
            values,
        )
    if (
        float(outcome.metrics[i, M_ORDERED]) <= 0
        and float(outcome.metrics[i, M_TRANSFERRED]) <= 0
        and float(outcome.metrics[i, M_POD_UNITS]) <= 0
        and outcome.requested == "auto"
    ):
        return (
            "No order needed: stock on hand and in transit covers what is worth selling; "
            "expected profit {profit}, dead stock {dead} units, P(stock-out) {stockout}.",
            values,
        )
    others = [j for j in range(len(outcome.families)) if j != k and not math.isnan(obj[j])]
    if not others:
        return (
            "{policy} is the only family that applies; expected profit {profit}, "
            "P(stock-out) {stockout}, dead stock {dead} units.",
            values,
        )
    runner = max(others, key=lambda j: obj[j])
    values.update(
        runner=outcome.families[runner],
        gap=_money(float(obj[k] - obj[runner])),
        runner_dead=_qty(float(metrics[runner, M_DEAD_UNITS])),
        runner_stockout=f"{100 * float(metrics[runner, M_STOCKOUT]):.0f}%",
    )
    if outcome.requested not in ("auto", fam) or (
        outcome.requested == fam and obj[k] < obj[runner]
    ):
        return (
            "{policy} as requested; {runner} would score {gap} more.",
            {**values, "gap": _money(float(obj[runner] - obj[k]))},
        )
    return (
        "{policy} scores best (objective {objective}, {gap} ahead of {runner}): expected profit "
        "{profit}, dead stock {dead} units vs {runner_dead}, P(stock-out) {stockout} vs "
        "{runner_stockout}.",
        values,
    )


def _money(x: float) -> str:
    return f"-${abs(x):,.0f}" if x < 0 else f"${x:,.0f}"


def _qty(x: float) -> str:
    return f"{x:,.0f}"


__all__ = [
    "N_PARAMS",
    "PlanOutcome",
    "concat_outcomes",
    "day0_cost",
    "explain_choice",
    "run_plan",
]
