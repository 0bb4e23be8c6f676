from __future__ import annotations

from libs.common.errors import (
    Conflict,
    Forbidden,
    NotFound,
    ServiceUnavailable,
    Unprocessable,
)


class UserNotFound(NotFound):
    code = "user_not_found"


class EmailTaken(Conflict):
    code = "email_taken"


class UnknownRole(Unprocessable):
    code = "unknown_role"


class RoleNotOfSpace(Unprocessable):
    """A role of another space where only one space's roles may be granted."""

    code = "role_not_grantable"


class RoleNotGrantable(Forbidden):
    """The role carries permissions the caller does not hold."""

    code = "role_not_grantable"


class MembershipNotFound(NotFound):
    code = "membership_not_found"


class MissingPermission(Forbidden):
    code = "missing_permission"


class UnknownPlant(Unprocessable):
    code = "unknown_plant"


class PlantNotVisible(Forbidden):
    """Production refused to show the caller the plant (it lacks `plants:read`)."""

    code = "plant_not_visible"


class ProductionUnavailable(ServiceUnavailable):
    code = "production_unavailable"
