"""Ledger findings in English and Simplified Chinese (templates translated in ``ledger.po``)."""

from __future__ import annotations

from typing import Any

from quickturn.errors import Finding, Severity
from quickturn.i18n import gettext


def finding(
    code: str,
    severity: Severity,
    message: str,
    *,
    fix: str | None = None,
    source: str = "",
    column: str | None = None,
    value: Any = None,
    expected: str | None = None,
    record: dict[str, Any] | None = None,
    **params: Any,
) -> Finding:
    """A :class:`Finding` whose message and fix are templates with ``{placeholders}``."""
    return Finding(
        code=code,
        severity=severity,
        message=message.format(**params),
        message_zh=gettext(message, "zh", **params),
        fix=fix.format(**params) if fix else None,
        fix_zh=gettext(fix, "zh", **params) if fix else None,
        source=source,
        column=column,
        value=value,
        expected=expected,
        record=record or {},
    )


def sample(values: list[Any], n: int = 5) -> str:
    """A short, readable list of example values."""
    head = ", ".join(str(v) for v in values[:n])
    return head + (f" … (+{len(values) - n})" if len(values) > n else "")
