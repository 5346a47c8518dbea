"""The six platform metrics, their rolling windows, the weekly trend and the offending orders.

Data flow (all vectorised Polars, no loops over orders)::

    orders, reviews, returns (naive-UTC frames)
      → prepare_orders      keep what was known before the as-of instant
      → order_facts         one row per order: local days, SLA deadlines (the order's own
                            when present, else recomputed from the reference rules),
                            eligibility and "bad" flag per metric
      → metric_events       long frame (metric, order_id, day, bad): each order once per
                            metric it counts in, on the day that places it in a window
      → rolling_metrics     value per metric over its window (30 / 60 days) vs threshold
      → weekly_metrics      the same per Monday-start week
      → offenders           the orders that made a metric worse, with the evidence

Definitions (shared/reference/tiktok-shop-us.md §1; choices in docs/health.md):

* late dispatch rate — dispatched orders (first carrier scan ``shipped_at``) whose scan came
  after the dispatch deadline ÷ dispatched orders; placed by the scan's local day.
* valid tracking rate — shipped packages with valid tracking and carrier scans ÷ shipped
  packages; placed by the shipping day.
* seller-fault cancellation rate — confirmed orders cancelled for seller fault (stock-outs,
  price errors, missed-SLA auto-cancels) ÷ confirmed orders; placed by the order's day.
* on-time delivery rate — orders delivered by their deliver-by deadline ÷ orders due;
  placed by the deadline's day (undelivered orders past due count as late).
* negative review rate — delivered orders whose first review is 1–2★ ÷ delivered orders;
  placed by the delivery day.
* non-buyer-fault return/refund rate — delivered orders with a return or refund for seller
  or logistics fault ÷ delivered orders; placed by the delivery day.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import polars as pl

from quickturn.core.health.calendar import (
    add_business_days,
    business_start,
    deadline_at,
    holiday_list,
    local_date,
    week_start,
)
from quickturn.core.health.params import DIRECTION, METRICS, HealthParams

ORDER_COLUMNS: dict[str, pl.DataType] = {
    "order_id": pl.String(),
    "shop_id": pl.String(),
    "market": pl.String(),
    "status": pl.String(),
    "order_type": pl.String(),
    "created_at": pl.Datetime("us"),
    "paid_at": pl.Datetime("us"),
    "rts_at": pl.Datetime("us"),
    "shipped_at": pl.Datetime("us"),
    "delivered_at": pl.Datetime("us"),
    "cancelled_at": pl.Datetime("us"),
    "rts_sla_at": pl.Datetime("us"),
    "shipping_due_at": pl.Datetime("us"),
    "delivery_sla_at": pl.Datetime("us"),
    "fulfillment_type": pl.String(),
    "tracking_id": pl.String(),
    "tracking_valid": pl.Boolean(),
    "is_sample_order": pl.Boolean(),
    "cancel_initiator": pl.String(),
    "cancel_reason": pl.String(),
    "cancel_fault": pl.String(),
}
REVIEW_COLUMNS: dict[str, pl.DataType] = {
    "order_id": pl.String(),
    "rating": pl.Int64(),
    "created_at": pl.Datetime("us"),
}
RETURN_COLUMNS: dict[str, pl.DataType] = {
    "return_id": pl.String(),
    "order_id": pl.String(),
    "return_type": pl.String(),
    "reason": pl.String(),
    "fault": pl.String(),
    "status": pl.String(),
    "requested_at": pl.Datetime("us"),
}
#: timestamps that record events (nulled when after the as-of instant)
EVENT_COLUMNS = ("paid_at", "rts_at", "shipped_at", "delivered_at", "cancelled_at")

METRIC_FLAGS: dict[str, tuple[str, str]] = {
    "late_dispatch_rate": ("ldr_eligible", "ldr_bad"),
    "valid_tracking_rate": ("vtr_eligible", "vtr_bad"),
    "seller_fault_cancellation_rate": ("sfcr_eligible", "sfcr_bad"),
    "on_time_delivery_rate": ("otdr_eligible", "otdr_bad"),
    "negative_review_rate": ("nrr_eligible", "nrr_bad"),
    "non_buyer_fault_return_rate": ("rr_eligible", "rr_bad"),
}
METRIC_DAY: dict[str, str] = {
    "late_dispatch_rate": "shipped_day",
    "valid_tracking_rate": "shipped_day",
    "seller_fault_cancellation_rate": "created_day",
    "on_time_delivery_rate": "due_day",
    "negative_review_rate": "delivered_day",
    "non_buyer_fault_return_rate": "delivered_day",
}


def conform(frame: pl.DataFrame | None, columns: dict[str, pl.DataType]) -> pl.DataFrame:
    """Select ``columns`` (adding missing ones as nulls) with the expected dtypes."""
    if frame is None:
        return pl.DataFrame(schema=columns)
    exprs = []
    for name, dtype in columns.items():
        if name in frame.columns:
            exprs.append(pl.col(name).cast(dtype))
        else:
            exprs.append(pl.lit(None, dtype=dtype).alias(name))
    return frame.select(exprs)


def as_of_instant(today: date, params: HealthParams) -> datetime:
    """Naive-UTC instant of local midnight starting ``today``: what is known at the run."""
    frame = pl.DataFrame({"d": [today]}).select(
        pl.col("d")
        .cast(pl.Datetime("us"))
        .dt.replace_time_zone(params.timezone, ambiguous="earliest", non_existent="null")
        .dt.convert_time_zone("UTC")
        .dt.replace_time_zone(None)
    )
    value = frame.item()
    assert isinstance(value, datetime)
    return value


def prepare_orders(
    orders: pl.DataFrame, known_before: datetime, markets: tuple[str, ...] = ()
) -> pl.DataFrame:
    """Orders created before ``known_before`` (in ``markets``; an empty market is US) with
    later event timestamps blanked."""
    o = conform(orders, ORDER_COLUMNS).filter(pl.col("created_at") < known_before)
    if markets:
        o = o.filter(pl.col("market").fill_null("US").str.to_uppercase().is_in(list(markets)))
    return o.with_columns(
        [
            pl.when(pl.col(c) < known_before).then(pl.col(c)).otherwise(None).alias(c)
            for c in EVENT_COLUMNS
        ]
        + [
            # a cancellation not yet known leaves the order in its earlier state
            pl.when(pl.col("cancelled_at").is_null() & pl.col("status").eq("CANCELLED"))
            .then(pl.lit(None, dtype=pl.String()))
            .otherwise(pl.col("status"))
            .alias("status_known")
        ]
    )


def _holidays(orders: pl.DataFrame, params: HealthParams, today: date) -> list[date]:
    years = orders.select(
        pl.col("created_at").dt.year().min().alias("lo"),
        pl.col("created_at").dt.year().max().alias("hi"),
    ).row(0)
    lo = int(years[0]) if years[0] is not None else today.year
    hi = int(years[1]) if years[1] is not None else today.year
    # deadlines run up to a few weeks past the last order
    return holiday_list(min(lo, today.year) - 1, max(hi, today.year) + 1, params.extra_holidays)


def _rule_days(params: HealthParams, part: str) -> pl.Expr:
    """Business days for ``part`` (dispatch, auto_cancel, deliver) by order type."""
    expr: pl.Expr = pl.lit(None, dtype=pl.Int64())
    for otype, rule in params.sla_days.items():
        n = rule.get(part)
        if n is not None:
            expr = pl.when(pl.col("order_type_norm") == otype).then(pl.lit(n)).otherwise(expr)
    return expr


def order_facts(
    orders: pl.DataFrame,
    reviews: pl.DataFrame | None,
    returns: pl.DataFrame | None,
    params: HealthParams,
    today: date,
) -> pl.DataFrame:
    """One row per order with its local days, deadlines and per-metric flags (see module doc)."""
    known = as_of_instant(today, params)
    o = prepare_orders(orders, known, params.markets)
    tz, cut = params.timezone, params.cutoff
    hol = _holidays(o, params, today)

    start = pl.col("created_at")
    if params.sla_clock == "paid":
        start = pl.coalesce(pl.col("paid_at"), pl.col("created_at"))
    o = o.with_columns(
        order_type_norm=pl.col("order_type").fill_null("regular"),
        is_fbt=pl.col("fulfillment_type").eq("FULFILLMENT_BY_TIKTOK").fill_null(False),
        is_sample=pl.col("is_sample_order").fill_null(False),
        sla_day=business_start(start, tz, cut, hol),
        created_day=local_date(pl.col("created_at"), tz),
    )
    o = o.with_columns(
        rule_dispatch_at=deadline_at(
            add_business_days(pl.col("sla_day"), _rule_days(params, "dispatch"), hol), tz, cut
        ),
        rule_auto_cancel_at=deadline_at(
            add_business_days(pl.col("sla_day"), _rule_days(params, "auto_cancel"), hol), tz, cut
        ),
        rule_delivery_at=deadline_at(
            add_business_days(pl.col("sla_day"), _rule_days(params, "deliver"), hol), tz, cut
        ),
    )
    own_dispatch = [pl.col(c) for c in params.dispatch_deadline_columns]
    own_dispatch_any = (
        pl.coalesce(own_dispatch) if own_dispatch else pl.lit(None, dtype=pl.Datetime("us"))
    )
    o = o.with_columns(
        dispatch_deadline_at=pl.coalesce(own_dispatch_any, pl.col("rule_dispatch_at")),
        dispatch_deadline_source=pl.when(own_dispatch_any.is_not_null())
        .then(pl.lit("order"))
        .when(pl.col("rule_dispatch_at").is_not_null())
        .then(pl.lit("rule")),
        delivery_deadline_at=pl.coalesce(pl.col("delivery_sla_at"), pl.col("rule_delivery_at")),
        delivery_deadline_source=pl.when(pl.col("delivery_sla_at").is_not_null())
        .then(pl.lit("order"))
        .when(pl.col("rule_delivery_at").is_not_null())
        .then(pl.lit("rule")),
        delivered_day=local_date(pl.col("delivered_at"), tz),
        cancelled=pl.col("cancelled_at").is_not_null() | pl.col("status_known").eq("CANCELLED"),
    )
    o = o.with_columns(due_day=local_date(pl.col("delivery_deadline_at"), tz))

    fault = pl.col("cancel_fault").str.to_lowercase()
    initiator = pl.col("cancel_initiator").str.to_uppercase()
    missed_sla = (
        initiator.eq("SYSTEM")
        & pl.col("shipped_at").is_null()
        & (pl.col("cancelled_at") > pl.col("rule_auto_cancel_at"))
    ).fill_null(False)
    seller_fault = pl.col("cancelled") & pl.when(fault.is_not_null()).then(
        fault.eq("seller")
    ).otherwise(initiator.eq("SELLER").fill_null(False) | missed_sla)
    o = o.with_columns(sfcr_bad=seller_fault.fill_null(False))
    confirmed = (
        pl.col("paid_at").is_not_null()
        | ~pl.col("status_known").is_in(["UNPAID", "CANCELLED"]).fill_null(True)
        | pl.col("sfcr_bad")
    )

    def keep(metric: str) -> pl.Expr:
        out = pl.lit(True)
        if metric in params.fbt_exempt:
            out = out & ~pl.col("is_fbt")
        if metric in params.samples_excluded:
            out = out & ~pl.col("is_sample")
        return out

    shipped_statuses = ["IN_TRANSIT", "DELIVERED", "COMPLETED"]
    package_shipped = pl.col("shipped_at").is_not_null() | (
        pl.col("status_known").is_in(shipped_statuses).fill_null(False)
        | pl.col("delivered_at").is_not_null()
    )
    ship_ts = pl.coalesce(pl.col("shipped_at"), pl.col("rts_at"), pl.col("delivered_at"))
    valid = pl.coalesce(
        pl.col("tracking_valid"),
        pl.col("tracking_id").str.strip_chars().str.len_chars().gt(0)
        & pl.col("shipped_at").is_not_null(),
    ).fill_null(False)

    o = o.with_columns(
        ldr_eligible=pl.col("shipped_at").is_not_null()
        & pl.col("dispatch_deadline_at").is_not_null()
        & keep("late_dispatch_rate"),
        ldr_bad=(pl.col("shipped_at") > pl.col("dispatch_deadline_at")).fill_null(False),
        vtr_eligible=package_shipped & keep("valid_tracking_rate"),
        vtr_bad=~valid,
        shipped_day=local_date(ship_ts, tz),
        sfcr_eligible=confirmed & keep("seller_fault_cancellation_rate"),
        otdr_eligible=pl.col("delivery_deadline_at").is_not_null()
        & (pl.col("delivery_deadline_at") < known)
        & confirmed
        & ~(pl.col("cancelled") & pl.col("delivered_at").is_null())
        & keep("on_time_delivery_rate"),
        otdr_bad=~(pl.col("delivered_at") <= pl.col("delivery_deadline_at")).fill_null(False),
        nrr_eligible=pl.col("delivered_at").is_not_null() & keep("negative_review_rate"),
        rr_eligible=pl.col("delivered_at").is_not_null() & keep("non_buyer_fault_return_rate"),
    )

    # first review per order (known before the run)
    rv = conform(reviews, REVIEW_COLUMNS).filter(pl.col("created_at") < known)
    first = (
        rv.sort("created_at", "rating")
        .group_by("order_id", maintain_order=True)
        .agg(
            first_review_rating=pl.col("rating").first(),
            first_review_at=pl.col("created_at").first(),
        )
    )
    # qualifying non-buyer-fault returns per order
    rt = conform(returns, RETURN_COLUMNS).filter(
        (pl.col("requested_at") < known)
        & pl.col("fault").fill_null("unknown").is_in(list(params.return_faults))
        & ~pl.col("status").fill_null("completed").eq("rejected")
        & ~pl.col("return_type").fill_null("").eq("cancellation_refund")
    )
    ret = (
        rt.sort("requested_at")
        .group_by("order_id", maintain_order=True)
        .agg(
            return_id=pl.col("return_id").first(),
            return_fault=pl.col("fault").first(),
            return_reason=pl.col("reason").first(),
            return_requested_at=pl.col("requested_at").first(),
        )
    )
    o = o.join(first, on="order_id", how="left").join(ret, on="order_id", how="left")
    o = o.with_columns(
        nrr_bad=pl.col("first_review_rating").le(2).fill_null(False),
        rr_bad=pl.col("return_id").is_not_null(),
    )
    # days late (ceil, like Olist's delivered date − estimated date)
    day_us = 86_400_000_000
    o = o.with_columns(
        dispatch_late_days=_ceil_days(
            pl.col("shipped_at") - pl.col("dispatch_deadline_at"), day_us
        ),
        delivery_late_days=_ceil_days(
            pl.col("delivered_at") - pl.col("delivery_deadline_at"), day_us
        ),
    )
    return o


def _ceil_days(delta: pl.Expr, day_us: int) -> pl.Expr:
    us = delta.dt.total_microseconds()
    return pl.when(us > 0).then((us + day_us - 1) // day_us).otherwise(0).cast(pl.Int64)


def metric_events(facts: pl.DataFrame) -> pl.DataFrame:
    """Long frame ``metric, order_id, day, bad``: one row per order and metric it counts in."""
    parts = []
    for metric in METRICS:
        eligible, bad = METRIC_FLAGS[metric]
        parts.append(
            facts.filter(pl.col(eligible) & pl.col(METRIC_DAY[metric]).is_not_null()).select(
                pl.lit(metric).alias("metric"),
                pl.col("order_id"),
                pl.col(METRIC_DAY[metric]).alias("day"),
                pl.col(bad).alias("bad"),
            )
        )
    return pl.concat(parts, how="vertical")


def evaluate(
    frame: pl.DataFrame,
    params: HealthParams,
    *,
    offending: str = "offending",
    total: str = "denominator",
) -> pl.DataFrame:
    """Add ``value``, ``threshold``, ``direction`` and ``status`` (ok, near, breach, no_data)."""
    thr = pl.col("metric").replace_strict(dict(params.thresholds), return_dtype=pl.Float64)
    direction = pl.col("metric").replace_strict(DIRECTION, return_dtype=pl.String)
    bad_share = pl.col(offending) / pl.col(total)
    allowed = pl.when(direction == "max").then(thr).otherwise(1.0 - thr)
    eps = 1e-12
    return frame.with_columns(
        value=pl.when(pl.col(total) > 0)
        .then(pl.when(direction == "max").then(bad_share).otherwise(1.0 - bad_share))
        .otherwise(None),
        threshold=thr,
        direction=direction,
        status=pl.when(pl.col(total) == 0)
        .then(pl.lit("no_data"))
        .when(bad_share > allowed + eps)
        .then(pl.lit("breach"))
        .when(bad_share > allowed * (1.0 - params.margin) + eps)
        .then(pl.lit("near"))
        .otherwise(pl.lit("ok")),
    )


def window_bounds(metric: str, params: HealthParams, today: date) -> tuple[date, date]:
    """First and last local day of ``metric``'s rolling window ending the day before ``today``."""
    return today - timedelta(days=params.window(metric)), today - timedelta(days=1)


def rolling_metrics(events: pl.DataFrame, params: HealthParams, today: date) -> pl.DataFrame:
    """One row per metric over its rolling window (ending yesterday), evaluated."""
    rows = []
    for metric in METRICS:
        lo, hi = window_bounds(metric, params, today)
        rows.append({"metric": metric, "window_start": lo, "window_end": hi})
    windows = pl.DataFrame(
        rows, schema={"metric": pl.String, "window_start": pl.Date, "window_end": pl.Date}
    )
    counts = (
        events.join(windows, on="metric")
        .filter(pl.col("day").is_between(pl.col("window_start"), pl.col("window_end")))
        .group_by("metric")
        .agg(denominator=pl.len().cast(pl.Int64), offending=pl.col("bad").sum().cast(pl.Int64))
    )
    out = windows.join(counts, on="metric", how="left").with_columns(
        pl.col("denominator").fill_null(0), pl.col("offending").fill_null(0)
    )
    out = _with_numerator(out)
    return evaluate(out, params).select(
        "metric",
        "value",
        "numerator",
        "denominator",
        "offending",
        "threshold",
        "direction",
        "status",
        "window_start",
        "window_end",
    )


def _with_numerator(frame: pl.DataFrame) -> pl.DataFrame:
    """The metric's natural numerator: bad orders for max-metrics, good ones for min-metrics."""
    direction = pl.col("metric").replace_strict(DIRECTION, return_dtype=pl.String)
    return frame.with_columns(
        numerator=pl.when(direction == "max")
        .then(pl.col("offending"))
        .otherwise(pl.col("denominator") - pl.col("offending"))
    )


def weekly_metrics(
    events: pl.DataFrame, params: HealthParams, today: date, weeks: int = 12
) -> pl.DataFrame:
    """Each metric per Monday-start week, for the ``weeks`` weeks up to the one holding
    yesterday (that last week is ``partial`` unless yesterday was a Sunday)."""
    last_day = today - timedelta(days=1)
    last_week = last_day - timedelta(days=last_day.weekday())
    first_week = last_week - timedelta(weeks=weeks - 1)
    grid = pl.DataFrame({"metric": list(METRICS)}).join(
        pl.DataFrame({"week_start": pl.date_range(first_week, last_week, "1w", eager=True)}),
        how="cross",
    )
    counts = (
        events.filter(pl.col("day").is_between(first_week, last_day))
        .with_columns(week_start=week_start(pl.col("day")))
        .group_by("metric", "week_start")
        .agg(denominator=pl.len().cast(pl.Int64), offending=pl.col("bad").sum().cast(pl.Int64))
    )
    out = grid.join(counts, on=["metric", "week_start"], how="left").with_columns(
        pl.col("denominator").fill_null(0),
        pl.col("offending").fill_null(0),
        week_end=pl.min_horizontal(pl.col("week_start").dt.offset_by("6d"), pl.lit(last_day)),
        partial=pl.col("week_start").dt.offset_by("6d") > pl.lit(last_day),
    )
    out = _with_numerator(out)
    return (
        evaluate(out, params)
        .select(
            "metric",
            "week_start",
            "week_end",
            "partial",
            "value",
            "numerator",
            "denominator",
            "offending",
            "threshold",
            "status",
        )
        .sort("metric", "week_start")
    )


def offenders(facts: pl.DataFrame, params: HealthParams, today: date) -> pl.DataFrame:
    """Orders that count against a metric in its rolling window, with the evidence.

    Columns: ``metric, order_id, day, deadline_at, event_at, late_days, detail`` (naive
    UTC timestamps; ``detail`` holds the data values: cancel reason, rating, return fault).
    """
    parts = []
    null_ts = pl.lit(None, dtype=pl.Datetime("us"))
    null_int = pl.lit(None, dtype=pl.Int64())
    specs: dict[str, tuple[pl.Expr, pl.Expr, pl.Expr, pl.Expr]] = {
        "late_dispatch_rate": (
            pl.col("dispatch_deadline_at"),
            pl.col("shipped_at"),
            pl.col("dispatch_late_days"),
            pl.concat_str(pl.lit("deadline from "), pl.col("dispatch_deadline_source")),
        ),
        "valid_tracking_rate": (
            null_ts,
            pl.coalesce(pl.col("shipped_at"), pl.col("rts_at"), pl.col("delivered_at")),
            null_int,
            pl.when(pl.col("tracking_id").is_null())
            .then(pl.lit("no tracking id"))
            .when(pl.col("shipped_at").is_null())
            .then(pl.lit("no carrier scan"))
            .otherwise(pl.concat_str(pl.lit("invalid tracking "), pl.col("tracking_id"))),
        ),
        "seller_fault_cancellation_rate": (
            pl.col("rule_auto_cancel_at"),
            pl.col("cancelled_at"),
            null_int,
            pl.concat_str(
                pl.col("cancel_initiator").fill_null("?"),
                pl.lit("/"),
                pl.col("cancel_fault").fill_null("inferred seller"),
                pl.lit(": "),
                pl.col("cancel_reason").fill_null(""),
            ),
        ),
        "on_time_delivery_rate": (
            pl.col("delivery_deadline_at"),
            pl.col("delivered_at"),
            pl.col("delivery_late_days"),
            pl.when(pl.col("delivered_at").is_null())
            .then(pl.lit("not delivered yet"))
            .otherwise(pl.concat_str(pl.lit("deadline from "), pl.col("delivery_deadline_source"))),
        ),
        "negative_review_rate": (
            pl.col("delivery_deadline_at"),
            pl.col("first_review_at"),
            pl.col("delivery_late_days"),
            pl.concat_str(pl.col("first_review_rating").cast(pl.String), pl.lit("★ first review")),
        ),
        "non_buyer_fault_return_rate": (
            null_ts,
            pl.col("return_requested_at"),
            null_int,
            pl.concat_str(
                pl.col("return_fault").fill_null("?"),
                pl.lit(": "),
                pl.col("return_reason").fill_null(""),
            ),
        ),
    }
    for metric in METRICS:
        eligible, bad = METRIC_FLAGS[metric]
        lo, hi = window_bounds(metric, params, today)
        day = METRIC_DAY[metric]
        deadline, event, late, detail = specs[metric]
        parts.append(
            facts.filter(pl.col(eligible) & pl.col(bad) & pl.col(day).is_between(lo, hi)).select(
                pl.lit(metric).alias("metric"),
                pl.col("order_id"),
                pl.col(day).alias("day"),
                deadline.alias("deadline_at"),
                event.alias("event_at"),
                late.alias("late_days"),
                detail.alias("detail"),
            )
        )
    return pl.concat(parts, how="vertical").sort("metric", "day", "order_id")


def local_time_of(ts: datetime, params: HealthParams) -> datetime:
    """Local wall-clock time of a naive-UTC instant (for messages)."""
    value = (
        pl.DataFrame({"t": [ts]})
        .select(
            pl.col("t")
            .dt.replace_time_zone("UTC")
            .dt.convert_time_zone(params.timezone)
            .dt.replace_time_zone(None)
        )
        .item()
    )
    assert isinstance(value, datetime)
    return value


def cutoff_label(params: HealthParams) -> str:
    c: time = params.cutoff
    return f"{c.hour:02d}:{c.minute:02d}"
