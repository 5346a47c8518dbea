"""Request and webhook signatures of the TikTok Shop Open API (reference §5).

Data flow: (path, query parameters, body bytes, app secret) → the wrapped string →
``hex(HMAC-SHA256(key=secret, msg=wrapped))``.  Pure functions, no IO.

Algorithm (Partner API v202309+): take the query parameters except ``sign`` and
``access_token``; sort the keys; concatenate ``key + value`` without separators; prepend the
request path; if the request has a body and is not multipart, append the body bytes exactly as
sent; wrap as ``secret + string + secret``.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping

#: query parameters that never take part in the signature
EXCLUDED_PARAMS = frozenset({"sign", "access_token"})


def string_to_sign(
    path: str,
    params: Mapping[str, object],
    secret: str,
    body: bytes | None = None,
    *,
    multipart: bool = False,
) -> bytes:
    """The wrapped string ``secret + path + k1v1k2v2… + body + secret`` (as bytes)."""
    parts = [path]
    for key in sorted(k for k in params if k not in EXCLUDED_PARAMS):
        parts.append(f"{key}{params[key]}")
    text = "".join(parts).encode("utf-8")
    if body and not multipart:
        text += body
    secret_b = secret.encode("utf-8")
    return secret_b + text + secret_b


def sign(
    path: str,
    params: Mapping[str, object],
    secret: str,
    body: bytes | None = None,
    *,
    multipart: bool = False,
) -> str:
    """Hex HMAC-SHA256 signature of a request (the ``sign`` query parameter)."""
    wrapped = string_to_sign(path, params, secret, body, multipart=multipart)
    return hmac.new(secret.encode("utf-8"), wrapped, hashlib.sha256).hexdigest()


def verify(
    path: str,
    params: Mapping[str, object],
    secret: str,
    body: bytes | None = None,
    *,
    multipart: bool = False,
) -> bool:
    """True when ``params['sign']`` is the right signature (constant-time comparison)."""
    given = str(params.get("sign", ""))
    expected = sign(path, params, secret, body, multipart=multipart)
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def webhook_signature(app_key: str, app_secret: str, body: bytes) -> str:
    """Signature of a webhook push: hex HMAC-SHA256(key=app_secret, msg=app_key + raw body).

    ⚠ The reference marks this as computed by the public SDKs, not an official spec.
    """
    return hmac.new(
        app_secret.encode("utf-8"), app_key.encode("utf-8") + body, hashlib.sha256
    ).hexdigest()


def verify_webhook(app_key: str, app_secret: str, body: bytes, header: str | None) -> bool:
    """Constant-time check of the ``Authorization`` header of a webhook push."""
    if not header:
        return False
    expected = webhook_signature(app_key, app_secret, body)
    return hmac.compare_digest(header.strip().lower().encode("utf-8"), expected.encode("utf-8"))
