"""Rules and free texts for the compliance checks, without the database (light imports).

Data flow: :func:`load_rules` reads the packaged ``core/comply/rules/us.yaml``
(``importlib.resources``) and the user's rule files (``--rules``, ``comply.rules`` in the
configuration) and lays them over it; :func:`file_items` / :func:`text_items` turn the rows of
a file (:func:`quickturn.connectors.comply_files.read_texts`) or free texts into
:class:`~quickturn.core.comply.text.TextItem` records; :func:`check_rows` checks many rows
in one process and returns one :class:`RowResult` per row (``quickturn comply --file``).

Only the standard library, PyYAML and the pure comply core are imported here, so the bulk
path starts fast; :mod:`quickturn.services.comply` (the database checks, runs, templated
content against the store) re-exports these functions.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from quickturn.config import Settings
from quickturn.core.comply.findings import sort_findings
from quickturn.core.comply.ruleset import (
    SCOPE_GROUPS,
    SEVERITY_RANK,
    RuleSet,
    merge_rulesets,
    parse_ruleset,
)
from quickturn.core.comply.text import TextItem, engine_for
from quickturn.errors import ConfigError, Finding, UsageError

PACKAGED_RULES = "us.yaml"


@lru_cache(maxsize=4)
def _packaged(name: str) -> RuleSet:
    ref = resources.files("quickturn.core.comply") / "rules" / name
    return parse_ruleset(ref.read_text(encoding="utf-8"), f"quickturn/core/comply/rules/{name}")


def read_rule_file(path: str | Path) -> RuleSet:
    """Parse one user rule file (``ConfigError`` naming file and line when malformed)."""
    p = Path(path)
    if not p.exists():
        raise ConfigError(f"{p}: rule file not found")
    if p.is_dir():
        raise ConfigError(f"{p}: is a folder, expected a YAML rule file")
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{p}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    return parse_ruleset(text, str(p), partial=True)


def rule_paths(settings: Settings | None, extra: Sequence[str | Path] = ()) -> list[Path]:
    """User rule files: ``comply.rules`` from the configuration, then ``extra`` (``--rules``)."""
    paths: list[Path] = []
    if settings is not None:
        configured = settings.section("comply").get("rules") or []
        if isinstance(configured, str):
            configured = [configured]
        base = settings.config_path.parent if settings.config_path else Path()
        for p in configured:
            q = Path(str(p))
            paths.append(q if q.is_absolute() else base / q)
    paths.extend(Path(p) for p in extra)
    return paths


def load_rules(
    paths: Sequence[str | Path] = (),
    *,
    settings: Settings | None = None,
    market: str = "US",
) -> RuleSet:
    """The packaged rules of ``market`` with the user's files laid over them."""
    if market.upper() != "US":
        raise ConfigError(f"no packaged compliance rules for market {market!r}; available: US")
    base = _packaged(PACKAGED_RULES)
    overlays = [read_rule_file(p) for p in rule_paths(settings, paths)]
    ruleset = merge_rulesets(base, *overlays) if overlays else base
    if settings is not None:
        ruleset = _apply_settings(ruleset, settings)
    return ruleset


def _apply_settings(ruleset: RuleSet, settings: Settings) -> RuleSet:
    opts = settings.section("comply")
    changes: dict[str, Any] = {}
    if "templated_threshold" in opts:
        value = opts["templated_threshold"]
        if not isinstance(value, (int, float)) or not 0 < float(value) <= 1:
            raise ConfigError(
                f"{settings.config_path}: comply.templated_threshold must be a number in (0, 1], got {value!r}"
            )
        changes["threshold"] = float(value)
    if not changes:
        return ruleset
    return replace(ruleset, templated=replace(ruleset.templated, **changes))


# -- text items ------------------------------------------------------------------------------

#: content kind → scope of (caption, script) fields
CONTENT_SCOPES: dict[str, tuple[str, str]] = {
    "live": ("live_script", "live_script"),
    "video": ("video_caption", "video_script"),
    "ad": ("video_caption", "video_script"),
    "creator_post": ("video_caption", "video_script"),
    "image": ("video_caption", "video_script"),
}


def file_items(rows: Iterable[dict[str, Any]], source: str) -> list[TextItem]:
    """Text items from the rows of :func:`quickturn.connectors.comply_files.read_texts`."""
    items: list[TextItem] = []
    for r in rows:
        scope = r["scope"]
        texts: list[tuple[str, str, str]] = []
        if scope == "listing":
            texts = [
                ("title", "listing_title", r.get("title", "")),
                ("description", "listing_description", r.get("description", "")),
                ("text", "listing_description", r.get("text", "")),
            ]
        elif scope in ("video", "live"):
            cap, scr = CONTENT_SCOPES["live" if scope == "live" else "video"]
            texts = [
                ("title", cap, r.get("title", "")),
                ("caption", cap, r.get("caption", "")),
                ("script", scr, r.get("script", "")),
                ("text", scr, r.get("text", "")),
            ]
        elif scope == "promotion":
            texts = [
                (f, "promotion", r.get(f, ""))
                for f in ("title", "description", "text", "caption", "script")
            ]
        else:
            texts = [
                (f, "text", r.get(f, ""))
                for f in ("title", "description", "caption", "script", "text")
            ]
        attrs: dict[str, Any] = {k: r[k] for k in ("category", "price_usd", "market") if k in r}
        items.append(
            TextItem(
                item_id=source,
                texts=tuple(t for t in texts if t[2]),
                sku_id=r.get("sku_id") or (r.get("id") if scope == "listing" else None) or None,
                content_id=r.get("content_id")
                or (r.get("id") if scope in ("video", "live") else None)
                or None,
                row=int(r["row"]),
                attrs=attrs,
            )
        )
    return items


def text_items(texts: Sequence[str], scope: str = "text") -> list[TextItem]:
    """Free texts (``--text``): each checked against the rules of ``scope`` (default: all)."""
    if scope not in SCOPE_GROUPS:
        raise UsageError(f"unknown scope {scope!r}; expected one of: {', '.join(SCOPE_GROUPS)}")
    target = SCOPE_GROUPS[scope][0] if scope != "text" else "text"
    multi = len(texts) > 1
    return [
        TextItem(item_id="text", texts=(("text", target, t),), row=i if multi else None)
        for i, t in enumerate(texts, start=1)
    ]


# -- many texts in one process ---------------------------------------------------------------


@dataclass(frozen=True)
class RowResult:
    """The findings of one row of a file (``row``: 1-based data row; ``id``: its id column)."""

    row: int
    id: str
    findings: tuple[Finding, ...]

    @property
    def verdict(self) -> str:
        """The worst severity found (``block``, ``warn``, ``info``) or ``ok``."""
        if not self.findings:
            return "ok"
        return min((str(f.severity) for f in self.findings), key=lambda s: SEVERITY_RANK[s])

    def to_dict(self, lang: str = "en") -> dict[str, Any]:
        """One JSON line: id, row, verdict and the findings with their evidence (offsets into
        the field's original text) and the message and fix in ``lang``."""
        zh = lang == "zh"
        return {
            "row": self.row,
            "id": self.id,
            "verdict": self.verdict,
            "findings": [
                {
                    "code": f.code,
                    "severity": f.severity,
                    "field": f.record.get("field"),
                    "start": f.record.get("start"),
                    "end": f.record.get("end"),
                    "match": f.record.get("match"),
                    "message": (f.message_zh if zh and f.message_zh else f.message),
                    "fix": (f.fix_zh if zh and f.fix_zh else f.fix),
                }
                for f in self.findings
            ],
        }


def check_rows(rows: Sequence[Mapping[str, Any]], source: str, ruleset: RuleSet) -> list[RowResult]:
    """Check every row of a file (from ``read_texts``) with one compiled engine."""
    engine = engine_for(ruleset)
    out: list[RowResult] = []
    for row, item in zip(rows, file_items([dict(r) for r in rows], source), strict=True):
        found = sort_findings(engine.check_item(item))
        out.append(RowResult(int(row["row"]), str(row.get("id") or ""), tuple(found)))
    return out


def worst(results: Iterable[RowResult]) -> str:
    """The worst verdict of many rows (``ok`` when none has a finding)."""
    order = {"block": 0, "warn": 1, "info": 2, "ok": 3}
    return min((r.verdict for r in results), key=order.__getitem__, default="ok")
