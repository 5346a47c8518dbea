"""sense: the SKU read models of the dashboard and the report: sellable stock, units ordered
per day, the SKU list (identity, phase and forecast from sense, margin from the ledger, stock
and days of cover, risk and today's action from the plan, compliance blocks) and the SKU page
(history, forecast bands, content, policies, stock and lots in transit).  Nothing here writes.

A SKU row joins every module's output; the ledger's and comply's parts come from their own
read modules (``ledger.read.components_by_sku``, ``comply.read``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import polars as pl

from quickturn.services.comply.read import comply_blocking, comply_findings
from quickturn.services.ledger.read import components_by_sku
from quickturn.services.readbase import (
    POLICIES,
    NotFound,
    has,
    latest_run,
    run_public,
    shop_tz,
    stored_run_id,
)
from quickturn.store import Store, queries

#: location kinds whose stock can serve a US buyer within days
SELLABLE_KINDS: tuple[str, ...] = ("us_3pl", "fbt", "platform_warehouse")

#: stock-out probability from which a SKU's risk is "high" / "medium"
RISK_HIGH = 0.5
RISK_MEDIUM = 0.2


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
    sense_run = stored_run_id(store, "sense", "sku_phases")
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
    plan_run = stored_run_id(store, "plan", "plan_sku_results")
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


def daily_units(store: Store, *, today: date, days: int = 365) -> pl.DataFrame:
    """(sku_id, date, units): units ordered per SKU and shop day (cancelled orders excluded)
    over the ``days`` days before ``today``."""
    tz = shop_tz(store)
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
    sense_run = stored_run_id(store, "sense", "forecasts")
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
                .dt.convert_time_zone(shop_tz(store))
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
        plan_run=run_public(plan_run),
    )


def _in_transit(store: Store, sku_id: str) -> list[dict[str, Any]]:
    """Lots of the SKU on the water or in the air: shipment, route, units, expected arrival."""
    return queries.inventory.open_shipment_lines(store, sku_id).to_dicts()
