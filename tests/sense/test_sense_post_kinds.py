"""Posts by kind of poster: the shop's own account vs affiliate creators (issue 14).

``ContentPosts.creator`` says who posted (optional)."""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl

from quickturn.core.sense.history import panel_from_long, posts_from_long


def test_posts_carry_who_posted_through_frames_and_cuts() -> None:
    start = date(2026, 1, 1)
    demand = pl.DataFrame(
        {"unique_id": ["a", "a", "b", "b"], "ds": [start, date(2026, 1, 9)] * 2, "y": [1.0] * 4}
    )
    panel = panel_from_long(demand)
    content = pl.DataFrame(
        {
            "unique_id": ["a", "a", "b"],
            "ds": [date(2026, 1, 2), date(2026, 1, 3), date(2026, 1, 4)],
            "views": [100.0, 50.0, 9000.0],
            "content_id": ["v1", "v1", "c1"],
            "creator_id": [None, None, "cr-7"],
        }
    )
    posts = posts_from_long(content, panel)
    assert posts.creator is not None
    assert dict(zip(posts.sku.tolist(), posts.creator.tolist(), strict=True)) == {
        0: False,
        1: True,
    }
    assert posts_from_long(content.drop("creator_id"), panel).creator is None
    assert posts.window(2, 9).creator is not None and posts.window(2, 9).creator.tolist() == [True]
    sub = posts.subset(np.array([1]))
    assert sub.creator is not None and sub.creator.tolist() == [True]
    sl = posts.sliced(3)
    assert sl.creator is not None and sl.creator.tolist() == [False]
