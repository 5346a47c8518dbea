"""The README's promises hold: its links resolve, its quick start is the two Make targets CI runs,
the Chinese README mirrors the English one, and every module has an English and a Chinese guide."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")
DOCS = [ROOT / "README.md", ROOT / "README.zh-CN.md", *sorted((ROOT / "docs").rglob("*.md"))]


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_resolve(doc: Path) -> None:
    missing = []
    for target in LINK.findall(doc.read_text(encoding="utf-8")):
        if re.match(r"^[a-z]+:", target):  # http:, https:, mailto:
            continue
        if not (doc.parent / target).exists():
            missing.append(target)
    assert not missing, f"{doc.relative_to(ROOT)} links to missing files: {missing}"


def _fenced_commands(text: str, heading: str) -> list[str]:
    section = text.split(heading, 1)[1]
    block = section.split("```bash", 1)[1].split("```", 1)[0]
    return [line.split("#", 1)[0].strip() for line in block.strip().splitlines()]


def test_quick_start_is_two_commands_and_ci_runs_the_second() -> None:
    en = _fenced_commands((ROOT / "README.md").read_text(encoding="utf-8"), "## Quick start")
    zh = _fenced_commands((ROOT / "README.zh-CN.md").read_text(encoding="utf-8"), "## 快速开始")
    assert en == zh == ["make demo", "make test"]
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "make test" in ci
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^demo:", makefile, re.M) and re.search(r"^test:", makefile, re.M)


def test_every_module_guide_exists_in_both_languages() -> None:
    english = {p.name for p in (ROOT / "docs").glob("*.md")} - {"architecture.md", "data-model.md"}
    chinese = {p.name for p in (ROOT / "docs" / "zh").glob("*.md")}
    assert english, "no module guides in docs/"
    assert english <= chinese, f"guides without a Chinese version: {sorted(english - chinese)}"


def test_readme_commands_exist() -> None:
    from typer.main import get_command

    from quickturn.cli.app import app

    group = get_command(app)
    known = set(group.commands)  # type: ignore[attr-defined]
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    used = set(re.findall(r"(?:uv run |`)quickturn ([a-z]+)", text))
    assert used - {"demo"} <= known | {"demo"}, (
        f"README names unknown commands: {sorted(used - known)}"
    )
