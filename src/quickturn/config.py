"""Settings, built by a factory from flags, environment and an optional YAML file.

Nothing here runs at import time.  Precedence: explicit argument > environment variable >
configuration file > default.  Module options (fee schedule, health thresholds, planning
parameters, ...) live under a section of the YAML file named after the module, e.g.::

    ledger:
      referral_fee_rate: 0.06
    health:
      thresholds: {late_dispatch_rate: 0.04}

Modules read them with ``settings.section("ledger")`` and merge over their own defaults.
"""

from __future__ import annotations

import locale
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from quickturn.errors import ConfigError

DEFAULT_DB = "quickturn.duckdb"
DEFAULT_DEMO_DB = "quickturn-demo.duckdb"
LANGS = ("en", "zh")


def detect_lang(env: Mapping[str, str] | None = None) -> str:
    """``zh`` when QUICKTURN_LANG or the system locale says Chinese, else ``en``."""
    env = os.environ if env is None else env
    explicit = env.get("QUICKTURN_LANG")
    if explicit:
        return normalise_lang(explicit)
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(var)
        if value:
            return "zh" if value.lower().startswith("zh") else "en"
    try:
        loc = locale.getlocale()[0] or ""
    except ValueError:
        loc = ""
    return "zh" if loc.lower().startswith("zh") else "en"


def normalise_lang(value: str) -> str:
    v = value.strip().lower().replace("_", "-")
    if v.startswith("zh"):
        return "zh"
    if v.startswith("en") or v in ("c", "posix", ""):
        return "en"
    raise ConfigError(f"unsupported language {value!r}; expected one of: en, zh")


@dataclass(frozen=True)
class Settings:
    """Run-time settings of one CLI call, web app or API session."""

    db: str = DEFAULT_DB
    lang: str = "en"
    token: str | None = None
    config_path: Path | None = None
    options: Mapping[str, Any] = field(default_factory=dict)

    def section(self, name: str) -> dict[str, Any]:
        value = self.options.get(name) or {}
        if not isinstance(value, dict):
            raise ConfigError(
                f"{self.config_path}: section {name!r} must be a mapping, got {type(value).__name__}"
            )
        return dict(value)

    def with_db(self, db: str) -> Settings:
        return Settings(
            db=db,
            lang=self.lang,
            token=self.token,
            config_path=self.config_path,
            options=self.options,
        )


def load_settings(
    *,
    db: str | None = None,
    lang: str | None = None,
    config: str | Path | None = None,
    env: Mapping[str, str] | None = None,
    default_db: str = DEFAULT_DB,
) -> Settings:
    env = os.environ if env is None else env
    path: Path | None = None
    if config is not None:
        path = Path(config)
    elif env.get("QUICKTURN_CONFIG"):
        path = Path(env["QUICKTURN_CONFIG"])
    elif Path("quickturn.yaml").exists():
        path = Path("quickturn.yaml")
    options: dict[str, Any] = {}
    if path is not None:
        options = read_yaml_mapping(path)
    return Settings(
        db=db or env.get("QUICKTURN_DB") or str(options.get("db") or default_db),
        lang=normalise_lang(lang) if lang else detect_lang(env),
        token=env.get("QUICKTURN_TOKEN") or None,
        config_path=path,
        options=options,
    )


def read_yaml_mapping(path: Path) -> dict[str, Any]:
    """Read a YAML file that must hold a mapping; malformed files raise ConfigError."""
    if not path.exists():
        raise ConfigError(f"{path}: file not found")
    import yaml  # only when there is a file to read (fast start)

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}:{mark.column + 1}" if mark is not None else ""
        raise ConfigError(
            f"{path}{where}: not valid YAML ({getattr(exc, 'problem', exc)})"
        ) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level, got {type(data).__name__}")
    return data
