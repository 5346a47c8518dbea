"""Connect a TikTok Shop seller: authorisation URL → code → tokens → shops in the store.

Data flow: settings (env ``QUICKTURN_TIKTOK_APP_KEY`` / ``QUICKTURN_TIKTOK_APP_SECRET`` or the
``tiktok`` config section) → :class:`TikTokSettings` → :func:`make_client` (a
:class:`~quickturn.connectors.tiktok_api.client.TikTokClient` with the token file under the
quickturn home folder) → ``exchange_code`` stores the tokens (mode 0600, never in the
database) → ``get_shops`` → ``shops`` rows (with their API ``cipher``) upserted in the store.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl

from quickturn.config import Settings
from quickturn.connectors.tiktok_api.client import (
    DEFAULT_AUTH_BASE_URL,
    DEFAULT_AUTHORIZE_URL,
    DEFAULT_BASE_URL,
    ClientConfig,
    TikTokClient,
)
from quickturn.connectors.tiktok_api.mapping import frame
from quickturn.connectors.tiktok_api.tokens import TokenStore, quickturn_home
from quickturn.errors import ConfigError
from quickturn.store import Store

#: region code → currency of a shop in that market
REGION_CURRENCY: dict[str, str] = {
    "US": "USD",
    "GB": "GBP",
    "MX": "MXN",
    "SG": "SGD",
    "MY": "MYR",
    "TH": "THB",
    "VN": "VND",
    "PH": "PHP",
    "ID": "IDR",
    "BR": "BRL",
    "JP": "JPY",
    "ES": "EUR",
    "DE": "EUR",
    "FR": "EUR",
    "IT": "EUR",
    "IE": "EUR",
}


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


def authorization_url(client: TikTokClient, state: str | None = None) -> tuple[str, str]:
    """The URL the seller opens to authorise the app, and the ``state`` it carries."""
    state = state or secrets.token_urlsafe(12)
    return client.authorization_url(state), state


@dataclass
class ConnectResult:
    seller_name: str
    access_expires_at: datetime
    refresh_expires_at: datetime
    token_file: str
    shops: list[dict[str, Any]]
    inserted: int
    updated: int


def shops_frame(shops: list[dict[str, Any]]) -> pl.DataFrame:
    """API shops → canonical ``shops`` rows (``shop_id`` is the platform's shop id)."""
    rows = []
    for s in shops:
        region = str(s.get("region") or "US").upper()
        seller_type = str(s.get("seller_type") or "").upper()
        rows.append(
            {
                "shop_id": str(s.get("id")),
                "name": str(s.get("name") or s.get("id")),
                "market": region,
                "seller_type": seller_type if seller_type in ("LOCAL", "CROSS_BORDER") else None,
                "currency": REGION_CURRENCY.get(region, "USD"),
                "cipher": str(s.get("cipher") or ""),
            }
        )
    return frame("shops", rows, ("shop_id", "name", "market", "seller_type", "currency", "cipher"))


def save_shops(store: Store, shops: list[dict[str, Any]]) -> tuple[int, int]:
    """Upsert the shops, keeping columns the API does not give (time zone, opening date)."""
    from quickturn.services.sync import upsert_changed

    res = upsert_changed(store, "shops", shops_frame(shops))
    return res.inserted, res.updated


def connect(store: Store, client: TikTokClient, code: str) -> ConnectResult:
    """Exchange ``code`` for tokens (stored in the token file) and save the seller's shops."""
    token = client.exchange_code(code.strip())
    shops = client.get_shops()
    inserted, updated = save_shops(store, shops)
    store_path = client.token_store.path if client.token_store is not None else None
    return ConnectResult(
        seller_name=token.seller_name,
        access_expires_at=datetime.fromtimestamp(token.access_token_expires_at, UTC).replace(
            tzinfo=None
        ),
        refresh_expires_at=datetime.fromtimestamp(token.refresh_token_expires_at, UTC).replace(
            tzinfo=None
        ),
        token_file=str(store_path) if store_path else "",
        shops=[
            {
                "shop_id": str(s.get("id")),
                "name": s.get("name"),
                "region": s.get("region"),
                "seller_type": s.get("seller_type"),
                "cipher": s.get("cipher"),
            }
            for s in shops
        ],
        inserted=inserted,
        updated=updated,
    )
