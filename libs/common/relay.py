"""The outbox relay: ships a service's committed outbox rows out, at least once.

One relay per service process, started by `create_service_app(relay=RelayOptions(...))`
(a service without an outbox, or sync, which stores its events directly, passes none).
Two channels leave the outbox:

- events go to sync: the relay claims unsent rows with `FOR UPDATE SKIP LOCKED` in a system
  transaction, so several processes of one service can relay side by side without sending
  a row twice at the same time; posts them as one batch (at most `MAX_BATCH_BYTES`) to
  sync's ingest endpoint, signed as a Standard Webhooks delivery with the service's own
  secret (`webhook-id` = batch id, `X-Weft-Service` = service name); and marks them sent
  only after sync's 2xx. Anything else (error, timeout, crash before the mark) leaves the
  rows unsent, to be sent again after a backoff: sync stores each event once, by its id.
- mail (rows whose type starts with the `MailChannel` prefix, e.g. `identity.mail.`) never
  leaves the service: the channel renders each row to a message, writes it to the mail
  folder (the development transport) and removes the one-time secrets (`scrub`) from the
  row once written.

It wakes on the `weft_outbox` notification that `emit_event` raises (delivered at commit),
and polls every `relay_poll_seconds` besides.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import anyio
import httpx
import orjson
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from libs.common.db import Database
from libs.common.ids import new_id
from libs.common.outbox import NOTIFY_CHANNEL, envelope
from libs.common.webhooks import signed_headers

log = logging.getLogger("weft.relay")

SERVICE_HEADER = "X-Weft-Service"
MAX_BATCH_BYTES = 512 * 1024  # well under the 1 MiB body limit of the ingest endpoint
MAIL_BATCH = 50

_HAS_OUTBOX = text("SELECT to_regclass('outbox') IS NOT NULL")
_CLAIM = text(
    """
    SELECT id, type, tenant_id, customer_tenant_id, subject, occurred_at, data, attempts
    FROM outbox
    WHERE sent_at IS NULL AND (next_attempt_at IS NULL OR next_attempt_at <= now())
      AND (CAST(:mail_prefix AS text) IS NULL OR NOT starts_with(type, :mail_prefix))
    ORDER BY created_at
    LIMIT :limit
    FOR UPDATE SKIP LOCKED
    """
)
_CLAIM_MAIL = text(
    """
    SELECT id, type, tenant_id, subject, occurred_at, data, attempts FROM outbox
    WHERE sent_at IS NULL AND (next_attempt_at IS NULL OR next_attempt_at <= now())
      AND starts_with(type, :mail_prefix)
    ORDER BY created_at LIMIT :limit FOR UPDATE SKIP LOCKED
    """
)
_SENT = text(
    "UPDATE outbox SET sent_at = now(), attempts = attempts + 1, last_error = NULL "
    "WHERE id = ANY(:ids)"
)
_MAIL_SENT = text(
    "UPDATE outbox SET sent_at = now(), attempts = attempts + 1, last_error = NULL, "
    "data = data - CAST(:scrub AS text[]) WHERE id = :id"
)
_FAILED = text(
    "UPDATE outbox SET attempts = attempts + 1, last_error = :error, "
    "next_attempt_at = now() + make_interval(secs => :delay) WHERE id = ANY(:ids)"
)

# An outbox row as the mail channel reads it (id, type, tenant_id, subject, data, ...).
MailRenderer = Callable[[Any], EmailMessage]


@dataclass(frozen=True)
class MailChannel:
    """Outbox rows of type `prefix*` are mail: rendered by `render`, written as `<id>.eml`
    to `directory`, then stripped of the `scrub` keys (one-time links). Without a
    directory, mail stays queued in the outbox (and still never goes to sync)."""

    prefix: str
    render: MailRenderer
    directory: str = ""
    scrub: Sequence[str] = ()


@dataclass(frozen=True)
class RelayOptions:
    """What create_service_app(relay=...) starts: the outbox relay and its channels."""

    mail: MailChannel | None = None
    batch_size: int | None = None
    poll_seconds: float | None = None


class Relay:
    def __init__(
        self,
        db: Database,
        *,
        service: str,
        secret: str,
        ingest_url: str,
        mail: MailChannel | None = None,
        batch_size: int = 100,
        poll_seconds: float = 0.2,
        timeout_seconds: float = 10.0,
        max_backoff_seconds: float = 10.0,
    ) -> None:
        self.db = db
        self.service = service
        self.secret = secret
        self.ingest_url = ingest_url
        self.mail = mail
        self._mail_prefix = mail.prefix if mail else None
        self.batch_size = batch_size
        self.poll_seconds = poll_seconds
        self.timeout_seconds = timeout_seconds
        self.max_backoff_seconds = max_backoff_seconds
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._listen_conn: AsyncConnection | None = None
        self._http: httpx.AsyncClient | None = None

    def wake(self) -> None:
        self._wake.set()

    async def has_outbox(self) -> bool:
        async with self.db.engine.connect() as conn:
            return bool((await conn.execute(_HAS_OUTBOX)).scalar())

    async def open(self) -> None:
        """Ready to send (run_once / send_mail_once by hand); start() also runs the loop."""
        if self._http is None:
            self._http = httpx.AsyncClient(timeout=self.timeout_seconds)

    async def start(self) -> None:
        await self.open()
        await self._listen()
        self._task = asyncio.create_task(self._run(), name=f"relay-{self.service}")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._listen_conn is not None:
            with contextlib.suppress(Exception):
                await self._listen_conn.close()
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    async def _listen(self) -> None:
        """LISTEN for commits of outbox rows; polling still covers a lost connection."""
        schema = self.db.schema

        def on_notify(_conn: Any, _pid: int, _channel: str, payload: str) -> None:
            if payload == schema:
                self._wake.set()

        try:
            conn = await self.db.engine.connect()
            raw = await conn.get_raw_connection()
            await raw.driver_connection.add_listener(NOTIFY_CHANNEL, on_notify)  # type: ignore[union-attr]
            self._listen_conn = conn
        except Exception:
            log.warning("outbox LISTEN unavailable; polling only", exc_info=True)

    async def _run(self) -> None:
        while True:
            self._wake.clear()
            try:
                sent = await self.run_once()
                if self.mail is not None and self.mail.directory:
                    await self.send_mail_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("relay round failed")
                sent = 0
                await asyncio.sleep(1)
            if sent < self.batch_size:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self.poll_seconds)

    def _delay(self, attempts: int) -> float:
        return min(self.max_backoff_seconds, 0.2 * 2**attempts) * random.uniform(0.8, 1.2)

    async def run_once(self) -> int:
        """Claim one batch of events, send it, mark it. Returns the rows sync acknowledged."""
        assert self._http is not None, "start() first"
        async with self.db.transaction(None, system=True) as session:
            params = {"limit": self.batch_size, "mail_prefix": self._mail_prefix}
            rows = (await session.execute(_CLAIM, params)).all()
            if not rows:
                return 0
            events: list[dict[str, Any]] = []
            size = 0
            for row in rows:
                item = envelope(row)
                size += len(orjson.dumps(item))
                if events and size > MAX_BATCH_BYTES:
                    break  # the rest stays unsent and unlocked at commit, for the next round
                events.append(item)
            claimed = rows[: len(events)]
            ids = [r.id for r in claimed]
            body = orjson.dumps({"events": events})
            headers = signed_headers([self.secret], str(new_id()), body)
            headers[SERVICE_HEADER] = self.service
            error: str | None = None
            try:
                resp = await self._http.post(self.ingest_url, content=body, headers=headers)
                if not 200 <= resp.status_code < 300:
                    error = f"HTTP {resp.status_code}: {resp.text[:300]}"
            except httpx.HTTPError as exc:
                error = f"{type(exc).__name__}: {exc}"[:500]
            if error is None:
                await session.execute(_SENT, {"ids": ids})
                return len(ids)
            delay = self._delay(max(r.attempts for r in claimed) + 1)
            await session.execute(_FAILED, {"ids": ids, "error": error, "delay": delay})
            log.warning("relay batch not acknowledged", extra={"error": error, "rows": len(ids)})
            return 0

    async def send_mail_once(self) -> int:
        """Write one batch of queued mail to the mail folder. Returns the messages written."""
        mail = self.mail
        assert mail is not None and mail.directory, "no mail channel"
        folder = Path(mail.directory)
        written = 0
        async with self.db.transaction(None, system=True) as session:
            params = {"limit": MAIL_BATCH, "mail_prefix": mail.prefix}
            for row in (await session.execute(_CLAIM_MAIL, params)).all():
                try:
                    message = bytes(mail.render(row))
                    await anyio.to_thread.run_sync(_write, folder, f"{row.id}.eml", message)
                except Exception as exc:
                    error = f"{type(exc).__name__}: {exc}"[:500]
                    delay = self._delay(row.attempts + 1)
                    await session.execute(
                        _FAILED, {"ids": [row.id], "error": error, "delay": delay}
                    )
                    log.warning("mail not written", extra={"error": error, "event_id": str(row.id)})
                    continue
                await session.execute(_MAIL_SENT, {"id": row.id, "scrub": list(mail.scrub)})
                written += 1
                log.info("mail written", extra={"type": row.type, "event_id": str(row.id)})
        return written


def _write(folder: Path, name: str, content: bytes) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(content)


def relay_lifespan(options: RelayOptions) -> Callable[[FastAPI], Any]:
    """The lifespan create_service_app enters for `relay=options`: this service's relay."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        settings = app.state.settings
        if not settings.relay_enabled:
            yield
            return
        if not settings.service_secret or not settings.sync_ingest_url:
            log.warning("relay not started: service_secret or sync_ingest_url unset")
            yield
            return
        relay = Relay(
            app.state.db,
            service=settings.service_name,
            secret=settings.service_secret,
            ingest_url=settings.sync_ingest_url,
            mail=options.mail,
            batch_size=options.batch_size or settings.relay_batch_size,
            poll_seconds=options.poll_seconds or settings.relay_poll_seconds,
        )
        if options.mail is not None and not options.mail.directory:
            log.warning("no mail folder: mail stays queued in the outbox")
        try:
            present = await relay.has_outbox()
        except Exception:
            log.warning("relay not started: database unreachable", exc_info=True)
            present = False
        if not present:
            yield
            return
        await relay.start()
        app.state.relay = relay
        try:
            yield
        finally:
            await relay.stop()
            app.state.relay = None

    return lifespan
