"""comply: the read models of the dashboard and the report: the latest comply run's findings
(of the shop or one SKU), each SKU's blocking codes, and a draft text checked by the comply
module's text rules (nothing persisted).  Nothing here writes."""

from __future__ import annotations

import polars as pl

from quickturn.config import Settings
from quickturn.errors import Finding
from quickturn.services import comply as comply_service
from quickturn.services.readbase import stored_run_id
from quickturn.store import Store, queries


def comply_findings(store: Store, *, sku_id: str | None = None) -> pl.DataFrame:
    """``comply_findings`` of the latest comply run (of one SKU with ``sku_id``; empty when
    there is none)."""
    run = stored_run_id(store, "comply", "comply_findings")
    if run is None:
        return pl.DataFrame(
            schema={
                "finding_id": pl.Int64,
                "code": pl.String,
                "severity": pl.String,
                "kind": pl.String,
                "scope": pl.String,
                "source": pl.String,
                "sku_id": pl.String,
                "content_id": pl.String,
                "field": pl.String,
                "match_text": pl.String,
                "message": pl.String,
                "message_zh": pl.String,
                "fix": pl.String,
                "fix_zh": pl.String,
                "rule_source": pl.String,
            }
        )
    return queries.modules.run_findings(store, run, sku_id=sku_id)


def comply_blocking(store: Store) -> dict[str, list[str]]:
    """SKU → codes of its blocking compliance findings (latest comply run)."""
    f = comply_findings(store)
    f = f.filter((pl.col("severity") == "block") & pl.col("sku_id").is_not_null())
    out: dict[str, list[str]] = {}
    for sku, code in f.select("sku_id", "code").unique().sort("sku_id", "code").iter_rows():
        out.setdefault(str(sku), []).append(str(code))
    return out


def check_text(
    text: str, *, settings: Settings | None = None, store: Store | None = None
) -> list[Finding]:
    """Compliance findings for a draft script, caption or listing text (the comply module's
    text rules; with a store, also the templated-content comparison)."""
    if not text.strip():
        return []
    result = comply_service.check_texts([text], settings=settings, store=store)
    findings: list[Finding] = result.findings
    return findings
