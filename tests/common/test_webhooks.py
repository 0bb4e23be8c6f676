"""Our Standard Webhooks signer must be verifiable by the public `standardwebhooks` library."""

import time
from datetime import UTC

import pytest
from standardwebhooks.webhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError as LibError

from libs.common import webhooks


def test_library_verifies_our_signature() -> None:
    secret = webhooks.generate_secret()
    body = b'{"type":"production.lot.gate_reached"}'
    headers = webhooks.signed_headers([secret], "msg_1", body)
    assert Webhook(secret).verify(body, headers) == {"type": "production.lot.gate_reached"}


def test_we_verify_library_signature() -> None:
    secret = webhooks.generate_secret()
    wh = Webhook(secret)
    ts = int(time.time())
    body = b'{"a":1}'
    from datetime import datetime

    sig = wh.sign("msg_2", datetime.fromtimestamp(ts, tz=UTC), body.decode())
    headers = {"webhook-id": "msg_2", "webhook-timestamp": str(ts), "webhook-signature": sig}
    assert webhooks.verify([secret], headers, body) == "msg_2"


@pytest.mark.parametrize("case", ["changed_body", "old_timestamp", "wrong_secret"])
def test_rejections(case: str) -> None:
    secret = webhooks.generate_secret()
    body = b'{"a":1}'
    ts = int(time.time()) - (3600 if case == "old_timestamp" else 0)
    headers = webhooks.signed_headers([secret], "msg_3", body, timestamp=ts)
    check_secret = webhooks.generate_secret() if case == "wrong_secret" else secret
    check_body = b'{"a":2}' if case == "changed_body" else body
    with pytest.raises(webhooks.WebhookVerificationError):
        webhooks.verify([check_secret], headers, check_body)
    with pytest.raises(LibError):
        Webhook(check_secret).verify(check_body, headers)


def test_rotation_overlap_signs_with_both() -> None:
    old, new = webhooks.generate_secret(), webhooks.generate_secret()
    body = b"{}"
    headers = webhooks.signed_headers([old, new], "msg_4", body)
    assert len(headers["webhook-signature"].split()) == 2
    Webhook(old).verify(body, headers)
    Webhook(new).verify(body, headers)
