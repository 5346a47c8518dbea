"""ledger: the read models of the dashboard and the report over the persisted journal
(``ledger_postings``) and cash runs (``ledger_cash``): the margin waterfall, the KPIs, the
roll-ups by dimension and their drill-down to order lines and postings, profit per video and
creator, the cash timeline and the journal's unit economics.  Nothing here writes."""

from __future__ import annotations

import math
from datetime import date, timedelta
from typing import Any

import polars as pl

from quickturn.core.ledger.accounts import GROUPS
from quickturn.core.ledger.economics import JOURNAL_ECONOMICS_SCHEMA
from quickturn.errors import UsageError
from quickturn.services import economics as economics_service
from quickturn.services.readbase import has, latest_run, run_public, shop_tz, utc_start
from quickturn.store import Store, queries

#: waterfall order of the ledger components (the margin is their sum): the chart of
#: accounts' groups
COMPONENTS: tuple[str, ...] = GROUPS

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


def _f(v: Any) -> float | None:
    """A float (Decimal, int) or None; NaN becomes None."""
    if v is None:
        return None
    x = float(v)
    return None if math.isnan(x) else x


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
    tz = shop_tz(store)
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
    return {"run": run_public(run), "daily": daily, "summary": summary}


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
