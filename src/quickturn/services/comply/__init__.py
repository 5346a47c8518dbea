"""Comply use cases: load rules → load listings, content and documents → check → persist.

Data flow:

* :func:`load_rules` reads the packaged ``core/comply/rules/us.yaml`` (``importlib.resources``)
  and the user's rule files (``--rules``, or ``comply.rules`` in the configuration) and merges
  them (:func:`quickturn.core.comply.ruleset.merge_rulesets`);
* :func:`check_store` loads ``skus`` (listing title and description), ``content`` for the US
  (caption and script; LIVE scripts), ``content_skus``, ``shops`` and ``certificates`` from the
  store, builds text items and runs the text engine, the document rules (as of ``today``) and
  the templated-content detector (US scripts against the other markets' scripts);
* :func:`check_texts` / :func:`check_file` check free texts and CSV / JSON files (read by
  :mod:`quickturn.connectors.comply_files`), optionally against a store's other-market scripts;
* :func:`run` persists a store check in ``comply_findings`` with a ``runs`` row;
* :func:`blocked_skus` (the plan's gating hook) returns SKU → blocking document finding codes;
* :func:`demo_step` runs all of it on the demo shop.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import polars as pl

from quickturn.config import Settings
from quickturn.connectors.comply_files import read_texts
from quickturn.core.comply.documents import blocking_by_sku, check_documents
from quickturn.core.comply.findings import sort_findings, summarise
from quickturn.core.comply.ruleset import (
    RuleSet,
    rules_table,
    scopes_for,
)
from quickturn.core.comply.templated import Script, find_templated
from quickturn.core.comply.text import TextItem, engine_for
from quickturn.errors import Finding, UsageError
from quickturn.schema import get_table
from quickturn.services.comply_texts import (
    CONTENT_SCOPES,
    PACKAGED_RULES,
    file_items,
    load_rules,
    read_rule_file,
    rule_paths,
    text_items,
)
from quickturn.services.demo_context import DemoContext
from quickturn.store import Store
from quickturn.store.queries import runs as run_queries
from quickturn.validate import empty_frame

__all__ = [
    "PACKAGED_RULES",
    "CheckResult",
    "check_file",
    "check_store",
    "check_texts",
    "file_items",
    "load_rules",
    "read_rule_file",
    "rule_paths",
    "run",
    "templated_rows",
    "text_items",
]


def gate_purchase_orders(settings: Settings | None) -> bool:
    """Should SKUs with blocking document findings get no purchase order? (default: yes)

    Configuration: ``comply: {gate_purchase_orders: false}`` turns gating off.
    """
    if settings is None:
        return True
    return bool(settings.section("comply").get("gate_purchase_orders", True))


def blocked_skus(
    store: Store,
    *,
    today: date,
    rules: RuleSet | None = None,
    settings: Settings | None = None,
) -> dict[str, list[str]]:
    """SKU → codes of its blocking document findings as of ``today`` (plan gating hook).

    SKUs without blocking document findings are absent.  Discontinued SKUs are skipped.
    """
    ruleset = rules if rules is not None else load_rules(settings=settings)
    skus = store.table("skus")
    certs = store.table("certificates")
    findings = check_documents(ruleset, skus, certs, today=today)
    return blocking_by_sku(findings)


# -- text items ------------------------------------------------------------------------------

_FLAGS = (
    "is_children",
    "has_small_parts",
    "is_supplement",
    "is_beauty_device",
    "is_pet_food",
    "has_radio",
    "is_battery",
    "is_flammable",
    "is_cosmetic",
)


def listing_items(skus: pl.DataFrame) -> list[TextItem]:
    """One item per SKU: title → listing_title, description → listing_description."""
    items: list[TextItem] = []
    cols = set(skus.columns)
    for r in skus.iter_rows(named=True):
        attrs: dict[str, Any] = {
            k: r.get(k) for k in ("category", "subcategory", "status") if k in cols
        }
        for flag in _FLAGS:
            if flag in cols:
                attrs[flag] = bool(r.get(flag))
        price = r.get("list_price")
        if price is not None and (r.get("price_currency") or "USD") == "USD":
            attrs["price_usd"] = float(price)
        items.append(
            TextItem(
                item_id=f"sku:{r['sku_id']}",
                texts=(
                    ("title", "listing_title", r.get("title") or ""),
                    ("description", "listing_description", r.get("description") or ""),
                ),
                sku_id=r["sku_id"],
                attrs=attrs,
            )
        )
    return items


def content_items(
    content: pl.DataFrame, featured: dict[str, list[str]] | None = None
) -> list[TextItem]:
    """One item per piece of content: caption (and title) and script, scoped by its kind."""
    featured = featured or {}
    items: list[TextItem] = []
    for r in content.iter_rows(named=True):
        cap_scope, script_scope = CONTENT_SCOPES.get(
            str(r.get("kind") or "video"), CONTENT_SCOPES["video"]
        )
        skus = featured.get(r["content_id"], [])
        texts = [
            ("title", cap_scope, r.get("title") or ""),
            ("caption", cap_scope, r.get("caption") or ""),
            ("script", script_scope, r.get("script") or ""),
        ]
        items.append(
            TextItem(
                item_id=f"content:{r['content_id']}",
                texts=tuple(t for t in texts if t[2]),
                sku_id=skus[0] if skus else None,
                content_id=r["content_id"],
                attrs={"market": r.get("market"), "kind": r.get("kind"), "sku_ids": skus},
            )
        )
    return items


# -- checks ----------------------------------------------------------------------------------


@dataclass
class CheckResult:
    """Findings of one check plus what was checked."""

    findings: list[Finding]
    checked: dict[str, int] = field(default_factory=dict)
    as_of: date | None = None
    ruleset: str = ""

    @property
    def blocking(self) -> bool:
        return any(f.severity == "block" for f in self.findings)

    def summary(self) -> dict[str, Any]:
        out = summarise(self.findings)
        out["checked"] = dict(self.checked)
        out["blocking"] = self.blocking
        out["blocked_skus"] = len(blocking_by_sku(self.findings))
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": not self.blocking,
            "as_of": self.as_of.isoformat() if self.as_of else None,
            "ruleset": self.ruleset,
            "summary": self.summary(),
            "findings": [f.to_dict() for f in self.findings],
        }


def _featured(store: Store) -> dict[str, list[str]]:
    links = store.table("content_skus")
    out: dict[str, list[str]] = {}
    for r in links.sort(["content_id", "sku_id"]).iter_rows(named=True):
        out.setdefault(r["content_id"], []).append(r["sku_id"])
    return out


def _other_market_scripts(store: Store, home_market: str) -> list[Script]:
    content = store.table("content", columns=["content_id", "market", "caption", "script"])
    content = content.filter(pl.col("market").str.to_uppercase() != home_market.upper())
    return [
        Script(r["content_id"], r["market"], r["script"] or r["caption"] or "")
        for r in content.iter_rows(named=True)
        if (r["script"] or r["caption"])
    ]


def check_store(
    store: Store,
    *,
    today: date,
    sku: str | Sequence[str] | None = None,
    rules: RuleSet | None = None,
    settings: Settings | None = None,
    scopes: Sequence[str] | None = None,
) -> CheckResult:
    """Check the store's listings, US content, documents and templated scripts as of ``today``.

    ``sku`` limits the check to those SKUs' listings, documents and the content featuring them.
    ``scopes`` limits the text rules to those scopes (group names such as ``listing``).
    """
    ruleset = rules if rules is not None else load_rules(settings=settings)
    home = ruleset.market.upper()
    wanted = [sku] if isinstance(sku, str) else list(sku) if sku is not None else None
    skus = store.table("skus")
    shops = store.table("shops", columns=["shop_id", "market"])
    foreign = set(shops.filter(pl.col("market").str.to_uppercase() != home)["shop_id"].to_list())
    if foreign:
        skus = skus.filter(~pl.col("shop_id").is_in(list(foreign)) | pl.col("shop_id").is_null())
    featured = _featured(store)
    content = store.table("content")
    content = content.filter(pl.col("market").str.to_uppercase() == home)
    if wanted is not None:
        unknown = sorted(set(wanted) - set(skus["sku_id"].to_list()))
        if unknown:
            raise UsageError(
                f"unknown SKU {', '.join(unknown)} (not in the skus table of {store.url})"
            )
        skus = skus.filter(pl.col("sku_id").is_in(wanted))
        ids = [cid for cid, s in featured.items() if set(s) & set(wanted)]
        content = content.filter(pl.col("content_id").is_in(ids))
    text_scopes = scopes_for(scopes) if scopes else None
    engine = engine_for(ruleset)
    items = listing_items(skus) + content_items(content, featured)
    findings = engine.check(items, scopes=text_scopes)
    certs = store.table("certificates")
    if wanted is not None:
        certs = certs.filter(pl.col("sku_id").is_in(wanted))
    if text_scopes is None or "sku_documents" in (text_scopes or ()):
        findings += check_documents(ruleset, skus, certs, today=today)
    us_scripts = [
        Script(
            r["content_id"],
            r["market"],
            r["script"] or r["caption"] or "",
            next(iter(featured.get(r["content_id"], [])), None),
            "live_script" if r["kind"] == "live" else "video_script",
        )
        for r in content.iter_rows(named=True)
        if r["kind"] != "image" and (r["script"] or r["caption"])
    ]
    if text_scopes is not None:
        us_scripts = [s for s in us_scripts if s.scope in text_scopes]
    findings += find_templated(us_scripts, _other_market_scripts(store, home), ruleset.templated)
    checked = {
        "listings": skus.height,
        "content": content.height,
        "certificates": certs.height,
        "scripts_compared": len(us_scripts),
    }
    return CheckResult(sort_findings(findings), checked, today, f"{ruleset.name} {ruleset.version}")


def check_texts(
    texts: Sequence[str],
    *,
    rules: RuleSet | None = None,
    settings: Settings | None = None,
    scope: str = "text",
    store: Store | None = None,
) -> CheckResult:
    """Check free texts; with a store, also compare them with its other-market scripts."""
    ruleset = rules if rules is not None else load_rules(settings=settings)
    items = text_items(texts, scope)
    findings = engine_for(ruleset).check(items)
    if store is not None:
        home = [
            Script(f"text{i}" if len(texts) > 1 else "text", ruleset.market, t)
            for i, t in enumerate(texts, start=1)
        ]
        tpl = find_templated(home, _other_market_scripts(store, ruleset.market), ruleset.templated)
        findings += [
            replace(
                f, source="text", row=int(f.record["content_id"][4:]) if len(texts) > 1 else None
            )
            for f in tpl
        ]
    return CheckResult(
        sort_findings(findings), {"texts": len(texts)}, None, f"{ruleset.name} {ruleset.version}"
    )


def check_file(
    path: str | Path,
    *,
    rules: RuleSet | None = None,
    settings: Settings | None = None,
    store: Store | None = None,
) -> CheckResult:
    """Check the listings / scripts / promotions of a CSV or JSON file."""
    ruleset = rules if rules is not None else load_rules(settings=settings)
    p = Path(path)
    rows = read_texts(p)
    items = file_items(rows, p.name)
    findings = engine_for(ruleset).check(items)
    if store is not None:
        findings += templated_rows(rows, p.name, ruleset, store)
    return CheckResult(
        sort_findings(findings), {"rows": len(rows)}, None, f"{ruleset.name} {ruleset.version}"
    )


def templated_rows(
    rows: Sequence[dict[str, Any]], source: str, ruleset: RuleSet, store: Store
) -> list[Finding]:
    """Templated-content findings of a file's US video / LIVE / text rows against the store's
    scripts for other markets (``source`` and ``row`` set to the file's)."""
    home = [
        Script(
            f"{source}:{r['row']}",
            ruleset.market,
            r.get("script") or r.get("caption") or r.get("text") or "",
        )
        for r in rows
        if r["scope"] in ("video", "live", "text")
        and (r.get("market") or ruleset.market).upper() == ruleset.market
    ]
    out: list[Finding] = []
    for f in find_templated(home, _other_market_scripts(store, ruleset.market), ruleset.templated):
        row = int(str(f.record["content_id"]).rsplit(":", 1)[1])
        out.append(replace(f, source=source, row=row))
    return out


# -- persistence -----------------------------------------------------------------------------


def findings_frame(findings: Sequence[Finding], run_id: str, as_of: date | None) -> pl.DataFrame:
    """Findings as rows of ``comply_findings``."""
    rows = []
    for i, f in enumerate(findings, start=1):
        rec = f.record
        detail = {
            k: v
            for k, v in rec.items()
            if k
            not in (
                "start",
                "end",
                "match",
                "sku_id",
                "content_id",
                "field",
                "scope",
                "kind",
                "rule_source",
            )
        }
        rows.append(
            {
                "run_id": run_id,
                "finding_id": i,
                "as_of": as_of,
                "code": f.code,
                "severity": str(f.severity),
                "kind": rec.get("kind"),
                "scope": rec.get("scope"),
                "source": f.source,
                "sku_id": rec.get("sku_id"),
                "content_id": rec.get("content_id"),
                "field": rec.get("field") or f.column,
                "span_start": rec.get("start"),
                "span_end": rec.get("end"),
                "match_text": str(
                    rec.get("match") if rec.get("match") is not None else (f.value or "")
                )
                or None,
                "message": f.message,
                "message_zh": f.message_zh,
                "fix": f.fix,
                "fix_zh": f.fix_zh,
                "rule_source": rec.get("rule_source"),
                "detail": json.dumps(detail, ensure_ascii=False, default=str) if detail else None,
            }
        )
    schema = {
        "run_id": pl.String,
        "finding_id": pl.Int64,
        "as_of": pl.Date,
        "span_start": pl.Int64,
        "span_end": pl.Int64,
    }
    if not rows:
        return empty_frame(get_table("comply_findings"))
    return pl.DataFrame(rows, schema_overrides=schema, infer_schema_length=None)


def run(
    store: Store,
    *,
    today: date,
    rules: RuleSet | None = None,
    settings: Settings | None = None,
    rule_files: Sequence[str | Path] = (),
) -> tuple[str, CheckResult]:
    """Check the whole store and persist the findings as a new run; return (run_id, result)."""
    ruleset = rules if rules is not None else load_rules(rule_files, settings=settings)
    result = check_store(store, today=today, rules=ruleset)
    run_id = f"comply-{today.isoformat()}-{uuid.uuid4().hex[:8]}"
    frame = findings_frame(result.findings, run_id, today)
    runs = pl.DataFrame(
        {
            "run_id": [run_id],
            "module": ["comply"],
            "created_at": [datetime.now(UTC).replace(tzinfo=None)],
            "as_of": [today],
            "params": [
                json.dumps(
                    {"ruleset": result.ruleset, "rule_files": [str(p) for p in ruleset.sources[1:]]}
                )
            ],
            "summary": [json.dumps(result.summary(), default=str)],
        }
    )
    with store.transaction():
        store.write("comply_findings", frame, mode="append")
        store.write("runs", runs)
    return run_id, result


def latest_run(store: Store) -> str | None:
    """Id of the most recent comply run (``None`` when there is none)."""
    return run_queries.latest_run_id(store, "comply")


def latest_findings(store: Store) -> pl.DataFrame:
    """``comply_findings`` of the latest run (empty frame when none): for the web dashboard."""
    run_id = latest_run(store)
    if run_id is None:
        return empty_frame(get_table("comply_findings"))
    frame: pl.DataFrame = store.table(
        "comply_findings", where={"run_id": run_id}, order_by=["finding_id"]
    )
    return frame


def list_rules(ruleset: RuleSet) -> list[dict[str, Any]]:
    """The rules (code, kind, severity, scopes, title, source) for ``--list-rules`` and docs."""
    return rules_table(ruleset)


# -- demo ------------------------------------------------------------------------------------


def pick_examples(findings: Sequence[Finding], n: int) -> list[Finding]:
    """A varied handful for the story: an English claim, a Chinese-script finding, a
    promotion, a missing document, a templated script, then other codes (blocking first)."""
    wanted: list[Callable[[Finding], bool]] = [
        lambda f: f.code.startswith("CLAIM_") and not _cjk(f),
        lambda f: _cjk(f),
        lambda f: f.code.startswith(("PROMO_", "REVIEW_", "OFFPLATFORM_")),
        lambda f: f.record.get("kind") == "documents" and f.severity == "block",
        lambda f: f.record.get("kind") == "templated",
    ]
    order = {"block": 0, "warn": 1, "info": 2}
    ranked = sorted(findings, key=lambda f: order.get(str(f.severity), 3))
    out: list[Finding] = []
    for test in wanted:
        hit = next((f for f in ranked if test(f) and f.code not in {o.code for o in out}), None)
        if hit is not None:
            out.append(hit)
    for f in ranked:
        if len(out) >= n:
            break
        if f.code not in {o.code for o in out}:
            out.append(f)
    return out[:n]


def _cjk(f: Finding) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in str(f.record.get("match") or ""))


def _example(f: Finding) -> dict[str, Any]:
    return {
        "code": f.code,
        "severity": f.severity,
        "source": f.source,
        "match": f.record.get("match"),
        "message": f.message,
        "message_zh": f.message_zh,
        "fix": f.fix,
        "fix_zh": f.fix_zh,
    }


def demo_step(ctx: DemoContext) -> dict[str, Any]:
    """Run comply on the demo shop, persist the findings and return the demo section."""
    ctx.progress("comply: checking listings, scripts and documents")
    ruleset = load_rules(settings=ctx.settings)
    run_id, result = run(ctx.store, today=ctx.today, rules=ruleset)
    summary = result.summary()
    blocked = blocking_by_sku(result.findings)
    examples = [_example(f) for f in pick_examples(result.findings, 6)]
    by_kind: dict[str, int] = {}
    for f in result.findings:
        k = str(f.record.get("kind") or "text")
        by_kind[k] = by_kind.get(k, 0) + 1
    return {
        "run_id": run_id,
        "as_of": ctx.today.isoformat(),
        "ruleset": result.ruleset,
        "checked": result.checked,
        "total": summary["total"],
        "by_severity": summary["by_severity"],
        "by_code": summary["by_code"],
        "by_kind": by_kind,
        "blocked_skus": blocked,
        "examples": examples,
    }
