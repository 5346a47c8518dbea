"""Health use cases: load orders, reviews and returns → compute metrics → persist; project a plan.

Data flow::

    store (orders, reviews, returns created since the look-back start)
      → core.health.report.health_report(…, today)   metrics, weekly trend, offenders,
                                                      findings, score estimate
      → run_health persists a ``runs`` row (module "health") and ``health_metrics``
    store (runs module "plan", plan_sku_results of that run)
      → core.health.projection.project_plan(plan rows, baseline from the shop's history)
      → project persists ``health_projections``
    ../shared/data/olist parquet → core.health.response.calibrate_response_curve

``today`` defaults to the current date in US Pacific time; when the newest order in the
store is more than a week older than that (an old export, the demo database), the run is
dated the day after the newest order and an info finding says so.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl

from quickturn.config import Settings
from quickturn.core.health.findings import info_finding
from quickturn.core.health.metrics import ORDER_COLUMNS, RETURN_COLUMNS, REVIEW_COLUMNS
from quickturn.core.health.params import METRICS, HealthParams, health_params
from quickturn.core.health.projection import Projection, project_plan
from quickturn.core.health.report import HealthReport, health_report, projection_baseline
from quickturn.core.health.response import (
    ResponseCurve,
    calibrate_response_curve,
    lateness_from_olist,
    review_gap,
)
from quickturn.errors import Finding, UsageError
from quickturn.services.demo_context import DemoContext
from quickturn.store import Store
from quickturn.store.queries import orders as order_queries
from quickturn.store.queries import runs as run_queries

#: staleness after which the run is dated after the newest order instead of the clock
STALE_DAYS = 7


class NoPlanRunError(UsageError):
    """No plan run to project (the user should run ``quickturn plan`` first)."""


@dataclass(frozen=True)
class HealthRun:
    """A computed (and possibly persisted) health report."""

    report: HealthReport
    run_id: str | None
    params: HealthParams
    facts: pl.DataFrame = field(repr=False)


@dataclass(frozen=True)
class ProjectionRun:
    """A projection of one plan run against the shop's current health."""

    projection: Projection
    plan_run_id: str
    plan_created_at: datetime | None
    today: date
    run_id: str | None
    report: HealthReport


def params_for(settings: Settings | None) -> HealthParams:
    """Health parameters from ``settings.section("health")`` over the reference defaults."""
    return health_params(settings.section("health") if settings is not None else None)


def _local_today(params: HealthParams) -> date:
    now = pl.DataFrame({"t": [datetime.now(UTC).replace(tzinfo=None)]})
    value = now.select(
        pl.col("t").dt.replace_time_zone("UTC").dt.convert_time_zone(params.timezone).dt.date()
    ).item()
    assert isinstance(value, date)
    return value


def resolve_today(
    store: Store, params: HealthParams, today: date | None = None, clock: date | None = None
) -> tuple[date, Finding | None]:
    """The run's date: ``today`` when given, else the clock's Pacific date — or the day
    after the newest order when that is more than a week old (with an info finding).
    ``clock`` overrides the machine's date (tests)."""
    if today is not None:
        return today, None
    clock = clock or _local_today(params)
    newest = run_queries.newest_value(store, "orders", "created_at")
    if newest is None:
        return clock, None
    newest_day = (
        pl.DataFrame({"t": [newest]})
        .select(
            pl.col("t")
            .cast(pl.Datetime("us"))
            .dt.replace_time_zone("UTC")
            .dt.convert_time_zone(params.timezone)
            .dt.date()
        )
        .item()
    )
    if newest_day < clock - timedelta(days=STALE_DAYS):
        as_of = newest_day + timedelta(days=1)
        return as_of, info_finding(
            "HEALTH_AS_OF",
            "The newest order is from {newest}: metrics are computed as of {as_of} "
            "instead of today ({today}).",
            "Import recent orders, or pass --as-of to choose the date.",
            newest=newest_day.isoformat(),
            as_of=as_of.isoformat(),
            today=clock.isoformat(),
        )
    return clock, None


def lookback_start(params: HealthParams, today: date, weeks: int) -> datetime:
    """Earliest order creation that can matter for any window (with a 60-day margin for
    orders delivered or due long after they were placed)."""
    days = max(max(params.windows.values()), weeks * 7 + 7, params.score.window_days) + 60
    return datetime.combine(today - timedelta(days=days), datetime.min.time())


def _select(
    store: Store,
    table: str,
    columns: dict[str, pl.DataType],
    where: str,
    start: datetime,
    shop_id: str | None = None,
) -> pl.DataFrame:
    return order_queries.rows_since(store, table, list(columns), where, start, shop_id=shop_id)


def load_frames(
    store: Store, params: HealthParams, today: date, weeks: int, shop_id: str | None = None
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Orders (of one shop when ``shop_id`` is given), reviews and returns that can affect a
    run on ``today``."""
    start = lookback_start(params, today, weeks)
    orders = _select(store, "orders", ORDER_COLUMNS, "created_at", start, shop_id)
    reviews = _select(store, "reviews", REVIEW_COLUMNS, "created_at", start)
    returns = _select(store, "returns", RETURN_COLUMNS, "requested_at", start)
    return orders, reviews, returns


def metrics(
    store: Store,
    *,
    today: date | None = None,
    weeks: int = 12,
    settings: Settings | None = None,
    params: HealthParams | None = None,
    shop_id: str | None = None,
) -> HealthRun:
    """Compute the health report without writing anything (web dashboard, API).

    ``shop_id`` restricts it to one shop; by default every shop of the configured markets
    (``health.markets``, US) is counted together."""
    if weeks < 1:
        raise UsageError(f"--weeks must be at least 1, got {weeks}")
    p = params or params_for(settings)
    day, note = resolve_today(store, p, today)
    orders, reviews, returns = load_frames(store, p, day, weeks, shop_id)
    report, facts = health_report(orders, reviews, returns, p, day, weeks)
    if note is not None:
        report.findings.insert(0, note)
    return HealthRun(report=report, run_id=None, params=p, facts=facts)


def _new_run_id(module: str) -> str:
    return f"{module}-{datetime.now(UTC).strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:6]}"


def _summary(report: HealthReport) -> dict[str, Any]:
    return {
        "today": report.today.isoformat(),
        "breaches": report.rolling.filter(pl.col("status") == "breach")["metric"].to_list(),
        "near": report.rolling.filter(pl.col("status") == "near")["metric"].to_list(),
        "score_estimate": report.score.score,
        "metrics": {r["metric"]: r["value"] for r in report.rolling.to_dicts()},
        "counts": report.counts,
    }


def run_health(
    store: Store,
    *,
    today: date | None = None,
    weeks: int = 12,
    settings: Settings | None = None,
    params: HealthParams | None = None,
    shop_id: str | None = None,
) -> HealthRun:
    """Compute the report and persist it (``runs`` + ``health_metrics``) in one transaction."""
    hr = metrics(store, today=today, weeks=weeks, settings=settings, params=params, shop_id=shop_id)
    report = hr.report
    run_id = _new_run_id("health")
    window = report.rolling.select(
        pl.lit(run_id).alias("run_id"),
        "metric",
        pl.lit("window").alias("period"),
        pl.col("window_start").alias("period_start"),
        pl.col("window_end").alias("period_end"),
        pl.lit(False).alias("partial"),
        "value",
        "numerator",
        "denominator",
        "offending",
        "threshold",
        "status",
    )
    weekly = report.weekly.select(
        pl.lit(run_id).alias("run_id"),
        "metric",
        pl.lit("week").alias("period"),
        pl.col("week_start").alias("period_start"),
        pl.col("week_end").alias("period_end"),
        "partial",
        "value",
        "numerator",
        "denominator",
        "offending",
        "threshold",
        "status",
    )
    run_row = pl.DataFrame(
        {
            "run_id": [run_id],
            "module": ["health"],
            "created_at": [datetime.now(UTC).replace(tzinfo=None)],
            "as_of": [report.today],
            "params": [json.dumps({"weeks": weeks, "shop_id": shop_id}, default=str)],
            "summary": [json.dumps(_summary(report), default=str)],
        }
    )
    with store.transaction():
        store.write("runs", run_row)
        store.write("health_metrics", pl.concat([window, weekly], how="vertical"))
    return HealthRun(report=report, run_id=run_id, params=hr.params, facts=hr.facts)


def metric_trends(
    store: Store,
    *,
    today: date | None = None,
    weeks: int = 12,
    settings: Settings | None = None,
    shop_id: str | None = None,
) -> pl.DataFrame:
    """Weekly value of every metric vs its threshold (for charts)."""
    return metrics(
        store, today=today, weeks=weeks, settings=settings, shop_id=shop_id
    ).report.weekly


def offending_orders(
    store: Store,
    metric: str | None = None,
    *,
    today: date | None = None,
    settings: Settings | None = None,
    shop_id: str | None = None,
) -> pl.DataFrame:
    """Orders counting against each metric in its rolling window (one metric or all)."""
    if metric is not None and metric not in METRICS:
        raise UsageError(f"unknown metric {metric!r}; expected one of: {', '.join(METRICS)}")
    bad = metrics(store, today=today, settings=settings, shop_id=shop_id).report.offenders
    return bad if metric is None else bad.filter(pl.col("metric") == metric)


def latest_plan_run(store: Store, plan: str = "latest") -> dict[str, Any]:
    """The plan run to project: the newest ``runs`` row of module "plan", or ``plan`` as id."""
    if plan == "latest":
        runs = store.table("runs", where={"module": "plan"}, order_by=["created_at desc"], limit=1)
        if runs.height == 0:
            raise NoPlanRunError(
                "no plan run in this database: run `quickturn plan` first, then "
                "`quickturn health project --plan latest`"
            )
    else:
        runs = store.table("runs", where={"run_id": plan})
        if runs.height == 0 or runs["module"][0] != "plan":
            raise NoPlanRunError(
                f"plan run {plan!r} not found: use --plan latest or a run id from "
                "`quickturn plan` (run `quickturn plan` first if there is none)"
            )
    row: dict[str, Any] = runs.row(0, named=True)
    return row


def project(
    store: Store,
    plan: str = "latest",
    *,
    today: date | None = None,
    settings: Settings | None = None,
    params: HealthParams | None = None,
    scenarios: tuple[str, ...] = ("chosen", "heavy"),
    save: bool = True,
    shop_id: str | None = None,
) -> ProjectionRun:
    """Project the metrics under a plan run (chosen policies vs heavy pre-stock)."""
    run = latest_plan_run(store, plan)
    run_id_plan = str(run["run_id"])
    rows = store.table("plan_sku_results", where={"run_id": run_id_plan})
    if rows.height == 0:
        raise NoPlanRunError(
            f"plan run {run_id_plan!r} has no results in plan_sku_results: run `quickturn plan` again"
        )
    p = params or params_for(settings)
    day = today or run.get("as_of") or None
    hr = metrics(store, today=day, settings=settings, params=p, shop_id=shop_id)
    base = projection_baseline(hr.facts, hr.report, p, hr.report.today)
    proj = project_plan(rows, base, p, scenarios)
    run_id: str | None = None
    if save:
        run_id = _new_run_id("health")
        frames = []
        for sc in ("current", *scenarios):
            frames.append(
                proj.metrics.select(
                    pl.lit(run_id).alias("run_id"),
                    pl.lit(run_id_plan).alias("plan_run_id"),
                    pl.lit(sc).alias("scenario"),
                    "metric",
                    pl.col(sc).alias("value"),
                    "threshold",
                    pl.col(f"status_{sc}").alias("status"),
                    pl.col("projected") & pl.lit(sc != "current"),
                )
            )
        summary = {
            "plan_run_id": run_id_plan,
            "scores": proj.scores,
            "assumptions": {k: v for k, v in proj.assumptions.items() if k != "scenario_totals"},
        }
        run_row = pl.DataFrame(
            {
                "run_id": [run_id],
                "module": ["health"],
                "created_at": [datetime.now(UTC).replace(tzinfo=None)],
                "as_of": [hr.report.today],
                "params": [json.dumps({"project": run_id_plan}, default=str)],
                "summary": [json.dumps(summary, default=str)],
            }
        )
        with store.transaction():
            store.write("runs", run_row)
            store.write("health_projections", pl.concat(frames, how="vertical"))
    created = run.get("created_at")
    return ProjectionRun(
        projection=proj,
        plan_run_id=run_id_plan,
        plan_created_at=created if isinstance(created, datetime) else None,
        today=hr.report.today,
        run_id=run_id,
        report=hr.report,
    )


def olist_lateness(folder: str | Path) -> pl.DataFrame:
    """Delivered and reviewed Olist orders with days late vs the estimated date."""
    root = Path(folder)
    orders_path = root / "olist_orders_dataset.parquet"
    reviews_path = root / "olist_order_reviews_dataset.parquet"
    for path in (orders_path, reviews_path):
        if not path.exists():
            raise FileNotFoundError(f"{path}: not found (expected the Olist sample parquet files)")
    return lateness_from_olist(pl.read_parquet(orders_path), pl.read_parquet(reviews_path))


def calibrate_olist(folder: str | Path) -> dict[str, Any]:
    """Re-fit the response curve on the Olist sample; return the curve and the review gap."""
    frame = olist_lateness(folder)
    curve = calibrate_response_curve(frame)
    return {"curve": curve.as_dict(), "gap": review_gap(frame, curve), "orders": frame.height}


def default_curve() -> ResponseCurve:
    return ResponseCurve()


# -- demo ------------------------------------------------------------------------------------


def _plain(v: Any) -> Any:
    if isinstance(v, (date, datetime)):
        return v.isoformat()
    if isinstance(v, dict):
        return {str(k): _plain(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    if isinstance(v, float) and v != v:
        return None
    return v


#: weeks of trend the demo looks back over (long enough to show last season's troubles)
DEMO_WEEKS = 26


def worst_weeks(weekly: pl.DataFrame) -> list[dict[str, Any]]:
    """Per metric, the week with the worst value when that week breached or came near."""
    bad_first = (
        weekly.filter(pl.col("status").is_in(["breach", "near"]))
        .with_columns(
            badness=pl.when(
                pl.col("metric").is_in(["valid_tracking_rate", "on_time_delivery_rate"])
            )
            .then(1.0 - pl.col("value"))
            .otherwise(pl.col("value"))
            / pl.when(pl.col("metric").is_in(["valid_tracking_rate", "on_time_delivery_rate"]))
            .then(1.0 - pl.col("threshold"))
            .otherwise(pl.col("threshold"))
        )
        .sort("badness", descending=True)
        .unique("metric", keep="first", maintain_order=True)
    )
    rows = bad_first.select(
        "metric", "week_start", "value", "threshold", "status", "offending", "denominator"
    ).to_dicts()
    return [_plain(r) for r in rows]


def demo_step(ctx: DemoContext) -> dict[str, Any]:
    """Health on the demo shop: metrics vs thresholds, then the latest plan projected."""
    ctx.progress("health: shop metrics")
    hr = run_health(ctx.store, today=ctx.today, weeks=DEMO_WEEKS, settings=ctx.settings)
    rep = hr.report
    section: dict[str, Any] = {
        "run_id": hr.run_id,
        "today": rep.today.isoformat(),
        "metrics": _plain(rep.rolling.to_dicts()),
        "score": _plain(asdict(rep.score)),
        "findings": [
            {**f.to_dict(), "record": {**f.record, "orders": f.record.get("orders", [])[:3]}}
            for f in rep.findings
            if f.severity != "info"
        ],
        "worst_weeks": worst_weeks(rep.weekly),
        "weeks": DEMO_WEEKS,
        "counts": rep.counts,
        "projection": None,
    }
    ctx.progress("health: projecting the plan")
    try:
        pr = project(ctx.store, "latest", today=ctx.today, settings=ctx.settings)
    except NoPlanRunError as exc:
        section["projection_unavailable"] = str(exc)
        return section
    proj = pr.projection
    section["projection"] = {
        "plan_run_id": pr.plan_run_id,
        "run_id": pr.run_id,
        "metrics": _plain(proj.metrics.to_dicts()),
        "scores": _plain(proj.scores),
        "assumptions": _plain(proj.assumptions),
        "notes": proj.notes,
    }
    return section
