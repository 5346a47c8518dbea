"""Errors and findings shared by every layer.

Exceptions are for bugs and IO failures.  Business checks (import validation, compliance
rules, ledger reconciliation, health thresholds) return :class:`Finding` records instead, so
that every problem of a run is reported at once.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

#: the severities of a Finding.  One spelling each: "warn" (as ``comply_findings.severity``,
#: the rule files and the JSON output say).  ``"warning"``, the old spelling, is no longer
#: written by the code; a Finding built with it (or a database / rule file written before)
#: still reads and is stored as "warn" (:func:`normalise_severity`).
Severity = Literal["error", "block", "warn", "info"]
#: the spellings a stored or printed severity has
SEVERITIES: tuple[str, ...] = ("error", "block", "warn", "info")
ERROR_SEVERITIES = frozenset({"error", "block"})
#: old spellings → the one spelling (databases and rule files written before it still read)
SEVERITY_ALIASES: dict[str, str] = {"warning": "warn"}


def normalise_severity(severity: str) -> str:
    """The one spelling of ``severity`` (``"warning"`` → ``"warn"``; others unchanged)."""
    return SEVERITY_ALIASES.get(severity, severity)


class QuickturnError(Exception):
    """Base class of quickturn's exceptions."""


class UsageError(QuickturnError):
    """The user asked for something impossible (unknown table, bad flag value, ...)."""


class StoreError(QuickturnError):
    """The database could not be opened, migrated or written."""


class ConfigError(QuickturnError):
    """A configuration or rules file is malformed."""


class ValidationError(QuickturnError):
    """Input data failed validation; ``findings`` lists every problem found."""

    def __init__(self, findings: list[Finding], summary: str | None = None) -> None:
        self.findings = findings
        n_err = sum(1 for f in findings if f.is_error)
        super().__init__(summary or f"{n_err} problem(s) found; nothing was written")


@dataclass(frozen=True)
class Finding:
    """One problem or observation, with enough context to find and fix it.

    ``source`` names the file, table or object; ``row`` is 1-based as a spreadsheet user
    counts data rows (header excluded) when it refers to a file.
    """

    code: str
    severity: Severity  # "warning" is stored as "warn" (__post_init__)
    message: str
    source: str = ""
    row: int | None = None
    column: str | None = None
    value: Any = None
    expected: str | None = None
    message_zh: str | None = None
    fix: str | None = None
    fix_zh: str | None = None
    record: dict[str, Any] = field(default_factory=dict)
    #: how the message was made (a template and its parameters), when it was made from one:
    #: lets findings about disjoint parts of the data be merged into one
    #: (:func:`quickturn.core.ledger.findings.merge`); not compared, not in :meth:`to_dict`
    template: Any = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.severity in SEVERITY_ALIASES:
            object.__setattr__(self, "severity", SEVERITY_ALIASES[self.severity])

    @property
    def is_error(self) -> bool:
        return self.severity in ERROR_SEVERITIES

    def text(self, lang: str = "en") -> str:
        if lang == "zh" and self.message_zh:
            return self.message_zh
        return self.message

    def format(self, lang: str = "en") -> str:
        """``source:row: CODE message`` as printed by the CLI."""
        where = self.source
        if self.row is not None:
            where = f"{where}:{self.row}"
        prefix = f"{where}: " if where else ""
        return f"{prefix}{self.code} {self.text(lang)}"

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d.pop("template", None)
        d["value"] = _jsonable(self.value)
        d["record"] = {k: _jsonable(v) for k, v in self.record.items()}
        return d


def _jsonable(v: Any) -> Any:
    if v is None or isinstance(v, (str, int, float, bool)):
        return v
    try:
        json.dumps(v)
        return v
    except TypeError:
        return str(v)


def has_errors(findings: Iterable[Finding]) -> bool:
    return any(f.is_error for f in findings)
