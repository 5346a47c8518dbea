"""What each page and API endpoint shows, built once per database change.

Data flow: a request → :class:`Views` (the request's language, the app's cache) → cached
frames from each domain's read module (``services.ledger.read``, ``sense.read``,
``plan.read``, ``health.read``, ``comply.read``, ``backtest.read``; the basics from
:mod:`quickturn.services.readbase`), computed on a short read-only connection (see
:mod:`quickturn.web.data`) → filtering, sorting and paging in memory → the Pydantic
schemas of :mod:`quickturn.web.schemas`.  The JSON API returns these objects; the pages
render them with charts.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, TypeVar

import polars as pl

from quickturn import __version__
from quickturn.config import Settings
from quickturn.errors import Finding, UsageError
from quickturn.services import readbase
from quickturn.services.backtest import read as backtest_read
from quickturn.services.comply import read as comply_read
from quickturn.services.health import read as health_read
from quickturn.services.ledger import read as ledger_read
from quickturn.services.plan import read as plan_read
from quickturn.services.sense import read as sense_read
from quickturn.store import Store
from quickturn.web import schemas as s
from quickturn.web.data import Cache, Database

T = TypeVar("T")

SKU_SORTS = (
    "sku_id",
    "title",
    "category",
    "phase",
    "revenue_usd",
    "margin_usd",
    "margin_rate",
    "on_hand",
    "days_of_cover",
    "stockout_prob",
    "risk",
    "action_qty",
)
DEFAULT_DAYS = 30
DAY_CHOICES = (7, 30, 90, 365)
MAX_PER_PAGE = 500


@dataclass
class WebContext:
    """What the app keeps for its lifetime: settings, database, cache."""

    settings: Settings
    db: Database
    cache: Cache
    auth_required: bool = False
    bind_host: str = "127.0.0.1"
    webhook_path: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _none(v: Any) -> Any:
    if isinstance(v, float) and math.isnan(v):
        return None
    return v


def _rows(df: pl.DataFrame) -> list[dict[str, Any]]:
    return [{k: _none(v) for k, v in r.items()} for r in df.to_dicts()]


def check_days(days: int | None, default: int | None = DEFAULT_DAYS) -> int | None:
    if days is None:
        return default
    if days < 1 or days > 3650:
        raise UsageError(f"days must be between 1 and 3650, got {days}")
    return days


class Views:
    """The views of one request (language; whether a busy database made figures stale)."""

    def __init__(self, web: WebContext, lang: str) -> None:
        self.web = web
        self.lang = lang
        self.stale = False

    # -- cache --------------------------------------------------------------------------------
    def cached(self, key: tuple[Any, ...], compute: Callable[[Store], T]) -> T:
        value, stale = self.web.cache.get(key, compute)
        self.stale = self.stale or stale
        return value

    def today(self) -> date:
        return self.cached(("as_of",), readbase.as_of)

    def _text(self, en: str | None, zh: str | None) -> str | None:
        return zh if self.lang == "zh" and zh else en

    # -- meta ---------------------------------------------------------------------------------
    def meta(self) -> s.MetaPublic:
        info = self.cached(("shop_info",), readbase.shop_info)
        return s.MetaPublic(
            version=__version__,
            as_of=info["as_of"],
            backend=self.web.db.backend,
            lang=self.lang,
            skus=info["skus"],
            shops=[s.ShopPublic(**x) for x in info["shops"]],
            runs={k: (s.RunPublic(**v) if v else None) for k, v in info["runs"].items()},
            stale=self.stale,
        )

    # -- overview -----------------------------------------------------------------------------
    def kpis(self, days: int) -> s.KpisPublic:
        today = self.today()
        k = self.cached(("kpis", days), lambda st: ledger_read.kpis(st, today=today, days=days))
        return s.KpisPublic(**k)

    def cash(self) -> tuple[s.CashSummaryPublic, list[s.CashPointPublic]]:
        c = self.cached(("cash",), ledger_read.cash)
        summary = s.CashSummaryPublic(run=c["run"], **c["summary"])
        points = [s.CashPointPublic(**r) for r in _rows(c["daily"])] if c["daily"].height else []
        return summary, points

    def health_data(self) -> dict[str, Any]:
        today = self.today()
        settings = self.web.settings
        return self.cached(
            ("health",), lambda st: health_read.health(st, today=today, settings=settings)
        )

    def health_metrics(self) -> list[s.HealthMetricPublic]:
        h = self.health_data()
        out = []
        for r in _rows(h["rolling"]):
            out.append(
                s.HealthMetricPublic(
                    metric=r["metric"],
                    value=r.get("value"),
                    threshold=r.get("threshold"),
                    status=r.get("status"),
                    higher_is_better=r["metric"] in health_read.HIGHER_IS_BETTER,
                    numerator=r.get("numerator"),
                    denominator=r.get("denominator"),
                    window_start=r.get("window_start"),
                    window_end=r.get("window_end"),
                )
            )
        return out

    def plan_data(self) -> dict[str, Any]:
        return self.cached(("plan",), plan_read.plan_overview)

    def actions(self, limit: int | None = None) -> tuple[list[s.ActionPublic], int]:
        p = self.plan_data()
        if p.get("run") is None:
            return [], 0
        acts = p["actions"]
        rows = [s.ActionPublic(**r) for r in _rows(acts.head(limit) if limit else acts)]
        return rows, acts.height

    def findings_summary(self) -> list[s.FindingCountPublic]:
        h = self.health_data()
        rows = self.cached(
            ("open_findings",),
            lambda st: health_read.open_findings(st, health_findings=h["findings"]),
        )
        return [
            s.FindingCountPublic(
                module=r["module"],
                severity=str(r["severity"]),
                code=r["code"],
                count=r["count"],
                message=self._text(r.get("message"), r.get("message_zh")),
            )
            for r in rows
        ]

    def overview(self, days: int = DEFAULT_DAYS) -> s.OverviewPublic:
        cash, _points = self.cash()
        actions, total = self.actions(limit=10)
        plan = self.plan_data()
        spend = None
        if plan.get("run") is not None:
            spend = float(plan_read.purchase_order_spend(plan["actions"])["amount_usd"].sum())
        h = self.health_data()
        model = s.OverviewPublic(
            meta=self.meta(),
            kpis=self.kpis(days),
            cash=cash,
            health=self.health_metrics(),
            health_score=getattr(h["score"], "score", None),
            findings=self.findings_summary(),
            actions=actions,
            actions_total=total,
            todays_spend_usd=spend,
        )
        model.meta.stale = self.stale
        return model

    # -- SKUs ---------------------------------------------------------------------------------
    def sku_frame(self, days: int) -> pl.DataFrame:
        today = self.today()
        return self.cached(
            ("sku_table", days), lambda st: sense_read.sku_table(st, today=today, days=days)
        )

    def sku_list(
        self,
        *,
        q: str = "",
        phase: str = "",
        risk: str = "",
        category: str = "",
        sort: str = "margin_usd",
        order: str = "asc",
        page: int = 1,
        per_page: int = 50,
        days: int = DEFAULT_DAYS,
    ) -> s.SkuListPublic:
        if sort not in SKU_SORTS:
            raise UsageError(f"cannot sort by {sort!r}; choose from: {', '.join(SKU_SORTS)}")
        if order not in ("asc", "desc"):
            raise UsageError(f"order must be asc or desc, got {order!r}")
        per_page = max(1, min(per_page, MAX_PER_PAGE))
        df = self.sku_frame(days)
        everything = df.height
        phases = sorted(p for p in df["phase"].drop_nulls().unique().to_list())
        cats = sorted(c for c in df["category"].drop_nulls().unique().to_list())
        if q.strip():
            needle = q.strip().lower()
            df = df.filter(
                pl.col("sku_id").str.to_lowercase().str.contains(needle, literal=True)
                | pl.col("title").str.to_lowercase().str.contains(needle, literal=True)
            )
        if phase:
            df = df.filter(pl.col("phase") == phase)
        if risk:
            df = df.filter(pl.col("risk") == risk)
        if category:
            df = df.filter(pl.col("category") == category)
        key: pl.Expr = pl.col(sort)
        if sort == "risk":
            key = pl.col("risk").replace_strict(
                {"low": 0, "medium": 1, "high": 2}, default=None, return_dtype=pl.Int64
            )
        df = df.with_columns(key.alias("_k")).sort(
            ["_k", "sku_id"], descending=[order == "desc", False], nulls_last=True
        )
        total = df.height
        pages = max(1, math.ceil(total / per_page))
        page = max(1, min(page, pages))
        chunk = df.slice((page - 1) * per_page, per_page).drop("_k")
        return s.SkuListPublic(
            total=total,
            all=everything,
            page=page,
            per_page=per_page,
            pages=pages,
            sort=sort,
            order=order,
            q=q,
            phase=phase,
            risk=risk,
            category=category,
            days=days,
            items=[s.SkuRowPublic(**r) for r in _rows(chunk)],
            phases=phases,
            categories=cats,
        )

    def daily_units(self) -> pl.DataFrame:
        today = self.today()
        return self.cached(
            ("daily_units",), lambda st: sense_read.daily_units(st, today=today, days=365)
        )

    def components_by_sku(self, days: int) -> pl.DataFrame:
        today = self.today()
        return self.cached(
            ("components_by_sku", days),
            lambda st: ledger_read.components_by_sku(st, today=today, days=days),
        )

    def sku_detail(self, sku_id: str, days: int = 90) -> s.SkuDetailPublic:
        today = self.today()
        history = self.daily_units()
        d = self.cached(
            ("sku_detail", sku_id),
            lambda st: sense_read.sku_detail(st, sku_id, today=today, history=history),
        )
        comps = self.components_by_sku(days).filter(pl.col("sku_id") == sku_id)
        row = d.sku
        sense = row.get("sense") or {}
        probs = {
            k[2:]: float(v)
            for k, v in sense.items()
            if k.startswith("p_") and isinstance(v, (int, float))
        }
        sku = s.SkuPublic(
            sku_id=row["sku_id"],
            title=row["title"],
            category=row.get("category"),
            subcategory=row.get("subcategory"),
            status=row.get("status"),
            list_price=_f(row.get("list_price")),
            price_currency=row.get("price_currency"),
            unit_cost=_f(row.get("unit_cost")),
            cost_currency=row.get("cost_currency"),
            launch_date=row.get("launch_date"),
            supplier_id=row.get("supplier_id"),
            pod_eligible=row.get("pod_eligible"),
            phase=sense.get("phase"),
            phase_probabilities=probs,
            receding=sense.get("receding"),
            receding_since=sense.get("receding_since"),
            velocity_7d=sense.get("velocity_7d"),
            remaining_demand_mean=sense.get("remaining_demand_mean"),
        )
        titles = {sku_id: row["title"]}
        return s.SkuDetailPublic(
            sku=sku,
            as_of=today,
            days=days,
            history=[s.DemandPointPublic(**r) for r in _rows(d.history)],
            forecast=[s.ForecastPointPublic(**r) for r in _rows(d.forecast)],
            content=[s.ContentEventPublic(**r) for r in _rows(d.content)],
            waterfall=[s.WaterfallStepPublic(**r) for r in ledger_read.waterfall(comps)],
            policies=[s.PolicyResultPublic(**r) for r in _rows(d.policies)],
            actions=[s.ActionPublic(**r, title=titles.get(r["sku_id"])) for r in _rows(d.actions)],
            findings=[self._comply(r) for r in _rows(d.findings)],
            stock=s.StockPublic(**d.stock),
            plan_run=s.RunPublic(**d.plan_run) if d.plan_run else None,
        )

    # -- plan ---------------------------------------------------------------------------------
    def plan(self) -> s.PlanPublic:
        p = self.plan_data()
        cash, points = self.cash()
        if p.get("run") is None:
            return s.PlanPublic(cash=points, cash_summary=cash)
        params = p.get("params") or {}
        spend = plan_read.purchase_order_spend(p["actions"])
        return s.PlanPublic(
            run=s.RunPublic(**p["run"]),
            horizon_days=params.get("horizon_days"),
            scenarios=params.get("scenarios"),
            summary=_plan_summary(p),
            actions=[s.ActionPublic(**r) for r in _rows(p["actions"])],
            comparison=[s.PolicyComparisonPublic(**r) for r in _rows(p["comparison"])],
            cash=points,
            cash_summary=cash,
            todays_spend_usd=float(spend["amount_usd"].sum()) if spend.height else 0.0,
        )

    # -- backtest -----------------------------------------------------------------------------
    def backtest(self) -> s.BacktestPublic:
        b = self.cached(("backtest",), backtest_read.backtest_overview)
        if b.get("run") is None:
            return s.BacktestPublic()
        pols = b.get("policies") or {}
        daily = b.get("daily") or {}
        return s.BacktestPublic(
            run=s.RunPublic(**b["run"]),
            start=b.get("start"),
            end=b.get("end"),
            every=b.get("every"),
            skus=b.get("skus"),
            decisions=b.get("decisions"),
            seed=b.get("seed"),
            policies=[
                s.BacktestPolicyPublic(
                    policy=name,
                    **{k: v for k, v in row.items() if k in s.BacktestPolicyPublic.model_fields},
                )
                for name, row in pols.items()
            ],
            daily=[
                s.BacktestSeriesPublic(
                    policy=name,
                    ds=tr.get("ds", []),
                    cumulative_profit_usd=tr.get("cumulative_profit_usd", []),
                    inventory_value_usd=tr.get("inventory_value_usd", []),
                )
                for name, tr in daily.items()
            ],
            targets=b.get("targets") or {},
        )

    # -- ledger -------------------------------------------------------------------------------
    def ledger_frame(self, by: str, days: int | None) -> pl.DataFrame:
        today = self.today()
        return self.cached(
            ("ledger_rollup", by, days),
            lambda st: ledger_read.ledger_rollup(st, by=by, today=today, days=days),
        )

    def ledger(self, by: str = "sku", days: int | None = None) -> s.LedgerRollupPublic:
        df = self.ledger_frame(by, days)
        rows = [s.LedgerRowPublic(**r) for r in _rows(df)]
        total = _total(df)
        return s.LedgerRollupPublic(by=by, days=days, rows=rows, total=total)

    def ledger_lines(
        self, by: str, key: str | None, days: int | None = None, offset: int = 0, limit: int = 100
    ) -> s.LedgerLinesPublic:
        today = self.today()
        limit = max(1, min(limit, 1000))
        frame, total = self.cached(
            ("ledger_lines", by, key, days),
            lambda st: ledger_read.ledger_lines(
                st, by=by, key=key, today=today, days=days, limit=100_000
            ),
        )
        chunk = frame.slice(offset, limit) if frame.height else frame
        return s.LedgerLinesPublic(
            by=by,
            key=key,
            days=days,
            total=total,
            offset=offset,
            limit=limit,
            lines=[s.LedgerLinePublic(**r) for r in _rows(chunk)],
        )

    def line_sources(self, order_id: str | None, sku_id: str | None) -> s.LineSourcesPublic:
        df = self.cached(
            ("line_sources", order_id, sku_id),
            lambda st: ledger_read.line_sources(st, order_id=order_id, sku_id=sku_id),
        )
        if df.height == 0:
            raise readbase.NotFound(
                f"no ledger postings for order {order_id or '—'} and SKU {sku_id or '—'}"
            )
        return s.LineSourcesPublic(
            order_id=order_id,
            sku_id=sku_id,
            margin_usd=float(df["amount_usd"].sum()),
            postings=[s.PostingPublic(**r) for r in _rows(df)],
        )

    # -- content ------------------------------------------------------------------------------
    def content(self, days: int | None = None, limit: int = 50) -> s.ContentPagePublic:
        today = self.today()
        vids = self.cached(
            ("content_profit", "content", days),
            lambda st: ledger_read.content_profit(st, by="content", today=today, days=days),
        )
        creators = self.cached(
            ("content_profit", "creator", days),
            lambda st: ledger_read.content_profit(st, by="creator", today=today, days=days),
        )

        def top_and_bottom(df: pl.DataFrame) -> pl.DataFrame:
            if df.height <= limit:
                return df
            half = limit // 2
            return pl.concat([df.head(half), df.tail(limit - half)])

        return s.ContentPagePublic(
            days=days,
            videos=[s.ContentProfitPublic(**r) for r in _rows(top_and_bottom(vids))],
            creators=[s.ContentProfitPublic(**r) for r in _rows(top_and_bottom(creators))],
            videos_total=vids.height,
            creators_total=creators.height,
        )

    # -- health -------------------------------------------------------------------------------
    def health(self) -> s.HealthPublic:
        h = self.health_data()
        weekly = [
            s.HealthWeekPublic(
                metric=r["metric"],
                week_start=r["week_start"],
                value=r.get("value"),
                threshold=r.get("threshold"),
                status=r.get("status"),
                partial=bool(r.get("partial")),
            )
            for r in _rows(h["weekly"])
        ]
        findings = [
            s.HealthFindingPublic(
                code=f.code,
                severity=str(f.severity),
                message=self._text(f.message, f.message_zh) or f.message,
                fix=self._text(f.fix, f.fix_zh),
            )
            for f in h["findings"]
        ]
        proj: list[s.HealthProjectionPublic] = []
        scores: dict[str, float | None] = {}
        if h.get("projection"):
            for r in _rows(h["projection"]["metrics"]):
                proj.append(
                    s.HealthProjectionPublic(
                        scenario=r["scenario"],
                        metric=r["metric"],
                        value=r.get("value"),
                        threshold=r.get("threshold"),
                        status=r.get("status"),
                    )
                )
            for k, v in (h["projection"].get("scores") or {}).items():
                scores[k] = v.get("score") if isinstance(v, dict) else None
        score = h["score"]
        return s.HealthPublic(
            today=h["today"],
            metrics=self.health_metrics(),
            weekly=weekly,
            score=getattr(score, "score", None),
            score_label=getattr(score, "label", None),
            findings=findings,
            projection=proj,
            projection_scores=scores,
        )

    # -- compliance ---------------------------------------------------------------------------
    def _comply(self, r: dict[str, Any]) -> s.ComplyFindingPublic:
        return s.ComplyFindingPublic(
            code=r["code"],
            severity=r["severity"],
            kind=r.get("kind"),
            scope=r.get("scope"),
            source=r.get("source"),
            sku_id=r.get("sku_id"),
            content_id=r.get("content_id"),
            match_text=r.get("match_text"),
            message=self._text(r.get("message"), r.get("message_zh")) or "",
            fix=self._text(r.get("fix"), r.get("fix_zh")),
            rule_source=r.get("rule_source"),
        )

    def comply(
        self, *, severity: str = "", q: str = "", offset: int = 0, limit: int = 200
    ) -> s.ComplyListPublic:
        df = self.cached(("comply_findings",), comply_read.comply_findings)
        by_sev = dict(df.group_by("severity").agg(pl.len()).iter_rows()) if df.height else {}
        if severity:
            df = df.filter(pl.col("severity") == severity)
        if q.strip():
            needle = q.strip().lower()
            df = df.filter(
                pl.concat_str(
                    [
                        pl.col("code"),
                        pl.col("source").fill_null(""),
                        pl.col("match_text").fill_null(""),
                        pl.col("message"),
                    ],
                    separator=" ",
                )
                .str.to_lowercase()
                .str.contains(needle, literal=True)
            )
        order = {"block": 0, "warn": 1, "info": 2}
        df = df.with_columns(
            pl.col("severity").replace_strict(order, default=3, return_dtype=pl.Int64).alias("_o")
        ).sort(["_o", "finding_id"])
        info = self.cached(("shop_info",), readbase.shop_info)
        run = info["runs"].get("comply")
        return s.ComplyListPublic(
            total=df.height,
            by_severity={str(k): int(v) for k, v in by_sev.items()},
            run=s.RunPublic(**run) if run else None,
            findings=[self._comply(r) for r in _rows(df.slice(offset, limit))],
        )

    def comply_check(self, text: str) -> s.ComplyCheckPublic:
        findings: list[Finding]
        settings = self.web.settings
        try:
            findings = self.web.cache.db.read_call(
                lambda st: comply_read.check_text(text, settings=settings, store=st)
            )
        except Exception:  # the database is busy or has no content: the text rules still apply
            findings = comply_read.check_text(text, settings=settings)
        rows = []
        spans = []
        for f in findings:
            rec = f.record or {}
            rows.append(
                self._comply(
                    {
                        "code": f.code,
                        "severity": str(f.severity),
                        "kind": rec.get("kind"),
                        "scope": rec.get("scope"),
                        "source": f.source,
                        "match_text": rec.get("match") or (str(f.value) if f.value else None),
                        "message": f.message,
                        "message_zh": f.message_zh,
                        "fix": f.fix,
                        "fix_zh": f.fix_zh,
                        "rule_source": rec.get("rule_source"),
                    }
                )
            )
            if isinstance(rec.get("start"), int) and isinstance(rec.get("end"), int):
                spans.append(
                    {
                        "start": rec["start"],
                        "end": rec["end"],
                        "severity": str(f.severity),
                        "code": f.code,
                    }
                )
        return s.ComplyCheckPublic(
            ok=not any(str(f.severity) == "block" for f in findings), findings=rows, spans=spans
        )


def _f(v: Any) -> float | None:
    return None if v is None else float(v)


def _total(df: pl.DataFrame) -> s.LedgerRowPublic:
    if df.height == 0:
        return s.LedgerRowPublic(key=None)
    sums = {c: float(df[c].sum() or 0.0) for c in (*ledger_read.COMPONENTS, "margin")}
    rev = sums["revenue"]
    row: dict[str, Any] = {
        **sums,
        "key": None,
        "margin_rate": sums["margin"] / rev if rev > 0 else None,
        "lines": int(df["lines"].sum() or 0),
    }
    return s.LedgerRowPublic(**row)


#: the plan summary's figures the Plan page shows (``runs.summary`` of the plan run)
PLAN_TILES = (
    "expected_profit_usd",
    "profit_p05_usd",
    "fill_rate",
    "mean_stockout_prob",
    "dead_stock_value_usd",
    "dead_stock_qty",
    "peak_cash_usd",
)


def _plan_summary(p: dict[str, Any]) -> dict[str, Any]:
    """The run's summary; figures it lacks are taken from the chosen rows of
    ``plan_sku_results`` where they add up exactly (expected profit, dead stock, mean
    stock-out risk), else left empty (a portfolio's bad case or peak cash is not a sum)."""
    chosen = p.get("chosen_total") or {}
    out: dict[str, Any] = {k: None for k in PLAN_TILES}
    for k in ("expected_profit_usd", "dead_stock_value_usd", "mean_stockout_prob"):
        out[k] = chosen.get(k)
    out.update({k: v for k, v in (p.get("summary") or {}).items() if not isinstance(v, dict)})
    return out
