"""Comply use cases: load rules → load listings, content and documents → check → persist.

Data flow:

* :func:`load_rules` reads the packaged ``core/comply/rules/us.yaml`` (``importlib.resources``)
  and the user's rule files (``--rules``, or ``comply.rules`` in the configuration) and merges
  them (:func:`quickturn.core.comply.ruleset.merge_rulesets`);
* :func:`blocked_skus` (the plan's gating hook) reads ``skus`` and ``certificates`` and returns
  SKU → blocking document finding codes;
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from quickturn.config import Settings
from quickturn.core.comply.documents import blocking_by_sku, check_documents
from quickturn.core.comply.ruleset import RuleSet, merge_rulesets, parse_ruleset
from quickturn.errors import ConfigError
from quickturn.store import Store

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
    from dataclasses import replace

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
