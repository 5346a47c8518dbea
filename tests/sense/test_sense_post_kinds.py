"""New posts by kind of poster: the shop's own account vs affiliate creators (issue 14).

``ContentPosts.creator`` says who posted; ``Lifecycle(post_kinds=True)`` learns the rate and
size of new posts per kind, so a young SKU with only own videos is not given creators'
posts, and one a creator picked up is.  Off by default, and without the flag, forecasts are
unchanged."""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl

from quickturn.core.sense.history import panel_from_long, posts_from_long
from quickturn.core.sense.lifecycle import Lifecycle
from quickturn.core.sense.types import ContentPosts

T_N = 200
OWN_VIEWS = 2_000.0
CREATOR_VIEWS = 100_000.0


def _views(day: int, total: float) -> np.ndarray:
    v = np.zeros(T_N)
    life = np.arange(T_N - day)
    shape = np.exp(-life / 3.0)
    v[day:] = total * shape / shape.sum()
    return v


def _shop() -> tuple[np.ndarray, ContentPosts]:
    """30 earlier launches (day 60) with own videos; the 15 even ones also got a creator post
    at age 5.  Row 30: launched day 190 with one own video; row 31: launched day 190 with a
    creator post on day 192."""
    rng = np.random.default_rng(3)
    sku, day, views, creator = [], [], [], []
    for i in range(30):
        for d in (61, 80, 120):
            sku.append(i), day.append(d), views.append(_views(d, OWN_VIEWS)), creator.append(False)
        if i % 2 == 0:
            sku.append(i), day.append(65), views.append(_views(65, CREATOR_VIEWS))
            creator.append(True)
    sku.append(30), day.append(192), views.append(_views(192, OWN_VIEWS)), creator.append(False)
    sku.append(31), day.append(192), views.append(_views(192, CREATOR_VIEWS)), creator.append(True)
    posts = ContentPosts(
        np.array(sku), np.array(day), np.vstack(views), np.array(creator, dtype=bool)
    )
    lam = np.full((32, T_N), 0.5)
    np.add.at(lam, posts.sku, 0.0005 * posts.views)
    y = rng.poisson(lam).astype(float)
    y[:30, :60] = np.nan
    y[30:, :190] = np.nan
    return y, posts


def _new(model: Lifecycle, y: np.ndarray, posts: ContentPosts, h: int = 28) -> np.ndarray:
    m = model.fit(y, content=posts)
    return m.mean_components(m.states_[0][1], 0, h)[2].sum(axis=1)


def test_without_post_kinds_the_creator_flag_changes_nothing() -> None:
    y, posts = _shop()
    blind = ContentPosts(posts.sku, posts.day, posts.views)
    a = Lifecycle(n_quantile_paths=50).forecast(y, 28, content=posts, seed=1)
    b = Lifecycle(n_quantile_paths=50).forecast(y, 28, content=blind, seed=1)
    np.testing.assert_array_equal(a.mean, b.mean)
    np.testing.assert_array_equal(a.quantiles, b.quantiles)
    # and with post_kinds but no flag the model is the one-kind model
    c = Lifecycle(n_quantile_paths=50, post_kinds=True).forecast(y, 28, content=blind, seed=1)
    np.testing.assert_array_equal(a.mean, c.mean)


def test_own_videos_are_not_given_creator_sized_new_posts() -> None:
    y, posts = _shop()
    one = _new(Lifecycle(), y, posts)
    kinds = _new(Lifecycle(post_kinds=True), y, posts)
    m = Lifecycle(post_kinds=True).fit(y, content=posts)
    state = m.states_[0][1]
    rho, _, size = m.new_post_profile(state, 28)
    # the shop's own videos are small, its creators' posts large, at a young SKU's age
    assert size[30, 0, 0] < 0.1 * size[30, 1, 0]
    # one kind: the young SKU's own video raises its rate of posts sized like creators' too;
    # by kind it only raises its rate of own videos
    assert kinds[30] < 0.8 * one[30]
    # a creator picked row 31 up: its rate of creator posts is above row 30's, and so is
    # its new-post demand
    assert rho[31, 1].mean() > 1.5 * rho[30, 1].mean()
    assert rho[30, 0].mean() > rho[31, 0].mean()
    assert kinds[31] > 1.5 * kinds[30]
    # the paths draw the same mean: new posts of each kind from that kind's sizes
    out = Lifecycle(post_kinds=True, n_quantile_paths=400).fit(y, content=posts)
    paths = out.simulate(state, np.zeros((32, 28)), np.arange(32), seed=2, n_paths=400, mode=2)
    got = paths[30:32].mean(axis=1).sum(axis=1)
    np.testing.assert_allclose(got, kinds[30:32], rtol=0.35)


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
