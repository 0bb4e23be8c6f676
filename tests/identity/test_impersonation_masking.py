"""What an impersonator reads in the other services, through the gateway: the personal data
catalog and partner answer (an organisation's contacts, a QR ticket's reporter, a partner's
contact email) is masked for an impersonation token, in full for the admin's own token; what
the impersonator writes is stored as written, not masked."""

from __future__ import annotations

from typing import Any

import httpx

from tests.fixtures.users import Tokens
from tests.identity.conftest import bearer, elevate, new_user, unique
from tools.seed import SeedContext
from tools.seed.catalog import HOSPITAL_CONTACT
from tools.seed.partner import LEAD

WHY = "ticket 12: the support admin checks what Paco's admins see"


async def _impersonation_of_an_admin(
    identity: httpx.AsyncClient, admin: dict[str, str]
) -> dict[str, str]:
    """Paco's admin impersonates a fresh admin of Paco, under an elevation another approves."""
    _, approver = await new_user(identity, admin, ["ADMIN"])
    target_id, _ = await new_user(identity, admin, ["ADMIN"])
    _, elevated = await elevate(identity, admin, approver, ["users:impersonate"])
    resp = await identity.post(
        "/impersonations",
        headers=bearer(elevated),
        json={"user_id": target_id, "justification": WHY},
    )
    assert resp.status_code == 200, resp.text
    return bearer(str(resp.json()["access_token"]))


async def _get(gateway: httpx.AsyncClient, path: str, headers: dict[str, str]) -> Any:
    resp = await gateway.get(path, headers=headers)
    assert resp.status_code == 200, f"{path}: {resp.status_code} {resp.text}"
    return resp.json()


async def test_catalog_and_partner_mask_personal_data_for_an_impersonator(
    identity: httpx.AsyncClient, gateway: httpx.AsyncClient, tokens: Tokens, seed: SeedContext
) -> None:
    admin = tokens.headers("admin")
    imp = await _impersonation_of_an_admin(identity, admin)

    # catalog: the demo hospital's contact
    hospital = f"/v1/catalog/orgs/{seed.data['catalog']['orgs']['H1']}"
    [seen] = (await _get(gateway, hospital, imp))["contacts"]
    assert seen == {
        "name": "Jeanne Martin",
        "role": "biomedical engineer",
        "email": "j***@saint-louis.example",
        "phone": "+***",
    }
    [full] = (await _get(gateway, hospital, admin))["contacts"]
    assert full == HOSPITAL_CONTACT
    listed = await _get(gateway, "/v1/catalog/orgs?type=hospital&limit=200", imp)
    emails = [c["email"] for o in listed["items"] for c in o["contacts"] if c["email"]]
    assert "j***@saint-louis.example" in emails and all("***@" in e for e in emails)

    # catalog: what an impersonator writes is stored as written (only answers are masked)
    contact = {"name": "Kim", "email": "kim@dealer.example", "phone": "0612345678"}
    resp = await gateway.post(
        "/v1/catalog/orgs",
        headers=imp,
        json={"name": unique("Dealer"), "type": "dealer", "contacts": [contact]},
    )
    assert resp.status_code == 201, resp.text
    org = resp.json()
    assert org["contacts"][0]["email"] == "k***@dealer.example"
    assert org["contacts"][0]["phone"] == "0***"
    [stored] = (await _get(gateway, f"/v1/catalog/orgs/{org['id']}", admin))["contacts"]
    assert stored == {**contact, "role": None}
    # and the input limits are unchanged
    too_long = {"name": "Kim", "email": f"{'k' * 320}@dealer.example"}
    resp = await gateway.post(
        "/v1/catalog/orgs",
        headers=imp,
        json={"name": unique("Dealer"), "type": "dealer", "contacts": [too_long]},
    )
    assert resp.status_code == 422, resp.text

    # catalog: a QR ticket's reporter
    resp = await gateway.post(
        "/v1/catalog/equipment",
        headers=admin,
        json={"serial_number": unique("E-MASK"), "owner_org_id": org["id"]},
    )
    assert resp.status_code == 201, resp.text
    reporter = {"name": "Nurse Joy", "email": "joy@example.com", "phone": "+33 6 12 34 56 78"}
    resp = await gateway.post(
        f"/v1/catalog/qr/{resp.json()['qr_code']}/tickets",
        json={"subject": "The scanner is down", "reporter": reporter},
    )
    assert resp.status_code == 201, resp.text
    ticket = f"/v1/catalog/tickets/{resp.json()['ticket_id']}"
    assert (await _get(gateway, ticket, imp))["reporter"] == {
        "name": "Nurse Joy",
        "email": "j***@example.com",
        "phone": "+***",
    }
    assert (await _get(gateway, ticket, admin))["reporter"] == reporter

    # partner: the demo partner's contact email, one by one and listed
    partner = f"/v1/partner/partners/{seed.data['partner']['partner_id']}"
    lead = f"{LEAD[0]}***@{LEAD.partition('@')[2]}"
    assert (await _get(gateway, partner, imp))["contact_email"] == lead
    assert (await _get(gateway, partner, admin))["contact_email"] == LEAD
    listed = await _get(gateway, "/v1/partner/partners?limit=200", imp)
    assert all("***@" in p["contact_email"] for p in listed["items"] if p["contact_email"])
    assert lead in [p["contact_email"] for p in listed["items"]]
