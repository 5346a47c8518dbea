"""Connect a TikTok Shop seller: authorisation URL → code → tokens → shops in the store.

Data flow: settings (env ``QUICKTURN_TIKTOK_APP_KEY`` / ``QUICKTURN_TIKTOK_APP_SECRET`` or the
``tiktok`` config section) → :class:`~quickturn.connectors.tiktok_api.settings.TikTokSettings`
→ :func:`~quickturn.connectors.tiktok_api.settings.make_client` (a
:class:`~quickturn.connectors.tiktok_api.client.TikTokClient` with the token file under the
quickturn home folder) → ``exchange_code`` stores the tokens (mode 0600, never in the
database) → ``get_shops`` → ``shops`` rows (with their API ``cipher``) upserted in the store.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from quickturn.connectors.tiktok_api.client import TikTokClient
from quickturn.connectors.tiktok_api.payloads import REGION_CURRENCY as REGION_CURRENCY
from quickturn.connectors.tiktok_api.payloads import shops_frame as shops_frame
from quickturn.connectors.tiktok_api.settings import TikTokSettings as TikTokSettings
from quickturn.connectors.tiktok_api.settings import make_client as make_client
from quickturn.connectors.tiktok_api.settings import tiktok_settings as tiktok_settings
from quickturn.services.sync_writes import save_shops
from quickturn.store import Store

# TikTokSettings, tiktok_settings, make_client (connectors.tiktok_api.settings), shops_frame
# and REGION_CURRENCY (connectors.tiktok_api.payloads) are re-exported: `quickturn connect`,
# the morning run and the web app read them from here.


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
