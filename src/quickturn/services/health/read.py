"""health: the read models of the dashboard and the report: rolling platform metrics against
their thresholds, the weekly trend, the latest projection under the plan, and the open
findings of every module (comply, health, ledger) counted for the overview.  Nothing here
writes (the metrics are computed afresh, not stored, when no health run exists)."""

from __future__ import annotations

from datetime import date
from typing import Any

import polars as pl

from quickturn.config import Settings
from quickturn.errors import Finding, normalise_severity
from quickturn.services import health as health_service
from quickturn.services.comply.read import comply_findings
from quickturn.services.readbase import has, latest_run, run_public
from quickturn.store import Store

#: metrics where a higher value is better (the threshold is a floor)
HIGHER_IS_BETTER = frozenset({"valid_tracking_rate", "on_time_delivery_rate"})


def health(store: Store, *, today: date, settings: Settings | None = None) -> dict[str, Any]:
    """Rolling metrics vs thresholds, the weekly trend and the findings.

    Uses the latest stored health run when there is one (what ``quickturn health`` saw),
    else computes the metrics afresh (nothing is written)."""
    run = latest_run(store, "health", kind="main") if has(store, "health_metrics") else None
    computed = health_service.metrics(
        store, today=run["as_of"] if run else today, weeks=26, settings=settings
    )
    rep = computed.report
    rolling = rep.rolling
    weekly = rep.weekly
    projection: dict[str, Any] | None = None
    proj_run = (
        latest_run(store, "health", kind="project") if has(store, "health_projections") else None
    )
    if proj_run:
        projection = {
            "run": run_public(proj_run),
            "metrics": store.table("health_projections", where={"run_id": proj_run["run_id"]}),
            "scores": (proj_run["summary"] or {}).get("scores", {}),
        }
    return {
        "today": rep.today,
        "rolling": rolling,
        "weekly": weekly,
        "score": rep.score,
        "findings": rep.findings,
        "counts": rep.counts,
        "run": run_public(run),
        "projection": projection,
    }


def open_findings(
    store: Store, *, health_findings: list[Finding] | None = None
) -> list[dict[str, Any]]:
    """Counts of open findings by module and severity: the latest comply run, the health
    findings given, and the latest ledger and plan runs' findings."""
    out: list[dict[str, Any]] = []
    cf = comply_findings(store)
    if cf.height:
        for sev, code, n in (
            cf.group_by("severity", "code")
            .agg(pl.len().alias("n"))
            .sort("n", descending=True)
            .iter_rows()
        ):
            out.append({"module": "comply", "severity": sev, "code": code, "count": int(n)})
    for f in health_findings or []:
        if f.severity == "info":
            continue
        out.append(
            {
                "module": "health",
                "severity": f.severity,
                "code": f.code,
                "count": 1,
                "message": f.message,
                "message_zh": f.message_zh,
            }
        )
    ledger_run = latest_run(store, "ledger", kind="main")
    if ledger_run:
        for code, sev in (ledger_run["summary"].get("findings") or {}).items():
            if sev != "info":
                out.append(
                    {
                        "module": "ledger",
                        "severity": normalise_severity(str(sev)),
                        "code": code,
                        "count": 1,
                    }
                )
    rank = {"block": 0, "error": 0, "warn": 1, "info": 2}
    out.sort(key=lambda r: (rank.get(str(r["severity"]), 3), -int(r["count"])))
    return out
