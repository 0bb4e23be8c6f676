"""An inspection is assigned to an inspector of the lot's plant only: the INSPECTOR role (or a
role granting inspections:write) in the provider tenant, tenant-wide or for that plant, as
identity tells it (asked with the caller's token); anyone else is 422
`assignee_not_inspector`."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from tests.quality.conftest import Factory, Q, Tokens, ok

ID = "/v1/identity"


async def _user_id(gateway: httpx.AsyncClient, tokens: Tokens, email: str) -> str:
    page = ok(await gateway.get(f"{ID}/users", headers=tokens.h("admin"), params={"email": email}))
    return str(page["items"][0]["id"])


async def _new_user(
    gateway: httpx.AsyncClient, tokens: Tokens, roles: list[str], plant_role: tuple[str, str] | None
) -> str:
    made = ok(
        await gateway.post(
            f"{ID}/users",
            headers=tokens.h("admin"),
            json={
                "email": f"qa-{uuid.uuid4().hex[:10]}@paco.example",
                "name": "QA helper",
                "roles": roles,
                "password": "correct-horse-battery",
            },
        ),
        201,
    )
    if plant_role is not None:
        role, plant = plant_role
        ok(
            await gateway.post(
                f"{ID}/users/{made['id']}/roles",
                headers=tokens.h("admin"),
                json={"role": role, "plant_id": plant},
            ),
            201,
        )
    return str(made["id"])


async def _open_inspection(factory: Factory) -> tuple[str, dict[str, Any]]:
    plant, sku = await factory.product()
    await factory.checklist(sku)
    lot = await factory.lot(plant, 20)
    await factory.gate(lot["id"], "in_production")
    await factory.gate(lot["id"], "qa_pending")
    return plant, await factory.inspection_of(lot["id"])


async def _assign(
    gateway: httpx.AsyncClient, tokens: Tokens, inspection: dict[str, Any], who: str
) -> httpx.Response:
    return await gateway.post(
        f"{Q}/inspections/{inspection['id']}/assign",
        headers=tokens.h("admin"),
        json={"inspector_id": who},
    )


def _refused(resp: httpx.Response) -> None:
    assert resp.status_code == 422, resp.text
    assert resp.headers["content-type"] == "application/problem+json"
    assert resp.json()["code"] == "assignee_not_inspector"


async def test_only_an_inspector_can_be_assigned(
    gateway: httpx.AsyncClient, tokens: Tokens, factory: Factory
) -> None:
    _plant, inspection = await _open_inspection(factory)
    # the operator holds no inspection role; an unknown id is nobody of the tenant
    _refused(
        await _assign(
            gateway, tokens, inspection, await _user_id(gateway, tokens, "operator@paco.example")
        )
    )
    _refused(await _assign(gateway, tokens, inspection, str(uuid.uuid4())))
    # a brand's user is not of the provider tenant
    _refused(await _assign(gateway, tokens, inspection, await _user_id_of_brand(gateway, tokens)))
    inspector = await _user_id(gateway, tokens, "inspector@paco.example")
    done = ok(await _assign(gateway, tokens, inspection, inspector))
    assert (done["inspector_id"], done["status"]) == (inspector, "assigned")


async def _user_id_of_brand(gateway: httpx.AsyncClient, tokens: Tokens) -> str:
    me = ok(await gateway.get(f"{ID}/me", headers=tokens.h("lbx")))
    return str(me.get("id") or me["user"]["id"])


async def test_a_plant_inspector_is_an_inspector_at_that_plant_only(
    gateway: httpx.AsyncClient, tokens: Tokens, factory: Factory
) -> None:
    plant, inspection = await _open_inspection(factory)
    other_plant, other = await _open_inspection(factory)
    plant_inspector = await _new_user(gateway, tokens, ["VIEWER"], ("INSPECTOR", plant))
    _refused(await _assign(gateway, tokens, other, plant_inspector))
    done = ok(await _assign(gateway, tokens, inspection, plant_inspector))
    assert done["inspector_id"] == plant_inspector
    # a custom role granting the recording permission counts as well
    role = f"QA_{uuid.uuid4().hex[:6].upper()}"
    ok(
        await gateway.post(
            f"{ID}/roles",
            headers=tokens.h("admin"),
            json={"name": role, "space": "PROVIDER", "permissions": ["inspections:write"]},
        ),
        201,
    )
    recorder = await _new_user(gateway, tokens, [role], None)
    assert ok(await _assign(gateway, tokens, other, recorder))["inspector_id"] == recorder
    assert other_plant != plant


async def _login(gateway: httpx.AsyncClient, email: str) -> dict[str, str]:
    resp = ok(
        await gateway.post(
            f"{ID}/auth/login",
            json={"email": email, "password": "correct-horse-battery", "tenant": "paco"},
        )
    )
    return {"Authorization": f"Bearer {resp['access_token']}"}


async def _email(gateway: httpx.AsyncClient, tokens: Tokens, user_id: str) -> str:
    return str(ok(await gateway.get(f"{ID}/users/{user_id}", headers=tokens.h("admin")))["email"])


async def test_an_inspector_and_a_qa_lead_assign_to_another_inspector(
    gateway: httpx.AsyncClient, tokens: Tokens, factory: Factory
) -> None:
    """The INSPECTOR and QA_LEAD roles read the tenant's users (users:read), which checking
    the assignee takes: no 403 assignee_not_visible."""
    _plant, inspection = await _open_inspection(factory)
    colleague = await _new_user(gateway, tokens, ["INSPECTOR"], None)
    done = await gateway.post(
        f"{Q}/inspections/{inspection['id']}/assign",
        headers=tokens.h("inspector"),
        json={"inspector_id": colleague},
    )
    assert done.status_code == 200, done.text
    assert (done.json()["inspector_id"], done.json()["status"]) == (colleague, "assigned")
    # the inspector still cannot hand it to someone who is no inspector
    operator = await _user_id(gateway, tokens, "operator@paco.example")
    _refused(
        await gateway.post(
            f"{Q}/inspections/{inspection['id']}/assign",
            headers=tokens.h("inspector"),
            json={"inspector_id": operator},
        )
    )
    # a QA lead (luxury packaging template) reassigns it to a custom role's recorder
    lead = await _new_user(gateway, tokens, ["QA_LEAD"], None)
    lead_h = await _login(gateway, await _email(gateway, tokens, lead))
    role = f"QA_{uuid.uuid4().hex[:6].upper()}"
    ok(
        await gateway.post(
            f"{ID}/roles",
            headers=tokens.h("admin"),
            json={"name": role, "space": "PROVIDER", "permissions": ["inspections:write"]},
        ),
        201,
    )
    recorder = await _new_user(gateway, tokens, [role], None)
    again = await gateway.post(
        f"{Q}/inspections/{inspection['id']}/assign",
        headers=lead_h,
        json={"inspector_id": recorder},
    )
    assert again.status_code == 200, again.text
    assert again.json()["inspector_id"] == recorder
