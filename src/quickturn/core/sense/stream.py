"""Demand scenarios chunk by chunk from one fitted model (memory-light planning).

Data flow::

    Forecaster fitted once on the whole panel (states_: one state per fit chunk)
        │  scenario_part(model, rows, …)   rows' states cut out of their fit chunks
        ▼
    ScenarioPart (picklable: model parameters, the rows' states, their history)
        ├─ sample_part(part)   → sample paths (len(rows) × n_paths × h)
        └─ summarise_part(part) → expected demand per row (no paths) and the phase per row

A row's paths and phase depend only on its own state and on its fit chunk's shared pools
(kept whole in every part), and its random stream is keyed by its SKU, so a part gives
exactly the rows the whole-panel ``predict`` / ``report`` gives.  Pure: no IO.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from quickturn.core.sense.base import Chunk, Forecaster
from quickturn.core.sense.phases import phase_probabilities
from quickturn.core.sense.types import PHASES, FloatArray, IntArray

#: attributes of a fitted forecaster that hold the whole panel (left out of a part)
_PANEL_ATTRS = ("y_", "states_", "keys_", "weekday0_", "content_", "category_")


@dataclass(frozen=True)
class ScenarioPart:
    """What one chunk of SKUs needs to draw its demand scenarios, without the store."""

    model: Forecaster  # parameters and shared pools only (no per-SKU state of other rows)
    pieces: tuple[tuple[Chunk, dict[str, Any] | None], ...]  # ``Chunk.rows``: positions here
    y: FloatArray  # (n, T) the rows' history (for their phase)
    h: int
    n_paths: int
    seed: int
    phase_paths: int = 50

    @property
    def n(self) -> int:
        return int(self.y.shape[0])


def bare_model(model: Forecaster) -> Forecaster:
    """A shallow copy of ``model`` without its panel and per-chunk states."""
    out = copy.copy(model)
    for name in _PANEL_ATTRS:
        out.__dict__.pop(name, None)
    return out


def scenario_part(
    model: Forecaster,
    bare: Forecaster,
    rows: IntArray,
    y: FloatArray,
    *,
    h: int,
    n_paths: int,
    seed: int,
    phase_paths: int = 50,
) -> ScenarioPart:
    """The part of a fitted ``model`` for panel rows ``rows`` (``y``: the panel's history)."""
    rows = np.asarray(rows, dtype=np.int64)
    pieces: list[tuple[Chunk, dict[str, Any] | None]] = []
    for chunk, state in model.states_:
        hit = np.flatnonzero(np.isin(rows, chunk.rows))
        if hit.size == 0:
            continue
        order = np.argsort(chunk.rows, kind="stable")
        part = order[np.searchsorted(chunk.rows, rows[hit], sorter=order)]
        whole = part.size == chunk.rows.size and bool((part == np.arange(part.size)).all())
        sub = Chunk(
            rows=hit.astype(np.int64),
            y=chunk.y[part],
            keys=chunk.keys[part],
            weekday0=chunk.weekday0[part],
            content=chunk.content.subset(part) if chunk.content is not None else None,
            category=[chunk.category[i] for i in part] if chunk.category is not None else None,
        )
        if state is not None and not whole:
            state = model.take_state(state, part)
        pieces.append((sub, state))
    return ScenarioPart(
        model=bare,
        pieces=tuple(pieces),
        y=np.ascontiguousarray(y[rows]),
        h=h,
        n_paths=n_paths,
        seed=seed,
        phase_paths=phase_paths,
    )


def detach(part: ScenarioPart) -> ScenarioPart:
    """The part without its model (settings and shared pools, the same for every part of a
    model): what a scheduler sends per part when the model itself goes once to each worker."""
    return replace(part, model=Forecaster())


def attach(part: ScenarioPart, model: Forecaster) -> ScenarioPart:
    """A :func:`detach`-ed part with its model back."""
    return replace(part, model=model)


def sample_part(part: ScenarioPart) -> FloatArray:
    """Sample paths ``(n, n_paths, h)`` of the part's rows (as the whole-panel ``predict``).

    Filled piece by piece (each piece's draw freed before the next), and a part that is one
    piece in row order returns that piece's draw as it is: no second copy of the paths.  No
    quantiles are asked for (the paths do not depend on them): no sort of every day's paths."""
    probs = np.zeros(0)
    paths: FloatArray | None = None
    for chunk, state in part.pieces:
        _, _, _, drawn, _ = part.model._safe_predict(
            state, chunk, part.h, probs, part.n_paths, part.seed
        )
        if (
            paths is None
            and drawn is not None
            and len(part.pieces) == 1
            and drawn.shape == (part.n, part.n_paths, part.h)
            and bool((chunk.rows == np.arange(part.n)).all())
        ):
            return np.ascontiguousarray(drawn, dtype=np.float64)
        if paths is None:
            paths = np.zeros((part.n, part.n_paths, part.h))
        if drawn is not None:
            paths[chunk.rows] = drawn
        del drawn
    return paths if paths is not None else np.zeros((part.n, part.n_paths, part.h))


def part_phases(part: ScenarioPart) -> list[str]:
    """The most likely lifecycle phase of each row (as :func:`phases.report`)."""
    model: Any = part.model
    n, t = part.y.shape
    fitted = np.zeros((n, t))
    content_fit = np.zeros((n, t))
    future = np.zeros((n, part.phase_paths, 28))
    for chunk, state in part.pieces:
        if state is None:
            continue
        rows = chunk.rows
        fitted[rows] = state["fitted_base"] + state["fitted_content"]
        content_fit[rows] = state["fitted_content"]
        base, _, _ = model.mean_components(state, chunk.weekday0, 28)
        future[rows] = model.simulate(state, base, chunk.keys, part.seed, part.phase_paths, mode=2)
    probs = phase_probabilities(part.y, fitted, content_fit, future)
    return [PHASES[int(j)] for j in np.argmax(probs, axis=1)]


def mean_part(part: ScenarioPart) -> FloatArray:
    """Each row's expected daily demand over the horizon: the model's mean forecast (what its
    paths are drawn around, fallback rows included), averaged over the ``h`` days.  No path
    is drawn, so this costs a small fraction of :func:`sample_part`."""
    out = np.zeros(part.n)
    for chunk, state in part.pieces:
        _, mean, _, _, _ = part.model._safe_predict(state, chunk, part.h, np.zeros(0), 0, part.seed)
        out[chunk.rows] = mean.mean(axis=1) if mean.size else 0.0
    return out


def summarise_part(part: ScenarioPart) -> tuple[FloatArray, list[str]]:
    """Expected daily demand (:func:`mean_part`) and the phase of each row.

    Until 2026-12 the mean was the average of every sampled path and day, which drew every
    path twice per plan (here and again in the plan's second pass); the model's own mean is
    the same quantity without the Monte Carlo noise (``tests/plan/test_stream.py`` checks
    the two agree)."""
    return mean_part(part), part_phases(part)
