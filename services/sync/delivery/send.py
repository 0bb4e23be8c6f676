"""Sending one delivery: signed (Standard Webhooks), to a public address only (unless
private ones are allowed, or the endpoint is one of our services), the head of the answer
kept, a 429/503's Retry-After read."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import aiohttp

from libs.common.ssrf import UnsafeUrl, literal_ip_blocked
from libs.common.webhooks import signed_headers
from services.sync.config import Settings
from services.sync.delivery.jobs import Job, Outcome
from services.sync.delivery.schedule import parse_retry_after

USER_AGENT = "Weft-Webhooks/1.0"


async def send(job: Job, session: aiohttp.ClientSession, settings: Settings) -> Outcome:
    """One attempt; a cancellation propagates (the caller releases the job)."""
    attempted_at = datetime.now(UTC)
    started = time.perf_counter()
    status: int | None = None
    error: str | None = None
    text_body: str | None = None
    retry_after: float | None = None
    try:
        if not job.secrets:
            raise UnsafeUrl("no signing secret for this endpoint")
        if not job.internal and not settings.allow_private_urls and literal_ip_blocked(job.url):
            raise UnsafeUrl("the URL points at a non-public address")
        headers = signed_headers(job.secrets, str(job.event_id), job.body)
        headers["user-agent"] = USER_AGENT
        async with session.post(
            job.url, data=job.body, headers=headers, allow_redirects=False
        ) as resp:
            status = resp.status
            text_body = await _read_head(resp, settings.response_body_limit)
            if status in (429, 503):
                retry_after = parse_retry_after(
                    resp.headers.get("Retry-After"), settings.retry_after_cap_seconds
                )
    except TimeoutError:
        error = f"timeout after {settings.delivery_timeout_seconds:g} s"
    except (aiohttp.ClientError, OSError, UnsafeUrl, ValueError) as exc:
        error = f"{type(exc).__name__}: {exc}"[:1000]
    success = status is not None and 200 <= status < 300
    if not success and error is None:
        error = f"HTTP {status}"
    return Outcome(
        job=job,
        attempted_at=attempted_at,
        success=success,
        status_code=status,
        latency_ms=int((time.perf_counter() - started) * 1000),
        error=error,
        response_body=text_body,
        retry_after=retry_after,
    )


async def _read_head(resp: aiohttp.ClientResponse, limit: int) -> str:
    buf = bytearray()
    while len(buf) < limit:
        chunk = await resp.content.read(limit - len(buf))
        if not chunk:
            break
        buf += chunk
    return bytes(buf).decode("utf-8", "replace")
