"""Messages by id: a message is an event the tenant may see; any other id is 404."""

from __future__ import annotations

import uuid

import httpx

from tests.sync.conftest import TokenFor, ingest, make_event, topic
from tools.stack import Stack


async def test_attempts_of_an_unknown_or_foreign_message_are_404(
    stack: Stack,
    gateway: httpx.AsyncClient,
    admin_headers: dict[str, str],
    tenants: dict[str, str],
    token_for: TokenFor,
) -> None:
    event = make_event(topic(), tenants["paco"])
    await ingest(stack, [event])
    url = f"/v1/sync/messages/{event['id']}/attempts"

    # the owner's message: its attempts (none yet: no endpoint subscribes to the type)
    mine = await gateway.get(url, headers=admin_headers)
    assert mine.status_code == 200, mine.text
    assert mine.json() == {"items": [], "next_cursor": None}

    # Paco's own event is not its brand's (not made for it): 404, as an unknown id
    brand = {
        "Authorization": f"Bearer {await token_for('admin@luxurybrandx.example', 'luxury-brand-x')}"
    }
    for headers, path in (
        (brand, url),
        (admin_headers, f"/v1/sync/messages/{uuid.uuid4()}/attempts"),
    ):
        resp = await gateway.get(path, headers=headers)
        assert resp.status_code == 404, resp.text
        assert resp.headers["content-type"].startswith("application/problem+json")
        assert resp.json()["code"] == "message_not_found"
