"""Plan, evidence, readiness review: the owner sets exit criteria, the partner submits
evidence, criteria are met when evidence is accepted; the review goes under_review ->
changes_requested / approved; every step is an event and in the activity feed."""

from __future__ import annotations

import asyncpg
import httpx

from tests.fixtures.users import Tokens
from tests.partner.conftest import PT, Factory, ok, problem
from tools.stack import Stack


async def test_evidence_meets_criteria_and_the_review_is_decided(
    gw: httpx.AsyncClient, tokens: Tokens, factory: Factory, stack: Stack
) -> None:
    admin = tokens.h("admin")
    partner = await factory.partner()
    project = await factory.project(partner, await factory.blueprint())
    base = f"{PT}/projects/{project['id']}"
    phase = ok(
        await gw.post(
            f"{base}/phases",
            headers=admin,
            json={
                "name": "Sandbox",
                "criteria": [{"title": "Orders sync"}, {"title": "Idempotent retries"}],
            },
        ),
        201,
    )
    assert phase["position"] == 1 and len(phase["criteria"]) == 2
    first, second = (c["id"] for c in phase["criteria"])
    engineer = await factory.partner_headers(partner)
    lead = await factory.partner_headers(partner, "PARTNER_LEAD")

    problem(
        await gw.post(
            f"{base}/phases", headers=engineer, json={"name": "x", "criteria": [{"title": "y"}]}
        ),
        403,
        "owner_only",
    )
    link = {"kind": "link", "title": "Sync log", "url": "https://erp.example/logs/1"}
    ev = ok(await gw.post(f"{base}/criteria/{first}/evidence", headers=engineer, json=link), 201)
    assert ev["status"] == "submitted"
    retries = {"kind": "link", "title": "Retry log", "url": "https://erp.example/logs/2"}
    ev2 = ok(
        await gw.post(f"{base}/criteria/{second}/evidence", headers=engineer, json=retries), 201
    )
    # a link without url, the owner submitting: refused
    resp = await gw.post(
        f"{base}/criteria/{first}/evidence", headers=engineer, json={"kind": "link", "title": "x"}
    )
    assert resp.status_code == 422, resp.text
    problem(
        await gw.post(f"{base}/criteria/{first}/evidence", headers=admin, json=link),
        403,
        "partner_only",
    )
    problem(
        await gw.post(f"{base}/evidence/{ev['id']}/accept", headers=engineer, json={}),
        403,
        "owner_only",
    )

    ok(await gw.post(f"{base}/evidence/{ev['id']}/accept", headers=admin, json={}))
    ok(
        await gw.post(
            f"{base}/evidence/{ev2['id']}/reject",
            headers=admin,
            json={"comment": "retries missing"},
        )
    )
    problem(
        await gw.post(f"{base}/evidence/{ev['id']}/reject", headers=admin, json={}),
        409,
        "evidence_not_submitted",
    )
    plan = ok(await gw.get(f"{base}/plan", headers=engineer))
    statuses = {c["title"]: c["status"] for p in plan["phases"] for c in p["criteria"]}
    assert statuses == {"Orders sync": "met", "Idempotent retries": "open"}
    assert (plan["met_criteria"], plan["open_criteria"]) == (1, 1)

    # the review: the lead requests it (an engineer may not), one at a time
    problem(await gw.post(f"{base}/reviews", headers=engineer, json={}), 403, "missing_permission")
    review = ok(await gw.post(f"{base}/reviews", headers=lead, json={"note": "ready?"}), 201)
    assert review["status"] == "under_review"
    problem(await gw.post(f"{base}/reviews", headers=lead, json={}), 409, "review_in_progress")
    decided = ok(
        await gw.post(
            f"{base}/reviews/{review['id']}/decision",
            headers=admin,
            json={"status": "changes_requested", "comment": "retries first"},
        )
    )
    assert decided["status"] == "changes_requested"
    review = ok(await gw.post(f"{base}/reviews", headers=lead, json={}), 201)
    ok(
        await gw.post(
            f"{base}/reviews/{review['id']}/decision", headers=admin, json={"status": "approved"}
        )
    )
    listed = ok(await gw.get(f"{base}/reviews", headers=engineer))
    assert [r["status"] for r in listed["items"]] == ["approved", "changes_requested"]

    feed = ok(await gw.get(f"{base}/activity", headers=engineer, params={"limit": 5}))
    assert len(feed["items"]) == 5 and feed["next_cursor"]
    more = ok(
        await gw.get(
            f"{base}/activity",
            headers=engineer,
            params={"limit": 50, "cursor": feed["next_cursor"]},
        )
    )
    types = [a["type"] for a in feed["items"] + more["items"]]
    assert types[0] == "review.decided" and types[-1] == "plan.phase_added"
    assert {"evidence.submitted", "evidence.accepted", "criterion.met", "review.requested"} <= set(
        types
    )

    conn = await asyncpg.connect(stack.admin_dsn())
    try:
        rows = await conn.fetch(
            "SELECT type, tenant_id, customer_tenant_id FROM partner.outbox"
            " WHERE data->>'project_id' = $1 ORDER BY id",
            project["id"],
        )
    finally:
        await conn.close()
    assert [r["type"] for r in rows] == [
        "partner.evidence.submitted",
        "partner.evidence.submitted",
        "partner.review.requested",
        "partner.review.decided",
        "partner.review.requested",
        "partner.review.decided",
    ]
    # the partner's own steps are the owner's events, made for the partner
    assert {str(r["customer_tenant_id"]) for r in rows} == {partner["customer_tenant_id"]}
    assert {str(r["tenant_id"]) for r in rows} == {project["tenant_id"]}


async def test_another_partner_cannot_touch_the_plan(
    gw: httpx.AsyncClient, tokens: Tokens, factory: Factory
) -> None:
    admin = tokens.h("admin")
    blueprint = await factory.blueprint()
    mine, theirs = await factory.partner(), await factory.partner()
    project = await factory.project(mine, blueprint)
    base = f"{PT}/projects/{project['id']}"
    phase = ok(
        await gw.post(
            f"{base}/phases", headers=admin, json={"name": "UAT", "criteria": [{"title": "a"}]}
        ),
        201,
    )
    crit = phase["criteria"][0]["id"]
    h_mine = await factory.partner_headers(mine)
    link = {"kind": "link", "title": "x", "url": "https://a.example/"}
    ev = ok(await gw.post(f"{base}/criteria/{crit}/evidence", headers=h_mine, json=link), 201)
    h = await factory.partner_headers(theirs, "PARTNER_LEAD")
    for resp in (
        await gw.get(f"{base}/plan", headers=h),
        await gw.get(f"{base}/evidence", headers=h),
        await gw.get(f"{base}/evidence/{ev['id']}", headers=h),
        await gw.get(f"{base}/reviews", headers=h),
        await gw.post(f"{base}/criteria/{crit}/evidence", headers=h, json=link),
        await gw.post(f"{base}/reviews", headers=h, json={}),
    ):
        assert resp.status_code == 404, resp.text
