"""Request signing (reference §5): the official test vector, a body-signing case, webhooks."""

from __future__ import annotations

import hashlib
import hmac

from quickturn.connectors.tiktok_api.signing import (
    sign,
    string_to_sign,
    verify,
    verify_webhook,
    webhook_signature,
)

SECRET = "e59af819cc"


def test_official_test_vector() -> None:
    params = {"app_key": "29a39d", "timestamp": "1623812664"}
    wrapped = string_to_sign("/authorization/202309/shops", params, SECRET)
    assert (
        wrapped
        == b"e59af819cc/authorization/202309/shopsapp_key29a39dtimestamp1623812664e59af819cc"
    )
    assert (
        sign("/authorization/202309/shops", params, SECRET)
        == "b596b73e0cc6de07ac26f036364178ab16b0a907af13d43f0a0cd2345f582dc8"
    )


def test_sign_and_access_token_are_excluded_and_keys_sorted() -> None:
    base = {"timestamp": "1623812664", "app_key": "29a39d"}
    with_extra = base | {"sign": "whatever", "access_token": "secret-token"}
    assert sign("/authorization/202309/shops", with_extra, SECRET) == sign(
        "/authorization/202309/shops", base, SECRET
    )


def test_body_is_appended_exactly_as_sent() -> None:
    body = b'{"order_ids":["576461413038785752"]}'
    params = {
        "app_key": "29a39d",
        "timestamp": 1623812664,
        "shop_cipher": "ROW_abc",
        "page_size": 20,
    }
    wrapped = string_to_sign("/order/202309/orders/search", params, SECRET, body)
    assert wrapped == (
        b"e59af819cc/order/202309/orders/searchapp_key29a39dpage_size20shop_cipherROW_abc"
        b'timestamp1623812664{"order_ids":["576461413038785752"]}e59af819cc'
    )
    got = sign("/order/202309/orders/search", params, SECRET, body)
    assert got == "938529fcfe203a9c2e34952b604c02d458f9b071cf07f36607ce04bdb7b6bd5c"
    # a body with a space more is a different request
    assert sign("/order/202309/orders/search", params, SECRET, body.replace(b":", b": ")) != got
    # multipart bodies are not signed
    assert sign("/x", params, SECRET, body, multipart=True) == sign("/x", params, SECRET)


def test_verify_accepts_right_and_rejects_wrong_signature() -> None:
    params = {"app_key": "29a39d", "timestamp": "1623812664"}
    good = params | {"sign": "b596b73e0cc6de07ac26f036364178ab16b0a907af13d43f0a0cd2345f582dc8"}
    assert verify("/authorization/202309/shops", good, SECRET)
    assert not verify("/authorization/202309/shops", params | {"sign": "0" * 64}, SECRET)
    assert not verify("/authorization/202309/shops", params, SECRET)


def test_webhook_signature_is_hmac_of_app_key_plus_body() -> None:
    body = b'{"type":1,"tts_notification_id":"n1"}'
    expected = hmac.new(b"secret", b"key" + body, hashlib.sha256).hexdigest()
    assert webhook_signature("key", "secret", body) == expected
    assert verify_webhook("key", "secret", body, expected)
    assert verify_webhook("key", "secret", body, expected.upper())
    assert not verify_webhook("key", "secret", body + b" ", expected)
    assert not verify_webhook("key", "secret", body, None)
    assert not verify_webhook("key", "other", body, expected)
