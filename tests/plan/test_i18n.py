"""The plan/channel Chinese catalog covers every user-facing string and keeps placeholders."""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path

from babel.messages.pofile import read_po

SRC = Path(__file__).resolve().parents[2] / "src" / "quickturn"
CATALOG = SRC / "locale" / "zh" / "LC_MESSAGES" / "plan.po"
FILES = [
    "cli/plan.py",
    "cli/channel.py",
    *(f"services/plan/{m}.py" for m in ("report", "load", "evaluate", "persist", "runner", "read")),
    "core/plan/engine.py",
    "core/channel/models.py",
]


def _catalog() -> dict[str, str]:
    with CATALOG.open("rb") as fh:
        cat = read_po(fh, locale="zh")
    return {m.id: m.string for m in cat if m.id and isinstance(m.id, str)}


def _strings() -> set[str]:
    """Literal strings passed to ``_``/``gettext`` and reason templates ``("… {x} …", {...})``."""
    found: set[str] = set()
    for rel in FILES:
        tree = ast.parse((SRC / rel).read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                fn = node.func
                name = fn.attr if isinstance(fn, ast.Attribute) else getattr(fn, "id", "")
                if name in ("_", "gettext") and node.args:
                    arg = node.args[0]
                    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                        found.add(arg.value)
            if (
                isinstance(node, ast.Tuple)
                and len(node.elts) == 2
                and isinstance(node.elts[0], ast.Constant)
                and isinstance(node.elts[0].value, str)
                and ("{" in node.elts[0].value or rel.endswith("models.py"))
                and isinstance(node.elts[1], (ast.Dict, ast.Name))
            ):
                found.add(node.elts[0].value)
    return found


def _fields(text: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(text) if f}


def test_every_string_has_a_translation() -> None:
    cat = _catalog()
    missing = sorted(s for s in _strings() if s not in cat)
    assert not missing, "add to plan.po: " + repr(missing)


def test_placeholders_match() -> None:
    for msgid, msgstr in _catalog().items():
        assert msgstr, f"empty translation for {msgid!r}"
        assert _fields(msgid) == _fields(msgstr), msgid
        assert re.findall(r"\[/?[a-z ]*\]", msgid) == re.findall(r"\[/?[a-z ]*\]", msgstr), msgid
