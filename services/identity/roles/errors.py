from __future__ import annotations

from libs.common.errors import Conflict, Forbidden, NotFound, Unprocessable


class RoleNotFound(NotFound):
    code = "role_not_found"


class RoleExists(Conflict):
    code = "role_exists"


class RoleSpaceNotAllowed(Unprocessable):
    code = "role_space_not_allowed"


class PermissionEscalation(Forbidden):
    code = "permission_escalation"


class SystemRole(Forbidden):
    code = "system_role"
