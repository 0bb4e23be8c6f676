"""Offline op replay on quality: check results and defects compare the inspection's version."""

from __future__ import annotations

import uuid

import httpx

from tests.quality.conftest import Factory, Q, Tokens, ok
from tests.quality.helpers import all_results, inspection_in_progress


async def test_results_and_defects_replayed_against_a_stale_version_conflict(
    gateway: httpx.AsyncClient, tokens: Tokens, factory: Factory
) -> None:
    _, checklist, inspection, _ = await inspection_in_progress(gateway, tokens, factory)
    h = tokens.h("inspector")
    url = f"{Q}/inspections/{inspection['id']}"
    seen = ok(await gateway.get(url, headers=h))["version"]
    tag = uuid.uuid4().hex
    defect = {"unit": 2, "severity": "minor", "description": "Tissue slightly creased"}
    ops = [
        {
            "seq": 1,
            "idempotency_key": f"{tag}-1",
            "method": "PUT",
            "path": f"{url}/results",
            "body": {"results": all_results(checklist, 2)},
            "if_match": f'"{seen}"',
        },
        # each accepted write raises the version by one: the device predicts it
        {
            "seq": 2,
            "idempotency_key": f"{tag}-2",
            "method": "POST",
            "path": f"{url}/defects",
            "body": defect,
            "if_match": f'"{seen + 1}"',
        },
        # queued on another tablet against the version both saw
        {
            "seq": 3,
            "idempotency_key": f"{tag}-3",
            "method": "POST",
            "path": f"{url}/defects",
            "body": {**defect, "unit": 3},
            "if_match": f'"{seen}"',
        },
    ]
    got = ok(await gateway.post(f"{Q}/replay", json={"ops": ops[::-1]}, headers=h))
    outcomes = [(r["seq"], r["outcome"], r["status"]) for r in got["results"]]
    assert outcomes == [(1, "applied", 200), (2, "applied", 201), (3, "conflict", 409)]
    assert got["results"][1]["etag"] == f'"{seen + 2}"'
    current = got["results"][2]["current"]
    assert current["id"] == inspection["id"] and current["version"] == seen + 2
    assert len(ok(await gateway.get(f"{url}/defects", headers=h))) == 1
    # a single request with the stale version gets 412 and the inspection as it is
    stale = await gateway.post(
        f"{url}/defects", headers={**h, "If-Match": f'"{seen}"'}, json=defect
    )
    assert stale.status_code == 412 and stale.json()["current"]["version"] == seen + 2


async def test_inspection_feed_gives_open_ones_then_only_changes(
    gateway: httpx.AsyncClient, tokens: Tokens, factory: Factory
) -> None:
    _, _, inspection, _ = await inspection_in_progress(gateway, tokens, factory)
    h = tokens.h("inspector")
    feed = f"{Q}/assignments/inspections"
    first = ok(await gateway.get(feed, params={"limit": 200}, headers=h))
    cursor = first["next_cursor"]
    while first["has_more"]:
        first = ok(await gateway.get(feed, params={"cursor": cursor}, headers=h))
        cursor = first["next_cursor"]
    seen = ok(await gateway.get(f"{Q}/inspections/{inspection['id']}", headers=h))
    defect = {"unit": 2, "severity": "minor", "description": "Creased"}
    ok(
        await gateway.post(f"{Q}/inspections/{inspection['id']}/defects", headers=h, json=defect),
        201,
    )
    changed = ok(await gateway.get(feed, params={"cursor": cursor}, headers=h))
    got = [i for i in changed["items"] if i["inspection"]["id"] == inspection["id"]]
    assert got and got[-1]["inspection"]["version"] == seen["version"] + 1 and got[-1]["open"]
    # a brand has no such feed
    r = await gateway.get(feed, headers=tokens.h("lbx"))
    assert r.status_code == 403
