from __future__ import annotations

from libs.common.errors import Conflict, Forbidden, NotFound, Unprocessable


class TenantNotFound(NotFound):
    code = "tenant_not_found"


class ClientNotFound(NotFound):
    code = "client_not_found"


class ClientMismatch(Unprocessable):
    code = "client_mismatch"


class SlugTaken(Conflict):
    code = "slug_taken"


class ExternalIdTaken(Conflict):
    code = "external_id_taken"


class CannotCreateTenant(Forbidden):
    code = "cannot_create_tenant"


class NotOperator(Forbidden):
    code = "not_operator"


class UnknownIndustry(Unprocessable):
    code = "unknown_industry"


class FieldRequired(Unprocessable):
    code = "field_required"
