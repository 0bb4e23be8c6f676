"""A replay batch and single requests share one idempotency store: a key a single request
used answers `duplicate` in a batch, and a key a batch stored answers a single request with
the batch's response (the batch claims its keys in one statement and stores them in one)."""

from __future__ import annotations

import uuid

from tests.production.conftest import Factory, ok
from tests.production.test_replay import _started_order
from tools.stack import Stack


async def test_batch_and_single_requests_share_their_keys(factory: Factory, stack: Stack) -> None:
    c = factory.c
    op_h = factory.tokens.headers("operator")
    order = await _started_order(factory, stack)
    stage = f"{order['base']}/{order['s1']}"
    tag = uuid.uuid4().hex
    params = {"actuals": [{"name": "glue temperature", "value": "183"}]}

    single = await c.post(f"{stage}/start", headers={**op_h, "Idempotency-Key": f"{tag}-1"})
    assert single.status_code == 200, single.text

    ops = [
        {"seq": 1, "idempotency_key": f"{tag}-1", "method": "POST", "path": f"{stage}/start"},
        {
            "seq": 2,
            "idempotency_key": f"{tag}-2",
            "method": "POST",
            "path": f"{stage}/parameters",
            "body": params,
        },
        # the same key again in the batch, with another body: refused, nothing written
        {
            "seq": 3,
            "idempotency_key": f"{tag}-2",
            "method": "POST",
            "path": f"{stage}/parameters",
            "body": {"actuals": [{"name": "glue temperature", "value": "150"}]},
        },
        # a refusal is stored too: the same op later answers the same refusal
        {
            "seq": 4,
            "idempotency_key": f"{tag}-4",
            "method": "POST",
            "path": f"{stage}/parameters",
            "body": {"actuals": "not a list"},
        },
    ]
    got = ok(await c.post("/replay", json={"ops": ops}, headers=op_h))
    by_seq = {r["seq"]: r for r in got["results"]}
    assert [by_seq[s]["outcome"] for s in (1, 2, 3, 4)] == [
        "duplicate",
        "applied",
        "rejected",
        "rejected",
    ], got
    assert by_seq[1]["body"] == single.json()
    assert by_seq[3]["status"] == 422 and by_seq[3]["body"]["code"] == "idempotency_key_reused"
    refused = by_seq[4]
    assert refused["status"] == 422 and refused["body"]["code"] == "validation_failed"

    # a single request with a key the batch stored gets the batch's answer, not a new write
    again = await c.post(
        f"{stage}/parameters", json=params, headers={**op_h, "Idempotency-Key": f"{tag}-2"}
    )
    assert again.status_code == 200, again.text
    assert again.headers.get("idempotent-replayed") == "true"
    assert again.json() == by_seq[2]["body"] and again.headers["etag"] == by_seq[2]["etag"]
    bad = await c.post(
        f"{stage}/parameters",
        json={"actuals": "not a list"},
        headers={**op_h, "Idempotency-Key": f"{tag}-4"},
    )
    assert bad.status_code == refused["status"] and bad.json() == refused["body"]
    # the stage holds the batch's one write: 183, not 150
    po = ok(await c.get(f"/production-orders/{order['po']}", headers=op_h))
    (s1,) = [s for s in po["stages"] if s["id"] == order["s1"]]
    assert [a["value"] for a in s1["actuals"]] == ["183"]
