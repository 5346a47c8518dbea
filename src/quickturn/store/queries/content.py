"""Queries on content and its daily metrics."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import polars as pl

from quickturn.store.base import Store


def views_by_content(store: Store, content_ids: Sequence[str] | None = None) -> pl.DataFrame:
    """(content_id, views): total views per video (of ``content_ids`` when given)."""
    if content_ids is None:
        df = store.query(
            "SELECT content_id, sum(views) AS views FROM content_metrics GROUP BY content_id"
        )
    elif not content_ids:
        return pl.DataFrame(schema={"content_id": pl.String, "views": pl.Int64})
    else:
        df = store.query(
            "SELECT content_id, sum(views) AS views FROM content_metrics WHERE content_id IN ("
            + ", ".join("?" for _ in content_ids)
            + ") GROUP BY content_id",
            list(content_ids),
        )
    return df.with_columns(pl.col("views").cast(pl.Int64))


def posts_by_creator(store: Store) -> pl.DataFrame:
    """(creator_id, posts): pieces of content per creator."""
    df = store.query(
        "SELECT creator_id, count(*) AS posts FROM content WHERE creator_id IS NOT NULL "
        "GROUP BY creator_id"
    )
    return df.with_columns(pl.col("posts").cast(pl.Int64))


def metrics_between(store: Store, lo: date, hi: date) -> pl.DataFrame:
    """(content_id, date, views) of the daily content metrics in ``[lo, hi]``."""
    return store.query(
        "SELECT content_id, date, views FROM content_metrics WHERE date >= ? AND date <= ?",
        [lo, hi],
    )
