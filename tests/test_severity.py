"""One severity spelling: "warn" (``comply_findings.severity``, the rule files, JSON output);
the old "warning" still reads — from code, user rule files and runs stored before."""

from __future__ import annotations

from importlib import resources

from quickturn.core.comply.ruleset import parse_ruleset
from quickturn.errors import SEVERITIES, Finding, normalise_severity
from quickturn.schema import get_table


def test_the_one_spelling_is_the_stored_one() -> None:
    assert "warn" in SEVERITIES and "warning" not in SEVERITIES
    choices = get_table("comply_findings").column("severity").choices
    assert choices and set(choices) <= set(SEVERITIES)


def test_the_old_spelling_is_read_as_warn() -> None:
    assert normalise_severity("warning") == "warn"
    assert normalise_severity("block") == "block"
    f = Finding("X_CODE", "warning", "old spelling")
    assert f.severity == "warn" and not f.is_error
    assert f.to_dict()["severity"] == "warn"


def test_a_rule_file_with_the_old_spelling_loads_the_same() -> None:
    text = (resources.files("quickturn.core.comply") / "rules" / "us.yaml").read_text("utf-8")
    assert "severity: warn\n" in text
    old = text.replace("severity: warn\n", "severity: warning\n")
    new_rules = parse_ruleset(text, "us.yaml").rules
    old_rules = parse_ruleset(old, "us.yaml").rules
    assert [(r.code, r.severity) for r in old_rules] == [(r.code, r.severity) for r in new_rules]
