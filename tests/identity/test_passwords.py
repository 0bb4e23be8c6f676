"""Temporary passwords must be changed first; forgotten ones are reset by a one-time mailed
link; invite links point where acceptance works."""

from __future__ import annotations

import asyncio
import email as email_lib
import hashlib
import re
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg
import httpx

from tests.identity.conftest import NEW_PASSWORD, bearer, login, unique
from tools.seed import DEMO_PASSWORD
from tools.stack import Stack

RESET_LINK = re.compile(r"https?://\S+?(/v1/identity/auth/password-reset/([A-Za-z0-9_-]+))")


async def _mailed_link(stack: Stack, to: str) -> tuple[str, str]:
    """(path, token) of the reset link in the newest mail to `to`."""
    folder = Path(stack.config.state_dir) / "mail"
    deadline = asyncio.get_running_loop().time() + 15.0
    while True:
        found = []
        for path in folder.glob("*.eml") if folder.exists() else []:
            msg = email_lib.message_from_bytes(path.read_bytes())
            if msg["To"] == to:
                payload = msg.get_payload(decode=True)
                assert isinstance(payload, bytes), payload
                body = payload.decode()
                if m := RESET_LINK.search(body):
                    found.append((path.stat().st_mtime_ns, m.group(1), m.group(2)))
        if found:
            _, link, token = max(found)
            return link, token
        assert asyncio.get_running_loop().time() < deadline, f"no reset mail to {to}"
        await asyncio.sleep(0.3)


async def test_a_temporary_password_only_lets_its_holder_change_it(
    identity: httpx.AsyncClient, stack: Stack, paco_admin: dict[str, str]
) -> None:
    email = f"{unique('temp')}@paco.example"
    resp = await identity.post(
        "/users", headers=paco_admin, json={"email": email, "name": "T", "roles": ["OPS_MANAGER"]}
    )
    assert resp.status_code == 201, resp.text
    temporary = resp.json()["temporary_password"]

    first = await login(identity, email, "paco", password=temporary)
    assert first["password_change_required"] is True
    held = bearer(first["access_token"])
    # every other call is refused with a clear code, here and in the other services
    resp = await identity.get("/users", headers=held)
    assert resp.status_code == 403 and resp.json()["code"] == "password_change_required"
    async with httpx.AsyncClient(base_url=stack.gateway_url, timeout=30) as gw:
        resp = await gw.get("/v1/production/plants", headers=held)
        assert resp.status_code == 403, resp.text
        assert resp.json()["code"] == "password_change_required"
    # /me says so; the refresh token gives no more than the login did
    me = (await identity.get("/me", headers=held)).json()
    assert me["password_change_required"] is True and me["permissions"] == []
    refreshed = await identity.post("/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert refreshed.json()["password_change_required"] is True

    resp = await identity.post(
        "/me/password",
        headers=held,
        json={"current_password": "not-it-at-all", "new_password": NEW_PASSWORD},
    )
    assert resp.status_code == 422 and resp.json()["code"] == "wrong_password"
    resp = await identity.post(
        "/me/password",
        headers=held,
        json={"current_password": temporary, "new_password": NEW_PASSWORD},
    )
    assert resp.status_code == 204, resp.text
    # the sessions of the temporary password are over; a new login is a full one
    resp = await identity.post(
        "/auth/refresh", json={"refresh_token": refreshed.json()["refresh_token"]}
    )
    assert resp.status_code == 401
    full = await login(identity, email, "paco", password=NEW_PASSWORD)
    assert full["password_change_required"] is False
    assert (await identity.get("/users", headers=bearer(full["access_token"]))).status_code == 200


async def test_password_reset_by_a_one_time_mailed_link(
    identity: httpx.AsyncClient,
    gateway: httpx.AsyncClient,
    stack: Stack,
    paco_admin: dict[str, str],
) -> None:
    email = f"{unique('forgot')}@paco.example"
    resp = await identity.post(
        "/users",
        headers=paco_admin,
        json={"email": email, "name": "F", "roles": ["VIEWER"], "password": DEMO_PASSWORD},
    )
    assert resp.status_code == 201, resp.text
    user_id = resp.json()["id"]
    session = await login(identity, email, "paco")

    # the same answer whether the account exists or not (through the gateway, public)
    known = await gateway.post(
        "/v1/identity/auth/password-reset", json={"email": email, "tenant": "paco"}
    )
    unknown = await gateway.post(
        "/v1/identity/auth/password-reset",
        json={"email": f"{unique('nobody')}@paco.example", "tenant": "paco"},
    )
    assert known.status_code == unknown.status_code == 202
    assert known.content == unknown.content
    # a documented JSON body (the spec's 202), not an empty answer without a Content-Type
    assert known.headers["content-type"].startswith("application/json")
    assert known.json() == {"status": "accepted"}

    path, token = await _mailed_link(stack, email)
    assert path == f"/v1/identity/auth/password-reset/{token}"
    conn = await asyncpg.connect(stack.admin_dsn())
    try:
        # hashed at rest, in the table and (once mailed) in the outbox
        rows = await conn.fetch(
            "SELECT token_hash, expires_at - created_at AS ttl FROM identity.password_resets "
            "WHERE user_id = $1",
            uuid.UUID(user_id),
        )
        assert [r["token_hash"] for r in rows] == [hashlib.sha256(token.encode()).hexdigest()]
        assert rows[0]["ttl"].total_seconds() <= 3600
        leaked = await conn.fetchval(
            "SELECT count(*) FROM identity.outbox WHERE data::text LIKE $1", f"%{token}%"
        )
        assert leaked == 0
    finally:
        await conn.close()

    resp = await gateway.post(
        "/v1/identity/auth/password-reset/not-the-right-token", json={"new_password": NEW_PASSWORD}
    )
    assert resp.status_code == 404 and resp.json()["code"] == "reset_not_found"
    resp = await gateway.post(path, json={"new_password": NEW_PASSWORD})
    assert resp.status_code == 204, resp.text
    resp = await gateway.post(path, json={"new_password": "Another-password-9"})
    assert resp.status_code == 410 and resp.json()["code"] == "reset_used"

    # the old password and the old sessions are gone; the new password works
    resp = await identity.post("/auth/refresh", json={"refresh_token": session["refresh_token"]})
    assert resp.status_code == 401
    resp = await identity.post(
        "/auth/login", json={"email": email, "password": DEMO_PASSWORD, "tenant": "paco"}
    )
    assert resp.status_code == 401
    assert (await login(identity, email, "paco", password=NEW_PASSWORD))["access_token"]


async def test_an_expired_reset_link_is_refused(
    identity: httpx.AsyncClient, stack: Stack, paco_admin: dict[str, str]
) -> None:
    email = f"{unique('late')}@paco.example"
    resp = await identity.post(
        "/users",
        headers=paco_admin,
        json={"email": email, "name": "L", "roles": ["VIEWER"], "password": DEMO_PASSWORD},
    )
    assert resp.status_code == 201, resp.text
    resp = await identity.post("/auth/password-reset", json={"email": email, "tenant": "paco"})
    assert resp.status_code == 202
    _, token = await _mailed_link(stack, email)
    conn = await asyncpg.connect(stack.admin_dsn())
    try:
        await conn.execute(
            "UPDATE identity.password_resets SET expires_at = now() - interval '1 second' "
            "WHERE token_hash = $1",
            hashlib.sha256(token.encode()).hexdigest(),
        )
    finally:
        await conn.close()
    resp = await identity.post(f"/auth/password-reset/{token}", json={"new_password": NEW_PASSWORD})
    assert resp.status_code == 410 and resp.json()["code"] == "reset_expired"
    assert (await login(identity, email, "paco"))["access_token"]


async def test_the_invite_link_points_where_acceptance_works(
    identity: httpx.AsyncClient, gateway: httpx.AsyncClient, paco_admin: dict[str, str]
) -> None:
    email = f"{unique('invitee')}@paco.example"
    resp = await identity.post(
        "/invites",
        headers=paco_admin,
        json={"email": email, "roles": ["INSPECTOR"], "space": "PROVIDER"},
    )
    assert resp.status_code == 201, resp.text
    invite = resp.json()
    path = urlsplit(invite["accept_url"]).path
    assert path == f"/v1/identity/invites/{invite['token']}/accept"
    resp = await gateway.post(path, json={"password": "A-long-password-3", "name": "Invited"})
    assert resp.status_code == 201, resp.text
    assert (await login(identity, email, "paco", password="A-long-password-3"))["access_token"]


async def test_the_reset_link_can_be_copied_straight_from_the_mail_file(
    identity: httpx.AsyncClient, stack: Stack, paco_admin: dict[str, str]
) -> None:
    """The README's walk-through reads the link out of `.weft/mail` with grep: the file holds
    it on one line (as the magic link), never folded by quoted-printable."""
    email = f"{unique('copy')}-with-a-long-local-part@paco.example"
    resp = await identity.post(
        "/users",
        headers=paco_admin,
        json={"email": email, "name": "C", "roles": ["VIEWER"], "password": DEMO_PASSWORD},
    )
    assert resp.status_code == 201, resp.text
    resp = await identity.post("/auth/password-reset", json={"email": email, "tenant": "paco"})
    assert resp.status_code == 202
    _, token = await _mailed_link(stack, email)
    folder = Path(stack.config.state_dir) / "mail"
    raw = [
        text
        for path in folder.glob("*.eml")
        if f"To: {email}" in (text := path.read_bytes().decode("utf-8", errors="replace"))
    ]
    assert len(raw) == 1, raw
    copied = [m.group(2) for m in RESET_LINK.finditer(raw[0])]
    assert copied == [token], raw[0]
