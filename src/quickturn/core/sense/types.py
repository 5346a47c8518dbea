"""Value types shared by the sense core: panels of daily series, content posts, forecasts.

Data flow: services (or the API) turn long frames into a :class:`Panel` (dense SKUs × days
array, ``NaN`` where demand was not observed: before launch or on a stock-out day) and an
optional :class:`ContentPosts`; forecasters return a :class:`ForecastOutput`; the planner gets
:class:`SamplePaths`.  Nothing here does IO.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

#: lifecycle phases, in the order of the ``p_*`` columns of ``sku_phases``
PHASES: tuple[str, ...] = ("testing", "rising", "peaking", "steady", "decaying", "dead")

#: quantile levels of the M5 uncertainty track (median and 50/67/95/99 % intervals)
M5_LEVELS: tuple[float, ...] = (50.0, 67.0, 95.0, 99.0)


def quantile_probs(levels: Sequence[float]) -> FloatArray:
    """Quantile probabilities for central interval ``levels`` (percent) plus the median.

    >>> quantile_probs([80, 95]).tolist()
    [0.025, 0.1, 0.5, 0.9, 0.975]
    """
    qs = {0.5}
    for lv in levels:
        lv = float(lv)
        if not 0.0 < lv < 100.0:
            raise ValueError(f"interval level must be between 0 and 100 (exclusive), got {lv}")
        a = round((1.0 - lv / 100.0) / 2.0, 10)
        qs.add(a)
        qs.add(round(1.0 - a, 10))
    return np.array(sorted(qs), dtype=np.float64)


@dataclass(frozen=True)
class ContentPosts:
    """Content (videos, LIVE sessions, creator posts) that feature a SKU, one row per post×SKU.

    ``day`` is the column index of the posting day in the panel; ``views`` holds the daily
    views of the post (``posts × days`` of the panel, zero outside its life).  Only views up
    to the panel's last day are ever used, so a backtest that slices the panel cannot see the
    future.  ``creator`` (optional) tells who posted: ``True`` an affiliate creator, ``False``
    the shop's own account.  The two reach very different audiences, so the lifecycle model
    learns the rate and size of new posts per kind; without it all posts are one kind.
    """

    sku: IntArray  # row index into the panel
    day: IntArray  # column index of the posting day
    views: FloatArray  # (n_posts, n_days) daily views of each post
    creator: BoolArray | None = None  # per post: posted by an affiliate creator

    @property
    def n(self) -> int:
        return int(self.sku.shape[0])

    def _creator(self, keep: BoolArray) -> BoolArray | None:
        return self.creator[keep] if self.creator is not None else None

    def sliced(self, end: int, start: int = 0) -> ContentPosts:
        """Posts and views restricted to panel columns ``start:end`` (posts made before ``end``)."""
        keep = self.day < end
        day = self.day[keep] - start
        views = self.views[keep][:, start:end]
        return ContentPosts(self.sku[keep], day.astype(np.int64), views, self._creator(keep))

    def window(self, start: int, end: int) -> ContentPosts:
        """Posts made on columns ``start ≤ day < end``, re-based to ``start``, views of
        columns ``start:end`` only."""
        keep = (self.day >= start) & (self.day < end)
        return ContentPosts(
            self.sku[keep],
            (self.day[keep] - start).astype(np.int64),
            np.ascontiguousarray(self.views[keep][:, start:end]),
            self._creator(keep),
        )

    def subset(self, rows: IntArray) -> ContentPosts:
        """Posts of the panel rows ``rows`` (re-indexed to 0..len(rows)-1)."""
        pos = np.full(int(max(self.sku.max(initial=-1), rows.max(initial=-1)) + 1), -1, np.int64)
        pos[rows] = np.arange(rows.shape[0])
        new = pos[self.sku] if self.n else self.sku
        keep = new >= 0
        return ContentPosts(new[keep], self.day[keep], self.views[keep], self._creator(keep))

    @staticmethod
    def empty(n_days: int) -> ContentPosts:
        return ContentPosts(
            np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros((0, n_days), np.float64)
        )


@dataclass(frozen=True)
class Panel:
    """Daily series of many SKUs on one calendar: ``y[i, t]`` units of SKU i on ``start + t``.

    ``NaN`` marks a day whose demand was not observed (before the SKU existed, or a
    stock-out day: censored, so it must not be learned as zero demand).
    """

    y: FloatArray  # (n_skus, n_days)
    sku_ids: list[str]
    start: date
    content: ContentPosts | None = None
    category: list[str] | None = None

    @property
    def n(self) -> int:
        return int(self.y.shape[0])

    @property
    def n_days(self) -> int:
        return int(self.y.shape[1])


@dataclass(frozen=True)
class ForecastOutput:
    """What every forecaster returns for ``n`` SKUs and horizon ``h``.

    ``quantiles[i, j, t]`` is the ``probs[j]`` quantile of SKU i on horizon day t;
    ``paths`` (``n × n_paths × h``) is present when paths were asked for; ``model[i]`` names
    the model that produced row i after any fallback.
    """

    mean: FloatArray  # (n, h)
    probs: FloatArray  # (q,)
    quantiles: FloatArray  # (n, q, h)
    model: list[str]
    paths: FloatArray | None = None
    extras: dict[str, np.ndarray] = field(default_factory=dict)

    def quantile(self, p: float) -> FloatArray:
        j = int(np.argmin(np.abs(self.probs - p)))
        if abs(self.probs[j] - p) > 1e-9:
            raise KeyError(f"quantile {p} was not computed; have {self.probs.tolist()}")
        return self.quantiles[:, j, :]


@dataclass(frozen=True)
class SamplePaths:
    """Demand scenarios for the planner.

    ``paths[i, p, d]`` is the demand (units per day, float64) of SKU ``sku_ids[i]`` in
    scenario ``p`` on day ``start + d`` (day 0 is ``today``).  ``phase[i]`` is the SKU's most
    likely lifecycle phase (one of :data:`PHASES`).  ``starts`` (when set) gives each SKU's
    own first day instead — the frame API forecasts each series from its own last ``ds``.
    """

    paths: FloatArray  # (n_skus, n_paths, h)
    sku_ids: list[str]
    start: date
    phase: list[str]
    starts: list[date] | None = None

    def __post_init__(self) -> None:
        if self.paths.ndim != 3:
            raise ValueError(f"paths must be 3-D (skus × paths × days), got {self.paths.shape}")
        if self.paths.shape[0] != len(self.sku_ids) or len(self.phase) != len(self.sku_ids):
            raise ValueError(
                f"paths has {self.paths.shape[0]} SKUs but sku_ids has {len(self.sku_ids)} "
                f"and phase {len(self.phase)}"
            )

    @property
    def n_paths(self) -> int:
        return int(self.paths.shape[1])

    @property
    def h(self) -> int:
        return int(self.paths.shape[2])
