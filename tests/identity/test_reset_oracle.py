"""A password reset request does the same work whether the account exists or not (no
timing oracle): the request only defers a job; the job looks the account up and mails.
Compared by the statements each request runs, not by wall-clock times."""

from __future__ import annotations

import re
import uuid
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import event, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from libs.common.jobs import JobContext
from services.identity.models import Tenant, User, outbox
from services.identity.passwords.service import send_reset


@contextmanager
def statements(engine: AsyncEngine) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(*args: Any) -> None:
        # savepoint names count up through the test: the same statement either way
        seen.append(re.sub(r"sa_savepoint_\d+", "sa_savepoint", " ".join(str(args[2]).split())))

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)


@pytest.fixture
async def identity_app(service_app: Callable[[str], Awaitable[FastAPI]]) -> FastAPI:
    return await service_app("identity")


async def test_known_and_unknown_addresses_run_the_same_statements(
    identity_app: FastAPI, service_engines: dict[str, AsyncEngine]
) -> None:
    app = identity_app
    slug = f"reset-{uuid.uuid4().hex[:8]}"
    known = f"someone@{slug}.example"
    async with app.state.db.transaction(None, system=True) as s:
        tenant = Tenant(kind="provider", name="Reset Co", slug=slug)
        s.add(tenant)
        await s.flush()
        s.add(User(tenant_id=tenant.id, email=known, name="Someone"))

    runs: dict[str, list[str]] = {}
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://identity.test"
    ) as client:
        for who, address in (("known", known), ("unknown", f"nobody@{slug}.example")):
            with statements(service_engines["identity"]) as seen:
                resp = await client.post(
                    "/auth/password-reset", json={"email": address, "tenant": slug}
                )
            assert resp.status_code == 202, resp.text
            runs[who] = seen
    assert runs["known"] == runs["unknown"]
    assert any("procrastinate_defer_jobs" in sql for sql in runs["known"]), runs["known"]
    assert not any("users" in sql for sql in runs["known"]), "the request looked the user up"

    # the job does the looking up: a mail for the account, nothing for the unknown address
    async def mails() -> int:
        async with app.state.db.transaction(None, system=True) as s:
            count = await s.scalar(
                select(func.count())
                .select_from(outbox)
                .where(outbox.c.type == "identity.mail.password_reset")
                .where(outbox.c.tenant_id == tenant.id)
            )
            return int(count or 0)

    ctx = JobContext(
        job_id=None,
        task=send_reset.name,
        attempt=0,
        tenant_id=None,
        db=app.state.db,
        state=app.state,
    )
    await send_reset(ctx, tenant=slug, email=f"nobody@{slug}.example")
    assert await mails() == 0
    await send_reset(ctx, tenant=slug, email=known)
    assert await mails() == 1
    await send_reset(ctx, tenant=slug, email=known)  # a job run twice mails once
    assert await mails() == 1
