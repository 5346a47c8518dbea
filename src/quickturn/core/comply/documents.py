"""Document rules: which SKUs lack the certificates their category needs (pure, Polars).

Data flow: the ``skus`` frame (attributes such as ``is_children``, ``has_radio``,
``is_battery``) and the ``certificates`` frame come in with ``today``; each document rule
selects the SKUs meeting its ``when`` conditions (discontinued SKUs are skipped) and

* ``require``: looks for a *valid* document of one of ``require_any`` — issued on or before
  ``today``, not expired (``expires_on`` ≥ ``today`` or empty), issued at most
  ``max_age_days`` ago when set (a CPC: 365), in ``language`` when set.  When none is valid
  the finding names why, from the most recent such document: missing, expired, too old,
  undated, not yet valid, or in the wrong language;
* ``expired`` / ``expiring``: one finding per document past its expiry / expiring within
  ``within_days``;
* ``listing_mentions``: the listing title or description must mention something (the
  choking-hazard warning for small parts).

Findings come back as :class:`~quickturn.errors.Finding` with ``source`` ``sku:<id>``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from typing import Any

import polars as pl

from quickturn.core.comply.findings import fill, make_finding
from quickturn.core.comply.ruleset import Bilingual, Condition, Rule, RuleSet
from quickturn.core.comply.text import terms_regex
from quickturn.errors import Finding

#: the reason texts used when a rule set has none (the packaged file defines them)
DEFAULT_REASONS: dict[str, Bilingual] = {
    "missing": Bilingual("no {documents} on file", "没有 {documents} 文件"),
    "expired": Bilingual(
        "{certificate_id} ({cert_type}) expired on {expires_on}",
        "{certificate_id}（{cert_type}）已于 {expires_on} 过期",
    ),
    "too_old": Bilingual(
        "{certificate_id} ({cert_type}) was issued on {issued_on}, {age_days} days ago (limit {max_age_days})",
        "{certificate_id}（{cert_type}）签发于 {issued_on}，已 {age_days} 天（上限 {max_age_days} 天）",
    ),
    "undated": Bilingual(
        "{certificate_id} ({cert_type}) has no issue date, so its age cannot be checked",
        "{certificate_id}（{cert_type}）没有签发日期，无法核对有效期",
    ),
    "not_yet_valid": Bilingual(
        "{certificate_id} ({cert_type}) is dated {issued_on}, after today",
        "{certificate_id}（{cert_type}）签发日期 {issued_on} 晚于今天",
    ),
    "language": Bilingual(
        "{certificate_id} ({cert_type}) is in '{language}', not '{required_language}'",
        "{certificate_id}（{cert_type}）语言为“{language}”，要求“{required_language}”",
    ),
}

_SKU_COLUMNS = ("sku_id", "title", "description", "category", "status")
_CERT_SCHEMA: dict[str, Any] = {
    "certificate_id": pl.String,
    "sku_id": pl.String,
    "cert_type": pl.String,
    "issued_on": pl.Date,
    "expires_on": pl.Date,
    "language": pl.String,
}


def _condition_expr(cond: Condition, frame: pl.DataFrame) -> pl.Expr:
    """A Polars expression for ``cond`` (a missing column: false; empty booleans: false)."""
    if cond.attribute not in frame.columns:
        return pl.lit(False)
    dtype = frame.schema[cond.attribute]
    col = pl.col(cond.attribute)
    value = cond.value
    if dtype == pl.Boolean:
        col = col.fill_null(False)
    elif dtype == pl.String:
        col = col.str.strip_chars().str.to_lowercase()
        if isinstance(value, str):
            value = value.lower()
        elif isinstance(value, tuple | list):
            value = [v.lower() if isinstance(v, str) else v for v in value]
    if cond.op == "eq":
        expr = col == value
    elif cond.op == "ne":
        expr = col != value
    elif cond.op == "in":
        expr = col.is_in(list(value) if isinstance(value, tuple | list) else [value])
    elif cond.op == "gt":
        expr = col.cast(pl.Float64) > float(value)
    elif cond.op == "ge":
        expr = col.cast(pl.Float64) >= float(value)
    elif cond.op == "lt":
        expr = col.cast(pl.Float64) < float(value)
    else:
        expr = col.cast(pl.Float64) <= float(value)
    out: pl.Expr = expr.fill_null(False)
    return out


def applicable_skus(rule: Rule, skus: pl.DataFrame) -> pl.DataFrame:
    """SKUs (not discontinued) meeting all of the rule's ``when`` conditions."""
    frame = skus
    if "status" in frame.columns:
        frame = frame.filter(
            pl.col("status").fill_null("active").str.to_lowercase() != "discontinued"
        )
    for cond in rule.when:
        frame = frame.filter(_condition_expr(cond, frame))
    return frame


def _certs(certificates: pl.DataFrame | None) -> pl.DataFrame:
    if certificates is None or certificates.height == 0:
        return pl.DataFrame(schema=_CERT_SCHEMA)
    frame = certificates
    for col, dt in _CERT_SCHEMA.items():
        if col not in frame.columns:
            frame = frame.with_columns(pl.lit(None, dtype=dt).alias(col))
    return frame.select(
        pl.col("certificate_id").cast(pl.String),
        pl.col("sku_id").cast(pl.String),
        pl.col("cert_type").cast(pl.String).str.strip_chars().str.to_uppercase(),
        pl.col("issued_on").cast(pl.Date),
        pl.col("expires_on").cast(pl.Date),
        pl.col("language").cast(pl.String).fill_null("en").str.strip_chars().str.to_lowercase(),
    )


def _sku_frame(skus: pl.DataFrame) -> pl.DataFrame:
    frame = skus
    for col in _SKU_COLUMNS:
        if col not in frame.columns:
            frame = frame.with_columns(pl.lit(None, dtype=pl.String).alias(col))
    return frame


def check_documents(
    ruleset: RuleSet,
    skus: pl.DataFrame,
    certificates: pl.DataFrame | None,
    *,
    today: date,
    codes: Iterable[str] | None = None,
) -> list[Finding]:
    """Findings of every document rule of ``ruleset`` for ``skus`` as of ``today``."""
    wanted = set(codes) if codes is not None else None
    skus = _sku_frame(skus)
    certs = _certs(certificates)
    reasons = {**DEFAULT_REASONS, **ruleset.reasons}
    out: list[Finding] = []
    for rule in ruleset.document_rules:
        if wanted is not None and rule.code not in wanted:
            continue
        spec = rule.documents
        assert spec is not None
        targets = applicable_skus(rule, skus)
        if targets.height == 0:
            continue
        if spec.check == "require":
            out.extend(_require(rule, targets, certs, today, reasons))
        elif spec.check in ("expired", "expiring"):
            out.extend(_expiry(rule, targets, certs, today))
        elif spec.check == "listing_mentions":
            out.extend(_mentions(rule, targets, ruleset))
    return out


def _require(
    rule: Rule,
    targets: pl.DataFrame,
    certs: pl.DataFrame,
    today: date,
    reasons: Mapping[str, Bilingual],
) -> list[Finding]:
    spec = rule.documents
    assert spec is not None
    docs = certs.filter(pl.col("cert_type").is_in(list(spec.require_any))).join(
        targets.select("sku_id"), on="sku_id", how="semi"
    )
    age = (pl.lit(today) - pl.col("issued_on")).dt.total_days()
    reason = (
        pl.when(pl.col("expires_on").is_not_null() & (pl.col("expires_on") < today))
        .then(pl.lit("expired"))
        .when(pl.col("issued_on").is_not_null() & (pl.col("issued_on") > today))
        .then(pl.lit("not_yet_valid"))
    )
    if spec.max_age_days is not None:
        reason = (
            reason.when(pl.col("issued_on").is_null())
            .then(pl.lit("undated"))
            .when(age > spec.max_age_days)
            .then(pl.lit("too_old"))
        )
    if spec.language:
        reason = reason.when(pl.col("language") != spec.language.lower()).then(pl.lit("language"))
    docs = docs.with_columns(reason.otherwise(pl.lit(None)).alias("reason"), age.alias("age_days"))
    valid = set(docs.filter(pl.col("reason").is_null())["sku_id"].to_list())
    # most recent invalid document per SKU explains the finding
    latest = (
        docs.filter(pl.col("reason").is_not_null())
        .sort(
            ["sku_id", "issued_on", "expires_on"], descending=[False, True, True], nulls_last=True
        )
        .unique("sku_id", keep="first", maintain_order=True)
    )
    by_sku = {r["sku_id"]: r for r in latest.iter_rows(named=True)}
    documents_en = " or ".join(spec.require_any)
    documents_zh = " 或 ".join(spec.require_any)
    out: list[Finding] = []
    for sku in targets.select("sku_id", "title").iter_rows(named=True):
        sku_id = sku["sku_id"]
        if sku_id in valid:
            continue
        doc = by_sku.get(sku_id)
        key = doc["reason"] if doc else "missing"
        dparams: dict[str, Any] = {
            "documents": documents_en,
            "documents_zh": documents_zh,
            "certificate_id": doc["certificate_id"] if doc else "",
            "cert_type": doc["cert_type"] if doc else "",
            "issued_on": _iso(doc["issued_on"]) if doc else "",
            "expires_on": _iso(doc["expires_on"]) if doc else "",
            "age_days": doc["age_days"] if doc and doc["age_days"] is not None else "",
            "max_age_days": spec.max_age_days if spec.max_age_days is not None else "",
            "language": doc["language"] if doc else "",
            "required_language": spec.language or "",
        }
        text = reasons.get(key, Bilingual(key, key))
        dparams_zh = {**dparams, "documents": documents_zh}
        params = {
            **dparams,
            "sku_id": sku_id,
            "title": sku["title"] or "",
            "detail": fill(text.en, dparams),
            "detail_zh": fill(text.zh, dparams_zh),
        }
        out.append(
            make_finding(
                code=rule.code,
                severity=rule.severity,
                message=rule.message,
                fix=rule.fix,
                params=params,
                source=f"sku:{sku_id}",
                column="documents",
                value=doc["certificate_id"] if doc else None,
                expected=documents_en,
                record={
                    "kind": "documents",
                    "scope": "sku_documents",
                    "sku_id": sku_id,
                    "reason": key,
                    "required": list(spec.require_any),
                    "certificate_id": doc["certificate_id"] if doc else None,
                    "issued_on": _iso(doc["issued_on"]) if doc else None,
                    "expires_on": _iso(doc["expires_on"]) if doc else None,
                    "rule_source": rule.source,
                    "title": rule.title.en,
                    "title_zh": rule.title.zh,
                },
            )
        )
    return out


def _expiry(rule: Rule, targets: pl.DataFrame, certs: pl.DataFrame, today: date) -> list[Finding]:
    spec = rule.documents
    assert spec is not None
    docs = certs.join(targets.select("sku_id", "title"), on="sku_id", how="inner")
    if spec.require_any:
        docs = docs.filter(pl.col("cert_type").is_in(list(spec.require_any)))
    if spec.check == "expired":
        docs = docs.filter(pl.col("expires_on").is_not_null() & (pl.col("expires_on") < today))
    else:
        horizon = today + timedelta(days=spec.within_days)
        docs = docs.filter(
            pl.col("expires_on").is_not_null()
            & (pl.col("expires_on") >= today)
            & (pl.col("expires_on") <= horizon)
        )
    docs = docs.sort(["sku_id", "certificate_id"])
    out: list[Finding] = []
    for d in docs.iter_rows(named=True):
        days = (d["expires_on"] - today).days
        params = {
            "sku_id": d["sku_id"],
            "title": d["title"] or "",
            "certificate_id": d["certificate_id"],
            "cert_type": d["cert_type"],
            "expires_on": _iso(d["expires_on"]),
            "issued_on": _iso(d["issued_on"]),
            "days": abs(days),
            "within_days": spec.within_days,
        }
        out.append(
            make_finding(
                code=rule.code,
                severity=rule.severity,
                message=rule.message,
                fix=rule.fix,
                params=params,
                source=f"sku:{d['sku_id']}",
                column="documents",
                value=d["certificate_id"],
                record={
                    "kind": "documents",
                    "scope": "sku_documents",
                    "sku_id": d["sku_id"],
                    "reason": spec.check,
                    "certificate_id": d["certificate_id"],
                    "cert_type": d["cert_type"],
                    "issued_on": _iso(d["issued_on"]),
                    "expires_on": _iso(d["expires_on"]),
                    "rule_source": rule.source,
                    "title": rule.title.en,
                    "title_zh": rule.title.zh,
                },
            )
        )
    return out


def _mentions(rule: Rule, targets: pl.DataFrame, ruleset: RuleSet) -> list[Finding]:
    spec = rule.documents
    assert spec is not None
    rx = terms_regex(spec.mentions, ruleset.vocab)
    out: list[Finding] = []
    for sku in targets.select("sku_id", "title", "description").iter_rows(named=True):
        text = f"{sku['title'] or ''}\n{sku['description'] or ''}"
        if rx is not None and rx.search(text):
            continue
        params = {"sku_id": sku["sku_id"], "title": sku["title"] or ""}
        out.append(
            make_finding(
                code=rule.code,
                severity=rule.severity,
                message=rule.message,
                fix=rule.fix,
                params=params,
                source=f"sku:{sku['sku_id']}",
                column="description",
                record={
                    "kind": "documents",
                    "scope": "sku_documents",
                    "sku_id": sku["sku_id"],
                    "reason": "listing_mentions",
                    "rule_source": rule.source,
                    "title": rule.title.en,
                    "title_zh": rule.title.zh,
                },
            )
        )
    return out


def _iso(d: date | None) -> str:
    return d.isoformat() if d is not None else ""


def blocking_by_sku(findings: Iterable[Finding]) -> dict[str, list[str]]:
    """SKU → sorted codes of its blocking document findings."""
    out: dict[str, set[str]] = {}
    for f in findings:
        if f.severity == "block" and f.record.get("kind") == "documents":
            sku = f.record.get("sku_id")
            if sku:
                out.setdefault(str(sku), set()).add(f.code)
    return {k: sorted(v) for k, v in sorted(out.items())}
