"""Demand history and content signals: canonical frames in, dense SKU × day panels out.

Data flow::

    orders + order_lines  ──(cancelled out, units per shop-local day)──┐
    inventory_snapshots   ──(end-of-day sellable stock ≤ 0 → censored)─┼─> Panel (NaN = unobserved)
    skus.launch_date      ──(days before launch are unobserved)────────┘
    content + content_skus + content_metrics ──> ContentPosts (one row per post × SKU)

    long frame (unique_id, ds, y[, null = censored]) <──> Panel   (API helpers)

Everything here is pure: frames in, arrays out; ``start``/``end`` dates are parameters.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from itertools import pairwise

import numpy as np
import polars as pl

from quickturn.core.sense.types import ContentPosts, FloatArray, Panel

#: location kinds whose stock cannot be sold today (it must still travel)
UNSELLABLE_KINDS = ("factory",)


def _day_index(dates: pl.Series, start: date) -> np.ndarray:
    return (dates.cast(pl.Date).cast(pl.Int64) - (start - date(1970, 1, 1)).days).to_numpy()


def local_date(col: str, tz: str) -> pl.Expr:
    """UTC-naive timestamp column → calendar date in the shop's time zone."""
    return pl.col(col).dt.replace_time_zone("UTC").dt.convert_time_zone(tz).dt.date()


def daily_units(
    orders: pl.DataFrame,
    order_lines: pl.DataFrame,
    *,
    tz: str = "America/Los_Angeles",
    shop_tz: dict[str, str] | None = None,
) -> pl.DataFrame:
    """Units ordered per SKU per shop-local day (``sku_id, date, units``), cancellations out.

    An order counts as cancelled when its status is ``CANCELLED`` or it has a
    ``cancelled_at`` time.  Quantities are units (an order line of 3 is 3 units, not 1).
    Each order's day is taken in its shop's time zone (``shop_tz``: shop_id → zone, when
    ``orders`` has ``shop_id``), else in ``tz``.
    """
    cols = ["order_id", "status", "created_at"]
    cols += [c for c in ("cancelled_at", "shop_id") if c in orders.columns]
    o = orders.select(cols)
    keep = pl.col("status") != "CANCELLED"
    if "cancelled_at" in o.columns:
        keep = keep & pl.col("cancelled_at").is_null()
    o = o.filter(keep)
    if shop_tz and "shop_id" in o.columns:
        o = o.with_columns(
            pl.col("shop_id")
            .replace_strict(shop_tz, default=tz, return_dtype=pl.String)
            .alias("_tz")
        )
        parts = [
            g.with_columns(local_date("created_at", str(zone)).alias("date"))
            for (zone,), g in o.group_by(["_tz"], maintain_order=True)
        ]
        o = pl.concat(parts) if parts else o.with_columns(pl.lit(None, pl.Date).alias("date"))
    else:
        o = o.with_columns(local_date("created_at", tz).alias("date"))
    return (
        order_lines.select("order_id", "sku_id", "quantity")
        .join(o.select("order_id", "date"), on="order_id", how="inner")
        .group_by("sku_id", "date")
        .agg(pl.col("quantity").sum().cast(pl.Float64).alias("units"))
        .sort("sku_id", "date")
    )


def stockout_days(snapshots: pl.DataFrame, locations: pl.DataFrame | None = None) -> pl.DataFrame:
    """End-of-day sellable stock per SKU and day (``sku_id, date, available_qty``).

    Sellable stock is on hand minus reserved, summed over locations other than factories.
    """
    s = snapshots
    if locations is not None and locations.height and "kind" in locations.columns:
        bad = locations.filter(pl.col("kind").is_in(list(UNSELLABLE_KINDS)))["location_id"]
        s = s.filter(~pl.col("location_id").is_in(bad.implode()))
    reserved = pl.col("reserved_qty").fill_null(0) if "reserved_qty" in s.columns else pl.lit(0)
    return (
        s.with_columns((pl.col("on_hand_qty") - reserved).alias("available_qty"))
        .group_by("sku_id", "date")
        .agg(pl.col("available_qty").sum().cast(pl.Float64))
        .sort("sku_id", "date")
    )


def demand_panel(
    units: pl.DataFrame,
    *,
    start: date,
    end: date,
    sku_ids: Sequence[str] | None = None,
    stock: pl.DataFrame | None = None,
    launch: pl.DataFrame | None = None,
    never_censored: Sequence[str] = (),
) -> Panel:
    """Dense panel of daily units for ``start..end`` (inclusive).

    * ``units``: ``sku_id, date, units`` (see :func:`daily_units`).
    * ``stock``: ``sku_id, date, available_qty`` end-of-day sellable stock; a day whose
      stock is ≤ 0 is censored (``NaN``); days after the last snapshot carry it forward;
      SKUs without any snapshot are never censored.
    * ``launch``: ``sku_id, launch_date``; days before it are unobserved.  SKUs without a
      launch date start at their first sale (or at ``start`` if they never sold).
    * ``never_censored``: SKUs that cannot stock out (print on demand).
    """
    if end < start:
        raise ValueError(f"end {end} is before start {start}")
    n_days = (end - start).days + 1
    ids = list(sku_ids) if sku_ids is not None else sorted(set(units["sku_id"].to_list()))
    index = {s: i for i, s in enumerate(ids)}
    n = len(ids)
    y = np.zeros((n, n_days), dtype=np.float64)
    u = units.filter(pl.col("sku_id").is_in(ids) & pl.col("date").is_between(start, end))
    if u.height:
        rows = np.array([index[s] for s in u["sku_id"].to_list()], dtype=np.int64)
        cols = _day_index(u["date"], start)
        np.add.at(y, (rows, cols), u["units"].to_numpy().astype(np.float64))

    first = np.full(n, n_days, dtype=np.int64)
    if units.height:
        fs = units.filter(pl.col("sku_id").is_in(ids)).group_by("sku_id").agg(pl.col("date").min())
        for s, d in zip(fs["sku_id"].to_list(), fs["date"].to_list(), strict=True):
            first[index[s]] = (d - start).days
    if launch is not None and launch.height:
        ld = launch.filter(pl.col("sku_id").is_in(ids) & pl.col("launch_date").is_not_null())
        for s, d in zip(ld["sku_id"].to_list(), ld["launch_date"].to_list(), strict=True):
            first[index[s]] = min(first[index[s]], (d - start).days)
    first = np.clip(first, 0, n_days)
    never_sold = first >= n_days
    first[never_sold] = 0
    observed = np.arange(n_days)[None, :] >= first[:, None]

    if stock is not None and stock.height:
        st = stock.filter(pl.col("sku_id").is_in(ids)).sort("sku_id", "date")
        nc = set(never_censored)
        for (sku,), grp in st.group_by(["sku_id"], maintain_order=True):
            if sku in nc:
                continue
            i = index[str(sku)]
            cols = _day_index(grp["date"], start)
            avail = grp["available_qty"].to_numpy()
            level = np.full(n_days, np.nan)
            inside = (cols >= 0) & (cols < n_days)
            level[cols[inside]] = avail[inside]
            before = cols < 0
            if before.any() and np.isnan(level[0]):  # carry the last snapshot into the window
                level[0] = avail[before][-1]
            # forward fill
            idx = np.where(~np.isnan(level), np.arange(n_days), 0)
            np.maximum.accumulate(idx, out=idx)
            filled = level[idx]
            known = ~np.isnan(filled) & (np.arange(n_days) >= np.argmax(~np.isnan(level)))
            if np.isnan(level).all():
                continue
            observed[i] &= ~(known & (filled <= 0))
    y[~observed] = np.nan
    return Panel(y=y, sku_ids=ids, start=start)


def content_posts(
    content: pl.DataFrame,
    content_skus: pl.DataFrame,
    metrics: pl.DataFrame,
    panel: Panel,
    *,
    tz: str = "America/Los_Angeles",
) -> ContentPosts:
    """One post per (content, SKU in the panel) posted inside the panel's window.

    Views of a post are its daily ``content_metrics.views``; a post with no metrics rows
    has zero views (its burst size then rests on the SKU's history).  With a
    ``content.creator_id`` column each post is marked as an affiliate creator's (an id) or
    the shop's own (empty) — :attr:`ContentPosts.creator`.
    """
    n_days = panel.n_days
    end = panel.start + timedelta(days=n_days - 1)
    index = {s: i for i, s in enumerate(panel.sku_ids)}
    has_creator = "creator_id" in content.columns
    c = content.select(
        "content_id",
        "posted_at",
        (pl.col("creator_id").is_not_null() if has_creator else pl.lit(False)).alias("_cr"),
    ).with_columns(local_date("posted_at", tz).alias("post_date"))
    cs = content_skus.filter(pl.col("sku_id").is_in(panel.sku_ids)).join(
        c, on="content_id", how="inner"
    )
    cs = cs.filter(pl.col("post_date").is_between(panel.start, end)).sort("sku_id", "post_date")
    if cs.height == 0:
        return ContentPosts.empty(n_days)
    cids = cs["content_id"].unique().to_list()
    cpos = {cid: k for k, cid in enumerate(cids)}
    vmat = np.zeros((len(cids), n_days), dtype=np.float64)
    m = metrics.filter(
        pl.col("content_id").is_in(cids) & pl.col("date").is_between(panel.start, end)
    )
    if m.height:
        rows = np.array([cpos[x] for x in m["content_id"].to_list()], dtype=np.int64)
        cols = _day_index(m["date"], panel.start)
        np.add.at(vmat, (rows, cols), m["views"].fill_null(0).to_numpy().astype(np.float64))
    sku = np.array([index[s] for s in cs["sku_id"].to_list()], dtype=np.int64)
    day = _day_index(cs["post_date"], panel.start).astype(np.int64)
    views = vmat[[cpos[x] for x in cs["content_id"].to_list()]]
    creator = cs["_cr"].to_numpy().astype(bool) if has_creator else None
    return ContentPosts(sku=sku, day=day, views=views, creator=creator)


def daily_signals(content_skus: pl.DataFrame, metrics: pl.DataFrame) -> pl.DataFrame:
    """Daily content signals per SKU (``sku_id, date, views, likes, shares, comments, clicks``)."""
    cols = [c for c in ("views", "likes", "shares", "comments", "clicks") if c in metrics.columns]
    return (
        metrics.join(content_skus.select("content_id", "sku_id"), on="content_id", how="inner")
        .group_by("sku_id", "date")
        .agg([pl.col(c).fill_null(0).sum().cast(pl.Float64) for c in cols])
        .sort("sku_id", "date")
    )


# -- long frames (statsforecast convention) ------------------------------------------------


def panel_from_long(
    df: pl.DataFrame,
    *,
    id_col: str = "unique_id",
    time_col: str = "ds",
    target_col: str = "y",
    end: date | None = None,
) -> Panel:
    """Long frame → panel.  Each series starts at its first ``ds`` and runs to the frame's
    last day (or ``end``); days without a row are zero sales, a null/NaN ``y`` is censored."""
    for c in (id_col, time_col, target_col):
        if c not in df.columns:
            raise KeyError(f"column {c!r} missing; the frame has {df.columns}")
    d = df.select(
        pl.col(id_col).cast(pl.String).alias("uid"),
        pl.col(time_col).cast(pl.Date).alias("ds"),
        pl.col(target_col).cast(pl.Float64).fill_nan(None).alias("y"),
    )
    if d.height == 0:
        raise ValueError("the frame has no rows")
    ids = d["uid"].unique(maintain_order=True).to_list()
    start = d["ds"].min()
    last = d["ds"].max() if end is None else end
    assert isinstance(start, date) and isinstance(last, date)
    n_days = (last - start).days + 1
    index = {s: i for i, s in enumerate(ids)}
    rows = np.array([index[s] for s in d["uid"].to_list()], dtype=np.int64)
    cols = _day_index(d["ds"], start)
    inside = cols < n_days
    rows, cols = rows[inside], cols[inside]
    yv = d["y"].to_numpy()[inside].astype(np.float64)
    y = np.zeros((len(ids), n_days), dtype=np.float64)
    cens = np.isnan(yv)
    np.add.at(y, (rows[~cens], cols[~cens]), yv[~cens])
    y[rows[cens], cols[cens]] = np.nan
    first = np.full(len(ids), n_days, dtype=np.int64)
    np.minimum.at(first, rows, cols)
    y[np.arange(n_days)[None, :] < first[:, None]] = np.nan
    return Panel(y=y, sku_ids=[str(s) for s in ids], start=start)


def posts_from_long(
    content: pl.DataFrame,
    panel: Panel,
    *,
    id_col: str = "unique_id",
    time_col: str = "ds",
    min_jump: float = 3.0,
) -> ContentPosts:
    """Long content frame (``unique_id, ds, views[, content_id][, creator_id]``) → posts.

    With ``content_id`` each (content, SKU) is one post that starts on its first day with
    views.  Without it, a SKU's daily views are split into posts where views jump by more
    than ``min_jump`` × the previous day (a new video taking off).  With ``creator_id`` a post
    whose rows carry an id is an affiliate creator's, one with only nulls the shop's own
    (:attr:`ContentPosts.creator`); without the column posts are not told apart.
    """
    if "views" not in content.columns:
        raise KeyError(f"content frame needs a 'views' column; it has {content.columns}")
    n_days = panel.n_days
    index = {s: i for i, s in enumerate(panel.sku_ids)}
    has_cid = "content_id" in content.columns
    has_creator = "creator_id" in content.columns
    c = content.select(
        pl.col(id_col).cast(pl.String).alias("uid"),
        pl.col(time_col).cast(pl.Date).alias("ds"),
        pl.col("views").cast(pl.Float64).fill_null(0.0).alias("views"),
        (pl.col("content_id").cast(pl.String) if has_cid else pl.lit("_")).alias("cid"),
        (pl.col("creator_id").is_not_null() if has_creator else pl.lit(False)).alias("cr"),
    ).filter(pl.col("uid").is_in(panel.sku_ids))
    c = c.with_columns(pl.Series("col", _day_index(c["ds"], panel.start)))
    c = c.filter((pl.col("col") >= 0) & (pl.col("col") < n_days))
    sku: list[int] = []
    day: list[int] = []
    rows: list[FloatArray] = []
    creator: list[bool] = []
    for (uid, cid), grp in c.group_by(["uid", "cid"], maintain_order=True):
        v = np.zeros(n_days)
        np.add.at(v, grp["col"].to_numpy(), grp["views"].to_numpy())
        if not v.any():
            continue
        if has_cid:
            starts = [int(np.argmax(v > 0))]
        else:
            starts = _split_views(v, min_jump)
        bounds = [*starts, n_days]
        for a, b in pairwise(bounds):
            seg = np.zeros(n_days)
            seg[a:b] = v[a:b]
            sku.append(index[str(uid)])
            day.append(a)
            rows.append(seg)
            creator.append(bool(grp["cr"].any()))
        del cid
    if not sku:
        return ContentPosts.empty(n_days)
    return ContentPosts(
        sku=np.array(sku, dtype=np.int64),
        day=np.array(day, dtype=np.int64),
        views=np.vstack(rows),
        creator=np.array(creator, dtype=bool) if has_creator else None,
    )


def _split_views(v: FloatArray, min_jump: float) -> list[int]:
    starts: list[int] = []
    prev = 0.0
    for t, x in enumerate(v):
        if x > 0 and (not starts or x > min_jump * max(prev, 1.0)):
            starts.append(t)
        prev = x
    return starts or [int(np.argmax(v > 0))]


def long_from_arrays(
    sku_ids: Sequence[str],
    start: date,
    columns: dict[str, FloatArray],
) -> pl.DataFrame:
    """``{name: (n, h) array}`` → long frame ``unique_id, ds, <name>…`` (days from ``start``)."""
    n = len(sku_ids)
    h = next(iter(columns.values())).shape[1] if columns else 0
    ids = np.repeat(np.array(list(sku_ids), dtype=object), h)
    ds = pl.date_range(start, start + timedelta(days=max(h - 1, 0)), eager=True)
    data: dict[str, object] = {
        "unique_id": pl.Series("unique_id", ids.tolist(), dtype=pl.String),
        "ds": pl.concat([ds] * n) if n and h else pl.Series("ds", [], dtype=pl.Date),
    }
    for name, arr in columns.items():
        data[name] = pl.Series(name, arr.reshape(-1).astype(np.float64))
    return pl.DataFrame(data)
