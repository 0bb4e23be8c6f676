"""Which organisation answers a ticket, and where it goes when the SLA passes.

The policy that applies to a piece of equipment is, first found and enabled: the `org`
policy of its owner (a hospital's contract), the `manufacturer` policy of its maker, the
`global` policy. With none, no organisation is responsible (`responsible_org_id` stays
empty) and the internal pool answers: the provenance lists available internal engineers
covering the equipment's region.

With a policy, the candidates are the maker's network in force today: its distributors
(and theirs), the dealers of the maker or of those distributors, partner service
providers, and the maker itself. They are taken in the policy's `assignment_order`; inside
one type, organisations related directly to the previous level come first, then by name.
The first eligible one (active, holding the required certifications, covering the
equipment's region) is responsible. The escalation path continues with the first eligible
organisation of each later type in the order, preferring the one the previous level is
related to (DL1 -> its distributor D1 -> the maker M1).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.catalog.channels.publishing import covers
from services.catalog.coverage import repository as repo
from services.catalog.coverage.schemas import PolicyRules
from services.catalog.models import Equipment, Organisation, ServicePolicy
from services.catalog.orgs import repository as org_repo


@dataclass
class Decision:
    policy: ServicePolicy | None
    rules: PolicyRules | None
    responsible: uuid.UUID | None
    path: list[uuid.UUID] = field(default_factory=list)
    provenance: dict[str, Any] = field(default_factory=dict)


async def find_policy(
    session: AsyncSession, tenant_id: uuid.UUID, equipment: Equipment | None
) -> ServicePolicy | None:
    policies = await repo.enabled_policies(session, tenant_id)
    wanted: list[tuple[str, uuid.UUID | None]] = []
    if equipment is not None and equipment.owner_org_id:
        wanted.append(("org", equipment.owner_org_id))
    if equipment is not None and equipment.manufacturer_org_id:
        wanted.append(("manufacturer", equipment.manufacturer_org_id))
    wanted.append(("global", None))
    for scope, org_id in wanted:
        for p in policies:
            if p.scope == scope and p.org_id == org_id:
                return p
    return None


def _ineligible(org: Organisation, rules: PolicyRules, region: str | None) -> list[str]:
    why: list[str] = []
    if org.status != "active":
        why.append(f"status {org.status}")
    if org.type not in rules.eligibility.applies_to:
        return why
    missing = sorted(set(rules.eligibility.required_certifications) - set(org.certifications))
    if missing:
        why.append(f"missing certification {', '.join(missing)}")
    if rules.eligibility.match_territory and region and not covers(org.regions, region):
        why.append(f"does not cover {region} (covers {', '.join(org.regions) or 'nothing'})")
    return why


async def decide(
    session: AsyncSession, tenant_id: uuid.UUID, equipment: Equipment | None, now: datetime
) -> Decision:
    policy = await find_policy(session, tenant_id, equipment)
    region = equipment.region if equipment is not None else None
    if policy is None:
        pool = await repo.available_engineers(session, tenant_id, None, region)
        return Decision(
            None,
            None,
            None,
            provenance={
                "policy_id": None,
                "rule": "no_policy",
                "detail": "No enabled service policy applies: no organisation is responsible; "
                "the internal pool answers (nearest available engineer).",
                "fallback": "internal_pool",
                "suggested_engineer_ids": [str(e.id) for e in pool[:5]],
                "candidates": [],
            },
        )
    rules = PolicyRules.model_validate(policy.rules)
    base = {
        "policy_id": str(policy.id),
        "policy_scope": policy.scope,
        "rule": "assignment_order",
        "assignment_order": rules.assignment_order,
        "equipment_region": region,
    }
    maker = equipment.manufacturer_org_id if equipment is not None else None
    if maker is None:
        return Decision(
            policy,
            rules,
            None,
            provenance={
                **base,
                "detail": "The equipment has no manufacturer: no network to "
                "assign from; the internal pool answers.",
                "candidates": [],
            },
        )
    edges = await org_repo.active_edges(session, tenant_id, now)
    parents: dict[uuid.UUID, set[uuid.UUID]] = {}
    for e in edges:
        parents.setdefault(e.child_org_id, set()).add(e.parent_org_id)
    # the maker's network: distributors (transitively), dealers of any of them, partners
    distributors: set[uuid.UUID] = set()
    frontier = {maker}
    while frontier:
        nxt = {
            e.child_org_id
            for e in edges
            if e.relation_type == "distributor_of"
            and e.parent_org_id in frontier
            and e.child_org_id not in distributors
        }
        distributors |= nxt
        frontier = nxt
    upstream = distributors | {maker}
    dealers = {
        e.child_org_id
        for e in edges
        if e.relation_type == "dealer_of" and e.parent_org_id in upstream
    }
    partners = {
        e.child_org_id if e.parent_org_id == maker else e.parent_org_id
        for e in edges
        if e.relation_type == "partner_of" and maker in (e.parent_org_id, e.child_org_id)
    }
    orgs = await org_repo.get_many(session, tenant_id, distributors | dealers | partners | {maker})
    by_type: dict[str, list[Organisation]] = {
        "manufacturer": [orgs[maker]] if maker in orgs else [],
        "distributor": [orgs[i] for i in distributors if i in orgs],
        "dealer": [orgs[i] for i in dealers if i in orgs],
        "service_provider": [
            orgs[i] for i in partners if i in orgs and orgs[i].type == "service_provider"
        ],
    }
    candidates: list[dict[str, Any]] = []
    path: list[uuid.UUID] = []
    for org_type in rules.assignment_order:
        previous = path[-1] if path else None
        group = sorted(
            by_type.get(org_type, []),
            key=lambda o: (
                previous is None or o.id not in parents.get(previous, set()),
                o.name,
                o.id,
            ),
        )
        picked = False
        for org in group:
            why = _ineligible(org, rules, region)
            entry = {
                "org_id": str(org.id),
                "name": org.name,
                "type": org.type,
                "eligible": not why,
                "reasons": why,
            }
            if not why and not picked:
                path.append(org.id)
                picked = True
                entry["chosen_for_level"] = len(path) - 1
            candidates.append(entry)
    responsible = path[0] if path else None
    detail = (
        f"{orgs[responsible].name} is the first eligible organisation in the order "
        f"{' -> '.join(rules.assignment_order)}"
        if responsible
        else "No candidate is eligible: no organisation is responsible."
    )
    return Decision(
        policy,
        rules,
        responsible,
        path,
        provenance={
            **base,
            "detail": detail,
            "responsible_org_id": str(responsible) if responsible else None,
            "escalation_path": [str(p) for p in path],
            "candidates": candidates,
        },
    )
