"""The live QA feed: polling with a cursor, and SSE with Last-Event-ID resume (every missed
event once, none twice), scoped to the brand's own lots."""

from __future__ import annotations

import json

import httpx

from tests.quality.conftest import Factory, Q, Tokens, ok
from tests.quality.helpers import SSE, inspection_in_progress


async def _defect(gw: httpx.AsyncClient, tokens: Tokens, inspection_id: str, n: int) -> None:
    ok(
        await gw.post(
            f"{Q}/inspections/{inspection_id}/defects",
            headers=tokens.h("inspector"),
            json={"unit": 1, "severity": "minor", "description": f"defect {n}"},
        ),
        201,
    )


async def test_sse_resume_with_last_event_id_loses_nothing_and_repeats_nothing(
    gateway: httpx.AsyncClient, tokens: Tokens, factory: Factory
) -> None:
    lot, _checklist, inspection, _sku = await inspection_in_progress(gateway, tokens, factory)
    await _defect(gateway, tokens, inspection["id"], 1)
    params = {"lot_id": lot["id"]}
    sse = tokens.h("lbx", Accept="text/event-stream")
    async with gateway.stream("GET", f"{Q}/feed/stream", headers=sse, params=params) as resp:
        assert resp.status_code == 200
        assert resp.headers["content-type"].startswith("text/event-stream")
        first = await SSE(resp).read(3)  # opened, started, defect 1
    assert [e["event"] for e in first] == [
        "quality.inspection.opened",
        "quality.inspection.started",
        "quality.defect.recorded",
    ]
    last_id = first[-1]["id"]
    # while the brand is away
    for n in (2, 3):
        await _defect(gateway, tokens, inspection["id"], n)
    resume = {**sse, "Last-Event-ID": last_id}
    async with gateway.stream("GET", f"{Q}/feed/stream", headers=resume, params=params) as resp:
        reader = SSE(resp)
        missed = await reader.read(2)
        # and live, on the same connection
        await _defect(gateway, tokens, inspection["id"], 4)
        live = await reader.read(1)
    got = missed + live
    assert [json.loads(e["data"])["data"]["description"] for e in got] == [
        "defect 2",
        "defect 3",
        "defect 4",
    ]
    ids = [int(e["id"]) for e in first + got]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)

    # polling gives the same entries in the same order
    page = ok(await gateway.get(f"{Q}/feed", headers=tokens.h("lbx"), params=params))
    assert [str(i["seq"]) for i in page["items"]] == [e["id"] for e in first + got]
    after = ok(
        await gateway.get(
            f"{Q}/feed",
            headers=tokens.h("lbx"),
            params={**params, "cursor": page["next_cursor"]},
        )
    )
    assert after["items"] == [] and after["next_cursor"] == page["next_cursor"]


async def test_feed_is_scoped_to_the_brand_and_the_provider(
    gateway: httpx.AsyncClient, tokens: Tokens, factory: Factory
) -> None:
    lot, _checklist, inspection, _sku = await inspection_in_progress(gateway, tokens, factory)
    await _defect(gateway, tokens, inspection["id"], 1)
    params = {"lot_id": lot["id"]}
    provider = ok(await gateway.get(f"{Q}/feed", headers=tokens.h("viewer"), params=params))
    assert len(provider["items"]) == 3
    assert ok(await gateway.get(f"{Q}/feed", headers=tokens.h("my"), params=params))["items"] == []
    # the other brand's whole feed holds nothing of this lot
    everything = ok(await gateway.get(f"{Q}/feed", headers=tokens.h("my"), params={"limit": 200}))[
        "items"
    ]
    assert all(i["lot_id"] != lot["id"] for i in everything)
    bad = await gateway.get(f"{Q}/feed", headers=tokens.h("lbx"), params={"cursor": "x"})
    assert (bad.status_code, bad.json()["code"]) == (400, "invalid_cursor")
