from __future__ import annotations

from libs.common.errors import Conflict, Forbidden, NotFound
from services.identity.auth.errors import NotAUser
from services.identity.passwords.errors import WrongPassword
from services.identity.roles.errors import PermissionEscalation


class ElevationNotFound(NotFound):
    code = "elevation_not_found"


class SelfApproval(Forbidden):
    """The requester never approves its own elevation."""

    code = "self_approval"


class NotTheRequester(Forbidden):
    code = "not_the_requester"


class ElevationNotPending(Conflict):
    code = "elevation_not_pending"


class ElevationNotApproved(Conflict):
    code = "elevation_not_approved"


class ElevationOver(Conflict):
    code = "elevation_over"


__all__ = [
    "ElevationNotApproved",
    "ElevationNotFound",
    "ElevationNotPending",
    "ElevationOver",
    "NotAUser",
    "NotTheRequester",
    "PermissionEscalation",
    "SelfApproval",
    "WrongPassword",
]
