"""Identity's outbox: mail stays home, every other event goes to sync.

Mail events (`identity.mail.*`) carry one-time links, so they are never relayed to sync (whence
they could reach webhook subscribers): the mailer here writes them to the mail folder
(`mail_dir`, the development transport) and scrubs the link from the row once written.
Every other identity event goes to sync through the kit's relay, with a claim that skips mail.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import anyio
import orjson
from fastapi import FastAPI
from sqlalchemy import text

from libs.common.db import Database
from libs.common.ids import new_id
from libs.common.outbox import envelope
from libs.common.relay import SERVICE_HEADER, Relay
from libs.common.webhooks import signed_headers

log = logging.getLogger("weft.identity.mail")

MAIL_PREFIX = "identity.mail."
_CLAIM_EVENTS = text(
    """
    SELECT id, type, tenant_id, customer_tenant_id, subject, occurred_at, data, attempts
    FROM outbox
    WHERE sent_at IS NULL AND type NOT LIKE 'identity.mail.%'
      AND (next_attempt_at IS NULL OR next_attempt_at <= now())
    ORDER BY created_at LIMIT :limit FOR UPDATE SKIP LOCKED
    """
)
_CLAIM_MAIL = text(
    """
    SELECT id, type, tenant_id, subject, data FROM outbox
    WHERE sent_at IS NULL AND type LIKE 'identity.mail.%'
    ORDER BY created_at LIMIT 50 FOR UPDATE SKIP LOCKED
    """
)
_MAIL_SENT = text(
    "UPDATE outbox SET sent_at = now(), attempts = attempts + 1, "
    "data = data - 'accept_url' WHERE id = :id"
)
_SENT = text(
    "UPDATE outbox SET sent_at = now(), attempts = attempts + 1, last_error = NULL WHERE id = ANY(:ids)"
)
_FAILED = text(
    "UPDATE outbox SET attempts = attempts + 1, last_error = :error, "
    "next_attempt_at = now() + make_interval(secs => :delay) WHERE id = ANY(:ids)"
)

SUBJECTS = {
    "identity.mail.welcome": "Welcome to Weft: set your password for {tenant}",
    "identity.mail.invite": "You are invited to {tenant} on Weft",
}


class EventRelay(Relay):
    """The kit's relay, minus mail events."""

    async def run_once(self) -> int:
        assert self._http is not None, "start() first"
        async with self.db.transaction(None, system=True) as session:
            rows = (await session.execute(_CLAIM_EVENTS, {"limit": self.batch_size})).all()
            if not rows:
                return 0
            events = [envelope(r) for r in rows]
            body = orjson.dumps({"events": events})
            headers = signed_headers([self.secret], str(new_id()), body)
            headers[SERVICE_HEADER] = self.service
            ids = [r.id for r in rows]
            error = None
            try:
                resp = await self._http.post(self.ingest_url, content=body, headers=headers)
                if not 200 <= resp.status_code < 300:
                    error = f"HTTP {resp.status_code}: {resp.text[:300]}"
            except Exception as exc:
                error = f"{type(exc).__name__}: {exc}"[:500]
            if error is None:
                await session.execute(_SENT, {"ids": ids})
                return len(ids)
            attempts = max(r.attempts for r in rows) + 1
            delay = min(self.max_backoff_seconds, 0.2 * 2**attempts) * random.uniform(0.8, 1.2)
            await session.execute(_FAILED, {"ids": ids, "error": error, "delay": delay})
            return 0


def render_mail(row: Any) -> EmailMessage:
    data = dict(row.data)
    msg = EmailMessage()
    msg["To"] = data.get("to", "")
    msg["From"] = "Weft <no-reply@weft.local>"
    msg["Subject"] = SUBJECTS.get(row.type, "Weft").format(tenant=data.get("tenant", "Weft"))
    msg["Message-ID"] = f"<{row.id}@weft.local>"
    lines = [f"Hello {data.get('name') or ''}".rstrip() + ",", ""]
    if row.type == "identity.mail.invite":
        lines.append(
            f"You are invited to {data.get('tenant')} with the roles "
            f"{', '.join(data.get('roles') or [])}."
        )
    else:
        lines.append(f"Your Weft tenant {data.get('tenant')} is ready.")
    lines += [
        "",
        f"Set your password here (the link works once and expires {data.get('expires_at')}):",
        str(data.get("accept_url", "")),
        "",
    ]
    msg.set_content("\n".join(lines))
    return msg


def _write(folder: Path, name: str, content: bytes) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(content)


async def send_mail_once(db: Database, mail_dir: Path) -> int:
    async with db.transaction(None, system=True) as session:
        rows = (await session.execute(_CLAIM_MAIL)).all()
        for row in rows:
            await anyio.to_thread.run_sync(
                _write, mail_dir, f"{row.id}.eml", bytes(render_mail(row))
            )
            await session.execute(_MAIL_SENT, {"id": row.id})
            log.info("mail written", extra={"type": row.type, "event_id": str(row.id)})
        return len(rows)


def outbox_lifespan() -> Callable[[FastAPI], Any]:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        settings = app.state.settings
        db: Database = app.state.db
        relay = None
        if settings.service_secret and settings.sync_ingest_url:
            relay = EventRelay(
                db,
                service=settings.service_name,
                secret=settings.service_secret,
                ingest_url=settings.sync_ingest_url,
                batch_size=settings.relay_batch_size,
                poll_seconds=max(settings.relay_poll_seconds, 0.5),
            )
            await relay.start()
        # Marks the kit's automatic (unfiltered) relay as already running.
        app.state.relay = relay or object()
        mailer = asyncio.create_task(_mail_loop(db, settings.mail_dir), name="identity-mailer")
        try:
            yield
        finally:
            mailer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await mailer
            if relay is not None:
                await relay.stop()

    return lifespan


async def _mail_loop(db: Database, mail_dir: str) -> None:
    if not mail_dir:
        log.warning("mail_dir unset: mail stays queued in the outbox")
        return
    path = Path(mail_dir)
    while True:
        try:
            await send_mail_once(db, path)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("mail round failed")
        await asyncio.sleep(1.0)


__all__ = ["EventRelay", "outbox_lifespan", "send_mail_once"]
