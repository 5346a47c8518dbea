"""TikTok Shop Open API connector: signed client, token storage, payload mapping, webhooks.

Data flow::

    TikTokClient (signing, tokens, rate limit, retries)  --payload dicts-->  payloads.*
        --canonical Polars frames-->  services.sync (writes the store)
    webhooks.create_router  --Notification-->  enqueue callback (services.webhooks persists)

Nothing in this package touches the store: services wire clients, payloads and storage.
"""

from quickturn.connectors.tiktok_api.client import ClientConfig, Page, TikTokClient
from quickturn.connectors.tiktok_api.errors import (
    NotConnectedError,
    TikTokApiError,
    TokenExpiredError,
)
from quickturn.connectors.tiktok_api.signing import sign, verify_webhook, webhook_signature
from quickturn.connectors.tiktok_api.tokens import Token, TokenStore, quickturn_home

__all__ = [
    "ClientConfig",
    "NotConnectedError",
    "Page",
    "TikTokApiError",
    "TikTokClient",
    "Token",
    "TokenExpiredError",
    "TokenStore",
    "quickturn_home",
    "sign",
    "verify_webhook",
    "webhook_signature",
]
