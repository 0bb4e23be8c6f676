"""Organisations and their relationships: the rules."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.errors import Conflict, NotFound, Unprocessable
from libs.common.identity import ClientTenants
from libs.common.pagination import PageParams, paginate
from services.catalog.events import OrganisationLinked, emit
from services.catalog.models import Organisation, OrgRelationship
from services.catalog.orgs import repository as repo
from services.catalog.orgs.schemas import (
    PROFILES,
    OrganisationCreate,
    OrganisationUpdate,
    RelationshipCreate,
)


class OrgNotFound(NotFound):
    code, title = "org_not_found", "Organisation not found"


class InvalidProfile(Unprocessable):
    code, title = "invalid_profile", "The profile does not fit the organisation's type"


class InvalidRelationship(Unprocessable):
    code, title = "invalid_relationship", "This relationship is not allowed"


class RelationshipCycle(Conflict):
    code, title = "relationship_cycle", "The relationship would close a cycle"


class RelationshipOverlaps(Conflict):
    code, title = "relationship_overlaps", "The same relationship already exists in that window"


class ClientTenantTaken(Conflict):
    code, title = "client_tenant_taken", "That client tenant already acts as another organisation"


# Which org types may stand on each side of a relationship (child relation_type parent).
ALLOWED: dict[str, tuple[set[str], set[str]]] = {
    "distributor_of": ({"distributor"}, {"manufacturer", "distributor"}),
    "dealer_of": ({"dealer"}, {"manufacturer", "distributor"}),
    "supplier_of": ({"supplier"}, {"manufacturer", "distributor", "service_provider", "supplier"}),
}


async def get_org(session: AsyncSession, tenant_id: uuid.UUID, org_id: uuid.UUID) -> Organisation:
    org = await repo.get(session, tenant_id, org_id)
    if org is None:
        raise OrgNotFound(f"No organisation {org_id}")
    return org


async def _check_client_free(
    session: AsyncSession, tenant_id: uuid.UUID, client: uuid.UUID | None, me: uuid.UUID | None
) -> None:
    if client is None:
        return
    taken = await repo.by_client_tenant(session, tenant_id, client)
    if taken is not None and taken.id != me:
        raise ClientTenantTaken(f"Client tenant {client} already acts as {taken.name}")


async def create_org(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    body: OrganisationCreate,
    tenants: ClientTenants | None,
) -> Organisation:
    """`tenants` checks the client tenant is the caller's; None only for an import, whose
    client tenants were checked when the file was uploaded."""
    if tenants is not None:
        await tenants.require(body.client_tenant_id)
    await _check_client_free(session, tenant_id, body.client_tenant_id, None)
    data = body.model_dump(mode="json", exclude={"metadata", "client_tenant_id"})
    org = Organisation(
        tenant_id=tenant_id,
        metadata_=body.metadata,
        client_tenant_id=body.client_tenant_id,
        **{k: v for k, v in data.items()},
    )
    session.add(org)
    await session.flush()
    await announce_link(session, org, None, None)
    return org


async def announce_link(
    session: AsyncSession,
    org: Organisation,
    was_client: uuid.UUID | None,
    was: tuple[str, str] | None,
) -> None:
    """Tell identity (catalog.organisation.linked) whom a client tenant acts as, when the
    link, or the linked organisation's type or status, changed. `was_client` and `was`
    (type, status) are the organisation's before the change (None: a new organisation)."""
    now = datetime.now(UTC)
    if was_client is not None and was_client != org.client_tenant_id:
        await _link_event(session, org, was_client, False, now)
    linked = org.client_tenant_id
    if linked is not None and (linked != was_client or was != (org.type, org.status)):
        await _link_event(session, org, linked, org.status == "active", now)


async def _link_event(
    session: AsyncSession, org: Organisation, client: uuid.UUID, linked: bool, at: datetime
) -> None:
    await emit(
        session,
        OrganisationLinked(
            org_id=org.id,
            org_type=org.type,
            client_tenant_id=client,
            linked=linked,
            changed_at=at,
        ),
        tenant_id=org.tenant_id,
        subject=f"orgs/{org.id}",
        customer_tenant_id=client,
    )


async def update_org(
    session: AsyncSession, org: Organisation, body: OrganisationUpdate, tenants: ClientTenants
) -> Organisation:
    changes: dict[str, Any] = body.model_dump(mode="json", exclude_unset=True)
    was_client, was = org.client_tenant_id, (org.type, org.status)
    if "profile" in changes:
        try:
            changes["profile"] = (
                PROFILES[org.type]
                .model_validate(changes["profile"] or {})
                .model_dump(mode="json", exclude_defaults=True)
            )
        except ValidationError as exc:
            raise InvalidProfile(str(exc)) from None
    if "client_tenant_id" in changes:
        await tenants.require(body.client_tenant_id)
        await _check_client_free(session, org.tenant_id, body.client_tenant_id, org.id)
        org.client_tenant_id = body.client_tenant_id
        changes.pop("client_tenant_id")
    if "metadata" in changes:
        org.metadata_ = changes.pop("metadata") or {}
    for field, value in changes.items():
        if value is not None:
            setattr(org, field, value)
    await session.flush()
    await announce_link(session, org, was_client, was)
    return org


async def create_relationship(
    session: AsyncSession, tenant_id: uuid.UUID, org_id: uuid.UUID, body: RelationshipCreate
) -> OrgRelationship:
    child = await get_org(session, tenant_id, org_id)
    parent = await get_org(session, tenant_id, body.target_org_id)
    if child.id == parent.id:
        raise InvalidRelationship("An organisation cannot be related to itself")
    allowed = ALLOWED.get(body.relation_type)
    if allowed and (child.type not in allowed[0] or parent.type not in allowed[1]):
        raise InvalidRelationship(
            f"A {child.type} cannot be {body.relation_type} a {parent.type} "
            f"(allowed: {'/'.join(sorted(allowed[0]))} {body.relation_type} "
            f"{'/'.join(sorted(allowed[1]))})"
        )
    start = body.active_from or datetime.now(UTC)
    end = body.active_to
    if end is not None and end <= start:
        raise InvalidRelationship("active_to must be after active_from")
    await repo.lock_relationships(session, tenant_id)
    same = await repo.find_overlapping(
        session, tenant_id, parent.id, child.id, body.relation_type, start, end
    )
    if same is None and body.relation_type == "partner_of":
        # partnership goes both ways: B partner_of A duplicates A partner_of B
        same = await repo.find_overlapping(
            session, tenant_id, child.id, parent.id, "partner_of", start, end
        )
    if same is not None:
        raise RelationshipOverlaps(
            f"{child.name} is already {body.relation_type} {parent.name} "
            f"in an overlapping window (relationship {same.id})"
        )
    if body.relation_type != "partner_of" and child.id in await repo.ancestors(
        session, tenant_id, parent.id, start, end
    ):
        raise RelationshipCycle(
            f"{parent.name} is already below {child.name}; "
            f"{child.name} {body.relation_type} {parent.name} would close a cycle"
        )
    rel = OrgRelationship(
        tenant_id=tenant_id,
        parent_org_id=parent.id,
        child_org_id=child.id,
        relation_type=body.relation_type,
        active_from=start,
        active_to=end,
        created_at=datetime.now(UTC),
    )
    session.add(rel)
    await session.flush()
    return rel


async def list_orgs(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    page: PageParams,
    *,
    type: str | None,
    status: str | None,
) -> tuple[list[Organisation], str | None]:
    return await paginate(
        session, repo.list_stmt(tenant_id, type=type, status=status), page, keys=[Organisation.id]
    )


async def list_relationships(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    org_id: uuid.UUID,
    direction: str | None,
    page: PageParams,
) -> tuple[list[OrgRelationship], str | None]:
    await get_org(session, tenant_id, org_id)
    return await paginate(
        session,
        repo.relationships_stmt(tenant_id, org_id, direction),
        page,
        keys=[OrgRelationship.id],
    )
