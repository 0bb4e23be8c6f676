"""Impersonation's refusals, each with a stable code."""

from __future__ import annotations

from libs.common.errors import Conflict, Forbidden, ImpersonationForbidden, Unprocessable
from services.identity.auth.errors import NoMembership, SpaceNotAllowed, SpaceRequired
from services.identity.tenants.errors import TenantNotFound
from services.identity.users.errors import UserNotFound


class ElevationRequired(Forbidden):
    """Impersonation runs under an active break-glass elevation with its scope."""

    code, title = "elevation_required", "An active elevation is required"


class ImpersonationEscalation(Forbidden):
    """The target holds a permission the actor does not hold itself."""

    code, title = "impersonation_escalation", "The target holds more than you do"


class ImpersonateSelf(Unprocessable):
    code, title = "impersonate_self", "You cannot impersonate yourself"


class TargetInactive(Conflict):
    code, title = "target_inactive", "The user is not active"


__all__ = [
    "ElevationRequired",
    "ImpersonateSelf",
    "ImpersonationEscalation",
    "ImpersonationForbidden",
    "NoMembership",
    "SpaceNotAllowed",
    "SpaceRequired",
    "TargetInactive",
    "TenantNotFound",
    "UserNotFound",
]
