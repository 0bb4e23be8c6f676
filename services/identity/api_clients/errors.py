from __future__ import annotations

from libs.common.errors import NotFound
from services.identity.roles.errors import PermissionEscalation


class ApiClientNotFound(NotFound):
    code = "api_client_not_found"


__all__ = ["ApiClientNotFound", "PermissionEscalation"]
