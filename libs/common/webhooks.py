"""Standard Webhooks signing and verification (https://www.standardwebhooks.com/).

`webhook-signature: v1,<base64 HMAC-SHA256(secret, "{id}.{timestamp}.{body}")>`; secrets are
shown as `whsec_<base64>`. Several signatures may be sent, space-separated, during a secret
rotation; a verifier accepts the message when any one matches.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from collections.abc import Iterable, Mapping

SECRET_PREFIX = "whsec_"
DEFAULT_TOLERANCE_SECONDS = 5 * 60


class WebhookVerificationError(Exception):
    pass


def generate_secret(nbytes: int = 24) -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(nbytes)).decode()


def _secret_bytes(secret: str) -> bytes:
    raw = secret.removeprefix(SECRET_PREFIX)
    try:
        return base64.b64decode(raw, validate=True)
    except ValueError:
        raise ValueError("webhook secret must be whsec_<base64>") from None


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    to_sign = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(_secret_bytes(secret), to_sign, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signed_headers(
    secrets_: Iterable[str], msg_id: str, body: bytes, timestamp: int | None = None
) -> dict[str, str]:
    ts = int(time.time()) if timestamp is None else timestamp
    sigs = " ".join(sign(s, msg_id, ts, body) for s in secrets_)
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(ts),
        "webhook-signature": sigs,
        "content-type": "application/json",
    }


def verify(
    secrets_: Iterable[str],
    headers: Mapping[str, str],
    body: bytes,
    *,
    tolerance: int = DEFAULT_TOLERANCE_SECONDS,
    now: float | None = None,
) -> str:
    """Return the message id when a signature matches, else raise WebhookVerificationError."""
    lower = {k.lower(): v for k, v in headers.items()}
    msg_id = lower.get("webhook-id")
    ts_raw = lower.get("webhook-timestamp")
    sig_header = lower.get("webhook-signature")
    if not msg_id or not ts_raw or not sig_header:
        raise WebhookVerificationError("missing webhook headers")
    try:
        ts = int(ts_raw)
    except ValueError:
        raise WebhookVerificationError("invalid timestamp") from None
    current = time.time() if now is None else now
    if abs(current - ts) > tolerance:
        raise WebhookVerificationError("timestamp outside tolerance")
    offered = [s.split(",", 1)[1] for s in sig_header.split() if s.startswith("v1,")]
    for secret in secrets_:
        expected = sign(secret, msg_id, ts, body).split(",", 1)[1]
        if any(hmac.compare_digest(expected, o) for o in offered):
            return msg_id
    raise WebhookVerificationError("no matching signature")
