from __future__ import annotations

from libs.common.errors import NotFound, Unprocessable
from services.identity.errors import Gone


class InviteNotFound(NotFound):
    code = "invite_not_found"


class InviteUsed(Gone):
    code = "invite_used"


class InviteExpired(Gone):
    code = "invite_expired"


class RoleSpaceMismatch(Unprocessable):
    code = "role_space_mismatch"
