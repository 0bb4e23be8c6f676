"""Who may be assigned an inspection: a user of the provider tenant holding the INSPECTOR
role, or a role granting the recording permission (`inspections:write`), tenant-wide or for
the inspection's plant. Identity says so, asked with the caller's own token."""

from __future__ import annotations

import uuid

from libs.common.auth import Principal, permission_matches
from libs.common.errors import Forbidden, Unprocessable
from libs.common.identity import IdentityClient
from services.quality.models import Inspection

INSPECTOR_ROLE = "INSPECTOR"
RECORD = "inspections:write"


class AssigneeNotInspector(Unprocessable):
    code, title = "assignee_not_inspector", "The assignee is not an inspector of this plant"


class AssigneeNotVisible(Forbidden):
    code, title = "assignee_not_visible", "Identity does not show you the assignee"


def _grant_applies(grant: dict[str, object], plant_id: uuid.UUID | None) -> bool:
    if grant.get("space") != "PROVIDER":
        return False
    plant = grant.get("plant_id")
    return plant is None or (plant_id is not None and str(plant) == str(plant_id))


async def require_inspector(
    identity: IdentityClient,
    token: str,
    principal: Principal,
    inspection: Inspection,
    assignee: uuid.UUID,
) -> None:
    plant = inspection.plant_id
    if str(assignee) == principal.subject:
        # the caller's own token says what it holds at that plant
        if principal.has_permission(RECORD, plant):
            return
        raise AssigneeNotInspector(
            "You do not hold the recording permission for this inspection's plant",
            extra={"inspector_id": str(assignee)},
        )
    status, user = await identity.fetch(f"/users/{assignee}", token)
    if status == 403:
        raise AssigneeNotVisible(
            "Checking the assignee's roles needs a token that may read the tenant's users "
            "(users:read)"
        )
    if (
        user is None
        or str(user.get("tenant_id")) != str(inspection.tenant_id)
        or user.get("status") != "active"
    ):
        raise AssigneeNotInspector(
            "No active user of this tenant has this id", extra={"inspector_id": str(assignee)}
        )
    grants = [g for g in user.get("roles") or [] if _grant_applies(g, plant)]
    if any(g.get("role") == INSPECTOR_ROLE for g in grants):
        return
    if grants:
        perms = await identity.role_permissions(token)
        if any(
            permission_matches(p, RECORD) for g in grants for p in perms.get(str(g["role"]), [])
        ):
            return
    raise AssigneeNotInspector(
        "The assignee holds neither the INSPECTOR role nor the recording permission "
        "(inspections:write) for this inspection's plant",
        extra={"inspector_id": str(assignee), "plant_id": str(plant) if plant else None},
    )
