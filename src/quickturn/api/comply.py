"""``qt.comply``: compliance checks from Python (thin wrapper over :mod:`quickturn.services.comply`).

Data flow: your texts / file / database → the packaged TikTok Shop US rules (plus your rule
files) → :class:`~quickturn.errors.Finding` records, the same ones ``quickturn comply --json``
prints (``f.to_dict()``)::

    import quickturn as qt
    qt.comply.check("This serum cures acne!")                  # free text
    qt.comply.check(file="listings.csv", rules=["my.yaml"])    # a CSV / JSON file
    qt.comply.check(db="quickturn.duckdb", sku="SKU-1")        # a SKU in the database
    qt.comply.blocked_skus("quickturn.duckdb")                 # SKU → blocking document codes
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

from quickturn.core.comply.ruleset import RuleSet
from quickturn.errors import Finding, UsageError
from quickturn.services import comply as _svc
from quickturn.store import Store, open_store

__all__ = ["RuleSet", "blocked_skus", "check", "findings_frame", "load_rules", "rules"]


def load_rules(rules: Sequence[str | Path] | str | Path = ()) -> RuleSet:
    """The packaged TikTok Shop US rules with your rule files laid over them."""
    paths = [rules] if isinstance(rules, (str, Path)) else list(rules)
    return _svc.load_rules(paths)


def rules(rules: Sequence[str | Path] | str | Path = ()) -> list[dict[str, Any]]:
    """One dict per rule: code, kind, severity, scopes, title (en / zh), source, origin."""
    return _svc.list_rules(load_rules(rules))


def _store(db: str | Path | Store | None) -> tuple[Store | None, bool]:
    if db is None:
        return None, False
    if isinstance(db, Store):
        return db, False
    return open_store(db), True


def check(
    text: str | Sequence[str] | None = None,
    *,
    file: str | Path | None = None,
    sku: str | Sequence[str] | None = None,
    db: str | Path | Store | None = None,
    rules: Sequence[str | Path] | str | Path | RuleSet = (),
    scope: str | None = None,
    today: date | None = None,
) -> list[Finding]:
    """Check texts, a file, or the database (all of it, or ``sku``) and return the findings.

    With ``text`` or ``file`` and a ``db``, US scripts are also compared with the database's
    scripts for other markets (templated content).  Without ``text`` and ``file``, ``db`` is
    checked: listings, US content, documents as of ``today`` (default: today) and templated
    scripts; nothing is written (use ``quickturn comply`` or the demo to save a run).
    """
    ruleset = rules if isinstance(rules, RuleSet) else load_rules(rules)
    store, owned = _store(db)
    try:
        findings: list[Finding] = []
        if text is not None:
            texts = [text] if isinstance(text, str) else list(text)
            findings += _svc.check_texts(
                texts, rules=ruleset, scope=scope or "text", store=store
            ).findings
        if file is not None:
            findings += _svc.check_file(file, rules=ruleset, store=store).findings
        if text is None and file is None:
            if store is None:
                raise UsageError("nothing to check: pass text=, file= or db=")
            findings += _svc.check_store(
                store,
                today=today or date.today(),
                sku=sku,
                rules=ruleset,
                scopes=[scope] if scope else None,
            ).findings
        return findings
    finally:
        if owned and store is not None:
            store.close()


def blocked_skus(db: str | Path | Store, *, today: date | None = None) -> dict[str, list[str]]:
    """SKU → codes of its blocking document findings (what the plan gates on)."""
    store, owned = _store(db)
    assert store is not None
    try:
        return _svc.blocked_skus(store, today=today or date.today())
    finally:
        if owned:
            store.close()


def findings_frame(findings: Sequence[Finding]) -> Any:
    """Findings as a Polars frame with the columns of ``comply_findings`` (run_id empty)."""
    return _svc.findings_frame(findings, "", None)
