"""``qt.sense``: lifecycle-aware probabilistic demand, statsforecast-style.

Data flow: a long frame (pandas or Polars; ``unique_id, ds, y``) and optionally a content
frame (``unique_id, ds, views[, content_id]``) → dense panel (missing days are zero sales,
a null ``y`` is a censored day such as a stock-out) → the chosen forecaster → a long frame of
the same type as the input::

    import quickturn as qt
    fc = qt.sense.forecast(df, h=28, levels=[50, 80, 95], model="auto", content=content_df)
    #    unique_id | ds | mean | lo-95 | lo-80 | lo-50 | hi-50 | hi-80 | hi-95 | model
    sp = qt.sense.sample_paths(df, h=28, n_paths=200, seed=0)   # sp.paths: SKUs × paths × h
    ph = qt.sense.phases(df, content=content_df)                # phase, probabilities, alerts

As in statsforecast, every series is forecast from the day after its own last ``ds`` (series
that end on different days are aligned on their last day, each keeping its own weekdays);
``as_of=`` forecasts all of them from the day after one date instead.  The store path
(:func:`run`) always uses one as-of date.  ``model``: ``"auto"``
(= ``"lifecycle"``), ``"naive"``, ``"seasonal_naive"``, ``"erp_velocity"``, ``"croston"``,
``"tsb"`` or ``"autoets"`` (needs statsforecast).  On a store, use :func:`run` and
:func:`demand_scenarios`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
import polars as pl

from quickturn.core.sense.backtest import BacktestResult, rolling_origin
from quickturn.core.sense.base import Forecaster, horizon, row_keys
from quickturn.core.sense.baselines import BASELINES
from quickturn.core.sense.history import panel_from_long, posts_from_long
from quickturn.core.sense.lifecycle import Lifecycle
from quickturn.core.sense.phases import report
from quickturn.core.sense.types import (
    PHASES,
    ForecastOutput,
    IntArray,
    Panel,
    SamplePaths,
    quantile_probs,
)
from quickturn.errors import UsageError
from quickturn.services.sense import backtest as backtest_store
from quickturn.services.sense import demand_scenarios, load_run, run

__all__ = [
    "MODELS",
    "backtest",
    "backtest_store",
    "demand_scenarios",
    "forecast",
    "load_run",
    "phases",
    "run",
    "sample_paths",
]

#: model names accepted by ``model=``
MODELS: tuple[str, ...] = ("auto", "lifecycle", *BASELINES)


def _make_model(model: str) -> Forecaster:
    if model in ("auto", "lifecycle"):
        return Lifecycle()
    if model in BASELINES:
        return BASELINES[model]()
    raise UsageError(f"unknown model {model!r}; choose one of {', '.join(MODELS)}")


def _to_polars(df: Any, what: str) -> tuple[pl.DataFrame, bool, Any]:
    """Polars frame, "was pandas", and the input's ``ds`` dtype (to restore it)."""
    if isinstance(df, pl.DataFrame):
        return df, False, df.schema.get("ds")
    try:
        import pandas as pd
    except ImportError:  # pragma: no cover - pandas is a dependency
        pd = None
    if pd is not None and isinstance(df, pd.DataFrame):
        frame = pl.from_pandas(df.reset_index(drop=True))
        return frame, True, df["ds"].dtype if "ds" in df.columns else None
    raise UsageError(f"{what} must be a pandas or Polars DataFrame, got {type(df).__name__}")


@dataclass(frozen=True)
class _Aligned:
    """A long frame as a panel whose rows all end on the panel's last column.

    Row ``i`` is shifted ``shift[i]`` days later, so its own last day lands on the panel's
    last day; ``weekday0[i]`` is the true weekday of its column 0 and ``ends[i]`` its own
    last day (forecasts start the day after).
    """

    panel: Panel
    shift: IntArray
    weekday0: IntArray
    ends: list[date]
    is_pd: bool
    ds_type: Any


def _prepare(df: Any, content: Any | None, as_of: Any | None = None) -> _Aligned:
    """Frame → aligned panel, following statsforecast: each series is forecast from the day
    after its own last ``ds``; with ``as_of`` every series runs to that day (days without a
    row are zero sales, rows after it are ignored)."""
    frame, is_pd, ds_type = _to_polars(df, "df")
    missing = [c for c in ("unique_id", "ds", "y") if c not in frame.columns]
    if missing:
        raise UsageError(f"df needs columns unique_id, ds, y; missing {missing}")
    frame = frame.with_columns(pl.col("unique_id").cast(pl.String), pl.col("ds").cast(pl.Date))
    if frame.height == 0:
        raise UsageError("df has no rows")
    if as_of is not None:
        cut = _as_date(as_of)
        frame = frame.filter(pl.col("ds") <= cut)
        if frame.height == 0:
            raise UsageError(f"df has no rows on or before as_of={cut}")
    ends_f = frame.group_by("unique_id").agg(pl.col("ds").max().alias("_end"))
    last = ends_f["_end"].max() if as_of is None else _as_date(as_of)
    assert isinstance(last, date)
    ends_f = ends_f.with_columns(
        (pl.lit(last) - pl.col("_end")).dt.total_days().alias("_shift")
        if as_of is None
        else pl.lit(0, pl.Int64).alias("_shift")
    )
    shifted = frame.join(ends_f.select("unique_id", "_shift"), on="unique_id").with_columns(
        pl.col("ds") + pl.duration(days=pl.col("_shift"))
    )
    # keep the input's order of series
    order = frame["unique_id"].unique(maintain_order=True)
    shifted = shifted.join(
        pl.DataFrame({"unique_id": order, "_ord": range(order.len())}), on="unique_id"
    ).sort("_ord", "ds", maintain_order=True)
    panel = panel_from_long(shifted, end=last)
    by_id = dict(zip(ends_f["unique_id"].to_list(), ends_f["_shift"].to_list(), strict=True))
    shift = np.array([int(by_id[s]) for s in panel.sku_ids], dtype=np.int64)
    posts = None
    if content is not None:
        cframe, _, _ = _to_polars(content, "content")
        for c in ("unique_id", "ds", "views"):
            if c not in cframe.columns:
                raise UsageError(
                    f"content needs columns unique_id, ds, views[, content_id]; missing {c!r}"
                )
        cframe = cframe.with_columns(
            pl.col("unique_id").cast(pl.String), pl.col("ds").cast(pl.Date)
        ).join(ends_f.select("unique_id", "_shift"), on="unique_id", how="inner")
        cframe = cframe.with_columns(pl.col("ds") + pl.duration(days=pl.col("_shift")))
        posts = posts_from_long(cframe, panel)
    panel = Panel(y=panel.y, sku_ids=panel.sku_ids, start=panel.start, content=posts)
    weekday0 = (panel.start.weekday() - shift) % 7
    ends = [last - timedelta(days=int(s)) for s in shift]
    return _Aligned(panel, shift, weekday0.astype(np.int64), ends, is_pd, ds_type)


def _as_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if hasattr(value, "to_pydatetime"):  # pandas Timestamp
        return value.to_pydatetime().date()  # type: ignore[no-any-return]
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise UsageError(f"as_of must be a date (YYYY-MM-DD), got {value!r}") from None


def _column_names(levels: Sequence[float]) -> list[tuple[str, float]]:
    out: list[tuple[str, float]] = []
    for lv in sorted({float(x) for x in levels}, reverse=True):
        out.append((f"lo-{_fmt(lv)}", round((1 - lv / 100) / 2, 10)))
    for lv in sorted({float(x) for x in levels}):
        out.append((f"hi-{_fmt(lv)}", round(1 - (1 - lv / 100) / 2, 10)))
    return out


def _fmt(lv: float) -> str:
    return str(int(lv)) if float(lv).is_integer() else str(lv)


def _output(al: _Aligned, out: ForecastOutput, levels: Sequence[float]) -> Any:
    panel, is_pd, ds_type = al.panel, al.is_pd, al.ds_type
    h = out.mean.shape[1]
    data: dict[str, Any] = {
        "unique_id": np.repeat(np.array(panel.sku_ids, dtype=object), h).tolist(),
        "ds": [end + timedelta(days=d + 1) for end in al.ends for d in range(h)],
        "mean": out.mean.reshape(-1),
    }
    for name, p in _column_names(levels):
        data[name] = out.quantile(p).reshape(-1)
    data["model"] = np.repeat(np.array(out.model, dtype=object), h).tolist()
    frame = pl.DataFrame(data, schema_overrides={"ds": pl.Date})
    if ds_type is not None and isinstance(ds_type, pl.DataType) and ds_type != pl.Date:
        frame = frame.with_columns(pl.col("ds").cast(ds_type))
    if is_pd:
        pdf = frame.to_pandas()
        if ds_type is not None and "datetime" in str(ds_type):
            import pandas as pd

            pdf["ds"] = pd.to_datetime(pdf["ds"]).astype(ds_type)
        return pdf
    return frame


def forecast(
    df: Any,
    h: int = 28,
    levels: Sequence[float] = (80, 95),
    model: str = "auto",
    content: Any | None = None,
    seed: int = 0,
    as_of: Any | None = None,
    cluster: Any = None,
) -> Any:
    """Forecast every series ``h`` days ahead: ``unique_id, ds, mean, lo-<l>, hi-<l>…, model``.

    As in statsforecast, each series is forecast from the day after its own last ``ds``;
    ``as_of`` (a date) instead forecasts every series from the day after it, treating days
    without a row up to ``as_of`` as zero sales and ignoring rows after it.  Returns the frame
    type it was given (pandas or Polars).  ``levels`` are central interval levels in percent;
    ``model`` names the forecaster (the ``model`` column says which one produced each row
    after any fallback).

    ``cluster`` (a ``distributed.Client`` or an address ``tcp://host:8786``; default the
    ``QUICKTURN_DASK_SCHEDULER`` environment variable, else local): the lifecycle model is
    fitted and forecast by partitions of series on the cluster's workers — the local frame,
    bit for bit, for the same seed.  The baselines are cheap and always run here.
    """
    al = _prepare(df, content, as_of)
    panel = al.panel
    m = _make_model(model)
    if isinstance(m, Lifecycle):
        from quickturn.services.cluster import session
        from quickturn.services.sense import fit_partitioned

        with session(cluster) as client:
            if client is not None:
                _, out = fit_partitioned(
                    panel,
                    client,
                    h=horizon(h),
                    probs=list(quantile_probs(levels)),
                    seed=seed,
                    weekday0=al.weekday0,
                )
                assert out is not None
                return _output(al, out, levels)
    out = m.forecast(
        panel.y,
        h,
        keys=row_keys(panel.sku_ids),
        weekday0=al.weekday0,
        content=panel.content,
        probs=quantile_probs(levels),
        seed=seed,
    )
    return _output(al, out, levels)


def sample_paths(
    df: Any,
    h: int = 28,
    n_paths: int = 200,
    seed: int = 0,
    content: Any | None = None,
    model: str = "auto",
    as_of: Any | None = None,
) -> SamplePaths:
    """Demand scenarios: ``.paths`` is SKUs × paths × h (units per day), ``.sku_ids`` its
    SKU index, ``.start`` the first forecast day, ``.phase`` each SKU's most likely phase.

    Each series starts the day after its own last ``ds`` (``.starts``; ``.start`` is the
    latest of them) unless ``as_of`` is given, as in :func:`forecast`."""
    al = _prepare(df, content, as_of)
    panel = al.panel
    m = _make_model(model)
    m.fit(
        panel.y,
        keys=row_keys(panel.sku_ids),
        weekday0=al.weekday0,
        content=panel.content,
    )
    out = m.predict(h, probs=[0.5], n_paths=n_paths, seed=seed)
    assert out.paths is not None
    if isinstance(m, Lifecycle):
        phase = report(m, panel.y, panel.content, n_paths=50, seed=seed, life_days=h).phase
    else:
        phase = _phases_of(al, seed).phase
    start = panel.start + timedelta(days=panel.n_days)
    starts = [e + timedelta(days=1) for e in al.ends]
    return SamplePaths(
        paths=out.paths, sku_ids=list(panel.sku_ids), start=start, phase=phase, starts=starts
    )


def _phases_of(al: _Aligned | Panel, seed: int) -> Any:
    panel = al.panel if isinstance(al, _Aligned) else al
    wd0 = al.weekday0 if isinstance(al, _Aligned) else panel.start.weekday()
    m = Lifecycle().fit(
        panel.y,
        keys=row_keys(panel.sku_ids),
        weekday0=wd0,
        content=panel.content,
    )
    return report(m, panel.y, panel.content, seed=seed)


def phases(df: Any, content: Any | None = None, seed: int = 0, as_of: Any | None = None) -> Any:
    """Lifecycle phase per series with probabilities, the receding-traffic alert with its
    change-point day, the chosen burst kernel and the remaining lifecycle demand (next 365
    days: mean, P10, P90), each as of the series' own last ``ds`` (or ``as_of``).  Same frame
    type as ``df``."""
    al = _prepare(df, content, as_of)
    panel, is_pd = al.panel, al.is_pd
    rep = _phases_of(al, seed)
    data: dict[str, Any] = {
        "unique_id": list(panel.sku_ids),
        "phase": rep.phase,
    }
    for j, name in enumerate(PHASES):
        data[f"p_{name}"] = rep.probs[:, j]
    start: date = panel.start
    data["receding"] = rep.receding.tolist()
    data["receding_since"] = pl.Series(
        [
            start + timedelta(days=int(d) - int(s)) if a else None
            for a, d, s in zip(
                rep.receding.tolist(), rep.receding_day.tolist(), al.shift.tolist(), strict=True
            )
        ],
        dtype=pl.Date,
    )
    data["kernel"] = rep.kernel
    data["velocity_7d"] = rep.velocity_7d
    data["remaining_demand_mean"] = rep.remaining_mean
    data["remaining_demand_p10"] = rep.remaining_p10
    data["remaining_demand_p90"] = rep.remaining_p90
    frame = pl.DataFrame(data)
    return frame.to_pandas() if is_pd else frame


def backtest(
    df: Any,
    h: int = 28,
    windows: int = 4,
    models: Sequence[str] = (
        "lifecycle",
        "naive",
        "seasonal_naive",
        "erp_velocity",
        "croston",
        "tsb",
    ),
    content: Any | None = None,
    seed: int = 0,
) -> BacktestResult:
    """Rolling-origin backtest of ``models`` on a long frame (MASE, WAPE, scaled pinball loss,
    80/95% coverage, bias; overall, per window and by phase at the origin)."""
    frame, _, _ = _to_polars(df, "df")
    # one calendar for a rolling-origin backtest: every series runs to the frame's last day
    last = frame["ds"].cast(pl.Date).max() if "ds" in frame.columns and frame.height else None
    panel = _prepare(df, content, as_of=last).panel
    if panel.n_days - windows * h < 28:
        raise UsageError(
            f"{windows} windows of {h} days need at least {windows * h + 28} days; "
            f"the frame spans {panel.n_days}"
        )
    chosen = {name: _make_model(name) for name in models}

    def phase_fn(p: Panel) -> list[str]:
        return list(_phases_of(p, seed).phase)

    return rolling_origin(
        panel,
        chosen,
        h=h,
        windows=windows,
        phase_fn=phase_fn,
        seed=seed,
        keys=row_keys(panel.sku_ids),
    )
