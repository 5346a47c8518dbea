"""Connector settings of the TikTok Shop Open API: :class:`TikTokSettings`, read from the
``tiktok`` section of the config file and the environment by :func:`tiktok_settings`, and
:func:`make_client` (a client with its token file under the quickturn home folder).

Data flow: ``QUICKTURN_TIKTOK_APP_KEY`` / ``QUICKTURN_TIKTOK_APP_SECRET`` (or the ``tiktok``
config section) → :class:`TikTokSettings` → :class:`~.client.ClientConfig` → client.  Here,
below the services, so that ``services.connect``, ``services.sync`` and
``services.webhooks`` all read it without importing one another.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from quickturn.config import Settings
from quickturn.connectors.tiktok_api.client import (
    DEFAULT_AUTH_BASE_URL,
    DEFAULT_AUTHORIZE_URL,
    DEFAULT_BASE_URL,
    ClientConfig,
    TikTokClient,
)
from quickturn.connectors.tiktok_api.tokens import TokenStore, quickturn_home
from quickturn.errors import ConfigError


@dataclass(frozen=True)
class TikTokSettings:
    """Connector configuration (section ``tiktok`` of the config file; env vars win)."""

    app_key: str = ""
    app_secret: str = field(default="", repr=False)
    base_url: str = DEFAULT_BASE_URL
    auth_base_url: str = DEFAULT_AUTH_BASE_URL
    authorize_url: str = DEFAULT_AUTHORIZE_URL
    service_id: str = ""
    qps: float = 50.0
    max_retries: int = 8
    backoff_base_seconds: float = 0.5
    backoff_max_seconds: float = 30.0
    timeout_seconds: float = 30.0
    refresh_margin_seconds: float = 3600.0
    page_size: int = 100
    lookback_days: int = 90
    window_days: float = 7.0
    overlap_seconds: int = 300
    webhook_path: str = "/webhooks/tiktok"
    home: str = ""

    def client_config(self) -> ClientConfig:
        self.require()
        return ClientConfig(
            app_key=self.app_key,
            app_secret=self.app_secret,
            base_url=self.base_url,
            auth_base_url=self.auth_base_url,
            authorize_url=self.authorize_url,
            service_id=self.service_id,
            qps=self.qps,
            max_retries=self.max_retries,
            backoff_base_seconds=self.backoff_base_seconds,
            backoff_max_seconds=self.backoff_max_seconds,
            timeout_seconds=self.timeout_seconds,
            refresh_margin_seconds=self.refresh_margin_seconds,
            page_size=self.page_size,
        )

    def require(self) -> None:
        missing = [
            name
            for name, value in (
                ("QUICKTURN_TIKTOK_APP_KEY", self.app_key),
                ("QUICKTURN_TIKTOK_APP_SECRET", self.app_secret),
            )
            if not value
        ]
        if missing:
            raise ConfigError(
                f"TikTok Shop app credentials missing: set {' and '.join(missing)} "
                "(or tiktok.app_key / tiktok.app_secret in quickturn.yaml); they come from "
                "your app in TikTok Shop Partner Center"
            )

    @property
    def home_path(self) -> Path:
        return Path(self.home).expanduser() if self.home else quickturn_home()


_ENV = {
    "app_key": "QUICKTURN_TIKTOK_APP_KEY",
    "app_secret": "QUICKTURN_TIKTOK_APP_SECRET",
    "base_url": "QUICKTURN_TIKTOK_BASE_URL",
    "auth_base_url": "QUICKTURN_TIKTOK_AUTH_URL",
    "service_id": "QUICKTURN_TIKTOK_SERVICE_ID",
    "home": "QUICKTURN_HOME",
}


def tiktok_settings(
    settings: Settings, env: Mapping[str, str] | None = None, **overrides: Any
) -> TikTokSettings:
    """Defaults < ``tiktok`` section of the config file < environment < ``overrides``."""
    env = os.environ if env is None else env
    values: dict[str, Any] = {}
    known = set(TikTokSettings.__dataclass_fields__)
    section = settings.section("tiktok")
    unknown = sorted(set(section) - known)
    if unknown:
        raise ConfigError(
            f"{settings.config_path}: unknown keys in section 'tiktok': {', '.join(unknown)}; "
            f"known: {', '.join(sorted(known))}"
        )
    values.update(section)
    for name, var in _ENV.items():
        if env.get(var):
            values[name] = env[var]
    values.update({k: v for k, v in overrides.items() if v is not None})
    defaults = TikTokSettings()
    for name in list(values):
        default = getattr(defaults, name)
        if isinstance(default, bool):
            continue
        try:
            if isinstance(default, int):
                values[name] = int(values[name])
            elif isinstance(default, float):
                values[name] = float(values[name])
            else:
                values[name] = str(values[name])
        except (TypeError, ValueError):
            raise ConfigError(
                f"tiktok.{name} must be a {type(default).__name__}, got {values[name]!r}"
            ) from None
    return TikTokSettings(**values)


def make_client(ts: TikTokSettings, **kwargs: Any) -> TikTokClient:
    """A client with the token file under the quickturn home folder."""
    return TikTokClient(ts.client_config(), token_store=TokenStore(ts.home_path), **kwargs)
