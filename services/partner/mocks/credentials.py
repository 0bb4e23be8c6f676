"""The credential a golden run sends to the mock it runs against.

The mock's serve route wants a caller; a run is a job with no user's token. When a run
starts against a mock, the job mints a credential for that mock alone: `wmk_` + the grant
(mock, run, owner and partner tenants, expiry) + an HMAC of it under a key derived from the
service secret, valid `mock_credential_seconds`. The serve route takes it as the bearer
(so a spec's own bearer security is met) and acts as the partner's read-only reader of that
one mock. It travels in the Authorization header only, which every record redacts, and is
never stored. The run calls the mock at `mock_base_url`, this service's own address: the
gateway admits identity's tokens only.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
import uuid
from dataclasses import dataclass

import orjson

from libs.common.auth import Principal, Space
from libs.common.errors import InvalidToken, TokenExpired

PREFIX = "wmk_"
_PERMISSION = "partner:read"


@dataclass(frozen=True, slots=True)
class MockGrant:
    mock_id: uuid.UUID
    run_id: uuid.UUID
    tenant_id: uuid.UUID
    customer_tenant_id: uuid.UUID
    expires_at: int

    def principal(self) -> Principal:
        """The partner's reader, limited to `partner:read`, for this mock only (the serve
        route checks the mock id)."""
        return Principal(
            subject=f"run:{self.run_id}",
            tenant_id=self.customer_tenant_id,
            parent_tenant_id=self.tenant_id,
            space=Space.DEVELOPER,
            roles=frozenset(),
            permissions=frozenset({_PERMISSION}),
            token_id=f"mock-run:{self.run_id}",
            expires_at=self.expires_at,
        )


def _key(secret: str) -> bytes:
    return hashlib.sha256(b"partner-mock-credential:" + secret.encode()).digest()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def mint(
    secret: str,
    *,
    mock_id: uuid.UUID,
    run_id: uuid.UUID,
    tenant_id: uuid.UUID,
    customer_tenant_id: uuid.UUID,
    seconds: int,
) -> str:
    body = _b64(
        orjson.dumps(
            {
                "m": str(mock_id),
                "r": str(run_id),
                "t": str(tenant_id),
                "c": str(customer_tenant_id),
                "e": int(time.time()) + seconds,
            }
        )
    )
    sig = _b64(hmac.new(_key(secret), body.encode(), hashlib.sha256).digest())
    return f"{PREFIX}{body}.{sig}"


def is_credential(token: str) -> bool:
    return token.startswith(PREFIX)


def verify(secret: str, token: str, mock_id: uuid.UUID) -> MockGrant:
    """The grant in `token`, if it is genuine, unexpired and for `mock_id`."""
    body, _, sig = token.removeprefix(PREFIX).partition(".")
    want = hmac.new(_key(secret), body.encode("utf-8", "replace"), hashlib.sha256).digest()
    # as bytes: a forged credential may be any text (compare_digest refuses non-ASCII str)
    if not sig or not hmac.compare_digest(_b64(want).encode(), sig.encode("utf-8", "replace")):
        raise InvalidToken("The mock credential is not valid")
    try:
        raw = orjson.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        grant = MockGrant(
            mock_id=uuid.UUID(raw["m"]),
            run_id=uuid.UUID(raw["r"]),
            tenant_id=uuid.UUID(raw["t"]),
            customer_tenant_id=uuid.UUID(raw["c"]),
            expires_at=int(raw["e"]),
        )
    except (ValueError, KeyError, TypeError):
        raise InvalidToken("The mock credential is not valid") from None
    if grant.expires_at < time.time():
        raise TokenExpired("The mock credential has expired")
    if grant.mock_id != mock_id:
        raise InvalidToken("The mock credential is for another mock")
    return grant
