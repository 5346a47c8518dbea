"""Read-only queries for the web dashboard and the shareable report.

Data flow: the store (input tables plus what the modules persisted — ``ledger_postings`` and
``ledger_cash`` from the ledger, ``forecasts`` / ``sku_phases`` from sense,
``plan_sku_results`` / ``plan_actions`` from plan, ``health_metrics`` from health,
``comply_findings`` from comply, ``runs`` for each) → small Polars frames and dicts that the
web layer turns into pages, charts and JSON.  Nothing here writes.

Every function works on a database where a module has not run yet (or whose tables do not
exist yet): it returns empty frames and says which module is missing, so a page can tell the
user which command to run.  The web layer caches the results per database change, so the
heavier roll-ups (one GROUP BY over the ledger journal, one over a year of order lines) run
once per change, not once per request.

Conventions: money is float USD here (display only; the ledger keeps exact amounts), dates
are the shop's calendar days, ``today`` is the as-of day of the data (see :func:`as_of`).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import polars as pl

from quickturn.config import Settings
from quickturn.core.ledger.economics import JOURNAL_ECONOMICS_SCHEMA
from quickturn.core.sense.types import SamplePaths
from quickturn.errors import Finding, UsageError, normalise_severity
from quickturn.services import economics as economics_service
from quickturn.store import Store, queries

#: waterfall order of the ledger components (the margin is their sum)
COMPONENTS: tuple[str, ...] = (
    "revenue",
    "discounts",
    "platform_fees",
    "commission",
    "ads",
    "fulfilment",
    "shipping",
    "returns",
    "landed_cost",
    "samples",
)

#: ledger drill-down dimensions → postings column
LEDGER_DIMENSIONS: dict[str, str] = {
    "sku": "sku_id",
    "content": "content_id",
    "creator": "creator_id",
    "source": "traffic_source",
    "route": "route",
    "model": "operating_model",
    "market": "market",
    "month": "month",
}

#: policy families in display order
POLICIES: tuple[str, ...] = ("heavy", "qr", "dual", "pod", "hybrid")

#: location kinds whose stock can serve a US buyer within days
SELLABLE_KINDS: tuple[str, ...] = ("us_3pl", "fbt", "platform_warehouse")

#: stock-out probability from which a SKU's risk is "high" / "medium"
RISK_HIGH = 0.5
RISK_MEDIUM = 0.2

#: metrics where a higher value is better (the threshold is a floor)
HIGHER_IS_BETTER = frozenset({"valid_tracking_rate", "on_time_delivery_rate"})


# ---------------------------------------------------------------------------------------------
# basics


class NotFound(UsageError):
    """The SKU, order line or run asked for does not exist."""


def has(store: Store, *tables: str) -> bool:
    """True when every table exists."""
    have = store.existing_tables()
    return all(t in have for t in tables)


def _f(v: Any) -> float | None:
    """A float (Decimal, int) or None; NaN becomes None."""
    if v is None:
        return None
    x = float(v)
    return None if math.isnan(x) else x


def latest_run(store: Store, module: str, *, kind: str | None = None) -> dict[str, Any] | None:
    """The newest ``runs`` row of ``module`` (``kind`` filters on ``params.kind``; ``"main"``
    keeps runs without one), with ``params`` and ``summary`` decoded."""
    if not has(store, "runs"):
        return None
    for row in queries.runs.runs_of(store, module).to_dicts():
        params = _json(row.get("params"))
        row_kind = params.get("kind") if isinstance(params, dict) else None
        if module == "health" and isinstance(params, dict) and "project" in params:
            row_kind = "project"
        if kind is not None and (row_kind or "main") != kind:
            continue
        row["params"] = params
        row["summary"] = _json(row.get("summary"))
        return row
    return None


def _json(text: Any) -> Any:
    if not text:
        return {}
    try:
        return json.loads(str(text))
    except ValueError:
        return {}


def as_of(store: Store) -> date:
    """The business day the dashboard is about: the demo's as-of day in a demo database, else
    the newest run's as-of day, else today's date."""
    if has(store, "state"):
        marker = store.get_state("demo", "marker")
        if isinstance(marker, dict) and marker.get("as_of"):
            try:
                return date.fromisoformat(str(marker["as_of"]))
            except ValueError:
                pass
    if has(store, "runs"):
        d = queries.runs.latest_as_of(store, ("plan", "sense"))
        if d is not None:
            return d
    return datetime.now(UTC).date()


def fingerprint(store: Store) -> str:
    """A cheap value that changes when a module run, a sync or a SKU import changes the
    database (the web cache's key on PostgreSQL; on DuckDB the web layer looks at the file).
    Only small tables are read, so it can be polled every few seconds."""
    parts: list[str] = []
    if has(store, "runs"):
        n, t = queries.runs.count_and_newest(store, "runs", "created_at")
        parts.append(f"runs={n}@{t}")
    if has(store, "state"):
        n, t = queries.runs.count_and_newest(store, "state", "updated_at")
        parts.append(f"state={n}@{t}")
    if has(store, "skus"):
        parts.append(f"skus={store.count('skus')}")
    return ";".join(parts)


def shop_info(store: Store) -> dict[str, Any]:
    """Shops, SKU count and the as-of day (page header)."""
    shops = store.table("shops", columns=["shop_id", "name", "market", "currency", "timezone"])
    return {
        "shops": shops.to_dicts(),
        "skus": store.count("skus"),
        "as_of": as_of(store),
        "runs": {
            m: _run_public(latest_run(store, m))
            for m in ("ledger", "sense", "plan", "health", "comply")
        },
    }


def _run_public(run: dict[str, Any] | None) -> dict[str, Any] | None:
    if run is None:
        return None
    return {"run_id": run["run_id"], "created_at": run["created_at"], "as_of": run["as_of"]}


# ---------------------------------------------------------------------------------------------
# ledger


def _period(today: date, days: int) -> tuple[date, date]:
    """The ``days`` days before ``today`` (today excluded: history ends yesterday)."""
    if days < 1:
        raise UsageError(f"days must be at least 1, got {days}")
    return today - timedelta(days=days), today - timedelta(days=1)


def ledger_ready(store: Store) -> bool:
    if not has(store, "ledger_postings"):
        return False
    return queries.ledger.journal_has_postings(store)


def components_by_sku(store: Store, *, today: date, days: int) -> pl.DataFrame:
    """One row per SKU (``None``: shop-level) × component with the USD amount over the period."""
    lo, hi = _period(today, days)
    if not ledger_ready(store):
        return pl.DataFrame(
            schema={"sku_id": pl.String, "component": pl.String, "amount_usd": pl.Float64}
        )
    return queries.ledger.amounts_by_sku_component(store, lo, hi)


def waterfall(components: pl.DataFrame) -> list[dict[str, Any]]:
    """``[{component, amount_usd}]`` in waterfall order plus the margin, from a frame with
    ``component`` and ``amount_usd`` (summed over whatever else it holds)."""
    sums = (
        dict(components.group_by("component").agg(pl.col("amount_usd").sum()).iter_rows())
        if components.height
        else {}
    )
    amounts = [float(sums.get(c) or 0.0) for c in COMPONENTS]
    out: list[dict[str, Any]] = [
        {"component": c, "amount_usd": a} for c, a in zip(COMPONENTS, amounts, strict=True)
    ]
    out.append({"component": "margin", "amount_usd": sum(amounts)})
    return out


def kpis(store: Store, *, today: date, days: int = 30) -> dict[str, Any]:
    """GMV, revenue, true margin and orders over the period and the period before it."""
    out: dict[str, Any] = {"days": days, "ledger": ledger_ready(store)}
    tz = _shop_tz(store)
    lo, hi = _period(today, days)
    out["date_from"], out["date_to"] = lo, hi
    for key, (a, b) in (
        ("current", (lo, hi)),
        ("previous", (lo - timedelta(days=days), lo - timedelta(days=1))),
    ):
        figures: dict[str, Any] = {
            "gmv_usd": None,
            "revenue_usd": None,
            "margin_usd": None,
            "margin_rate": None,
            "orders": 0,
            "units": 0,
        }
        if out["ledger"]:
            df = queries.ledger.amounts_by_component_account(store, a, b)
            gmv = df.filter(
                (pl.col("account") == "gross_revenue") & ~pl.col("is_sample").fill_null(False)
            )["amount_usd"].sum()
            revenue = df.filter(pl.col("component") == "revenue")["amount_usd"].sum()
            margin = df["amount_usd"].sum()
            figures.update(
                gmv_usd=float(gmv or 0.0),
                revenue_usd=float(revenue or 0.0),
                margin_usd=float(margin or 0.0),
                margin_rate=(float(margin) / float(revenue)) if revenue else None,
            )
        figures["orders"], figures["units"] = queries.orders.order_and_unit_counts(
            store,
            utc_start(a, tz),
            utc_start(b + timedelta(days=1), tz),
            exclude_status="CANCELLED",
        )
        out[key] = figures
    return out


def ledger_rollup(
    store: Store, *, by: str, today: date, days: int | None = None, limit: int | None = None
) -> pl.DataFrame:
    """Margin by ``by`` (see :data:`LEDGER_DIMENSIONS`): key, one column per component,
    ``margin``, ``margin_rate`` and ``lines`` (order lines), worst margin first.

    ``days`` limits it to orders of the last ``days`` days (all history when ``None``)."""
    if by not in LEDGER_DIMENSIONS:
        raise UsageError(f"unknown dimension {by!r}; choose from: {', '.join(LEDGER_DIMENSIONS)}")
    cols = ["key", *COMPONENTS, "margin", "margin_rate", "lines"]
    if not ledger_ready(store):
        return pl.DataFrame(
            schema={
                c: pl.Float64
                if c not in ("key", "lines")
                else (pl.String if c == "key" else pl.Int64)
                for c in cols
            }
        )
    key = None if by == "month" else LEDGER_DIMENSIONS[by]
    df = queries.ledger.amounts_by_key_component(
        store, key, days=[_period(today, days)] if days is not None else []
    )
    if by == "month":
        df = df.with_columns(
            pl.format(
                "{}-{}",
                (pl.col("key") // 100).cast(pl.String),
                (pl.col("key") % 100).cast(pl.String).str.zfill(2),
            ).alias("key")
        )
    df = df.with_columns(pl.col("key").cast(pl.String))
    wide = _pivot_components(df, ["key"])
    lines = df.group_by("key").agg(pl.col("lines").max().cast(pl.Int64))
    wide = wide.join(lines, on="key", how="left").with_columns(
        pl.when(pl.col("revenue") > 0)
        .then(pl.col("margin") / pl.col("revenue"))
        .otherwise(None)
        .alias("margin_rate")
    )
    wide = wide.sort("key", descending=True) if by == "month" else wide.sort("margin")
    wide = wide.select(cols)
    return wide.head(limit) if limit else wide


def _pivot_components(df: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    """Long (keys…, component, amount_usd) → wide with one column per component + margin."""
    aggs = [
        pl.col("amount_usd").filter(pl.col("component") == c).sum().alias(c) for c in COMPONENTS
    ]
    wide = df.group_by(keys).agg(aggs)
    return wide.with_columns(pl.sum_horizontal([pl.col(c) for c in COMPONENTS]).alias("margin"))


def _dimension_filter(by: str, key: str | None) -> tuple[dict[str, Any], list[tuple[date, date]]]:
    """The postings of one roll-up row: column equalities (``None``: empty) and day ranges."""
    if by not in LEDGER_DIMENSIONS:
        raise UsageError(f"unknown dimension {by!r}; choose from: {', '.join(LEDGER_DIMENSIONS)}")
    if by == "month":
        if not key:
            raise UsageError("a month drill-down needs a month such as 2026-02")
        try:
            first = date.fromisoformat(f"{key}-01")
        except ValueError:
            raise UsageError(f"{key!r} is not a month such as 2026-02") from None
        nxt = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
        return {}, [(first, nxt - timedelta(days=1))]
    col = LEDGER_DIMENSIONS[by]
    return {col: key or None}, []


def ledger_lines(
    store: Store,
    *,
    by: str,
    key: str | None,
    today: date,
    days: int | None = None,
    limit: int = 200,
    offset: int = 0,
) -> tuple[pl.DataFrame, int]:
    """The order lines behind one roll-up row (``by`` = ``key``): order, SKU, order date, the
    components and the margin, newest first; plus how many lines there are in all.  Postings
    that belong to no order line (a SKU's storage bill, shop-wide ads) appear as one row per
    source table with an empty order."""
    if not ledger_ready(store):
        return pl.DataFrame(), 0
    equals, ranges = _dimension_filter(by, key)
    if days is not None:
        ranges.append(_period(today, days))
    df = queries.ledger.amounts_by_line_component(store, equals=equals, days=ranges)
    keys = ["order_id", "sku_id", "source_table"]
    dates = df.group_by(keys).agg(pl.col("order_date").min())
    wide = _pivot_components(df, keys).join(dates, on=keys, how="left", nulls_equal=True)
    wide = wide.sort(["order_date", "order_id", "sku_id"], descending=True, nulls_last=True)
    total = wide.height
    return wide.slice(offset, limit), total


def line_sources(store: Store, *, order_id: str | None, sku_id: str | None) -> pl.DataFrame:
    """Every posting of one order line (or of one SKU's shop-level costs when ``order_id``
    is empty) with its account, amount, basis and the source row it came from."""
    if not ledger_ready(store):
        return pl.DataFrame()
    df = queries.ledger.line_postings(store, order_id=order_id, sku_id=sku_id)
    order = {c: i for i, c in enumerate(COMPONENTS)}
    return (
        df.with_columns(
            pl.col("component").replace_strict(order, default=99, return_dtype=pl.Int64).alias("_o")
        )
        .sort(["_o", "date", "account", "posting_id"], nulls_last=True)
        .drop("_o")
    )


def content_profit(store: Store, *, by: str, today: date, days: int | None = None) -> pl.DataFrame:
    """Net profit per video (``by="content"``) or creator (``by="creator"``) with titles and
    handles, views and the margin waterfall, best first."""
    if by not in ("content", "creator"):
        raise UsageError(f"content profit is by content or creator, not {by!r}")
    roll = ledger_rollup(store, by=by, today=today, days=days)
    if roll.height == 0:
        return roll
    roll = roll.filter(pl.col("key").is_not_null())
    if by == "content":
        info = store.table(
            "content", columns=["content_id", "kind", "creator_id", "posted_at", "title", "market"]
        ).rename({"content_id": "key"})
        views = queries.content.views_by_content(store).rename({"content_id": "key"})
        handles = store.table("creators", columns=["creator_id", "handle"])
        info = (
            info.join(views, on="key", how="left")
            .join(handles, on="creator_id", how="left")
            .with_columns(pl.col("posted_at").dt.date().alias("posted_on"))
            .drop("posted_at")
        )
    else:
        info = store.table(
            "creators", columns=["creator_id", "handle", "followers", "commission_rate"]
        ).rename({"creator_id": "key"})
        info = info.with_columns(pl.col("commission_rate").cast(pl.Float64))
        posts = queries.content.posts_by_creator(store).rename({"creator_id": "key"})
        info = info.join(posts, on="key", how="left")
    return roll.join(info, on="key", how="left").sort("margin", descending=True)


def cash(store: Store) -> dict[str, Any]:
    """The latest ledger cash run: its daily rows (history and projection) and summary."""
    if not has(store, "ledger_cash"):
        return {"run": None, "daily": pl.DataFrame(), "summary": {}}
    run = latest_run(store, "ledger", kind="cash")
    if run is None:
        return {"run": None, "daily": pl.DataFrame(), "summary": {}}
    daily = queries.ledger.cash_timeline(store, str(run["run_id"]))
    s = run["summary"] if isinstance(run["summary"], dict) else {}
    summary = {
        "today": s.get("today"),
        "days": s.get("days"),
        "opening_cash_usd": _f(s.get("opening_cash_usd")),
        "end_balance_usd": _f(s.get("end_balance_usd")),
        "lowest_balance_usd": _f(s.get("lowest_balance_usd")),
        "lowest_balance_date": s.get("lowest_balance_date"),
        "peak_cash_need_usd": _f(s.get("peak_cash_need_usd")),
        "projected_inflow_usd": _f(s.get("projected_inflow_usd")),
        "projected_outflow_usd": _f(s.get("projected_outflow_usd")),
        "expected_sales_source": s.get("expected_sales_source"),
    }
    return {"run": _run_public(run), "daily": daily, "summary": summary}


# ---------------------------------------------------------------------------------------------
# SKUs


def _latest_run_id(store: Store, module: str, table: str) -> str | None:
    if not has(store, table):
        return None
    run = latest_run(store, module)
    return str(run["run_id"]) if run else None


def stock_on_hand(store: Store, sku_ids: list[str] | None = None) -> pl.DataFrame:
    """(sku_id, on_hand, snapshot_date): sellable US stock at each SKU's newest snapshot
    (of every SKU, or of ``sku_ids``)."""
    locs = store.table("locations", columns=["location_id", "kind"])
    ids = locs.filter(pl.col("kind").is_in(list(SELLABLE_KINDS)))["location_id"].to_list()
    if not ids or sku_ids == []:
        return pl.DataFrame(
            schema={"sku_id": pl.String, "on_hand": pl.Float64, "snapshot_date": pl.Date}
        )
    # the newest snapshot of each sellable location, then the SKU's newest day among them
    latest = queries.inventory.latest_stock(store, sku_ids=sku_ids, location_ids=ids)
    df = (
        latest.filter(pl.col("date") == pl.col("date").max().over("sku_id"))
        .group_by("sku_id", "date")
        .agg(
            (pl.col("on_hand_qty") - pl.col("reserved_qty").fill_null(0))
            .sum()
            .cast(pl.Float64)
            .alias("on_hand")
        )
        .rename({"date": "snapshot_date"})
    )
    return df.select("sku_id", pl.col("on_hand").clip(lower_bound=0.0), "snapshot_date")


def sku_table(store: Store, *, today: date, days: int = 30) -> pl.DataFrame:
    """One row per SKU for the SKU list: identity, phase, margin over the period, stock, days
    of cover, risk and today's suggested action.  Missing module outputs are nulls."""
    skus = store.table(
        "skus", columns=["sku_id", "title", "category", "status", "shop_id", "list_price"]
    ).with_columns(pl.col("list_price").cast(pl.Float64))
    out = skus
    # sense: phase, velocity, mean daily forecast
    sense_run = _latest_run_id(store, "sense", "sku_phases")
    if sense_run:
        ph = store.table(
            "sku_phases",
            columns=["sku_id", "phase", "receding", "velocity_7d", "remaining_demand_mean"],
            where={"run_id": sense_run},
        )
        fc = queries.modules.mean_daily_forecast(store, sense_run)
        out = out.join(ph, on="sku_id", how="left").join(fc, on="sku_id", how="left")
    else:
        out = out.with_columns(
            pl.lit(None, pl.String).alias("phase"),
            pl.lit(None, pl.Boolean).alias("receding"),
            pl.lit(None, pl.Float64).alias("velocity_7d"),
            pl.lit(None, pl.Float64).alias("remaining_demand_mean"),
            pl.lit(None, pl.Float64).alias("forecast_daily"),
        )
    # ledger: revenue and margin over the period
    comp = components_by_sku(store, today=today, days=days)
    money = (
        comp.filter(pl.col("sku_id").is_not_null())
        .group_by("sku_id")
        .agg(
            pl.col("amount_usd")
            .filter(pl.col("component") == "revenue")
            .sum()
            .alias("revenue_usd"),
            pl.col("amount_usd").sum().alias("margin_usd"),
        )
    )
    out = out.join(money, on="sku_id", how="left")
    # stock and days of cover
    stock = stock_on_hand(store)
    out = out.join(stock.select("sku_id", "on_hand"), on="sku_id", how="left")
    rate = pl.coalesce(pl.col("forecast_daily"), pl.col("velocity_7d"))
    out = out.with_columns(
        pl.when(pl.col("revenue_usd") > 0)
        .then(pl.col("margin_usd") / pl.col("revenue_usd"))
        .otherwise(None)
        .alias("margin_rate"),
        pl.when(rate > 1e-9)
        .then(pl.col("on_hand").fill_null(0.0) / rate)
        .otherwise(None)
        .alias("days_of_cover"),
    )
    # plan: chosen policy, risk, today's action
    plan_run = _latest_run_id(store, "plan", "plan_sku_results")
    if plan_run:
        res = store.table(
            "plan_sku_results",
            columns=[
                "sku_id",
                "policy",
                "stockout_prob",
                "dead_stock_value_usd",
                "expected_profit_usd",
                "gated_by_compliance",
                "held_back_by_budget",
            ],
            where={"run_id": plan_run, "chosen": True},
        ).rename({"policy": "chosen_policy"})
        acts = store.table(
            "plan_actions",
            columns=["sku_id", "kind", "quantity", "route_id", "total_cost_usd"],
            where={"run_id": plan_run},
        )
        routes = store.table("routes", columns=["route_id", "mode"])
        acts = (
            acts.join(routes, on="route_id", how="left")
            .sort(["sku_id", "kind"])
            .group_by("sku_id", maintain_order=True)
            .agg(
                pl.col("kind").first().alias("action_kind"),
                pl.col("quantity").sum().alias("action_qty"),
                pl.col("mode").first().alias("action_mode"),
                pl.col("total_cost_usd").sum().alias("action_cost_usd"),
            )
        )
        out = out.join(res, on="sku_id", how="left").join(acts, on="sku_id", how="left")
    else:
        out = out.with_columns(
            pl.lit(None, pl.String).alias("chosen_policy"),
            pl.lit(None, pl.Float64).alias("stockout_prob"),
            pl.lit(None, pl.Float64).alias("dead_stock_value_usd"),
            pl.lit(None, pl.Float64).alias("expected_profit_usd"),
            pl.lit(None, pl.Boolean).alias("gated_by_compliance"),
            pl.lit(None, pl.Boolean).alias("held_back_by_budget"),
            pl.lit(None, pl.String).alias("action_kind"),
            pl.lit(None, pl.Int64).alias("action_qty"),
            pl.lit(None, pl.String).alias("action_mode"),
            pl.lit(None, pl.Float64).alias("action_cost_usd"),
        )
    # comply: blocking findings per SKU
    blocked = comply_blocking(store)
    out = out.with_columns(pl.col("sku_id").is_in(list(blocked)).alias("blocked"))
    out = out.with_columns(
        pl.when(pl.col("stockout_prob").is_null())
        .then(None)
        .when(pl.col("stockout_prob") >= RISK_HIGH)
        .then(pl.lit("high"))
        .when(pl.col("stockout_prob") >= RISK_MEDIUM)
        .then(pl.lit("medium"))
        .otherwise(pl.lit("low"))
        .alias("risk")
    )
    result: pl.DataFrame = out.sort("sku_id")
    return result


def comply_findings(store: Store, *, sku_id: str | None = None) -> pl.DataFrame:
    """``comply_findings`` of the latest comply run (of one SKU with ``sku_id``; empty when
    there is none)."""
    run = _latest_run_id(store, "comply", "comply_findings")
    if run is None:
        return pl.DataFrame(
            schema={
                "finding_id": pl.Int64,
                "code": pl.String,
                "severity": pl.String,
                "kind": pl.String,
                "scope": pl.String,
                "source": pl.String,
                "sku_id": pl.String,
                "content_id": pl.String,
                "field": pl.String,
                "match_text": pl.String,
                "message": pl.String,
                "message_zh": pl.String,
                "fix": pl.String,
                "fix_zh": pl.String,
                "rule_source": pl.String,
            }
        )
    return queries.modules.run_findings(store, run, sku_id=sku_id)


def comply_blocking(store: Store) -> dict[str, list[str]]:
    """SKU → codes of its blocking compliance findings (latest comply run)."""
    f = comply_findings(store)
    f = f.filter((pl.col("severity") == "block") & pl.col("sku_id").is_not_null())
    out: dict[str, list[str]] = {}
    for sku, code in f.select("sku_id", "code").unique().sort("sku_id", "code").iter_rows():
        out.setdefault(str(sku), []).append(str(code))
    return out


def daily_units(store: Store, *, today: date, days: int = 365) -> pl.DataFrame:
    """(sku_id, date, units): units ordered per SKU and shop day (cancelled orders excluded)
    over the ``days`` days before ``today``."""
    tz = _shop_tz(store)
    lo = datetime.combine(today - timedelta(days=days + 1), datetime.min.time())
    hi = datetime.combine(today + timedelta(days=1), datetime.min.time())
    rows = queries.orders.units_created_between(store, lo, hi, exclude_status="CANCELLED")
    if rows.height == 0:
        return pl.DataFrame(schema={"sku_id": pl.String, "date": pl.Date, "units": pl.Int64})
    local = (
        pl.col("created_at")
        .cast(pl.Datetime("us"))
        .dt.replace_time_zone("UTC")
        .dt.convert_time_zone(tz)
        .dt.date()
    )
    return (
        rows.with_columns(local.alias("date"))
        .filter((pl.col("date") >= today - timedelta(days=days)) & (pl.col("date") < today))
        .group_by("sku_id", "date")
        .agg(pl.col("quantity").sum().cast(pl.Int64).alias("units"))
        .sort("sku_id", "date")
    )


def utc_start(day: date, tz: str) -> datetime:
    """Midnight of ``day`` in the shop's time zone, as naive UTC (how the store keeps time)."""
    local = datetime.combine(day, datetime.min.time(), tzinfo=ZoneInfo(tz))
    return local.astimezone(UTC).replace(tzinfo=None)


def _shop_tz(store: Store) -> str:
    shops = store.table("shops", columns=["market", "timezone"])
    us = shops.filter(pl.col("market") == "US")["timezone"].drop_nulls().to_list()
    anyz = shops["timezone"].drop_nulls().to_list()
    return str((us or anyz or ["America/Los_Angeles"])[0])


@dataclass
class SkuDetail:
    """Everything the SKU page shows (frames are small: one SKU)."""

    sku: dict[str, Any]
    history: pl.DataFrame  # date, units
    forecast: pl.DataFrame  # ds, mean, lo_50 … hi_95
    content: pl.DataFrame  # content_id, posted_on, kind, handle, title, views
    policies: pl.DataFrame  # plan_sku_results rows of the latest run
    actions: pl.DataFrame  # plan_actions of the latest run
    findings: pl.DataFrame  # comply findings about the SKU
    stock: dict[str, Any] = field(default_factory=dict)
    plan_run: dict[str, Any] | None = None


def sku_detail(
    store: Store,
    sku_id: str,
    *,
    today: date,
    history: pl.DataFrame | None = None,
    history_days: int = 180,
) -> SkuDetail:
    """The SKU page's data.  ``history`` may be the shop-wide :func:`daily_units` frame (the
    web layer caches it); otherwise it is queried for this SKU."""
    sku = store.table("skus", where={"sku_id": sku_id})
    if sku.height == 0:
        raise NotFound(f"unknown SKU {sku_id!r}")
    row = sku.row(0, named=True)
    start = today - timedelta(days=history_days)
    if history is None:
        history = daily_units(store, today=today, days=history_days)
    hist = history.filter((pl.col("sku_id") == sku_id) & (pl.col("date") >= start))
    days = pl.DataFrame({"date": pl.date_range(start, today - timedelta(days=1), eager=True)})
    hist = days.join(hist.select("date", "units"), on="date", how="left").with_columns(
        pl.col("units").fill_null(0)
    )
    sense_run = _latest_run_id(store, "sense", "forecasts")
    forecast = pl.DataFrame()
    if sense_run:
        forecast = store.table(
            "forecasts",
            columns=["ds", "mean", "lo_50", "hi_50", "lo_80", "hi_80", "lo_95", "hi_95"],
            where={"run_id": sense_run, "sku_id": sku_id},
            order_by=["ds"],
        )
        ph = store.table("sku_phases", where={"run_id": sense_run, "sku_id": sku_id})
        if ph.height:
            row["sense"] = ph.drop("run_id", "sku_id").row(0, named=True)
    links = store.table("content_skus", where={"sku_id": sku_id})
    content = pl.DataFrame()
    if links.height:
        ids = links["content_id"].to_list()
        content = store.table(
            "content",
            columns=["content_id", "kind", "creator_id", "posted_at", "title", "market"],
            where={"content_id": ids},
        )
        views = queries.content.views_by_content(store, ids)
        handles = store.table("creators", columns=["creator_id", "handle"])
        content = (
            content.join(views, on="content_id", how="left")
            .join(handles, on="creator_id", how="left")
            .with_columns(
                pl.col("posted_at")
                .cast(pl.Datetime("us"))
                .dt.replace_time_zone("UTC")
                .dt.convert_time_zone(_shop_tz(store))
                .dt.date()
                .alias("posted_on")
            )
            .drop("posted_at")
            .sort("posted_on")
        )
    plan_run = latest_run(store, "plan") if has(store, "plan_sku_results") else None
    policies = actions = pl.DataFrame()
    if plan_run:
        policies = store.table(
            "plan_sku_results", where={"run_id": plan_run["run_id"], "sku_id": sku_id}
        ).drop("run_id")
        order = {p: i for i, p in enumerate(POLICIES)}
        if policies.height:
            policies = (
                policies.with_columns(
                    pl.col("policy")
                    .replace_strict(order, default=99, return_dtype=pl.Int64)
                    .alias("_o")
                )
                .sort("_o")
                .drop("_o")
            )
        actions = store.table(
            "plan_actions", where={"run_id": plan_run["run_id"], "sku_id": sku_id}
        ).drop("run_id")
    findings = comply_findings(store, sku_id=sku_id)
    stock = stock_on_hand(store, [sku_id])
    stock_row = (
        stock.row(0, named=True) if stock.height else {"on_hand": 0.0, "snapshot_date": None}
    )
    in_transit = _in_transit(store, sku_id)
    return SkuDetail(
        sku=row,
        history=hist,
        forecast=forecast,
        content=content,
        policies=policies,
        actions=actions,
        findings=findings,
        stock={**stock_row, "in_transit": in_transit},
        plan_run=_run_public(plan_run),
    )


def _in_transit(store: Store, sku_id: str) -> list[dict[str, Any]]:
    """Lots of the SKU on the water or in the air: shipment, route, units, expected arrival."""
    return queries.inventory.open_shipment_lines(store, sku_id).to_dicts()


# ---------------------------------------------------------------------------------------------
# plan


def backtest_overview(store: Store) -> dict[str, Any]:
    """The newest saved backtest (``quickturn backtest`` or the demo): its summary per
    policy and the shop-level daily traces (``services.backtest.saved_payload``)."""
    run = latest_run(store, "backtest")
    if run is None:
        return {"run": None}
    summary = run["summary"] if isinstance(run["summary"], dict) else {}
    return {"run": _run_public(run), **summary}


def plan_overview(store: Store) -> dict[str, Any]:
    """The latest plan run: today's actions (with SKU titles and route modes), the policy
    families compared over the SKUs where each applies, and the run's summary."""
    if not has(store, "plan_sku_results", "plan_actions"):
        return {"run": None}
    run = latest_run(store, "plan")
    if run is None:
        return {"run": None}
    rid = run["run_id"]
    acts = store.table("plan_actions", where={"run_id": rid}).drop("run_id")
    titles = store.table("skus", columns=["sku_id", "title"])
    routes = store.table("routes", columns=["route_id", "mode"])
    kind_order = {"purchase_order": 0, "transfer": 1, "pod": 2}
    acts = (
        acts.join(titles, on="sku_id", how="left")
        .join(routes, on="route_id", how="left")
        .with_columns(
            pl.col("kind").replace_strict(kind_order, default=9, return_dtype=pl.Int64).alias("_k")
        )
        .sort(["_k", "total_cost_usd", "quantity"], descending=[False, True, True], nulls_last=True)
        .drop("_k")
    )
    res = store.table(
        "plan_sku_results",
        columns=[
            "sku_id",
            "policy",
            "chosen",
            "expected_profit_usd",
            "profit_p05_usd",
            "cvar_usd",
            "stockout_prob",
            "dead_stock_value_usd",
            "peak_cash_usd",
            "fill_rate",
            "order_qty",
        ],
        where={"run_id": rid},
    )
    comparison = (
        res.group_by("policy")
        .agg(
            pl.len().alias("skus"),
            pl.col("chosen").sum().alias("chosen"),
            pl.col("expected_profit_usd").sum(),
            pl.col("profit_p05_usd").sum(),
            pl.col("dead_stock_value_usd").sum(),
            pl.col("peak_cash_usd").sum(),
            pl.col("stockout_prob").mean().alias("mean_stockout_prob"),
            pl.col("fill_rate").mean().alias("mean_fill_rate"),
        )
        .with_columns(pl.col("chosen").cast(pl.Int64), pl.col("skus").cast(pl.Int64))
    )
    # the same SKUs under each family: those where every family applies (a fair comparison)
    n_fam = res["policy"].n_unique()
    common = res.group_by("sku_id").agg(pl.len().alias("n")).filter(pl.col("n") == n_fam)["sku_id"]
    chosen = res.filter(pl.col("chosen")).select(
        pl.lit("chosen").alias("policy"),
        pl.col("expected_profit_usd").sum(),
        pl.col("dead_stock_value_usd").sum(),
        pl.col("peak_cash_usd").sum(),
        pl.col("stockout_prob").mean().alias("mean_stockout_prob"),
    )
    order = {p: i for i, p in enumerate(POLICIES)}
    comparison = (
        comparison.with_columns(
            pl.col("policy").replace_strict(order, default=99, return_dtype=pl.Int64).alias("_o")
        )
        .sort("_o")
        .drop("_o")
    )
    return {
        "run": _run_public(run),
        "params": run["params"],
        "summary": run["summary"],
        "actions": acts,
        "comparison": comparison,
        "chosen_total": chosen.row(0, named=True) if chosen.height else {},
        "common_skus": common.len(),
    }


def purchase_order_spend(actions: pl.DataFrame) -> pl.DataFrame:
    """(date, amount_usd) cash paid for today's purchase orders, by order date."""
    if actions.height == 0 or "total_cost_usd" not in actions.columns:
        return pl.DataFrame(schema={"date": pl.Date, "amount_usd": pl.Float64})
    return (
        actions.filter(pl.col("kind") == "purchase_order")
        .group_by(pl.col("order_date").alias("date"))
        .agg(pl.col("total_cost_usd").sum().alias("amount_usd"))
        .sort("date")
    )


def export_purchase_orders_csv(store: Store, path: Any) -> dict[str, Any]:
    """Write the latest plan run's purchase orders as the supplier CSV (the plan module's
    exporter, so the web download and ``quickturn plan export`` are the same file)."""
    if not has(store, "plan_actions") or latest_run(store, "plan") is None:
        raise NotFound("no plan run in this database yet: run `quickturn plan` first")
    from quickturn.services import plan as plan_service

    result: dict[str, Any] = plan_service.export_purchase_orders(store, path)
    return result


# ---------------------------------------------------------------------------------------------
# health


def health(store: Store, *, today: date, settings: Settings | None = None) -> dict[str, Any]:
    """Rolling metrics vs thresholds, the weekly trend and the findings.

    Uses the latest stored health run when there is one (what ``quickturn health`` saw),
    else computes the metrics afresh (nothing is written)."""
    from quickturn.services import health as health_service

    run = latest_run(store, "health", kind="main") if has(store, "health_metrics") else None
    computed = health_service.metrics(
        store, today=run["as_of"] if run else today, weeks=26, settings=settings
    )
    rep = computed.report
    rolling = rep.rolling
    weekly = rep.weekly
    projection: dict[str, Any] | None = None
    proj_run = (
        latest_run(store, "health", kind="project") if has(store, "health_projections") else None
    )
    if proj_run:
        projection = {
            "run": _run_public(proj_run),
            "metrics": store.table("health_projections", where={"run_id": proj_run["run_id"]}),
            "scores": (proj_run["summary"] or {}).get("scores", {}),
        }
    return {
        "today": rep.today,
        "rolling": rolling,
        "weekly": weekly,
        "score": rep.score,
        "findings": rep.findings,
        "counts": rep.counts,
        "run": _run_public(run),
        "projection": projection,
    }


# ---------------------------------------------------------------------------------------------
# findings and compliance


def open_findings(
    store: Store, *, health_findings: list[Finding] | None = None
) -> list[dict[str, Any]]:
    """Counts of open findings by module and severity: the latest comply run, the health
    findings given, and the latest ledger and plan runs' findings."""
    out: list[dict[str, Any]] = []
    cf = comply_findings(store)
    if cf.height:
        for sev, code, n in (
            cf.group_by("severity", "code")
            .agg(pl.len().alias("n"))
            .sort("n", descending=True)
            .iter_rows()
        ):
            out.append({"module": "comply", "severity": sev, "code": code, "count": int(n)})
    for f in health_findings or []:
        if f.severity == "info":
            continue
        out.append(
            {
                "module": "health",
                "severity": f.severity,
                "code": f.code,
                "count": 1,
                "message": f.message,
                "message_zh": f.message_zh,
            }
        )
    ledger_run = latest_run(store, "ledger", kind="main")
    if ledger_run:
        for code, sev in (ledger_run["summary"].get("findings") or {}).items():
            if sev != "info":
                out.append(
                    {
                        "module": "ledger",
                        "severity": normalise_severity(str(sev)),
                        "code": code,
                        "count": 1,
                    }
                )
    rank = {"block": 0, "error": 0, "warn": 1, "info": 2}
    out.sort(key=lambda r: (rank.get(str(r["severity"]), 3), -int(r["count"])))
    return out


def check_text(
    text: str, *, settings: Settings | None = None, store: Store | None = None
) -> list[Finding]:
    """Compliance findings for a draft script, caption or listing text (the comply module's
    text rules; with a store, also the templated-content comparison)."""
    from quickturn.services import comply as comply_service

    if not text.strip():
        return []
    result = comply_service.check_texts([text], settings=settings, store=store)
    findings: list[Finding] = result.findings
    return findings


# ---------------------------------------------------------------------------------------------
# inventory projection of one SKU (the plan's simulator replayed)

#: scenarios and quantiles of the projection bands
PROJECTION_SCENARIOS = 100
BAND_QUANTILES = (0.1, 0.5, 0.9)


def unit_economics_from_journal(
    store: Store, sku_ids: list[str], *, today: date, days: int
) -> pl.DataFrame:
    """Per SKU and unit sold over the ``days`` before ``today`` — price, landed cost and
    variable cost in USD — read from the ledger journal (``ledger_postings``): the plan's own
    definition (``services.economics.unit_economics_from_journal``, sample orders excluded,
    units of the order lines the ledger posted).  SKUs without sales in the window are
    absent."""
    if not sku_ids or not ledger_ready(store):
        return pl.DataFrame(schema=JOURNAL_ECONOMICS_SCHEMA)
    out = economics_service.unit_economics_from_journal(
        store, today=today, days=days, sku_ids=sku_ids
    )
    return out if out is not None else pl.DataFrame(schema=JOURNAL_ECONOMICS_SCHEMA)


def plan_simulator_available() -> bool:
    """True: the plan module is part of every build (the projection replays its simulator).
    Kept for the SKU page's template flag."""
    return True


def _projection_settings(store: Store, settings: Settings | None, scenarios: int) -> Any:
    """The plan settings of the latest plan run (seed, horizon), with ``scenarios`` paths."""
    from quickturn.core.plan.settings import plan_settings

    run = latest_run(store, "plan")
    run_params = run["params"] if run and isinstance(run["params"], dict) else {}
    section = dict(settings.section("plan")) if settings is not None else {}
    return plan_settings(
        section,
        scenarios=scenarios,
        search_scenarios=min(scenarios, int(section.get("search_scenarios") or scenarios)),
        seed=run_params.get("seed"),
        horizon_days=run_params.get("horizon_days"),
    )


def projection_scenarios(
    store: Store,
    *,
    today: date,
    settings: Settings | None = None,
    scenarios: int = PROJECTION_SCENARIOS,
) -> SamplePaths | None:
    """The whole shop's demand scenarios for the inventory projection, computed once.

    Sense always learns from every SKU of the shop, so one SKU's scenarios cost as much as
    all of them; the web computes them once per database change (in its background warmer)
    and :func:`inventory_projection` slices its SKU's row.  Stored as float32 (whole units of
    demand are exact in float32) to halve the memory.  ``None`` when there is no plan run.
    """
    if not has(store, "plan_sku_results") or latest_run(store, "plan") is None:
        return None
    from quickturn.services import sense as sense_service

    ps = _projection_settings(store, settings, scenarios)
    out = sense_service.demand_scenarios(
        store, today=today, h=ps.horizon_days, n_paths=ps.scenarios, seed=ps.seed
    )
    return SamplePaths(out.paths.astype(np.float32), out.sku_ids, out.start, out.phase)


def inventory_projection(
    store: Store,
    sku_id: str,
    *,
    today: date,
    settings: Settings | None = None,
    scenarios: int = PROJECTION_SCENARIOS,
    paths: SamplePaths | None = None,
) -> dict[str, Any]:
    """Units on hand per day under each policy family for one SKU: the 10th, 50th and 90th
    percentile and the mean over demand scenarios, for the chosen policy and the alternatives.

    How: the plan's own inputs for this SKU are assembled as the plan does (sense demand
    scenarios, stock, lots in transit, routes with lead times fitted to past shipments, FX;
    unit economics from the ledger journal by the plan's own function), every family is
    optimised with the plan's engine, and the plan's simulator is replayed once with one
    demand scenario per row (no cash budget), returning its daily trace of units on hand
    (``simulate(..., trace=True)``).
    """
    if not has(store, "plan_sku_results") or latest_run(store, "plan") is None:
        raise NotFound("no plan run in this database yet: run `quickturn plan` first")
    from quickturn.core.plan import simulate as sim
    from quickturn.services import plan as plan_service
    from quickturn.services import sense as sense_service
    from quickturn.services.plan_inputs import assemble_plan_inputs

    if store.table("skus", columns=["sku_id"], where={"sku_id": sku_id}).height == 0:
        raise NotFound(f"unknown SKU {sku_id!r}")
    ps = _projection_settings(store, settings, scenarios)
    h = ps.horizon_days
    if (
        paths is not None
        and sku_id in paths.sku_ids
        and paths.paths.shape[1:]
        == (
            ps.scenarios,
            h,
        )
    ):
        # the shop's scenarios computed once (:func:`projection_scenarios`): a SKU's paths do
        # not depend on which SKUs were asked for, so its row is exactly what sense gives it
        i = paths.sku_ids.index(sku_id)
        paths = SamplePaths(paths.paths[i : i + 1], [sku_id], paths.start, [paths.phase[i]])
    else:
        paths = sense_service.demand_scenarios(
            store, today=today, h=h, n_paths=ps.scenarios, seed=ps.seed, sku_ids=[sku_id]
        )
    economics = unit_economics_from_journal(store, [sku_id], today=today, days=ps.economics_days)
    # the plan's own assembly (services.plan_inputs, as services.plan.prepare calls it): lead
    # times fitted to past shipments, stock, lots in transit, FX, landed-cost parts with the
    # ledger's tariffs; the page replays the plan's inputs, not the routes table's nominal days
    assembled = assemble_plan_inputs(
        store,
        today=today,
        settings=ps,
        skus=store.table("skus", where={"sku_id": sku_id}),
        demand=np.asarray(paths.paths, dtype=np.float64),
        demand_sku_ids=list(paths.sku_ids),
        phase=list(paths.phase),
        economics=economics if economics.height else None,
        app_settings=settings,
        only_skus=[sku_id],
    )
    inputs, context, findings = assembled.inputs, assembled.context, assembled.findings
    if inputs.n_skus == 0:
        why = "; ".join(f.message for f in findings) or "it is not planned"
        return {"start": today, "days": h, "scenarios": 0, "policies": [], "note": why}
    blocked = {}
    try:
        from quickturn.services import comply as comply_service

        blocked = comply_service.blocked_skus(store, today=today, settings=settings)
    except Exception:  # compliance gating is optional here, as in the plan
        blocked = {}
    prepared = plan_service.Prepared(inputs, context, findings, blocked, {})
    outcome = plan_service.plan_outcome(prepared, ps)
    fams = list(outcome.families)
    fam_params = np.asarray(outcome.family_params[0], dtype=np.float64)  # (F, N_PARAMS)
    active = fam_params[:, sim.P_ACTIVE] > 0.5
    chosen_name = outcome.chosen_family(0)
    # one scenario per row: (m, 1, h); independent random streams per row
    m = inputs.n_scenarios
    eco = np.repeat(inputs.economics, m, axis=0)
    eco[:, sim.E_CASH] = np.inf
    rows = sim.PlanInputs(
        demand=np.ascontiguousarray(inputs.demand[0][:, None, :]),
        economics=eco,
        routes=np.repeat(inputs.routes, m, axis=0),
        pipeline_qty=np.repeat(inputs.pipeline_qty, m, axis=0),
        pipeline_eta=np.repeat(inputs.pipeline_eta, m, axis=0),
        pipeline_sd=np.repeat(inputs.pipeline_sd, m, axis=0),
        sku_key=np.array(
            [(int(inputs.sku_key[0]) * 1_000_003 + s) % (2**62) for s in range(m)], dtype=np.int64
        ),
        sku_ids=tuple(f"{sku_id}#{s}" for s in range(m)),
        forecast=np.repeat(inputs.mean_forecast(), m, axis=0),
    )
    params = np.repeat(fam_params[None, :, :], m, axis=0)
    # one run with the simulator's daily trace: units on hand at the end of each day
    trace = sim.simulate(rows, params, plan_service.sim_config(ps), trace=True).on_hand
    assert trace is not None  # (m, F, 1, h)
    on_hand = np.maximum(np.nan_to_num(trace[:, :, 0, :]).transpose(2, 0, 1), 0.0)  # (h, m, F)
    bands = []
    for k, name in enumerate(fams):
        if not active[k]:
            continue
        q = np.quantile(on_hand[:, :, k], BAND_QUANTILES, axis=1)  # (3, h)
        bands.append(
            {
                "policy": name,
                "chosen": name == chosen_name,
                "p10": [round(float(v), 2) for v in q[0]],
                "p50": [round(float(v), 2) for v in q[1]],
                "p90": [round(float(v), 2) for v in q[2]],
                "mean": [round(float(v), 2) for v in on_hand[:, :, k].mean(axis=1)],
            }
        )
    bands.sort(key=lambda b: (not b["chosen"], POLICIES.index(b["policy"])))
    return {"start": today, "days": h, "scenarios": m, "policies": bands, "note": None}
