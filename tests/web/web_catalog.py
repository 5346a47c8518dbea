"""Extract the web dashboard's user-facing strings (templates and web Python code).

Used by the catalog test and by ``python tests/web/web_catalog.py`` to list what needs a
translation in ``src/quickturn/locale/zh/LC_MESSAGES/web.po``.
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.extract import extract

ROOT = Path(__file__).resolve().parents[2]
WEB = ROOT / "src" / "quickturn" / "web"
KEYWORDS = {"_": None, "N_": None, "gettext": None}


def web_messages() -> dict[str, list[str]]:
    """msgid → places it is used (file:line)."""
    out: dict[str, list[str]] = {}
    sources: list[tuple[Path, str]] = [
        (p, "jinja2") for p in sorted((WEB / "templates").glob("*.html"))
    ]
    sources += [(p, "python") for p in sorted(WEB.rglob("*.py"))]
    sources += [(ROOT / "src" / "quickturn" / "cli" / "web.py", "python")]
    for path, method in sources:
        with path.open("rb") as fh:
            options = (
                {"extensions": "jinja2.ext.do", "trimmed": "false"} if method == "jinja2" else {}
            )
            func = "jinja2.ext:babel_extract" if method == "jinja2" else "python"
            for lineno, message, _comments, _ctx in extract(
                func, fh, keywords=KEYWORDS, options=options
            ):
                msgid = message if isinstance(message, str) else message[0]
                if msgid:
                    out.setdefault(msgid, []).append(f"{path.relative_to(ROOT)}:{lineno}")
    return out


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT / "src"))
    from quickturn.i18n import catalog

    zh = catalog("zh")
    msgs = web_messages()
    missing = [m for m in msgs if not zh.get(m)]
    print(f"{len(msgs)} strings, {len(missing)} without a Chinese translation", file=sys.stderr)
    for m in missing:
        print(m)
