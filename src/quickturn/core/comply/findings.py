"""Build bilingual :class:`~quickturn.errors.Finding` records from rules (pure).

Every comply finding carries ``code``, ``severity`` (block / warn / info), ``message`` and
``message_zh``, ``fix`` and ``fix_zh``, ``source`` (``sku:<id>``, ``content:<id>``, a file
name or ``text``), and in ``record`` the evidence: ``start``, ``end`` and ``match`` for text
findings, ``sku_id`` / ``content_id``, ``field``, ``scope``, ``kind`` and the rule's
``rule_source`` (where the rule comes from).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from quickturn.core.comply.ruleset import SEVERITY_RANK, Bilingual
from quickturn.errors import Finding

_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


def fill(template: str, params: Mapping[str, Any]) -> str:
    """Replace ``{name}`` by ``params[name]``; unknown placeholders stay as they are."""
    if "{" not in template:
        return template
    return _PLACEHOLDER.sub(
        lambda m: str(params[m.group(1)]) if m.group(1) in params else m.group(0), template
    )


def make_finding(
    *,
    code: str,
    severity: str,
    message: Bilingual,
    fix: Bilingual,
    params: Mapping[str, Any],
    source: str,
    record: Mapping[str, Any],
    row: int | None = None,
    column: str | None = None,
    value: Any = None,
    expected: str | None = None,
) -> Finding:
    zh_params = {**params, **{k[:-3]: v for k, v in params.items() if k.endswith("_zh")}}
    return Finding(
        code=code,
        severity=severity,  # type: ignore[arg-type]
        message=fill(message.en, params),
        message_zh=fill(message.zh, zh_params),
        source=source,
        row=row,
        column=column,
        value=value,
        expected=expected,
        fix=fill(fix.en, params) or None,
        fix_zh=fill(fix.zh, zh_params) or None,
        record=dict(record),
    )


def sort_findings(findings: Iterable[Finding]) -> list[Finding]:
    """Blocking first, then by source, field and position."""
    return sorted(
        findings,
        key=lambda f: (
            SEVERITY_RANK.get(str(f.severity), 9),
            f.source,
            f.row if f.row is not None else -1,
            str(f.record.get("field") or ""),
            int(f.record.get("start") or 0),
            f.code,
        ),
    )


def summarise(findings: Iterable[Finding]) -> dict[str, Any]:
    """Counts by severity and by code."""
    by_sev = {"block": 0, "warn": 0, "info": 0}
    by_code: dict[str, int] = {}
    for f in findings:
        by_sev[str(f.severity)] = by_sev.get(str(f.severity), 0) + 1
        by_code[f.code] = by_code.get(f.code, 0) + 1
    return {
        "total": sum(by_sev.values()),
        "by_severity": by_sev,
        "by_code": dict(sorted(by_code.items(), key=lambda kv: (-kv[1], kv[0]))),
    }
