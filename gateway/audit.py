"""Audit records of the requests the gateway refuses itself, with the caller known: a token
whose space the route is not open to (403 `wrong_space`), and a rate limit (429).

The gateway has no database. Each refusal is logged at once as one structured line
(`weft.audit`), and queued for the service the request was for; a background task sends
each service's queue as one batch to its `POST /internal/audit-records` (libs.common.audit),
signed as Standard Webhooks with the gateway's audit secret, every `audit_flush_seconds`.
The service stores the batch in its own audit table, where its tenant admins list it with
everything else (`GET /v1/<service>/audit-records`). Records carry their own ids, so a
batch sent again after a lost answer is stored once. A service that stays unreachable
keeps at most `max_pending` records queued (the oldest go first, each already logged).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections import deque
from datetime import UTC, datetime
from typing import Any

import aiohttp
import orjson

from libs.common.audit.table import outcome_of
from libs.common.auth import Principal
from libs.common.ids import new_id
from libs.common.webhooks import signed_headers

log = logging.getLogger("weft.audit")

MAX_BATCH = 500


class AuditShipper:
    def __init__(
        self,
        service_urls: dict[str, str],
        secret: str,
        *,
        flush_seconds: float = 0.5,
        max_pending: int = 10_000,
        timeout: float = 5.0,
    ) -> None:
        self.service_urls = service_urls
        self.secret = secret
        self.flush_seconds = flush_seconds
        self.max_pending = max_pending
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        self.pending: dict[str, deque[dict[str, Any]]] = {}
        self._wake = asyncio.Event()
        self._session: aiohttp.ClientSession | None = None
        self._task: asyncio.Task[None] | None = None

    def record(
        self,
        service: str,
        principal: Principal,
        *,
        method: str,
        path: str,
        status: int,
        code: str,
        request_id: str,
    ) -> None:
        """Log the refusal and queue it for `service`; never blocks the answer."""
        values: dict[str, Any] = {
            "id": str(new_id()),
            "tenant_id": str(principal.tenant_id),
            "request_id": request_id[:128],
            "actor": principal.subject[:255],
            "act": principal.actor,
            "space": str(principal.space),
            "method": method[:10],
            "route": path[:500],
            "path": path[:2000],
            "status": status,
            "outcome": outcome_of(status).value,
            "code": code,
            "details": {"by": "gateway"},
            "at": datetime.now(UTC).isoformat(),
        }
        log.info("audit", extra={"audit": values})
        if not self.secret or service not in self.service_urls:
            return
        queue = self.pending.setdefault(service, deque(maxlen=self.max_pending))
        queue.append(values)
        if len(queue) >= MAX_BATCH:
            self._wake.set()

    def start(self) -> None:
        if self.secret and self._task is None:
            self._task = asyncio.create_task(self._run())

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        try:
            await self.flush()  # what is left, once
        finally:
            if self._session is not None:
                await self._session.close()

    async def _run(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.flush_seconds)
            self._wake.clear()
            await self.flush()

    async def flush(self) -> int:
        """Send every service's queue; a batch that fails goes back to its queue."""
        sent = 0
        for service, queue in self.pending.items():
            while queue:
                batch = [queue.popleft() for _ in range(min(MAX_BATCH, len(queue)))]
                if not await self._send(service, batch):
                    queue.extendleft(reversed(batch))
                    break
                sent += len(batch)
        return sent

    async def _send(self, service: str, batch: list[dict[str, Any]]) -> bool:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self.timeout)
        body = orjson.dumps({"records": batch})
        headers = signed_headers([self.secret], uuid.uuid4().hex, body)
        url = self.service_urls[service].rstrip("/") + "/internal/audit-records"
        try:
            async with self._session.post(url, data=body, headers=headers) as resp:
                if resp.status == 200:
                    return True
                text = (await resp.text())[:300]
                log.warning(
                    "audit batch refused",
                    extra={"svc": service, "status": resp.status, "body": text},
                )
        except (aiohttp.ClientError, TimeoutError) as exc:
            log.warning("audit batch not delivered", extra={"svc": service, "error": repr(exc)})
        return False
