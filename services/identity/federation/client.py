"""Outbound signed requests to a peer: signed with this instance's key (the kit's
`sign_request`), sent through the SSRF guard unless private peers are allowed."""

from __future__ import annotations

import logging
from typing import Any

import httpx
import orjson

from libs.common.federation import FederationKey, sign_request
from libs.common.ssrf import GuardedTransport
from services.identity.config import Settings

log = logging.getLogger("weft.identity.federation")


async def send_signed(
    settings: Settings, key: FederationKey, base_url: str, path: str, payload: Any
) -> httpx.Response:
    """POST `payload` (JSON) to `base_url + path`, signed; raises httpx.HTTPError when the
    peer cannot be reached."""
    url = base_url.rstrip("/") + path
    body = orjson.dumps(payload)
    headers = {
        "content-type": "application/json",
        **sign_request(key, "POST", url, body),
    }
    transport = GuardedTransport(allow_private=settings.federation_allow_private_urls)
    async with httpx.AsyncClient(
        transport=transport, timeout=settings.federation_timeout_seconds
    ) as http:
        resp = await http.post(url, content=body, headers=headers)
    log.info(
        "federation request sent",
        extra={"url": url, "status": resp.status_code, "key_id": key.key_id},
    )
    return resp
