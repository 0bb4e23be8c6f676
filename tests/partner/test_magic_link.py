"""Partners sign in by magic link: one-time, short-lived, single use, bound to the invite and
its email, mailed through identity's outbox (the local mail folder); no password."""

from __future__ import annotations

import asyncpg
import httpx
from jose import jwt

from tests.fixtures.users import Tokens
from tests.partner.conftest import ID, Factory, link_token, mail_names, mail_to, ok, problem
from tools.seed import DEMO_PASSWORD, SeedContext
from tools.stack import Stack


async def test_the_mailed_link_signs_in_once_for_its_email_only(
    gw: httpx.AsyncClient, factory: Factory, stack: Stack, seed: SeedContext
) -> None:
    partner = await factory.partner()
    to = await factory.invite(partner, "PARTNER_LEAD")
    msg = await mail_to(stack, to)
    assert "sign-in link" in msg["Subject"]
    token = link_token(msg)
    url = f"{ID}/auth/magic-link/{token}"

    problem(
        await gw.post(url, json={"email": "someone-else@partner.example"}),
        403,
        "magic_link_email_mismatch",
    )
    got = ok(await gw.post(url, json={"email": to.upper()}))
    assert got["space"] == "DEVELOPER" and got["tenant_id"] == partner["customer_tenant_id"]
    claims = jwt.get_unverified_claims(got["access_token"])
    assert claims["roles"] == ["PARTNER_LEAD"]
    assert claims["ptid"] == seed.data["tenants"]["paco"]
    assert "partner:review" in claims["perms"] or "partner:*" in claims["perms"]
    # single use
    problem(await gw.post(url, json={"email": to}), 410, "magic_link_used")
    # the refresh token works as any other
    again = ok(await gw.post(f"{ID}/auth/refresh", json={"refresh_token": got["refresh_token"]}))
    assert again["space"] == "DEVELOPER"
    # no password: the password login knows no secret for this user
    slug = ok(await gw.get(f"{ID}/me", headers={"Authorization": f"Bearer {got['access_token']}"}))[
        "tenant"
    ]["slug"]
    login = {"email": to, "password": DEMO_PASSWORD, "tenant": slug}
    assert (await gw.post(f"{ID}/auth/login", json=login)).status_code == 401


async def test_an_expired_link_is_refused_and_a_new_one_can_be_asked_for(
    gw: httpx.AsyncClient, factory: Factory, stack: Stack
) -> None:
    partner = await factory.partner()
    to = await factory.invite(partner)
    token = link_token(await mail_to(stack, to))
    conn = await asyncpg.connect(stack.admin_dsn())
    try:
        await conn.execute(
            "UPDATE identity.magic_links SET expires_at = now() - interval '1 second',"
            " created_at = now() - interval '16 minutes' WHERE lower(email) = lower($1)",
            to,
        )
    finally:
        await conn.close()
    problem(
        await gw.post(f"{ID}/auth/magic-link/{token}", json={"email": to}),
        410,
        "magic_link_expired",
    )
    me = ok(
        await gw.get(
            f"{ID}/tenants/{partner['customer_tenant_id']}", headers=factory.tokens.h("admin")
        )
    )
    seen = mail_names(stack)
    # unknown emails get the same answer, and no mail
    for email in (to, "nobody@partner.example"):
        resp = await gw.post(f"{ID}/auth/magic-link", json={"email": email, "tenant": me["slug"]})
        assert resp.status_code == 202, resp.text
    fresh = link_token(await mail_to(stack, to, after=seen))
    assert fresh != token
    got = ok(await gw.post(f"{ID}/auth/magic-link/{fresh}", json={"email": to}))
    assert got["space"] == "DEVELOPER"
    assert {n for n in mail_names(stack) - seen} and not any(
        "nobody@partner.example" in (stack.config.state_dir / "mail" / n).read_text()
        for n in mail_names(stack) - seen
    )


async def test_magic_links_are_for_the_developer_space_and_unknown_links_are_404(
    gw: httpx.AsyncClient, tokens: Tokens, factory: Factory
) -> None:
    partner = await factory.partner()
    body = {
        "email": "pm@partner.example",
        "tenant_id": partner["customer_tenant_id"],
        "roles": ["CLIENT_VIEWER"],
        "space": "CLIENT",
        "login": "magic_link",
    }
    problem(
        await gw.post(f"{ID}/invites", headers=tokens.h("admin"), json=body),
        422,
        "magic_link_developer_only",
    )
    problem(
        await gw.post(f"{ID}/auth/magic-link/{'x' * 43}", json={"email": "a@b.example"}),
        404,
        "magic_link_not_found",
    )
