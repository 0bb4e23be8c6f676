"""Identity's typed errors in OpenAPI: each route lists the codes it may answer, through
the kit's `errors()` (with the token checks' codes unless `auth=False`)."""

from __future__ import annotations

from typing import Any

from libs.common.errors import (
    AppError,
    InvalidToken,
    MissingPermission,
    MissingToken,
    TokenExpired,
    VersionMismatch,
    WrongSpace,
    errors,
)

TOKEN_CHECKS: tuple[type[AppError], ...] = (
    MissingToken,
    InvalidToken,
    TokenExpired,
    WrongSpace,
    MissingPermission,
)


class Gone(AppError):
    status, code, title = 410, "gone", "Gone"


class PasswordChangeRequired(AppError):
    """A token issued on a temporary password, anywhere but /me/password (libs.common.deps)."""

    status, code, title = 403, "password_change_required", "Password change required"


def responses(*raised: type[AppError], auth: bool = True) -> dict[int | str, dict[str, Any]]:
    """problem+json responses for these errors, one entry per status with every code."""
    checks = (*TOKEN_CHECKS, PasswordChangeRequired) if auth else ()
    return errors(*checks, *raised)


__all__ = ["Gone", "PasswordChangeRequired", "VersionMismatch", "responses"]
