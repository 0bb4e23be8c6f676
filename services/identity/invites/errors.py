from __future__ import annotations

from libs.common.errors import Forbidden, NotFound, Unprocessable
from services.identity.errors import Gone


class InviteNotFound(NotFound):
    code = "invite_not_found"


class InviteUsed(Gone):
    code = "invite_used"


class InviteExpired(Gone):
    code = "invite_expired"


class RoleSpaceMismatch(Unprocessable):
    code = "role_space_mismatch"


class MagicLinkNotFound(NotFound):
    code = "magic_link_not_found"


class MagicLinkUsed(Gone):
    code = "magic_link_used"


class MagicLinkExpired(Gone):
    code = "magic_link_expired"


class MagicLinkEmailMismatch(Forbidden):
    code = "magic_link_email_mismatch"


class InviteRevoked(Gone):
    code = "invite_revoked"


class MagicLinkSpaceOnly(Unprocessable):
    code = "magic_link_developer_only"
