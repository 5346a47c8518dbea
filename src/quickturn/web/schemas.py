"""Pydantic schemas of the JSON API (``/api/v1``), one family per resource.

The pages render the same objects, so a figure on a page and in the API never disagree.
Money is a JSON number without float noise (docs/web.md, "Money in the API"): figures the
modules estimate or total (KPIs, plan, cash, backtest, SKU figures) are **rounded to cents**
(:data:`Money`: ``-2833.93``, never ``-2833.929100000001``); amounts the ledger stores exactly
(its rows, lines and postings) and per-unit prices and costs are given **exactly at the
store's 4 decimals** (:data:`ExactMoney`, :data:`UnitMoney`), so a drill-down adds up to its
row.  Rounding is decimal (half up) and happens only when the answer is serialised, so pages
computing from the same objects see the unrounded figure.  Rates are fractions 0–1, dates
ISO 8601.
"""

from __future__ import annotations

import datetime as dt
import math
from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer


def round_money(value: float | None, digits: int = 2) -> float | None:
    """``value`` rounded to ``digits`` decimals exactly (through its shortest repr, half up).

    >>> round_money(-2833.929100000001), round_money(0.1 + 0.2), round_money(2.675)
    (-2833.93, 0.3, 2.68)
    >>> round_money(None), round_money(0.00004, 4), round_money(1.23456, 4)
    (None, 0.0, 1.2346)
    """
    if value is None or not math.isfinite(value):
        return value
    exact = Decimal(repr(float(value))).quantize(Decimal(1).scaleb(-digits), ROUND_HALF_UP)
    return float(exact) + 0.0  # -0.0 → 0.0


def _store_scale(value: float | None) -> float | None:
    return round_money(value, 4)


def _money_keys(doc: Any, key: str = "") -> Any:
    """Free-form figures (a run's summary): floats under ``*_usd`` keys rounded to cents."""
    if isinstance(doc, dict):
        return {k: _money_keys(v, str(k)) for k, v in doc.items()}
    if isinstance(doc, list):
        return [_money_keys(v, key) for v in doc]
    if isinstance(doc, float) and key.endswith("_usd"):
        return round_money(doc)
    return doc


#: an amount in the JSON answer: rounded to cents
Money = Annotated[float, PlainSerializer(round_money, return_type=float, when_used="json")]
#: a per-unit price or cost in the JSON answer: rounded to 4 decimals (the store's scale)
UnitMoney = Annotated[float, PlainSerializer(_store_scale, return_type=float, when_used="json")]
#: an amount the ledger stores exactly (DECIMAL(18,4)): its 4 decimals, noise removed
ExactMoney = UnitMoney
#: free-form figures whose ``*_usd`` floats are rounded to cents in the JSON answer
MoneyKeys = Annotated[
    dict[str, Any], PlainSerializer(_money_keys, return_type=dict[str, Any], when_used="json")
]


class Schema(BaseModel):
    model_config = ConfigDict(from_attributes=True)


# -- meta -------------------------------------------------------------------------------------


class RunPublic(Schema):
    run_id: str
    created_at: dt.datetime | None = None
    as_of: dt.date | None = None


class ShopPublic(Schema):
    shop_id: str
    name: str | None = None
    market: str | None = None
    currency: str | None = None


class MetaPublic(Schema):
    version: str
    as_of: dt.date
    backend: str
    lang: str
    skus: int
    shops: list[ShopPublic]
    runs: dict[str, RunPublic | None]
    stale: bool = Field(
        False, description="The database was busy; figures are from before the last change."
    )


# -- overview ---------------------------------------------------------------------------------


class PeriodFigures(Schema):
    gmv_usd: Money | None = None
    revenue_usd: Money | None = None
    margin_usd: Money | None = None
    margin_rate: float | None = None
    orders: int = 0
    units: int = 0


class KpisPublic(Schema):
    days: int
    date_from: dt.date
    date_to: dt.date
    ledger: bool = Field(description="The ledger has run (margins are available).")
    current: PeriodFigures
    previous: PeriodFigures


class CashSummaryPublic(Schema):
    run: RunPublic | None = None
    days: int | None = None
    opening_cash_usd: Money | None = None
    end_balance_usd: Money | None = None
    lowest_balance_usd: Money | None = None
    lowest_balance_date: dt.date | None = None
    peak_cash_need_usd: Money | None = None
    projected_inflow_usd: Money | None = None
    projected_outflow_usd: Money | None = None
    expected_sales_source: str | None = None


class CashPointPublic(Schema):
    date: dt.date
    kind: str
    inflow_usd: Money | None = None
    outflow_usd: Money | None = None
    net_usd: Money | None = None
    cumulative_usd: Money | None = None
    balance_usd: Money | None = None


class HealthMetricPublic(Schema):
    metric: str
    value: float | None = None
    threshold: float | None = None
    status: str | None = None
    higher_is_better: bool = False
    numerator: int | None = None
    denominator: int | None = None
    window_start: dt.date | None = None
    window_end: dt.date | None = None


class FindingCountPublic(Schema):
    module: str
    severity: str
    code: str
    count: int
    message: str | None = None


class ActionPublic(Schema):
    action_id: str
    kind: str
    sku_id: str
    title: str | None = None
    policy: str | None = None
    supplier_id: str | None = None
    route_id: str | None = None
    mode: str | None = None
    destination_id: str | None = None
    quantity: int
    order_date: dt.date | None = None
    expected_arrival: dt.date | None = None
    unit_cost: UnitMoney | None = None
    currency: str | None = None
    total_cost_usd: Money | None = None
    reason: str | None = None


class OverviewPublic(Schema):
    meta: MetaPublic
    kpis: KpisPublic
    cash: CashSummaryPublic
    health: list[HealthMetricPublic]
    health_score: float | None = None
    findings: list[FindingCountPublic]
    actions: list[ActionPublic]
    actions_total: int
    todays_spend_usd: Money | None = None


# -- SKUs -------------------------------------------------------------------------------------


class SkuRowPublic(Schema):
    sku_id: str
    title: str
    category: str | None = None
    status: str | None = None
    phase: str | None = None
    receding: bool | None = None
    revenue_usd: Money | None = None
    margin_usd: Money | None = None
    margin_rate: float | None = None
    on_hand: float | None = None
    forecast_daily: float | None = None
    days_of_cover: float | None = None
    stockout_prob: float | None = None
    dead_stock_value_usd: Money | None = None
    risk: str | None = None
    chosen_policy: str | None = None
    action_kind: str | None = None
    action_qty: int | None = None
    action_mode: str | None = None
    blocked: bool = False
    gated_by_compliance: bool | None = None


class SkuListPublic(Schema):
    total: int = Field(description="SKUs matching the filter.")
    all: int = Field(description="SKUs in the shop.")
    page: int
    per_page: int
    pages: int
    sort: str
    order: str
    q: str = ""
    phase: str = ""
    risk: str = ""
    category: str = ""
    days: int
    items: list[SkuRowPublic]
    phases: list[str]
    categories: list[str]


class DemandPointPublic(Schema):
    date: dt.date
    units: int


class ForecastPointPublic(Schema):
    ds: dt.date
    mean: float | None = None
    lo_50: float | None = None
    hi_50: float | None = None
    lo_80: float | None = None
    hi_80: float | None = None
    lo_95: float | None = None
    hi_95: float | None = None


class ContentEventPublic(Schema):
    content_id: str
    kind: str | None = None
    posted_on: dt.date | None = None
    title: str | None = None
    handle: str | None = None
    views: int | None = None


class WaterfallStepPublic(Schema):
    component: str
    amount_usd: Money


class PolicyResultPublic(Schema):
    policy: str
    chosen: bool = False
    expected_profit_usd: Money | None = None
    profit_p05_usd: Money | None = None
    cvar_usd: Money | None = None
    stockout_prob: float | None = None
    fill_rate: float | None = None
    dead_stock_qty: float | None = None
    dead_stock_value_usd: Money | None = None
    peak_cash_usd: Money | None = None
    order_qty: float | None = None
    fulfilment_days_mean: float | None = None
    gated_by_compliance: bool | None = None
    held_back_by_budget: bool | None = None
    reason: str | None = None


class ComplyFindingPublic(Schema):
    code: str
    severity: str
    kind: str | None = None
    scope: str | None = None
    source: str | None = None
    sku_id: str | None = None
    content_id: str | None = None
    match_text: str | None = None
    message: str
    fix: str | None = None
    rule_source: str | None = None


class StockPublic(Schema):
    on_hand: float | None = None
    snapshot_date: dt.date | None = None
    in_transit: list[MoneyKeys] = []


class SkuPublic(Schema):
    sku_id: str
    title: str
    category: str | None = None
    subcategory: str | None = None
    status: str | None = None
    list_price: UnitMoney | None = None
    price_currency: str | None = None
    unit_cost: UnitMoney | None = None
    cost_currency: str | None = None
    launch_date: dt.date | None = None
    supplier_id: str | None = None
    pod_eligible: bool | None = None
    phase: str | None = None
    phase_probabilities: dict[str, float] = {}
    receding: bool | None = None
    receding_since: dt.date | None = None
    velocity_7d: float | None = None
    remaining_demand_mean: float | None = None


class SkuDetailPublic(Schema):
    sku: SkuPublic
    as_of: dt.date
    days: int
    history: list[DemandPointPublic]
    forecast: list[ForecastPointPublic]
    content: list[ContentEventPublic]
    waterfall: list[WaterfallStepPublic]
    policies: list[PolicyResultPublic]
    actions: list[ActionPublic]
    findings: list[ComplyFindingPublic]
    stock: StockPublic
    plan_run: RunPublic | None = None


class BandPublic(Schema):
    policy: str
    chosen: bool
    p10: list[float]
    p50: list[float]
    p90: list[float]
    mean: list[float]


class ProjectionPublic(Schema):
    sku_id: str
    start: dt.date
    days: int
    scenarios: int
    measure: str = Field(description="What the bands show (units on hand at the end of each day).")
    policies: list[BandPublic]
    note: str | None = None


# -- plan -------------------------------------------------------------------------------------


class PolicyComparisonPublic(Schema):
    policy: str
    skus: int
    chosen: int
    expected_profit_usd: Money | None = None
    profit_p05_usd: Money | None = None
    dead_stock_value_usd: Money | None = None
    peak_cash_usd: Money | None = None
    mean_stockout_prob: float | None = None
    mean_fill_rate: float | None = None


class PlanPublic(Schema):
    run: RunPublic | None = None
    horizon_days: int | None = None
    scenarios: int | None = None
    summary: MoneyKeys = {}
    actions: list[ActionPublic] = []
    comparison: list[PolicyComparisonPublic] = []
    cash: list[CashPointPublic] = []
    cash_summary: CashSummaryPublic | None = None
    todays_spend_usd: Money | None = None


# -- backtest ---------------------------------------------------------------------------------


class BacktestPolicyPublic(Schema):
    """One policy's realised figures over the backtest window (docs/backtest.md)."""

    policy: str
    profit_usd: Money | None = None
    revenue_usd: Money | None = None
    sales_qty: float | None = None
    lost_sales_qty: float | None = None
    lost_margin_usd: Money | None = None
    fill_rate: float | None = None
    dead_stock_qty: float | None = None
    dead_stock_value_usd: Money | None = None
    working_stock_value_usd: Money | None = None
    peak_cash_usd: Money | None = None
    mean_cash_usd: Money | None = None
    stockout_days: float | None = None
    order_qty: float | None = None
    oracle_share: float | None = None


class BacktestSeriesPublic(Schema):
    """A policy's shop-level daily trace: cumulative profit and inventory at cost."""

    policy: str
    ds: list[dt.date] = []
    cumulative_profit_usd: list[Money] = []
    inventory_value_usd: list[Money] = []


class BacktestPublic(Schema):
    run: RunPublic | None = None
    start: dt.date | None = None
    end: dt.date | None = None
    every: int | None = None
    skus: int | None = None
    decisions: int | None = None
    seed: int | None = None
    policies: list[BacktestPolicyPublic] = []
    daily: list[BacktestSeriesPublic] = []
    targets: MoneyKeys = {}


# -- ledger -----------------------------------------------------------------------------------


class LedgerRowPublic(Schema):
    key: str | None = None
    label: str | None = None
    revenue: ExactMoney = 0.0
    discounts: ExactMoney = 0.0
    platform_fees: ExactMoney = 0.0
    commission: ExactMoney = 0.0
    ads: ExactMoney = 0.0
    fulfilment: ExactMoney = 0.0
    shipping: ExactMoney = 0.0
    returns: ExactMoney = 0.0
    landed_cost: ExactMoney = 0.0
    samples: ExactMoney = 0.0
    margin: ExactMoney = 0.0
    margin_rate: float | None = None
    lines: int | None = None


class LedgerRollupPublic(Schema):
    by: str
    days: int | None = None
    rows: list[LedgerRowPublic]
    total: LedgerRowPublic


class LedgerLinePublic(LedgerRowPublic):
    order_id: str | None = None
    sku_id: str | None = None
    order_date: dt.date | None = None
    source_table: str | None = None


class LedgerLinesPublic(Schema):
    by: str
    key: str | None = None
    days: int | None = None
    total: int
    offset: int
    limit: int
    lines: list[LedgerLinePublic]


class PostingPublic(Schema):
    posting_id: str
    date: dt.date | None = None
    account: str
    component: str
    amount_usd: ExactMoney
    amount: ExactMoney | None = None
    currency: str | None = None
    basis: str | None = None
    settlement: bool | None = None
    source_table: str
    source_key: str
    note: str | None = None
    reversal_of: str | None = None


class LineSourcesPublic(Schema):
    order_id: str | None = None
    sku_id: str | None = None
    margin_usd: ExactMoney
    postings: list[PostingPublic]


# -- content ----------------------------------------------------------------------------------


class ContentProfitPublic(LedgerRowPublic):
    kind: str | None = None
    title: str | None = None
    handle: str | None = None
    posted_on: dt.date | None = None
    views: int | None = None
    followers: int | None = None
    posts: int | None = None
    commission_rate: float | None = None


class ContentPagePublic(Schema):
    days: int | None = None
    videos: list[ContentProfitPublic]
    creators: list[ContentProfitPublic]
    videos_total: int
    creators_total: int


# -- health -----------------------------------------------------------------------------------


class HealthWeekPublic(Schema):
    metric: str
    week_start: dt.date
    value: float | None = None
    threshold: float | None = None
    status: str | None = None
    partial: bool = False


class HealthFindingPublic(Schema):
    code: str
    severity: str
    message: str
    fix: str | None = None


class HealthProjectionPublic(Schema):
    scenario: str
    metric: str
    value: float | None = None
    threshold: float | None = None
    status: str | None = None


class HealthPublic(Schema):
    today: dt.date
    metrics: list[HealthMetricPublic]
    weekly: list[HealthWeekPublic]
    score: float | None = None
    score_label: str | None = None
    findings: list[HealthFindingPublic]
    projection: list[HealthProjectionPublic] = []
    projection_scores: dict[str, float | None] = {}


# -- compliance -------------------------------------------------------------------------------


class ComplyListPublic(Schema):
    total: int
    by_severity: dict[str, int]
    run: RunPublic | None = None
    findings: list[ComplyFindingPublic]


class ComplyCheckRequest(Schema):
    text: str = Field(max_length=20_000, description="A draft script, caption or listing text.")


class ComplyCheckPublic(Schema):
    ok: bool = Field(description="No blocking finding.")
    findings: list[ComplyFindingPublic]
    spans: list[dict[str, Any]] = Field(
        default=[], description="Evidence spans: start, end, severity, code."
    )
