"""sense use cases: load sales, stock and content from the store → core model → persist.

Data flow::

    store: orders, order_lines, skus, inventory_snapshots, locations, content*, shops
        │  load_panel(store, today)          (history ends the day before ``today``)
        ▼
    core.sense: Panel + ContentPosts → Lifecycle model → quantiles, sample paths, phases
        │
        ├─ demand_scenarios(...) → SamplePaths   (for the planner; nothing persisted)
        └─ run(...) → rows in ``forecasts``, ``sku_phases`` and a ``runs`` row (module "sense")
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
import polars as pl

from quickturn.core.sense import types as sense_types
from quickturn.core.sense.backtest import BacktestResult, rolling_origin
from quickturn.core.sense.base import Chunk, Forecaster, row_keys
from quickturn.core.sense.baselines import BASELINES
from quickturn.core.sense.history import content_posts, daily_units, demand_panel, stockout_days
from quickturn.core.sense.lifecycle import Lifecycle
from quickturn.core.sense.phases import PhaseReport, report
from quickturn.core.sense.stream import (
    ScenarioPart,
    bare_model,
    part_phases,
    sample_part,
    scenario_part,
)
from quickturn.core.sense.types import PHASES, Panel, SamplePaths, quantile_probs
from quickturn.errors import UsageError
from quickturn.services import cluster as cluster_service
from quickturn.store import Store
from quickturn.store.queries import content as content_queries
from quickturn.store.queries import inventory as inventory_queries
from quickturn.store.queries import orders as order_queries
from quickturn.store.queries import runs as run_queries

DEFAULT_TZ = "America/Los_Angeles"


@dataclass(frozen=True)
class LoadedHistory:
    panel: Panel
    tz: str


def _shop_zones(store: Store) -> tuple[str, dict[str, str]]:
    """The main shop's time zone (the shop with the most orders) and every shop's zone."""
    shops = store.table("shops", columns=["shop_id", "timezone"])
    zones = {
        str(s): str(z) if z else DEFAULT_TZ
        for s, z in zip(shops["shop_id"].to_list(), shops["timezone"].to_list(), strict=True)
    }
    if not zones:
        return DEFAULT_TZ, {}
    counts = order_queries.orders_per_shop(store)
    for sid in counts["shop_id"].to_list():
        if sid in zones:
            return zones[sid], zones
    return next(iter(zones.values())), zones


def _shop_tz(store: Store) -> str:
    return _shop_zones(store)[0]


def load_panel(
    store: Store,
    *,
    today: date,
    history_days: int = 365,
    sku_ids: Sequence[str] | None = None,
    with_content: bool = True,
) -> LoadedHistory:
    """Daily demand of every SKU (or ``sku_ids``) for the ``history_days`` before ``today``."""
    tz, zones = _shop_zones(store)
    end = today - timedelta(days=1)
    start = today - timedelta(days=history_days)
    lo = datetime.combine(start - timedelta(days=1), datetime.min.time())
    hi = datetime.combine(today + timedelta(days=1), datetime.min.time())
    lines = order_queries.lines_created_between(store, lo, hi)
    if lines.height:
        orders = lines.select("order_id", "shop_id", "status", "created_at", "cancelled_at").unique(
            "order_id"
        )
        units = daily_units(
            orders, lines.select("order_id", "sku_id", "quantity"), tz=tz, shop_tz=zones
        )
    else:
        units = pl.DataFrame(
            {"sku_id": [], "date": [], "units": []},
            schema={"sku_id": pl.String, "date": pl.Date, "units": pl.Float64},
        )
    skus = store.table("skus", columns=["sku_id", "category", "launch_date", "pod_eligible"])
    ids = list(sku_ids) if sku_ids is not None else sorted(skus["sku_id"].to_list())
    snaps = inventory_queries.snapshots_between(store, start - timedelta(days=30), end)
    stock = None
    if snaps.height:
        locations = store.table("locations", columns=["location_id", "kind"])
        stock = stockout_days(snaps, locations)
    pod = skus.filter(pl.col("pod_eligible").fill_null(False))["sku_id"].to_list()
    panel = demand_panel(
        units,
        start=start,
        end=end,
        sku_ids=ids,
        stock=stock,
        launch=skus.select("sku_id", "launch_date"),
        never_censored=pod,
    )
    cat_map = dict(zip(skus["sku_id"].to_list(), skus["category"].to_list(), strict=True))
    category = [str(cat_map.get(s) or "uncategorised") for s in ids]
    posts = None
    if with_content:
        content = store.table("content", columns=["content_id", "posted_at", "creator_id"])
        if content.height:
            cs = store.table("content_skus")
            metrics = content_queries.metrics_between(store, start, end)
            posts = content_posts(content, cs, metrics, panel, tz=tz)
    panel = Panel(
        y=panel.y, sku_ids=panel.sku_ids, start=panel.start, content=posts, category=category
    )
    return LoadedHistory(panel=panel, tz=tz)


def _fit(panel: Panel, model: Lifecycle | None = None) -> Lifecycle:
    m = model or Lifecycle()
    return m.fit(
        panel.y,
        keys=row_keys(panel.sku_ids),
        weekday0=panel.start.weekday(),
        content=panel.content,
        category=panel.category,
    )


States = list[tuple[Chunk, dict[str, Any] | None]]
Parts = list[tuple[Chunk, np.ndarray, np.ndarray, np.ndarray | None, list[str]]]


@dataclass(frozen=True)
class SensePartition:
    """One partition of panel rows ``[lo, lo + n)`` for a worker: the rows as Arrow IPC
    bytes (history, keys, weekdays, categories; their content posts in a second table) and
    what to predict.  The model without its panel (settings, pools shared by the whole panel)
    goes to each worker once, beside the partitions."""

    rows: bytes
    posts: bytes | None
    lo: int
    h: int = 0  # 0: fit only
    probs: tuple[float, ...] = (0.5,)
    n_paths: int = 0
    seed: int = 0


def _pack_partition(model: Forecaster, lo: int, hi: int) -> bytes:
    cols: dict[str, Any] = {
        "y": model.y_[lo:hi],
        "keys": model.keys_[lo:hi],
        "weekday0": model.weekday0_[lo:hi],
    }
    if model.category_ is not None:
        cols["category"] = model.category_[lo:hi]
    return cluster_service.pack_rows(cols)


def _pack_posts(content: sense_types.ContentPosts | None, lo: int, hi: int) -> bytes | None:
    if content is None:
        return None
    sub = content.subset(np.arange(lo, hi, dtype=np.int64))
    cols: dict[str, Any] = {"sku": sub.sku, "day": sub.day, "views": sub.views}
    if sub.creator is not None:
        cols["creator"] = sub.creator
    return cluster_service.pack_rows(cols)


def sense_partition(task: SensePartition, model: Forecaster) -> tuple[States, Parts]:
    """Fit (and with ``h`` predict) one partition on a worker: its rows' chunks are the
    local run's chunks (a partition is whole chunks), their rows numbered from 0."""
    cols = cluster_service.unpack_rows(task.rows)
    posts = None
    if task.posts is not None:
        p = cluster_service.unpack_rows(task.posts)
        cr = p.get("creator")
        posts = sense_types.ContentPosts(
            p["sku"], p["day"], p["views"], np.asarray(cr, dtype=bool) if cr is not None else None
        )
    chunks = model.chunk_panel(
        cols["y"], cols["keys"], cols["weekday0"], posts, cols.get("category")
    )
    states = model.fit_chunks(chunks)
    if not task.h:
        return states, []
    parts = model.predict_states(
        states, task.h, probs=list(task.probs), n_paths=task.n_paths, seed=task.seed
    )
    return states, parts


def _shift(chunk: Chunk, lo: int) -> Chunk:
    return replace(chunk, rows=chunk.rows + lo)


def fit_partitioned(
    panel: Panel,
    client: Any,
    *,
    h: int = 0,
    probs: Sequence[float] = (0.5,),
    n_paths: int = 0,
    seed: int = 0,
    partition_skus: int = cluster_service.DEFAULT_PARTITION_SKUS,
    weekday0: int | np.ndarray | None = None,
) -> tuple[Lifecycle, sense_types.ForecastOutput | None]:
    """``_fit(panel)`` (and with ``h`` its ``predict``) with the chunks fitted on the
    cluster ``client``, partitions of whole chunks (about ``partition_skus`` SKUs) each.

    The panel-wide part (the pooled launch curves) is built once here and travels with each
    partition inside the model; each SKU keeps its own random stream, so the model (its
    states) and the forecast are the local ones whatever the partitioning.  ``weekday0``:
    the weekday of each row's first day (default: the panel's start, the same for all)."""
    model = Lifecycle()
    model.begin_panel(
        panel.y,
        keys=row_keys(panel.sku_ids),
        weekday0=panel.start.weekday() if weekday0 is None else weekday0,
        content=panel.content,
        category=panel.category,
    )
    bare = bare_model(model)
    bare.chunk_size = model.chunk_size  # an instance value travels (a class one may not)
    step = max(1, partition_skus // model.chunk_size) * model.chunk_size
    bounds = cluster_service.partition_bounds(panel.n, step)
    tasks = (
        SensePartition(
            _pack_partition(model, lo, hi),
            _pack_posts(model.content_, lo, hi),
            lo,
            h,
            tuple(float(p) for p in probs),
            n_paths,
            seed,
        )
        for lo, hi in bounds
    )
    results = cluster_service.map_partitions(
        sense_partition, tasks, cluster=client, total=len(bounds), shared=bare
    )
    states: States = []
    parts: Parts = []
    for (lo, _hi), (st, pt) in zip(bounds, results, strict=True):
        states.extend((_shift(c, lo), s) for c, s in st)
        parts.extend((_shift(p[0], lo), *p[1:]) for p in pt)
    if not h:
        model.states_ = states
        return model, None
    return model, model.adopt(states, parts, h, probs=probs, n_paths=n_paths)


def default_today(store: Store) -> date:
    """The day after the last order (shop-local) — "today" for a store of past data — or the
    calendar date when the store has no orders."""
    last = run_queries.newest_value(store, "orders", "created_at")
    if last is None:
        return datetime.now(UTC).date()
    tz = _shop_tz(store)
    local = (
        pl.DataFrame({"t": [last]})
        .with_columns(pl.col("t").cast(pl.Datetime("us")))
        .select(pl.col("t").dt.replace_time_zone("UTC").dt.convert_time_zone(tz).dt.date())
        .item()
    )
    return local + timedelta(days=1)  # type: ignore[no-any-return]


@dataclass
class ScenarioModel:
    """The lifecycle model fitted once on the whole shop, cut into parts of SKUs on demand
    (:func:`quickturn.core.sense.stream.scenario_part`): the planner draws each chunk's
    scenarios from its part, so no array of every SKU's paths is ever built."""

    model: Lifecycle
    panel: Panel
    today: date
    h: int
    n_paths: int
    seed: int
    bare: Forecaster = field(init=False)
    pos: dict[str, int] = field(init=False)

    def __post_init__(self) -> None:
        self.bare = bare_model(self.model)
        self.pos = {s: i for i, s in enumerate(self.panel.sku_ids)}

    def part(self, sku_ids: Sequence[str]) -> ScenarioPart:
        """What the SKUs ``sku_ids`` (in that order) need to draw their scenarios."""
        rows = np.array([self.pos[s] for s in sku_ids], dtype=np.int64)
        return scenario_part(
            self.model,
            self.bare,
            rows,
            self.panel.y,
            h=self.h,
            n_paths=self.n_paths,
            seed=self.seed,
        )


def scenario_model(
    store: Store,
    *,
    today: date,
    h: int,
    n_paths: int,
    seed: int,
    cluster: Any = None,
    **load: Any,
) -> ScenarioModel:
    """Load the history and fit the model once, for :func:`demand_scenarios` or the planner's
    chunks (``ScenarioModel.part``).  ``load``: ``sku_ids`` (also SKUs the store does not
    know, kept with no sales) and ``history_days`` (default 365), as in :func:`load_panel`.
    ``cluster`` (a ``distributed.Client``): the chunks are fitted on its workers
    (:func:`fit_partitioned`), the same model as a local fit."""
    sku_ids: Sequence[str] | None = load.get("sku_ids")
    history_days = int(load.get("history_days", 365))
    if h < 1 or n_paths < 1:
        raise UsageError(f"h and n_paths must be positive (got h={h}, n_paths={n_paths})")
    panel = load_panel(
        store, today=today, history_days=history_days, sku_ids=_all_ids(store, sku_ids)
    ).panel
    # the model always learns from the whole shop (its pooled priors); parts are cut from
    # it, so a SKU's scenarios do not depend on which SKUs were asked for
    if not panel.n:
        model = Lifecycle()
    elif cluster is not None:
        model = fit_partitioned(panel, cluster)[0]
    else:
        model = _fit(panel)
    return ScenarioModel(model, panel, today, h, n_paths, seed)


def demand_scenarios(
    store: Store,
    *,
    today: date,
    h: int,
    n_paths: int,
    seed: int,
    sku_ids: Sequence[str] | None = None,
    history_days: int = 365,
) -> SamplePaths:
    """Sample paths of daily demand for the planner (day 0 = ``today``), one row per SKU.

    ``sku_ids`` (default: every SKU in ``skus``) fixes the rows and their order.  The model
    always learns from every SKU of the store; the same store, ``today`` and ``seed`` always
    give the same paths, and each SKU has its own random stream (keyed by its id), so a SKU's
    scenarios do not depend on which SKUs were asked for.  Holds every SKU's paths at once:
    for a whole shop use :func:`scenario_model` and draw them part by part.
    """
    sm = scenario_model(
        store,
        today=today,
        h=h,
        n_paths=n_paths,
        seed=seed,
        sku_ids=sku_ids,
        history_days=history_days,
    )
    wanted = list(sm.panel.sku_ids) if sku_ids is None else list(sku_ids)
    if not wanted:
        return SamplePaths(np.zeros((0, n_paths, h)), [], today, [])
    part = sm.part(wanted)
    return SamplePaths(
        paths=np.ascontiguousarray(sample_part(part)),
        sku_ids=wanted,
        start=today,
        phase=part_phases(part),
    )


def _all_ids(store: Store, sku_ids: Sequence[str] | None) -> list[str] | None:
    """Every SKU of the store plus any requested one it does not know (kept, with no sales)."""
    if sku_ids is None:
        return None
    known = sorted(store.table("skus", columns=["sku_id"])["sku_id"].to_list())
    extra = [s for s in dict.fromkeys(sku_ids) if s not in set(known)]
    return known + extra


# ---------------------------------------------------------------------------------------------
# Runs: forecast + phases, persisted
# ---------------------------------------------------------------------------------------------

#: interval levels stored in ``forecasts`` (lo_50 … hi_95)
STORED_LEVELS: tuple[int, ...] = (50, 80, 95)


@dataclass
class SenseRun:
    run_id: str
    as_of: date
    h: int
    forecasts: pl.DataFrame  # the ``forecasts`` rows
    phases: pl.DataFrame  # the ``sku_phases`` rows
    summary: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0


def _new_run_id(today: date) -> str:
    return f"sense-{today.isoformat()}-{uuid.uuid4().hex[:8]}"


def run(
    store: Store,
    *,
    today: date,
    h: int = 28,
    seed: int = 0,
    sku_ids: Sequence[str] | None = None,
    history_days: int = 365,
    persist: bool = True,
    progress: Callable[[str], None] | None = None,
    cluster: Any = None,
) -> SenseRun:
    """Forecast every SKU ``h`` days from ``today``, classify its phase, raise receding
    alerts, and (``persist``) write ``forecasts``, ``sku_phases`` and a ``runs`` row in one
    transaction.

    ``cluster`` (an address, a ``distributed.Client``; default ``QUICKTURN_DASK_SCHEDULER``):
    the model is fitted and the forecast drawn by partitions of SKUs on the cluster; the
    store is read and written, and the phases classified, here."""
    say = progress or (lambda _m: None)
    t0 = time.perf_counter()
    say("loading history")
    panel = load_panel(
        store, today=today, history_days=history_days, sku_ids=_all_ids(store, sku_ids)
    ).panel
    run_id = _new_run_id(today)
    if panel.n == 0:
        empty = SenseRun(run_id, today, h, pl.DataFrame(), pl.DataFrame(), {"skus": 0})
        return empty
    say("fitting the lifecycle model")
    probs = quantile_probs(STORED_LEVELS)
    with cluster_service.session(cluster) as client:
        if client is None:
            model = _fit(panel)
            out = model.predict(h, probs=probs, seed=seed)
        else:
            model, fc_out = fit_partitioned(panel, client, h=h, probs=probs.tolist(), seed=seed)
            assert fc_out is not None
            out = fc_out
    say("phases and alerts")
    rep = report(model, panel.y, panel.content, seed=seed)
    fc = _forecast_rows(run_id, panel, today, out.mean, out.quantiles, probs, out.model)
    ph = _phase_rows(run_id, panel, today, rep)
    summary = _summary(panel, rep, out.mean, out.model)
    if sku_ids is not None:  # learned from the whole shop, reported for the SKUs asked for
        keep = pl.Series("k", list(dict.fromkeys(sku_ids)))
        fc = fc.filter(pl.col("sku_id").is_in(keep.implode()))
        ph = ph.filter(pl.col("sku_id").is_in(keep.implode()))
    result = SenseRun(run_id, today, h, fc, ph, summary, round(time.perf_counter() - t0, 3))
    if persist:
        say("saving")
        runs = pl.DataFrame(
            {
                "run_id": [run_id],
                "module": ["sense"],
                "created_at": [datetime.now(UTC).replace(tzinfo=None)],
                "as_of": [today],
                "params": [
                    json.dumps(
                        {"h": h, "seed": seed, "history_days": history_days, "model": "lifecycle"}
                    )
                ],
                "summary": [json.dumps(summary, default=str)],
            }
        )
        store.write_many({"runs": runs, "forecasts": fc, "sku_phases": ph})
    return result


def _forecast_rows(
    run_id: str,
    panel: Panel,
    today: date,
    mean: np.ndarray,
    q: np.ndarray,
    probs: np.ndarray,
    names: list[str],
) -> pl.DataFrame:
    n, h = mean.shape
    cols: dict[str, Any] = {
        "run_id": [run_id] * (n * h),
        "sku_id": np.repeat(np.array(panel.sku_ids, dtype=object), h).tolist(),
        "ds": [today + timedelta(days=d) for d in range(h)] * n,
        "model": np.repeat(np.array(names, dtype=object), h).tolist(),
        "mean": mean.reshape(-1),
    }
    for lv in STORED_LEVELS:
        a = round((1 - lv / 100) / 2, 10)
        lo = int(np.argmin(np.abs(probs - a)))
        hi = int(np.argmin(np.abs(probs - (1 - a))))
        cols[f"lo_{lv}"] = q[:, lo, :].reshape(-1)
        cols[f"hi_{lv}"] = q[:, hi, :].reshape(-1)
    return pl.DataFrame(cols)


def _phase_rows(run_id: str, panel: Panel, today: date, rep: PhaseReport) -> pl.DataFrame:
    n = panel.n
    since = [
        panel.start + timedelta(days=int(d)) if rep.receding[i] else None
        for i, d in enumerate(rep.receding_day.tolist())
    ]
    data: dict[str, Any] = {
        "run_id": [run_id] * n,
        "sku_id": list(panel.sku_ids),
        "as_of": [today - timedelta(days=1)] * n,
        "phase": rep.phase,
    }
    for j, name in enumerate(PHASES):
        data[f"p_{name}"] = rep.probs[:, j]
    data.update(
        {
            "receding": rep.receding.tolist(),
            "receding_since": pl.Series("receding_since", since, dtype=pl.Date),
            "kernel": rep.kernel,
            "velocity_7d": rep.velocity_7d,
            "remaining_demand_mean": rep.remaining_mean,
            "remaining_demand_p10": rep.remaining_p10,
            "remaining_demand_p90": rep.remaining_p90,
        }
    )
    return pl.DataFrame(data)


def _summary(panel: Panel, rep: PhaseReport, mean: np.ndarray, names: list[str]) -> dict[str, Any]:
    counts = {p: int(sum(1 for x in rep.phase if x == p)) for p in PHASES}
    return {
        "skus": panel.n,
        "history_days": panel.n_days,
        "by_phase": counts,
        "receding": int(rep.receding.sum()),
        "fallbacks": int(sum(1 for m in names if m == "fallback")),
        "forecast_units": float(mean.sum()),
        "kernels": {
            k: int(sum(1 for x in rep.kernel if x == k)) for k in ("exponential", "power_law")
        },
    }


def latest_run_id(store: Store) -> str | None:
    return run_queries.latest_run_id(store, "sense")


def load_run(store: Store, run_id: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The stored ``forecasts`` and ``sku_phases`` rows of a run."""
    fc = store.table("forecasts", where={"run_id": run_id}, order_by=["sku_id", "ds"])
    ph = store.table("sku_phases", where={"run_id": run_id}, order_by=["sku_id"])
    return fc, ph


# ---------------------------------------------------------------------------------------------
# Backtest
# ---------------------------------------------------------------------------------------------


def default_models(include_autoets: bool = False) -> dict[str, Forecaster]:
    models: dict[str, Forecaster] = {"lifecycle": Lifecycle()}
    for name, cls in BASELINES.items():
        if name == "autoets" and not include_autoets:
            continue
        models[name] = cls()
    return models


def _phase_fn(panel: Panel) -> list[str]:
    model = _fit(panel)
    return report(model, panel.y, panel.content, n_paths=50, life_days=28).phase


def backtest(
    store: Store,
    *,
    today: date,
    h: int = 28,
    windows: int = 4,
    seed: int = 0,
    history_days: int = 365,
    include_autoets: bool = False,
) -> BacktestResult:
    """Rolling-origin backtest of the lifecycle model and every baseline on the store's
    history (``windows`` origins, ``h`` days apart), broken down by phase at the origin."""
    if h < 1 or windows < 1:
        raise UsageError(f"horizon and windows must be positive (got {h}, {windows})")
    panel = load_panel(store, today=today, history_days=history_days).panel
    if panel.n == 0:
        raise UsageError("no SKUs in the store: import skus and orders first")
    if panel.n_days - windows * h < 28:
        raise UsageError(
            f"{windows} windows of {h} days need at least {windows * h + 28} days of history; "
            f"the store has {panel.n_days}"
        )
    return rolling_origin(
        panel,
        default_models(include_autoets),
        h=h,
        windows=windows,
        phase_fn=_phase_fn,
        seed=seed,
        keys=row_keys(panel.sku_ids),
        timer=time.perf_counter,
    )


# ---------------------------------------------------------------------------------------------
# Demo
# ---------------------------------------------------------------------------------------------


def demo_step(ctx: Any) -> dict[str, Any]:
    """Run sense on the demo store: persist a run, return SKUs by phase and receding alerts."""
    res = run(ctx.store, today=ctx.today, h=28, seed=ctx.seed, progress=ctx.progress)
    ph = res.phases
    if ph.height == 0:
        return {"run_id": res.run_id, "skus": 0}
    fc = res.forecasts.group_by("sku_id").agg(pl.col("mean").sum().alias("next_28d"))
    ph = ph.join(fc, on="sku_id", how="left")
    examples: dict[str, list[dict[str, Any]]] = {}
    for name in PHASES:
        sub = ph.filter(pl.col("phase") == name).sort("velocity_7d", descending=True).head(3)
        examples[name] = [
            {
                "sku_id": r["sku_id"],
                "p": round(float(r[f"p_{name}"]), 2),
                "velocity_7d": round(float(r["velocity_7d"]), 2),
                "next_28d": round(float(r["next_28d"] or 0.0), 1),
            }
            for r in sub.iter_rows(named=True)
        ]
    rec = ph.filter(pl.col("receding")).sort("remaining_demand_mean", descending=True)
    receding = [
        {
            "sku_id": r["sku_id"],
            "since": r["receding_since"],
            "phase": r["phase"],
            "velocity_7d": round(float(r["velocity_7d"]), 2),
            "next_28d": round(float(r["next_28d"] or 0.0), 1),
            "remaining_mean": round(float(r["remaining_demand_mean"]), 0),
            "kernel": r["kernel"],
        }
        for r in rec.head(8).iter_rows(named=True)
    ]
    return {
        "run_id": res.run_id,
        "as_of": res.as_of,
        "seconds": res.seconds,
        **res.summary,
        "examples": examples,
        "receding_skus": receding,
        "receding_total": int(rec.height),
        "db": ctx.settings.db,
    }
