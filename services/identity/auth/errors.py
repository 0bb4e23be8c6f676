"""Auth's refusals, each with a stable code (listed in the routes' responses)."""

from __future__ import annotations

from typing import Any

from libs.common.errors import BadRequest, Forbidden, Unauthorized, Unprocessable
from services.identity.auth.throttle import LoginThrottled


class InvalidCredentials(Unauthorized):
    code = "invalid_credentials"

    def __init__(self, detail: str | None = None, **kw: Any) -> None:
        super().__init__(detail or "Email, password or tenant is wrong", **kw)


class InvalidGrant(Unauthorized):
    code = "invalid_grant"

    def __init__(self, detail: str | None = None, **kw: Any) -> None:
        super().__init__(detail or "The refresh token is invalid, expired or revoked", **kw)


class InvalidClient(Unauthorized):
    code = "invalid_client"


class InvalidScope(BadRequest):
    code = "invalid_scope"


class InvalidTokenRequest(BadRequest):
    code = "invalid_request"


class SpaceRequired(Unprocessable):
    code = "space_required"


class NoMembership(Forbidden):
    code = "no_membership"


class SpaceNotAllowed(Forbidden):
    code = "space_not_allowed"


class NotAUser(Forbidden):
    code = "not_a_user"


__all__ = [
    "InvalidClient",
    "InvalidCredentials",
    "InvalidGrant",
    "InvalidScope",
    "InvalidTokenRequest",
    "LoginThrottled",
    "NoMembership",
    "NotAUser",
    "SpaceNotAllowed",
    "SpaceRequired",
]
