from __future__ import annotations

from libs.common.errors import NotFound, Unprocessable
from services.identity.auth.errors import NotAUser
from services.identity.errors import Gone


class WrongPassword(Unprocessable):
    code = "wrong_password"


class ResetNotFound(NotFound):
    code = "reset_not_found"


class ResetUsed(Gone):
    code = "reset_used"


class ResetExpired(Gone):
    code = "reset_expired"


__all__ = ["NotAUser", "ResetExpired", "ResetNotFound", "ResetUsed", "WrongPassword"]
