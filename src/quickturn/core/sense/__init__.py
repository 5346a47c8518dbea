"""sense core: lifecycle-aware probabilistic demand (pure, vectorised over SKUs).

Data flow::

    history.py    canonical frames → Panel (SKUs × days, NaN = unobserved) + ContentPosts
    lifecycle.py  Panel → baseline + content-driven bursts → ForecastOutput / sample paths
    baselines.py  naive, seasonal naive, ERP velocity, Croston, TSB, AutoETS (same protocol)
    phases.py     fitted model → phase probabilities, receding alert (change point)
    metrics.py    MASE, WAPE, scaled pinball loss, coverage, bias
    backtest.py   rolling-origin evaluation of any forecaster

No IO, no clock: dates and seeds are parameters.
"""

from quickturn.core.sense.types import (
    PHASES,
    ContentPosts,
    ForecastOutput,
    Panel,
    SamplePaths,
    quantile_probs,
)

__all__ = [
    "PHASES",
    "ContentPosts",
    "ForecastOutput",
    "Panel",
    "SamplePaths",
    "quantile_probs",
]
