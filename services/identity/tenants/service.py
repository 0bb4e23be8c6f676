"""The tenant tree: operator -> providers -> client tenants, and provisioning from templates."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.auth import Principal
from libs.common.outbox import emit_event
from libs.common.pagination import Page, PageParams
from libs.common.reads import Reads
from libs.contracts import emit_event as emit_typed_event
from libs.contracts.events.identity import TenantCreated, TenantUpdated
from services.identity import security
from services.identity.audit.service import record
from services.identity.config import Settings
from services.identity.federation import service as federation
from services.identity.invites.service import accept_url
from services.identity.models import Invite, Role, Tenant, outbox
from services.identity.templates import IndustryTemplate, industries, system_roles_for
from services.identity.tenants import repository as repo
from services.identity.tenants.access import acts_on, caller_tenant, target_tenant
from services.identity.tenants.errors import (
    CannotCreateTenant,
    ExternalIdTaken,
    FieldRequired,
    NotOperator,
    SlugTaken,
    TenantNotFound,
    UnknownIndustry,
)
from services.identity.tenants.schemas import Tenant as TenantOut
from services.identity.tenants.schemas import (
    TenantCreate,
    TenantRegister,
    TenantRegistration,
    TenantUpdate,
)
from services.identity.users import repository as users_repo
from services.identity.users import service as users

CHILD_KIND = {"operator": "provider", "provider": "client"}


async def _tenant_event(
    session: AsyncSession,
    model: type[TenantCreated] | type[TenantUpdated],
    tenant: Tenant,
    principal: Principal,
) -> None:
    """identity.tenant.* for services that keep a copy (name, slug, logo, parent, the
    template's defaults).
    The event belongs to the acting tenant (the parent) and names the child as customer."""
    child = tenant.id != principal.tenant_id
    await emit_typed_event(
        session,
        outbox,
        event=model(
            id=tenant.id,
            parent_id=tenant.parent_id,
            kind=tenant.kind,
            name=tenant.name,
            slug=tenant.slug,
            logo_url=tenant.logo_url,
            version=tenant.version,
            industry=tenant.industry,
            features=list(tenant.features),
            defaults=dict(tenant.defaults),
        ),
        tenant_id=principal.tenant_id,
        customer_tenant_id=tenant.id if child else None,
        subject=f"tenant/{tenant.id}",
    )


async def seed_roles(
    session: AsyncSession, tenant: Tenant, template: IndustryTemplate | None = None
) -> list[Role]:
    """System roles for the tenant's kind, plus the industry's own; existing ones are kept."""
    wanted = list(system_roles_for(tenant.kind)) + list(template.roles if template else ())
    existing = await users_repo.roles_by_name(session, tenant.id, [r.name for r in wanted])
    made = []
    for tpl in wanted:
        if tpl.name in existing:
            continue
        role = Role(
            tenant_id=tenant.id,
            name=tpl.name,
            space=tpl.space,
            description=tpl.description,
            permissions=list(tpl.permissions),
            system=True,
        )
        session.add(role)
        made.append(role)
    await session.flush()
    return made


async def get_child_or_self(
    session: AsyncSession, principal: Principal, tenant_id: uuid.UUID
) -> Tenant:
    return await target_tenant(session, principal, tenant_id)


async def read_child_or_self(
    reads: Reads, principal: Principal, tenant_id: uuid.UUID
) -> dict[str, Any]:
    """`get_child_or_self` for a read: one read-only transaction, no ORM; the row has the
    response model's fields (written once by `row_response`)."""
    async with reads.transaction(principal) as tx:
        row = await repo.read(tx, tenant_id)
    if row is None or not acts_on(principal, row["id"], row["parent_id"]):
        raise TenantNotFound("Tenant not found")
    return row


async def list_children(
    session: AsyncSession, principal: Principal, page: PageParams, slug: str | None
) -> Page[TenantOut]:
    rows, cursor = await repo.children_page(session, principal.tenant_id, slug, page)
    return Page(items=[TenantOut.model_validate(r) for r in rows], next_cursor=cursor)


async def registration(session: AsyncSession, tenant: Tenant) -> TenantRegistration:
    """What a registration answers: the tenant, its owner (first user) and its roles."""
    owner = await users_repo.first_user(session, tenant.id)
    return TenantRegistration(
        tenant=TenantOut.model_validate(tenant),
        owner=await users.to_out(session, owner),
        roles=await users_repo.role_names(session, tenant.id),
    )


async def create_child(
    session: AsyncSession, principal: Principal, data: TenantCreate, settings: Settings
) -> Tenant:
    parent = await caller_tenant(session, principal)
    kind = CHILD_KIND.get(parent.kind)
    if kind is None:
        raise CannotCreateTenant("A client tenant cannot have tenants of its own")
    if await repo.get_by_slug(session, data.slug) is not None:
        raise SlugTaken(f"The slug {data.slug} is taken")
    tenant = Tenant(
        parent_id=parent.id,
        kind=kind,
        name=data.name,
        slug=data.slug,
        logo_url=data.logo_url,
        features=list(parent.features),
        defaults={},
    )
    session.add(tenant)
    await session.flush()
    roles = await seed_roles(session, tenant)
    await _tenant_event(session, TenantCreated, tenant, principal)
    for t in {parent.id, tenant.id}:
        await record(
            session,
            tenant_id=t,
            actor=principal.subject,
            action="tenant.created",
            target=f"tenant:{tenant.id}",
            details={"slug": tenant.slug, "kind": kind, "roles": [r.name for r in roles]},
        )
    # the provider's portal peers: a pending link each, made by a job (usable at once)
    await federation.link_new_tenant(session, settings, parent.id, tenant, principal.subject)
    return tenant


async def update_child(
    session: AsyncSession, principal: Principal, tenant: Tenant, data: TenantUpdate
) -> Tenant:
    if tenant.parent_id != principal.tenant_id and tenant.id != principal.tenant_id:
        raise TenantNotFound("Tenant not found")
    changes = data.model_dump(exclude_unset=True)
    new_slug = changes.get("slug")
    if new_slug and new_slug != tenant.slug and await repo.get_by_slug(session, new_slug):
        raise SlugTaken(f"The slug {new_slug} is taken")
    for field, value in changes.items():
        if field in ("name", "slug") and value is None:
            raise FieldRequired(f"{field} cannot be null")
        setattr(tenant, field, value)
    await session.flush()
    await _tenant_event(session, TenantUpdated, tenant, principal)
    await record(
        session,
        tenant_id=tenant.id,
        actor=principal.subject,
        action="tenant.updated",
        target=f"tenant:{tenant.id}",
        details={"fields": sorted(changes)},
    )
    return tenant


async def register(
    session: AsyncSession, principal: Principal, data: TenantRegister, settings: Settings
) -> tuple[Tenant, bool]:
    """Provision a provider tenant from an industry template, in one (system) transaction.

    Idempotent on external_customer_id: a second call finds the tenant and creates nothing.
    Returns (tenant, created).
    """
    operator = await caller_tenant(session, principal)
    if operator.kind != "operator":
        raise NotOperator("Only the platform operator provisions tenants")
    # Serialise registrations of one customer so a retry racing the first creates nothing.
    await repo.lock_registration(session, data.external_customer_id)
    existing = await repo.get_by_external_id(session, data.external_customer_id)
    if existing is not None:
        if existing.parent_id != operator.id:
            raise ExternalIdTaken("This customer is registered elsewhere")
        return existing, False
    template = industries().get(data.industry)
    if template is None:
        raise UnknownIndustry(
            f"Unknown industry {data.industry}; known: {', '.join(sorted(industries()))}"
        )
    if await repo.get_by_slug(session, data.slug) is not None:
        raise SlugTaken(f"The slug {data.slug} is taken")
    actor = principal.subject
    tenant = Tenant(
        parent_id=operator.id,
        kind="provider",
        name=data.name,
        slug=data.slug,
        plan=data.plan,
        industry=template.industry,
        external_customer_id=data.external_customer_id,
        features=list(template.features),
        defaults=dict(template.defaults),
    )
    session.add(tenant)
    await session.flush()
    await _step(
        session,
        operator,
        tenant,
        actor,
        "provisioning.tenant_created",
        {
            "slug": tenant.slug,
            "plan": data.plan,
            "industry": template.industry,
            "external_customer_id": data.external_customer_id,
        },
    )
    roles = await seed_roles(session, tenant, template)
    await _tenant_event(session, TenantCreated, tenant, principal)
    await _step(
        session,
        operator,
        tenant,
        actor,
        "provisioning.roles_seeded",
        {"roles": [r.name for r in roles], "features": list(template.features)},
    )
    owner_roles = await users.resolve_roles(session, None, tenant, [template.owner_role])
    owner, _ = await users.create_user(
        session,
        actor=actor,
        tenant=tenant,
        email=data.owner_email,
        name=data.owner_name,
        roles=owner_roles,
        password=None,
        status="invited",
    )
    await _step(
        session,
        operator,
        tenant,
        actor,
        "provisioning.owner_created",
        {"user_id": str(owner.id), "email": owner.email, "role": template.owner_role},
    )
    token = security.new_secret()
    invite = Invite(
        tenant_id=tenant.id,
        email=owner.email,
        roles=[template.owner_role],
        space=owner_roles[0].space,
        token_hash=security.sha256_hex(token),
        expires_at=datetime.now(UTC) + timedelta(hours=settings.invite_ttl_hours),
        user_id=owner.id,
        created_by=actor,
    )
    session.add(invite)
    await session.flush()
    await emit_event(
        session,
        outbox,
        type="identity.mail.welcome",
        tenant_id=tenant.id,
        subject=f"user/{owner.id}",
        data={
            "to": owner.email,
            "name": owner.name,
            "tenant": tenant.name,
            "tenant_slug": tenant.slug,
            "invite_id": str(invite.id),
            "accept_url": accept_url(settings, token),
            "expires_at": invite.expires_at.isoformat(),
        },
    )
    await _step(
        session,
        operator,
        tenant,
        actor,
        "provisioning.welcome_queued",
        {"invite_id": str(invite.id), "to": owner.email},
    )
    links = await federation.link_new_tenant(session, settings, operator.id, tenant, actor)
    if links:
        await _step(
            session,
            operator,
            tenant,
            actor,
            "provisioning.federation_link_queued",
            {"links": [str(link) for link in links]},
        )
    return tenant, True


async def _step(
    session: AsyncSession,
    operator: Tenant,
    tenant: Tenant,
    actor: str,
    action: str,
    details: dict[str, object],
) -> None:
    for t in (operator.id, tenant.id):
        await record(
            session,
            tenant_id=t,
            actor=actor,
            action=action,
            target=f"tenant:{tenant.id}",
            details=details,
        )
