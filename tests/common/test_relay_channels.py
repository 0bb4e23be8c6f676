"""The one relay: events and mail leave the outbox by separate channels."""

from __future__ import annotations

import email
import json
import uuid
from collections.abc import AsyncIterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from sqlalchemy import MetaData
from sqlalchemy.ext.asyncio import create_async_engine

from libs.common.db import Database
from libs.common.outbox import outbox_table
from libs.common.relay import MailChannel, Relay
from libs.common.webhooks import generate_secret
from tests.fixtures.database import SchemaFactory, ScratchSchema
from tools.pg import free_port
from tools.stack import Stack


def render(row: Any) -> EmailMessage:
    msg = EmailMessage()
    msg["To"] = row.data["to"]
    msg["Subject"] = row.type
    msg.set_content(f"link: {row.data['accept_url']}")
    return msg


@pytest.fixture
async def outbox(scratch_schema: SchemaFactory) -> AsyncIterator[tuple[ScratchSchema, Database]]:
    schema = await scratch_schema()
    engine = create_async_engine(schema.url)
    async with engine.begin() as conn:
        await conn.run_sync(outbox_table(MetaData(schema=schema.schema)).create)
    await engine.dispose()
    db = Database(schema.url, schema=schema.schema, pool_size=2)
    yield schema, db
    await db.dispose()


async def insert(
    conn: asyncpg.Connection, schema: str, type_: str, data: dict[str, Any]
) -> uuid.UUID:
    eid = uuid.uuid4()
    await conn.execute(
        f'INSERT INTO "{schema}".outbox (id, type, tenant_id, subject, occurred_at, data) '
        "VALUES ($1, $2, $3, 'tests/relay', now(), $4)",
        eid,
        type_,
        uuid.uuid4(),
        json.dumps(data),
    )
    return eid


async def test_mail_is_written_to_the_folder_scrubbed_and_never_sent_as_an_event(
    outbox: tuple[ScratchSchema, Database], database: Stack, tmp_path: Path
) -> None:
    schema, db = outbox
    conn = await asyncpg.connect(database.admin_dsn())
    try:
        mail_id = await insert(
            conn,
            schema.schema,
            "identity.mail.invite",
            {"to": "ada@example.com", "accept_url": "https://x/invites/secret-token"},
        )
        event_id = await insert(conn, schema.schema, "identity.user.created", {"n": 1})
        relay = Relay(
            db,
            service="identity",
            secret=generate_secret(),
            ingest_url=f"http://127.0.0.1:{free_port()}/internal/events",  # nobody listens
            mail=MailChannel(
                prefix="identity.mail.",
                render=render,
                directory=str(tmp_path / "mail"),
                scrub=("accept_url",),
            ),
        )
        await relay.open()  # by hand: no background loop
        try:
            # the event channel claims the event only, and keeps it for a retry
            assert await relay.run_once() == 0
            assert await relay.send_mail_once() == 1
            assert await relay.send_mail_once() == 0  # written once
        finally:
            await relay.stop()
        rows = {
            r["id"]: r
            for r in await conn.fetch(
                f'SELECT id, sent_at, attempts, last_error, data FROM "{schema.schema}".outbox'
            )
        }
    finally:
        await conn.close()
    mail, event = rows[mail_id], rows[event_id]
    assert mail["sent_at"] is not None and mail["attempts"] == 1
    assert "accept_url" not in json.loads(mail["data"])  # the one-time link is gone
    assert event["sent_at"] is None and event["attempts"] == 1 and event["last_error"]
    files = list((tmp_path / "mail").glob("*.eml"))
    assert [f.name for f in files] == [f"{mail_id}.eml"]
    msg = email.message_from_bytes(files[0].read_bytes())
    assert msg["To"] == "ada@example.com"
    assert "secret-token" in msg.get_payload()


async def test_without_a_mail_channel_every_row_is_an_event(
    outbox: tuple[ScratchSchema, Database], database: Stack
) -> None:
    schema, db = outbox
    conn = await asyncpg.connect(database.admin_dsn())
    try:
        await insert(conn, schema.schema, "identity.mail.invite", {"to": "a", "accept_url": "u"})
        relay = Relay(
            db,
            service="quality",
            secret=generate_secret(),
            ingest_url=f"http://127.0.0.1:{free_port()}/internal/events",
        )
        await relay.open()  # by hand: no background loop
        try:
            await relay.run_once()
        finally:
            await relay.stop()
        attempts = await conn.fetchval(f'SELECT attempts FROM "{schema.schema}".outbox')
    finally:
        await conn.close()
    assert attempts == 1  # claimed by the event channel (and failed: nobody listens)


async def test_mail_rows_reach_the_folder_and_never_sync(
    stack: Stack, outbox: tuple[ScratchSchema, Database], tmp_path: Path
) -> None:
    """Against the real sync: the event is stored there, the mail is not."""
    schema, db = outbox
    conn = await asyncpg.connect(stack.admin_dsn())
    try:
        mail_id = await insert(
            conn, schema.schema, "identity.mail.welcome", {"to": "b@x", "accept_url": "u"}
        )
        event_id = await insert(conn, schema.schema, "quality.test.relayed", {"n": 2})
        relay = Relay(
            db,
            service="quality",
            secret=stack.secrets["service_secret_quality"],
            ingest_url=f"{stack.service_url('sync')}/internal/events",
            mail=MailChannel(prefix="identity.mail.", render=render, directory=str(tmp_path)),
        )
        await relay.open()  # by hand: no background loop
        try:
            assert await relay.run_once() == 1
            assert await relay.send_mail_once() == 1
        finally:
            await relay.stop()
        stored = await conn.fetch(
            "SELECT id FROM sync.events WHERE id = ANY($1)", [mail_id, event_id]
        )
    finally:
        await conn.close()
    assert [r["id"] for r in stored] == [event_id]
    assert (tmp_path / f"{mail_id}.eml").exists()
