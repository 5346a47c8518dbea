"""Ledger findings in English and Simplified Chinese (templates translated in ``ledger.po``)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from quickturn.errors import Finding, Severity
from quickturn.i18n import gettext


@dataclass(frozen=True)
class Template:
    """The message and fix templates of a finding and the parameters they were filled with."""

    message: str
    fix: str | None
    params: dict[str, Any]
    #: the parameter that counts the items of the finding's ``value`` (SKUs, currencies)
    counts_value: str | None = None


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
    counts_value: str | None = None,
    **params: Any,
) -> Finding:
    """A :class:`Finding` whose message and fix are templates with ``{placeholders}``.

    ``counts_value``: the parameter that counts the items of ``value`` (merged findings count
    each item once, :func:`merge`)."""
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
        template=Template(message, fix, dict(params), counts_value),
    )


def sample(values: list[Any], n: int = 5) -> str:
    """A short, readable list of example values."""
    head = ", ".join(str(v) for v in values[:n])
    return head + (f" … (+{len(values) - n})" if len(values) > n else "")


TRUNCATED = " … (+"
#: record lists of a merged finding are cut to this many items (as the engine cuts them)
RECORD_ITEMS = 50


def _items(text: str) -> list[str]:
    """The items of a ``", "``-joined list or of a :func:`sample` (its "… (+k)" cut off)."""
    return [v for v in text.split(TRUNCATED)[0].split(", ") if v]


def _hidden(text: str) -> int:
    """How many items a :func:`sample` left out (its "… (+k)")."""
    if TRUNCATED not in text:
        return 0
    return int(text.split(TRUNCATED)[1].rstrip(")"))


def _union(lists: list[list[Any]]) -> list[Any]:
    seen: dict[Any, None] = {}
    for vs in lists:
        for v in vs:
            seen.setdefault(v, None)
    out = list(seen)
    try:
        return sorted(out) if all(vs == sorted(vs) for vs in lists) else out
    except TypeError:
        return out


def _merge_group(group: list[Finding]) -> Finding:
    first = group[0]
    t = first.template
    assert isinstance(t, Template)
    values = [f.value for f in group]
    value: Any = _union(values) if all(isinstance(v, list) for v in values) else first.value
    params: dict[str, Any] = {}
    for key, v0 in t.params.items():
        vs = [f.template.params.get(key) for f in group]
        if isinstance(v0, int) and not isinstance(v0, bool) and all(isinstance(v, int) for v in vs):
            # a count of the listed values (SKUs, currencies) counts each once
            params[key] = len(value) if key == t.counts_value else sum(vs)
        elif isinstance(v0, str) and all(isinstance(v, str) for v in vs):
            items = _union([_items(v) for v in vs])
            if any(TRUNCATED in v for v in vs):  # samples: show 5, count those not shown
                hidden = sum(_hidden(v) for v in vs)
                params[key] = sample(items + [""] * hidden)
            else:
                params[key] = ", ".join(items)
        else:
            params[key] = v0
    record: dict[str, Any] = {}
    for key, v0 in first.record.items():
        parts = [f.record.get(key) for f in group]
        lists = [p for p in parts if isinstance(p, list)]
        if len(lists) == len(parts):
            record[key] = [x for p in lists for x in p][:RECORD_ITEMS]
        else:
            record[key] = v0
    made = finding(
        first.code,
        first.severity,
        t.message,
        fix=t.fix,
        source=first.source,
        column=first.column,
        value=value,
        expected=first.expected,
        record=record,
        counts_value=t.counts_value,
        **params,
    )
    return replace(made, row=first.row)


def merge(findings: list[Finding]) -> list[Finding]:
    """Findings made on disjoint parts of the data (partitions of the orders), one per kind:
    those of one code, severity, source, column and template become one, with counts added
    (the count of the listed values, ``counts_value``, counts each value once), lists joined
    and record lists cut to :data:`RECORD_ITEMS`.  Findings made without a template, and
    kinds found once, are kept as they are; the order is that of each kind's first finding."""
    groups: dict[tuple[Any, ...], list[Finding]] = {}
    for i, f in enumerate(findings):
        t = f.template
        key = (
            (f.code, f.severity, f.source, f.column, t.message, t.fix)
            if isinstance(t, Template)
            else (i,)
        )
        groups.setdefault(key, []).append(f)
    return [g[0] if len(g) == 1 else _merge_group(g) for g in groups.values()]
